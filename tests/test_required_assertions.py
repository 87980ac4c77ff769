"""`required: true` on an assertion: the case fails when it fails, whatever the weighted score or threshold
(a safety check no weight can outweigh); in an assert-set, the set fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Cli, problem_lines
from eval_helpers import FLAT_PRICED, MakeProject, eval_json, results
from fake_llm_server import FakeLLMServer

# The fake server repeats each case's word (w-q001, ...), so `equals` passes on every case and this check
# fails on q002 alone.
SAFETY = "  - type: not-contains\n    value: q002\n"


def passed_cases(eval_project: MakeProject, server: FakeLLMServer, suite_extra: str) -> dict[str, bool]:
    root = eval_project(server, cases=3, models=[FLAT_PRICED], suite_extra=suite_extra)
    data = eval_json(root)
    return {row["case_id"]: row["passed"] for row in results(root, data["run_id"])}


@pytest.mark.parametrize("required", [False, True])
def test_a_required_assertion_is_not_outweighed_by_a_threshold(
    eval_project: MakeProject, server: FakeLLMServer, required: bool
) -> None:
    # equals (weight 1) passes and the safety check fails: a weighted score of 0.5 reaches the threshold
    extra = SAFETY + f"    required: {str(required).lower()}\nthreshold: 0.5\n"
    outcome = passed_cases(eval_project, server, extra)
    assert outcome == {"q001": True, "q002": not required, "q003": True}


@pytest.mark.parametrize("required", [False, True])
def test_a_required_assertion_of_weight_0_still_counts(
    eval_project: MakeProject, server: FakeLLMServer, required: bool
) -> None:
    extra = SAFETY + f"    weight: 0\n    required: {str(required).lower()}\n"
    outcome = passed_cases(eval_project, server, extra)
    assert outcome == {"q001": True, "q002": not required, "q003": True}


def test_a_required_member_fails_its_assert_set(eval_project: MakeProject, server: FakeLLMServer) -> None:
    extra = (
        "  - type: assert-set\n"
        "    config: {threshold: 0.5}\n"
        "    value:\n"
        "      - type: equals\n"
        "      - type: not-contains\n"
        "        value: q002\n"
        "        required: true\n"
    )
    root = eval_project(server, cases=3, models=[FLAT_PRICED], suite_extra=extra)
    data = eval_json(root)
    rows = {row["case_id"]: row for row in results(root, data["run_id"])}
    assert {case: row["passed"] for case, row in rows.items()} == {"q001": True, "q002": False, "q003": True}


def test_required_must_be_true_or_false(cli: Cli, project: Path) -> None:
    suite = project / "suites" / "triage.yaml"
    text = suite.read_text()
    metric = "    metric: accuracy\n"
    suite.write_text(text.replace(metric, metric + "    required: yes please\n"))
    line = text.splitlines().index("    metric: accuracy") + 2
    (project / "datasets" / "extra.yaml").write_text(
        "cases:\n"
        "  - id: a\n"
        "    vars: {ticket: x}\n"
        "    assert:\n"
        "      - type: contains\n"
        "        value: x\n"
        "        required: 1\n"
        "      - type: assert-set\n"
        "        value:\n"
        "          - type: contains\n"
        "            value: x\n"
        "            required: maybe\n"
    )
    result = cli("-C", project, "validate")
    assert result.exit_code == 1
    assert problem_lines(result) == [
        "datasets/extra.yaml:7:19: expected true or false, got an integer ($.cases[0].assert[0].required)",
        "datasets/extra.yaml:12:23: `required` must be true or false, got 'maybe' "
        "($.cases[0].assert[1].value[0].required)",
        f"suites/triage.yaml:{line}:15: expected true or false, got a string ($.assert[0].required)",
    ]
