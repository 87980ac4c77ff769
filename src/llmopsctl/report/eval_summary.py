"""What `eval` prints about its runs: the footer line under each run's table, and the `--json` summary."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmopsctl.report.format import jsonable
from llmopsctl.report.terminal import cost_line

if TYPE_CHECKING:
    from llmopsctl.engine.runner import RunOutcome


def footer(outcome: RunOutcome) -> str:
    """One line: calls and time so far, passed, failed, errors, cached and the cost (and what a resume
    found already done)."""
    p = outcome.progress
    elapsed = max(time.monotonic() - p.started, 0.0)
    parts = [
        f"{p.done} calls in {elapsed:.1f}s",
        f"{p.passed} passed",
        f"{p.failed} failed",
        f"{p.errors} errors",
        f"{p.cached} cached",
        cost_line(p),
    ]
    if outcome.skipped:
        parts.insert(0, f"resumed ({outcome.skipped} already done)")
    return " · ".join(parts)


def run_json(outcome: RunOutcome) -> dict[str, Any]:
    p = outcome.progress
    return {
        "run_id": outcome.run_id,
        "suite": outcome.suite,
        "status": outcome.status,
        "cases": p.done,
        "passed": p.passed,
        "failed": p.failed,
        "errors": p.errors,
        "cached": p.cached,
        "cost_usd": p.total_cost,  # eval_cost_usd + judge_cost_usd
        "eval_cost_usd": p.eval_cost,
        "judge_cost_usd": p.judge_spend,
        "unknown_cost": p.unknown_cost,
        "judge_calls": p.judge_calls,
        "judge_unknown_cost": p.judge_unknown_cost,
        "input_tokens": p.input_tokens,
        "output_tokens": p.output_tokens,
    }


def summary_json(outcomes: list[RunOutcome]) -> dict[str, Any]:
    """The totals over the runs and every run's own figures; `run_id` is a list when there are several."""
    runs = [run_json(o) for o in outcomes]
    return {
        "run_id": runs[0]["run_id"] if len(runs) == 1 else [r["run_id"] for r in runs],
        "cases": sum(r["cases"] for r in runs),
        "passed": sum(r["passed"] for r in runs),
        "failed": sum(r["failed"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "cost_usd": _total(r["cost_usd"] for r in runs),
        "eval_cost_usd": _total(r["eval_cost_usd"] for r in runs),
        "judge_cost_usd": _total(r["judge_cost_usd"] for r in runs),
        "runs": runs,
    }


def _total(values: Iterable[Decimal | None]) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, Decimal(0)) if known else None


def dumps_summary(outcomes: list[RunOutcome]) -> str:
    return json.dumps(jsonable(summary_json(outcomes)), indent=2, sort_keys=True)
