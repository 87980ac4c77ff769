"""Baselines, `diff` and `gate` end to end, in real git repositories with offline Python models.

Each test builds a project on branch main (tests/gate_helpers.py), commits a baseline, changes something on
a branch and checks what `gate` and `diff` say about it: which cases regressed, which are only noise, which
thresholds fail and why, and which suites a change can affect.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple
from xml.etree import ElementTree as ET

import git
import pytest

from gate_helpers import (
    SETTINGS,
    baseline_file,
    branch,
    commit,
    eval_run,
    gate_json,
    keys,
    make_baseline,
    make_project,
    model_yaml,
    ok,
    prompt_yaml,
    run,
    run_suites,
    suite_yaml,
    write,
)

pytestmark = pytest.mark.usefixtures("gate_isolation")


class Baselined(NamedTuple):
    root: Path
    repo: git.Repo
    path: Path  # the committed baseline file


@pytest.fixture
def baselined(tmp_path: Path) -> Baselined:
    """A project on main whose suite gates on max_regressions 0 and min_pass_rate 0.5, its baseline
    committed."""
    root = tmp_path / "proj"
    repo = make_project(root, suite={"gate": {"max_regressions": 0, "min_pass_rate": 0.5}})
    make_baseline(repo)
    return Baselined(root, repo, baseline_file(root))


@pytest.fixture
def swapped(baselined: Baselined, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """On a branch of `baselined`, the same model config name calling a different function: c03 and c07
    now fail. GITHUB_STEP_SUMMARY names a file an earlier CI step wrote to; returns its path."""
    branch(baselined.repo, "swap", {"models/bot.yaml": model_yaml("worse")})
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return summary


def test_the_baseline_file_is_sorted_json_with_fixed_precision(baselined: Baselined) -> None:
    text = baselined.path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"  # sorted keys
    assert document["format"] == 1 and document["suite"] == "main"
    assert sorted(document["cases"]) == keys(*(f"c{i:02d}" for i in range(1, 11)))
    case = document["cases"]["ask/bot/items/c01"]
    assert case["outcomes"] == [1] and case["pass_rate"] == 1.0 and case["scores"] == [1.0]
    assert all(
        x == round(x, 1) for c in document["cases"].values() for x in c["latency_ms"]
    )  # fixed precision


def test_the_same_results_again_leave_the_committed_baseline_byte_for_byte(baselined: Baselined) -> None:
    root, repo, path = baselined
    text = path.read_text(encoding="utf-8")
    # The same results again (a new run of the same code) leave the committed file byte for byte as it was.
    again = eval_run(root, "main")
    out = ok(run(root, "baseline", "update", "main")).stdout
    assert out.startswith("unchanged .llmops/baselines/main.json") and again in out
    assert path.read_text(encoding="utf-8") == text
    assert not repo.is_dirty(untracked_files=True)


def test_a_swapped_model_fails_the_gate_naming_its_regressions(baselined: Baselined, swapped: Path) -> None:
    result = ok(run(baselined.root, "gate", "--base", "main"), 1)
    regressed = re.findall(r"^\s+REGRESSED (\S+)", result.stdout, re.M)
    assert regressed == keys("c03", "c07")
    assert "gate FAILED for main" in result.stdout
    assert (
        "2 regressed case(s), more than max_regressions=0: ask/bot/items/c03, ask/bot/items/c07"
        in result.stdout
    )
    assert "was: CHERRY.\n            now: nope" in result.stdout  # c03: the baseline keeps its output
    assert swapped.read_text(encoding="utf-8").startswith("earlier step\n### ❌ llmopsctl: suite `main`")


def test_the_markdown_gate_report_lists_the_regressed_cases(baselined: Baselined, swapped: Path) -> None:
    md = ok(run(baselined.root, "gate", "--base", "main", "--format", "md"), 1).stdout
    assert "gate failed" in md and "Regressed cases" in md
    assert [k for k in keys("c03", "c07") if f"| `{k}` |" in md] == keys("c03", "c07")
    assert "c05`" not in md


def test_the_json_gate_report_and_junit_count_the_regressions(
    baselined: Baselined, swapped: Path, tmp_path: Path
) -> None:
    junit = tmp_path / "reports" / "gate.xml"
    gate = run(baselined.root, "gate", "--base", "main", "--format", "json", "--junit", junit)
    items = gate_json(ok(gate, 1))
    assert len(items) == 1 and items[0]["gate"]["passed"] is False
    assert [c["key"] for c in items[0]["cases"] if c["status"] == "regressed"] == keys("c03", "c07")
    assert items[0]["counts"]["regressed"] == 2 and items[0]["counts"]["unchanged"] == 8
    assert items[0]["aggregate"]["discordant_lost"] == 2 and items[0]["aggregate"]["mcnemar_p"] == 0.5

    suites = ET.parse(junit).getroot()
    failing = {
        tc.get("name"): tc.find("failure") for tc in suites.iter("testcase") if tc.find("failure") is not None
    }
    assert sorted(failing) == [*keys("c03", "c07"), "gate"]
    for key in keys("c03", "c07"):
        assert failing[key].get("message") == "regressed: passed 100% of repeats in the base, 0% now"
    assert "max_regressions=0" in (failing["gate"].get("message") or "")
    suite = suites.find("testsuite")
    assert suite is not None and suite.get("tests") == "11" and suite.get("failures") == "3"
    assert suites.get("failures") == "3"


def test_every_gate_run_adds_its_section_to_the_step_summary(baselined: Baselined, swapped: Path) -> None:
    for options in ((), ("--format", "md"), ("--format", "json")):
        ok(run(baselined.root, "gate", "--base", "main", *options), 1)
    summary = swapped.read_text(encoding="utf-8")
    assert summary.startswith("earlier step\n") and summary.count("### ❌ llmopsctl: suite `main`") == 3


# --- 2. noise is not a regression --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "passes", "status"),
    [("noisy", True, "flaky"), ("dropped", False, "regressed")],
)
def test_repeats_tell_a_flaky_case_from_a_repeatable_drop(
    tmp_path: Path, function: str, passes: bool, status: str
) -> None:
    gate = {"min_pass_rate": 0.7, "max_regressions": 0, "significance": 0.05}
    repo = make_project(tmp_path / "proj", suite={"repeat": 3, "gate": gate})
    make_baseline(repo)
    root = tmp_path / "proj"
    assert json.loads(baseline_file(root).read_text())["cases"]["ask/bot/items/c05"]["outcomes"] == [1, 1, 1]
    branch(repo, function, {"models/bot.yaml": model_yaml(function)})
    result = run(root, "gate", "--base", "main", "--format", "json")
    ok(result, 0 if passes else 1)
    (item,) = gate_json(result)
    assert [(c["key"], c["status"]) for c in item["cases"]] == [("ask/bot/items/c05", status)]
    assert item["aggregate"]["n_pairs"] == 10  # cases, whatever the number of repeats
    if passes:
        (case,) = item["cases"]
        assert case["reason"] == "repeats disagree: 2/3 passed" and case["pass_rate_head"] == pytest.approx(
            2 / 3
        )
        assert item["gate"]["reasons"] == []
        assert any("1 flaky case(s)" in n for n in item["gate"]["notes"])
        assert any("not significant" in n for n in item["gate"]["notes"])
    else:
        assert item["counts"]["regressed"] == 1
        assert any("more than max_regressions=0: ask/bot/items/c05" in r for r in item["gate"]["reasons"])


# --- 3. what --base and --head can name ---------------------------------------------------------------------


def test_base_forms_worktree_ref_run_id_and_their_errors(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(root, suite={"gate": {"max_regressions": 0}})
    repo.create_tag("before-baseline")
    base_run = make_baseline(repo)
    branch(repo, "swap", {"models/bot.yaml": model_yaml("worse")})

    # The working tree's file, rewritten after the commit to say c03 and c07 failed already.
    path = baseline_file(root)
    document = json.loads(path.read_text())
    for key in keys("c03", "c07"):
        document["cases"][key].update(outcomes=[0], pass_rate=0.0, scores=[0.0], score=0.0)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")

    worktree = gate_json(ok(run(root, "gate", "--format", "json")))  # --base baseline is the default
    assert worktree[0]["base"] == "baseline (.llmops/baselines/main.json)"
    assert worktree[0]["counts"]["regressed"] == 0 and worktree[0]["gate"]["passed"] is True
    head_run = worktree[0]["head"].removeprefix("run ")

    # A ref reads the file as committed there, through git, not the edited working-tree copy.
    at_ref = gate_json(ok(run(root, "gate", "--base", "main", "--format", "json"), 1))
    assert at_ref[0]["base"].startswith("baseline@main (")
    assert [c["key"] for c in at_ref[0]["cases"]] == keys("c03", "c07")

    # A run id from the database, with an explicit head run.
    by_run = json.loads(
        ok(run(root, "diff", "--base", base_run, "--head", head_run, "--format", "json")).stdout
    )
    assert by_run[0]["base"] == f"run {base_run}" and by_run[0]["head"] == f"run {head_run}"
    assert [(c["key"], c["status"]) for c in by_run[0]["cases"]] == [
        (k, "regressed") for k in keys("c03", "c07")
    ]
    # diff reports the verdict of the suite's thresholds (max_regressions 0), and does not enforce it.
    assert by_run[0]["gate"]["passed"] is False and by_run[0]["gate"]["enforced"] is False

    missing = ok(run(root, "gate", "--base", "before-baseline"), 2)
    assert "suite 'main' has no baseline at before-baseline" in missing.stderr
    assert "baseline update main" in missing.stderr  # the hint
    nonsense = ok(run(root, "gate", "--base", "no-such-ref~3"), 2)
    assert "neither `baseline`, a run id, nor a git ref" in nonsense.stderr
    assert ok(run(root, "diff", "--base", "main", "--head", "no-such-run"), 2).stderr.count("no-such-run")
    assert "Traceback" not in missing.output + nonsense.output


def test_pair_matches_a_renamed_model_config(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(root)
    make_baseline(repo)
    repo.git.checkout("-b", "rename")
    repo.git.mv("models/bot.yaml", "models/bot2.yaml")
    write(root, {"suites/main.yaml": suite_yaml(model="bot2")})
    commit(repo, "rename the model config")
    head = eval_run(root, "main")

    unpaired = json.loads(ok(run(root, "diff", "--base", "main", "--head", head, "--format", "json")).stdout)
    assert unpaired[0]["counts"] | {"new": 10, "removed": 10} == unpaired[0]["counts"]
    assert unpaired[0]["aggregate"]["n_pairs"] == 0

    paired = json.loads(
        ok(
            run(root, "diff", "--base", "main", "--head", head, "--pair", "bot=bot2", "--format", "json")
        ).stdout
    )
    assert paired[0]["counts"]["unchanged"] == 10 and paired[0]["cases"] == []
    assert paired[0]["aggregate"]["n_pairs"] == 10 and paired[0]["aggregate"]["pass_rate_head"] == 1.0
    assert ok(run(root, "diff", "--pair", "bot"), 2).stderr.count("OLD=NEW")


# --- 4. thresholds ------------------------------------------------------------------------------------------


def test_pass_rate_and_regression_thresholds_from_the_suite_and_the_command_line(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    # llmops.yaml's gate holds defaults for every suite; a suite's own gate overrides them.
    settings = SETTINGS + "gate:\n  max_regressions: 0\n  max_p95_latency_ms: 60000\n"
    suite = {"gate": {"min_pass_rate": 0.9, "max_regressions": 2}}
    repo = make_project(root, suite=suite, extra={"llmops.yaml": settings})
    make_baseline(repo)
    branch(repo, "swap", {"models/bot.yaml": model_yaml("worse")})  # 8/10 pass, 2 regressed

    (item,) = gate_json(ok(run(root, "gate", "--base", "main", "--format", "json"), 1))
    assert item["gate"]["thresholds"] == {
        "min_pass_rate": 0.9,
        "max_regressions": 2,
        "max_p95_latency_ms": 60000,
    }
    assert item["gate"]["reasons"] == ["pass rate 80.0% of 10 case(s) is below min_pass_rate=90%"]
    assert "2 regressed case(s) (max_regressions=2)" in item["gate"]["notes"]

    # Command-line overrides win over the suite's gate; every failing reason is listed.
    args = ("gate", "--base", "main", "--format", "json")
    (item,) = gate_json(ok(run(root, *args, "--min-pass-rate", "0.8", "--max-regressions", "3")))
    assert item["gate"]["passed"] is True
    (item,) = gate_json(ok(run(root, *args, "--max-regressions", "1", "--max-score-drop", "0.1"), 1))
    assert item["gate"]["reasons"] == [
        "2 regressed case(s), more than max_regressions=1: ask/bot/items/c03, ask/bot/items/c07",
        "pass rate 80.0% of 10 case(s) is below min_pass_rate=90%",
        "mean score fell by 0.200, more than max_score_drop=0.1, permutation p=0.5",
    ]
    # With a significance level, 2 lost cases of 10 are no significant fall (exact McNemar p=0.5).
    (item,) = gate_json(ok(run(root, *args, "--significance", "0.05", "--min-pass-rate", "0.5")))
    assert "pass rate fell 100.0% -> 80.0%, not significant (p=0.5)" in item["gate"]["notes"]


def test_score_drop_counts_only_when_significant(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(
        root,
        suite={"graded": True, "gate": {"max_score_drop": 0.01, "significance": 0.05, "max_regressions": 0}},
    )
    make_baseline(repo)
    args = ("gate", "--base", "main", "--format", "json")

    branch(repo, "one", {"models/bot.yaml": model_yaml("no_stop_one")})  # one case scores 0.5 instead of 1
    (item,) = gate_json(ok(run(root, *args)))
    assert item["aggregate"]["score_diff"] == pytest.approx(-0.05) and item["aggregate"]["score_p"] == 1.0
    assert item["counts"]["unchanged"] == 10  # every case still passes (threshold 0.5)
    assert any(n.startswith("mean score fell by 0.050 but not significantly") for n in item["gate"]["notes"])

    repo.git.checkout("main")
    branch(repo, "all", {"models/bot.yaml": model_yaml("no_stop_all")})  # every case scores 0.5
    (item,) = gate_json(ok(run(root, *args), 1))
    assert item["aggregate"]["score_p"] == pytest.approx(2 / 1024)
    assert item["gate"]["reasons"] == [
        "mean score fell by 0.500, more than max_score_drop=0.01, permutation p=0.00195"
    ]
    # Without a significance level any drop beyond max_score_drop fails, the small one too.
    repo.git.checkout("one")
    (item,) = gate_json(ok(run(root, *args, "--significance", "0.5", "--max-score-drop", "0.2")))
    assert item["gate"]["reasons"] == []


def test_cost_latency_and_flaky_thresholds_list_every_failing_reason(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    gate = {"max_cost_increase_pct": 50, "max_p95_latency_ms": 2000, "allow_flaky": True}
    repo = make_project(root, function="cheap", suite={"repeat": 3, "gate": gate})
    write(root, {"models/bot.yaml": model_yaml("cheap", pricing=True)})
    commit(repo, "priced model")
    make_baseline(repo)
    document = json.loads(baseline_file(root).read_text())
    # 3 repeats x (1000 input x $1 + 100 output x $2) per million tokens
    assert document["cases"]["ask/bot/items/c01"]["cost_usd"] == "0.0036"

    branch(repo, "pricey", {"models/bot.yaml": model_yaml("pricey", pricing=True)})
    (item,) = gate_json(ok(run(root, "gate", "--base", "main", "--format", "json"), 1))
    assert item["aggregate"]["cost_increase_pct"] == pytest.approx(200.0)
    assert item["gate"]["reasons"] == ["cost rose 200.0%, more than max_cost_increase_pct=50"]
    assert ok(run(root, "gate", "--base", "main", "--max-cost-increase-pct", "250")).exit_code == 0

    # A slow and a flaky model on one branch: both reasons are listed.
    repo.git.checkout("main")
    branch(repo, "slow", {"models/bot.yaml": model_yaml("slow_noisy")})
    args = ("gate", "--base", "main", "--format", "json", "--max-p95-latency-ms", "50", "--no-allow-flaky")
    (item,) = gate_json(ok(run(root, *args, "-j", "8"), 1))
    reasons = item["gate"]["reasons"]
    assert len(reasons) == 2, reasons
    assert re.fullmatch(r"p95 latency \d+ ms is above max_p95_latency_ms=50(\.0)?", reasons[0])
    assert reasons[1] == "1 flaky case(s) and allow_flaky is false: ask/bot/items/c05"
    assert item["gate"]["thresholds"]["allow_flaky"] is False


# --- 5. only the suites a change can affect ----------------------------------------------------------------


def test_changed_since_gates_only_the_affected_suites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    other_py = "def echo(vars):\n    return vars['text'].upper() + '.'\n"
    repo = make_project(
        root,
        extra={
            "prompts/other.yaml": prompt_yaml(),
            "app/other.py": other_py,
            "models/other.yaml": model_yaml("echo", module="app/other.py"),
            "suites/second.yaml": suite_yaml(prompt="other", model="other"),
            "README.md": "a project\n",
        },
    )
    make_baseline(repo, "main")
    make_baseline(repo, "second")
    assert run_suites(root) == ["main", "second"]

    branch(repo, "prompt", {"prompts/ask.yaml": prompt_yaml(" Be brief.")})
    result = ok(run(root, "gate", "--changed-since", "main", "--format", "json"))
    assert [i["suite"] for i in gate_json(result)] == ["main"]
    assert run_suites(root) == ["main", "second", "main"]

    # --changed-since auto: no upstream and no origin, so main.
    assert [
        i["suite"] for i in gate_json(ok(run(root, "gate", "--changed-since", "auto", "-f", "json")))
    ] == ["main"]
    assert run_suites(root) == ["main", "second", "main", "main"]

    repo.git.checkout("main")
    branch(repo, "code", {"app/other.py": other_py.replace("upper()", "upper().strip()")})
    result = ok(run(root, "gate", "--changed-since", "main", "--format", "json"))
    assert [i["suite"] for i in gate_json(result)] == ["second"]

    repo.git.checkout("main")
    branch(repo, "docs", {"README.md": "a project, documented\n"})
    result = ok(run(root, "gate", "--changed-since", "main"))
    assert "no suite is affected by changes since main; nothing to gate" in result.stdout
    assert "changes since main;" in ok(run(root, "gate", "--changed-since", "auto")).stdout
    assert run_suites(root) == ["main", "second", "main", "main", "second"]

    # Uncommitted changes count too; a dataset both suites use affects both.
    with (root / "datasets/items.yaml").open("a") as dataset:
        dataset.write("# reviewed\n")
    result = ok(run(root, "gate", "--changed-since", "HEAD", "-f", "json"))
    assert [i["suite"] for i in gate_json(result)] == ["main", "second"]

    assert "--changed-since" in ok(run(root, "gate", "--changed-since", "nope"), 2).stderr
    # Under pre-commit's pre-push stage, auto means the old end of the pushed range.
    sha = str(repo.head.commit.hexsha)
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", sha)
    repo.git.checkout("--", "datasets/items.yaml")
    assert f"changes since {sha}; nothing to gate" in ok(run(root, "gate", "--changed-since", "auto")).stdout
