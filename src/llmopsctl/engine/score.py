"""Apply a case's assertions (the suite's defaults plus its own) to an output and combine them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmopsctl.core.cases import Case
from llmopsctl.core.definitions import Suite
from llmopsctl.errors import ConfigError
from llmopsctl.project.templating import render_cached
from llmopsctl.scorers.base import Score, ScoreContext, ScorerError, weighted
from llmopsctl.scorers.registry import run_assertion


@dataclass
class ScoreRow:
    scorer: str
    value: float | None
    passed: bool | None
    weight: float
    metric: str | None
    reason: str = ""
    error: str | None = None


@dataclass
class CaseVerdict:
    rows: list[ScoreRow] = field(default_factory=list)
    score: float | None = None
    passed: bool | None = None
    error: str | None = None  # a scorer that could not run


def _render_value(value: Any, case: Case) -> Any:
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        context = {**case.vars, "vars": case.vars, "expected": case.expected, "metadata": case.metadata}
        # the same template with the same values (often just `expected`) is rendered once per run
        return render_cached(value, context, what=f"assertion value of case {case.id!r}")
    return value


async def evaluate(suite: Suite, case: Case, ctx: ScoreContext) -> CaseVerdict:
    verdict = CaseVerdict()
    assertions = suite.asserts + case.asserts
    if not assertions:
        return verdict
    errors: list[str] = []
    for assertion in assertions:
        type_name, weight, metric = assertion.type, assertion.weight, assertion.metric
        try:
            score: Score = await run_assertion(assertion, ctx, lambda value: _render_value(value, case))
        except (ScorerError, ConfigError) as exc:
            errors.append(f"{type_name}: {exc}")
            verdict.rows.append(ScoreRow(type_name, None, None, weight, metric, error=str(exc)))
            continue
        except Exception as exc:  # a plugin scorer that raises is an error on this case, not a crash
            errors.append(f"{type_name}: {type(exc).__name__}: {exc}")
            verdict.rows.append(
                ScoreRow(type_name, None, None, weight, metric, error=f"{type(exc).__name__}: {exc}")
            )
            continue
        verdict.rows.append(ScoreRow(type_name, score.value, score.passed, weight, metric, score.reason))
    if errors:
        verdict.error = "; ".join(errors)
        return verdict
    threshold = case.threshold if case.threshold is not None else suite.threshold
    parts = [(r.value or 0.0, r.weight, bool(r.passed)) for r in verdict.rows]
    verdict.score, verdict.passed = weighted(parts, threshold)
    if any(a.required and not r.passed for a, r in zip(assertions, verdict.rows, strict=True)):
        verdict.passed = False  # a required assertion is never outweighed
    return verdict
