"""Operational and custom scorers, assert-set, the registry, and whole verdicts through engine.score."""

from __future__ import annotations

import asyncio
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from llmopsctl.core.assertions import Assertion
from llmopsctl.core.cases import Case
from llmopsctl.core.definitions import Suite
from llmopsctl.engine.score import evaluate
from llmopsctl.project import records
from llmopsctl.scorers.base import Score, ScoreContext, ScorerError, coerce
from llmopsctl.scorers.registry import BUILTINS, known_types, resolve
from scorer_helpers import run

# -- latency / cost / finish-reason ------------------------------------------------------------------


def test_latency() -> None:
    assert run("latency", value=500, latency_ms=499.6).passed
    assert not run("latency", value=500, latency_ms=501).passed
    assert run("latency", config={"threshold": 500}, latency_ms=0.0).passed
    unknown = run("latency", value=500)
    assert not unknown.passed and unknown.reason == "latency unknown"
    with pytest.raises(ScorerError, match="needs a maximum in milliseconds"):
        run("latency", latency_ms=1)
    with pytest.raises(ScorerError, match=">= 0"):
        run("latency", value=-1, latency_ms=1)
    with pytest.raises(ScorerError, match="cannot be negated"):
        resolve("not-latency")


def test_cost() -> None:
    assert run("cost", value=0.01, cost_usd=0.0099).passed
    assert run("cost", value="0.01", cost_usd=0.01).passed  # a rendered template
    assert not run("cost", value=0.01, cost_usd=0.02).passed
    assert run("cost", value=0.01, cost_usd=0.0).passed  # cached: free
    unknown = run("cost", value=1)
    assert not unknown.passed and unknown.reason == "cost unknown"


def test_finish_reason() -> None:
    assert run("finish-reason", value="stop", finish_reason="stop").passed
    assert run("finish-reason", value=["stop", "tool_calls"], finish_reason="TOOL_CALLS").passed
    assert not run("finish-reason", value="stop", finish_reason="length").passed
    assert run("not-finish-reason", value="length", finish_reason="stop").passed
    assert run("finish-reason", value="stop").reason == "finish reason unknown"
    with pytest.raises(ScorerError, match="needs a `value`"):
        run("finish-reason", finish_reason="stop")


# -- python ------------------------------------------------------------------------------------------

