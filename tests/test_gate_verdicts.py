"""One comparison, one verdict: `gate` and `diff` report the same verdict in every format, and every pass rate
says what it is computed over. Through the CLI, in real git repositories with offline Python models."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from gate_helpers import (
    branch,
    dataset_yaml,
    gate_json,
    keys,
    make_baseline,
    make_project,
    model_yaml,
    ok,
    run,
    suite_yaml,
)

pytestmark = pytest.mark.usefixtures("gate_isolation")


def junit_failures(path: Path) -> dict[str, str]:
    """The failing testcases of a JUnit file, by name, with their failure messages."""
    suites = ET.parse(path).getroot()
    return {
        str(tc.get("name")): str(failure.get("message"))
        for tc in suites.iter("testcase")
        if (failure := tc.find("failure")) is not None
    }


@pytest.mark.parametrize(
    ("gate", "fails"),
    [({"max_regressions": 0}, True), ({}, False)],  # no thresholds: 2 lost of 10 is not significant
)
def test_diff_and_gate_give_the_same_verdict_in_every_format(
    tmp_path: Path, gate: dict[str, int], fails: bool
) -> None:
    root = tmp_path / "proj"
    repo = make_project(root, suite={"gate": gate})
    make_baseline(repo)
    branch(repo, "swap", {"models/bot.yaml": model_yaml("worse")})  # c03 and c07 now fail

    gate_xml, diff_xml = tmp_path / "gate.xml", tmp_path / "diff.xml"
    gated = ok(run(root, "gate", "--base", "main", "--junit", gate_xml), 1 if fails else 0)
    diffed = ok(run(root, "diff", "--base", "main", "--junit", diff_xml))  # the gate's run is the latest
    # The same comparison gives the same JUnit file, byte for byte: its failures are the gate's verdict.
    assert diff_xml.read_text(encoding="utf-8") == gate_xml.read_text(encoding="utf-8")
    failures = junit_failures(gate_xml)
    if fails:
        assert sorted(failures) == [*keys("c03", "c07"), "gate"]
        assert "gate FAILED for main" in gated.stdout
        assert "gate thresholds FAILED for main (as `llmopsctl gate` judges it; diff does not fail)" in (
            diffed.stdout
        )
    else:
        assert failures == {}  # regressions the gate tolerates are reported, not failed
        text = ET.parse(gate_xml).getroot().findtext(".//testcase[@name='ask/bot/items/c03']/system-out")
        assert text is not None and text.startswith("regressed, within the gate's thresholds: passed 100%")
        assert "gate PASSED for main" in gated.stdout and "gate thresholds PASSED for main" in diffed.stdout
    for fmt in ("json", "md"):
        gate_out = run(root, "gate", "--base", "main", "--format", fmt).stdout
        diff_out = ok(run(root, "diff", "--base", "main", "--format", fmt)).stdout
        if fmt == "json":
            (g,), (d,) = gate_json_text(gate_out), gate_json_text(diff_out)
            assert g["gate"]["passed"] is d["gate"]["passed"] is (not fails)
            assert (g["gate"]["enforced"], d["gate"]["enforced"]) == (True, False)
            assert g["gate"]["reasons"] == d["gate"]["reasons"]
        else:
            word = "failed" if fails else "passed"
            assert (
                f"— gate {word}" in gate_out
                and f"— gate thresholds {word} (not enforced by diff)" in diff_out
            )


def gate_json_text(text: str) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(text)
    return data


def test_each_pass_rate_names_its_denominator_and_agrees_with_runs_list(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    suite = suite_yaml(gate={"min_pass_rate": 0.85}).replace(
        "  - type: equals\n", "  - type: equals\n    metric: accuracy\n"
    )
    repo = make_project(root, extra={"suites/main.yaml": suite})
    make_baseline(repo)
    # A case added and two regressed: 9 of the head's 11 cases pass, 8 of the 10 paired ones.
    cases = json.loads(dataset_yaml())
    cases["cases"].append({"id": "c11", "vars": {"text": "kiwi"}, "expected": "KIWI."})
    branch(repo, "swap", {"models/bot.yaml": model_yaml("worse"), "datasets/items.yaml": json.dumps(cases)})
    result = run(root, "gate", "--base", "main")
    ok(result, 1)
    text = result.stdout
    assert (
        "pass rate, all cases" in text and "100.0% of 10 -> 81.8% of 11 (each side's completed cases)" in text
    )
    assert "-> 80.0% [" in text and "over the 10 cases completed on both sides" in text
    assert re.search(r"metric accuracy, all results +100\.0% -> 81\.8%", text)
    assert "x pass rate 81.8% of 11 case(s) is below min_pass_rate=85%" in text

    (item,) = gate_json(ok(run(root, "gate", "--base", "main", "--format", "json"), 1))
    aggregate = item["aggregate"]
    assert (aggregate["n_pairs"], aggregate["n_cases_base"], aggregate["n_cases_head"]) == (10, 10, 11)
    assert aggregate["pass_rate_head"] == pytest.approx(0.8)
    assert aggregate["pass_rate_all_head"] == pytest.approx(9 / 11)
    assert "min_pass_rate" in item["denominators"]["pass_rate_all_head"]
    assert "paired" in item["denominators"]["pass_rate_head"]
    # `runs list` counts the same: passed / completed results of the gate's run.
    (latest, *_) = json.loads(ok(run(root, "runs", "list", "--format", "json")).stdout)
    assert latest["passed"] / (latest["passed"] + latest["failed"]) == pytest.approx(
        aggregate["pass_rate_all_head"]
    )


def test_min_pass_rate_holds_a_suite_new_since_the_base_to_its_own_cases(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(root)
    make_baseline(repo)
    branch(repo, "new-suite", {"suites/second.yaml": suite_yaml(model="bot", gate={"min_pass_rate": 0.5})})
    (item,) = gate_json(ok(run(root, "gate", "second", "--base", "main", "--format", "json")))
    assert item["counts"]["new"] == 10 and item["aggregate"]["n_pairs"] == 0
    assert "pass rate 100.0% of 10 case(s) (min_pass_rate=50%)" in item["gate"]["notes"]
    branch(repo, "new-and-worse", {"models/bot.yaml": model_yaml("worse")})
    failed = ok(run(root, "gate", "second", "--base", "main", "--min-pass-rate", "0.9"), 1)
    assert "x pass rate 80.0% of 10 case(s) is below min_pass_rate=90%" in failed.stdout
    assert "no case completed" not in failed.stdout
