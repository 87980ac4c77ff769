"""`llmopsctl cost report`: spend, calls, tokens, cache and cost per passing case, by dimension and period.

Only the numbers (Decimals for money); llmopsctl.report.cost_report renders them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from llmopsctl.errors import UsageError
from llmopsctl.store.costs import DIMENSIONS, PERIODS, aggregate_calls

if TYPE_CHECKING:
    from llmopsctl.store import Store


@dataclass
class CostReport:
    """Rows of the aggregates by `by` (and period), and the totals of the range."""

    by: list[str]
    period: str | None
    since: datetime | None
    until: datetime | None
    rows: list[dict[str, Any]]
    totals: dict[str, Any]

    @property
    def keys(self) -> list[str]:
        return (["period_start"] if self.period else []) + self.by


def parse_dims(text: str | None) -> list[str]:
    """`team,model` -> ["team", "model"]; UsageError for an unknown dimension."""
    dims = [d.strip().lower() for d in (text or "").split(",") if d.strip()]
    for dim in dims:
        if dim not in DIMENSIONS:
            raise UsageError(f"--by {dim}: unknown dimension", hint=f"use any of {', '.join(DIMENSIONS)}")
    return list(dict.fromkeys(dims))


def cost_report(
    store: Store,
    *,
    by: Sequence[str] = (),
    period: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> CostReport:
    if period is not None and period not in PERIODS:
        raise UsageError(f"--period {period}: use one of {', '.join(PERIODS)}")
    rows = [with_derived(r) for r in aggregate_calls(store, by=by, period=period, since=since, until=until)]
    totals = with_derived(aggregate_calls(store, since=since, until=until)[0])
    return CostReport(list(by), period, since, until, rows, totals)


def with_derived(row: dict[str, Any]) -> dict[str, Any]:
    """Add cache_hit_rate (cached calls / calls) and cost_per_pass: known eval spend / passed eval cases
    whose cost is known (passes of calls of unknown cost are left out: passed_unknown_cost)."""
    out = dict(row)
    calls = int(out.get("calls") or 0)
    out["cache_hit_rate"] = out["cached_calls"] / calls if calls else None
    passed = int(out.get("passed") or 0) - int(out.get("passed_unknown_cost") or 0)
    eval_spend = out.get("eval_spend")
    out["cost_per_pass"] = eval_spend / passed if passed > 0 and eval_spend is not None else None
    return out