FUNCTIONS = """
import asyncio

def exact(output, expected):
    return output == expected

def graded(output, **kwargs):
    return {"score": 0.25, "reason": f"saw {sorted(kwargs)}"}

async def later(output, vars):
    await asyncio.sleep(0)
    return len(output) / 10 if vars.get("scale") else 1.0

def boom(output):
    raise ValueError("the output is malformed")

def needs_more(output, other):
    return True

def nonsense(output):
    return "yes"

def slow(output):
    import time
    time.sleep(1)
    return True

NOT_A_FUNCTION = 3
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "checks.py").write_text(textwrap.dedent(FUNCTIONS))
    return tmp_path


def test_python_file_functions(root: Path) -> None:
    where: dict[str, Any] = {"root": str(root)}
    assert run("python", "a", "evals/checks.py:exact", expected="a", **where).passed
    assert not run("python", "a", "evals/checks.py:exact", expected="b", **where).passed
    graded = run("python", "a", "evals/checks.py:graded", **where)
    assert (graded.value, graded.passed) == (0.25, False)
    assert graded.reason == "saw ['config', 'expected', 'metadata', 'vars']"  # **kwargs gets all
    assert run("python", "a", "evals/checks.py:graded", {"threshold": 0.2}, **where).passed
    scaled = run("python", "abc", None, {"function": "evals/checks.py:later"}, vars={"scale": 1}, **where)
    assert scaled.value == pytest.approx(0.3) and not scaled.passed
    assert run("not-python", "a", "evals/checks.py:exact", expected="b", **where).passed


def test_python_module_function(root: Path) -> None:
    name = f"scorer_mod_{uuid.uuid4().hex[:8]}"
    (root / f"{name}.py").write_text("def check(output):\n    return 'ok' in output\n")
    assert run("python", "all ok", f"{name}:check", root=str(root)).passed


@pytest.mark.parametrize(
    ("ref", "config", "message"),
    [
        ("evals/checks.py:boom", {}, "boom raised ValueError: the output is malformed"),
        ("evals/checks.py:needs_more", {}, "requires parameter 'other'"),
        ("evals/checks.py:nonsense", {}, "must return bool, a number or"),
        ("evals/checks.py:missing", {}, "has no function 'missing'"),
        ("evals/checks.py:NOT_A_FUNCTION", {}, "is a int, not a function"),
        ("evals/nope.py:f", {}, "file not found: evals/nope.py"),
        ("no_such_module_xyz:f", {}, "importing 'no_such_module_xyz' raised ModuleNotFoundError"),
        ("just-a-name", {}, "is not `module:function`"),
        ("evals/checks.py:slow", {"timeout_s": 0.05}, "did not return within 0.05 s"),
    ],
)
def test_python_errors(root: Path, ref: str, config: dict[str, Any], message: str) -> None:
    with pytest.raises(ScorerError, match=message):
        run("python", "x", ref, config, root=str(root))


def test_python_needs_a_function() -> None:
    with pytest.raises(ScorerError, match="needs the function"):
        run("python", "x")


# -- assert-set --------------------------------------------------------------------------------------


def test_assert_set_weighted_score_and_threshold() -> None:
    members = [
        {"type": "contains", "value": "Paris", "weight": 3},
        {"type": "regex", "value": "^\\d+$"},  # fails
        {"type": "icontains", "value": "FRANCE", "weight": 0},
    ]
    # weighted mean: (3 * 1 + 1 * 0 + 0 * 1) / 4 = 0.75
    loose = run("assert-set", "Paris, France", members, {"threshold": 0.7})
    assert loose.value == pytest.approx(0.75) and loose.passed
    assert "weighted score 0.750 >= threshold 0.7" in loose.reason
    assert not run("assert-set", "Paris, France", members, {"threshold": 0.8}).passed
    every = run("assert-set", "Paris, France", members)  # no threshold: every weighted member must pass
    assert not every.passed and "regex" in every.reason


def test_assert_set_uses_expected_and_nests() -> None:
    members = [{"type": "equals"}, {"type": "assert-set", "value": [{"type": "not-contains", "value": "x"}]}]
    assert run("assert-set", "yes", members, expected="yes").passed
    assert not run("assert-set", "yes", members, expected="no").passed


def test_assert_set_errors() -> None:
    with pytest.raises(ScorerError, match="non-empty list"):
        run("assert-set", "x", [])
    with pytest.raises(ScorerError, match="has no `type`"):
        run("assert-set", "x", [{"value": 1}])
    with pytest.raises(ScorerError, match=r"\[0\] containz: unknown assertion type 'containz'"):
        run("assert-set", "x", [{"type": "containz", "value": "x"}])


# -- registry ----------------------------------------------------------------------------------------


def test_every_builtin_loads_and_has_a_check() -> None:
    for name, spec in BUILTINS.items():
        assert callable(spec.score), name
        assert spec.problems(Assertion(name)) is not None
    assert "is-sql" not in BUILTINS
    assert "not-contains" in known_types() and "not-latency" not in known_types()


def test_coerce() -> None:
    assert coerce(True).passed and not coerce(False).passed
    assert coerce(0.7, threshold=0.8) == Score(0.7, False, "score 0.7 (threshold 0.8)")
    assert coerce(7).value == 1.0 and coerce(float("nan")).value == 0.0
    assert coerce({"passed": True}).value == 1.0
    assert coerce({"score": 0.4, "passed": True, "reason": "r"}) == Score(0.4, True, "r")
    with pytest.raises(ScorerError):
        coerce("yes")


# -- whole verdicts through the engine -----------------------------------------------------------------


def suite(asserts: list[dict[str, Any]], threshold: float | None = None) -> Suite:
    data: dict[str, Any] = {"prompts": ["p"], "models": ["m"], "datasets": ["d"], "assert": asserts}
    if threshold is not None:
        data["threshold"] = threshold
    return records.suite("s", Path("suites/s.yaml"), "hash", data)


SUITE_ASSERTS: list[dict[str, Any]] = [
    {"type": "icontains", "value": "{{ city }}", "weight": 2, "metric": "accuracy"},
    {"type": "rouge-l", "metric": "overlap"},  # no value: compares with the case's expected
    {"type": "latency", "threshold": 1000},
    {"type": "not-contains", "value": "London", "weight": 0},
]
CASE = Case(
    "c1",
    {"city": "paris"},
    expected="The capital of France is Paris",
    asserts=records.assertions([{"type": "word-count", "config": {"max": 3}, "metric": "brevity"}]),
)
CONTEXT = ScoreContext(
    output="Paris is the capital of France.", expected=CASE.expected, vars=CASE.vars, latency_ms=250
)


def test_suite_verdict_with_weights_threshold_and_metrics() -> None:
    verdict = asyncio.run(evaluate(suite(SUITE_ASSERTS, threshold=0.7), CASE, CONTEXT))
    assert verdict.error is None
    rows = {(r.scorer, r.metric): (r.value, r.passed, r.weight) for r in verdict.rows}
    # rouge-l: tokens "paris is the capital of france" vs "the capital of france is paris":
    # LCS "the capital of france" = 4 of 6 on both sides, so P = R = F = 2/3
    rouge_value, rouge_passed, rouge_weight = rows[("rouge-l", "overlap")]
    assert rouge_value == pytest.approx(2 / 3) and (rouge_passed, rouge_weight) == (True, 1.0)
    assert rows[("icontains", "accuracy")] == (1.0, True, 2.0)  # the value rendered to "paris"
    assert rows[("latency", None)] == (1.0, True, 1.0)
    assert rows[("not-contains", None)] == (1.0, True, 0.0)
    assert rows[("word-count", "brevity")] == (0.0, False, 1.0)  # 6 words > 3
    # weighted: (2 * 1 + 1 * 2/3 + 1 * 1 + 0 * 1 + 1 * 0) / 5 = 11/15 = 0.7333 >= 0.7
    assert verdict.score == pytest.approx(11 / 15)
    assert verdict.passed is True


def test_suite_verdict_without_threshold_needs_every_weighted_assertion() -> None:
    verdict = asyncio.run(evaluate(suite(SUITE_ASSERTS), CASE, CONTEXT))
    assert verdict.score == pytest.approx(11 / 15) and verdict.passed is False


def test_case_threshold_overrides_the_suite() -> None:
    strict = Case(CASE.id, CASE.vars, CASE.expected, CASE.asserts, threshold=0.75)
    verdict = asyncio.run(evaluate(suite(SUITE_ASSERTS, threshold=0.5), strict, CONTEXT))
    assert verdict.passed is False  # 0.7333 < 0.75


def test_a_model_graded_assertion_without_services_is_a_case_error() -> None:
    asserts = [{"type": "llm-judge", "value": "polite", "config": {"model": "j"}}, *SUITE_ASSERTS]
    verdict = asyncio.run(evaluate(suite(asserts), CASE, CONTEXT))
    assert verdict.error == "llm-judge: model-graded assertions need the eval engine"
    assert verdict.score is None and verdict.passed is None
