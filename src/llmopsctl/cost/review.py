"""`llmopsctl cost review --month YYYY-MM`: the numbers of a monthly cost review.

llmopsctl.report.cost_review renders them as Markdown or JSON."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmopsctl.cost.budgets import period_bounds
from llmopsctl.cost.report import with_derived
from llmopsctl.errors import UsageError
from llmopsctl.store.costs import aggregate_calls

if TYPE_CHECKING:
    from llmopsctl.core.settings import Settings
    from llmopsctl.store import Store

TOP = 10


def parse_month(text: str) -> datetime:
    """`2025-03` -> 2025-03-01 00:00 (naive UTC)."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UsageError(f"--month {text}: expected YYYY-MM, e.g. 2025-03")
    return datetime(int(match.group(1)), int(match.group(2)), 1)


def monthly_review(store: Store, settings: Settings, month: datetime) -> dict[str, Any]:
    """Everything the review shows, as plain values (Decimals for money). `month`: any moment in it."""
    start, end = period_bounds("month", month)
    prev_start, _ = period_bounds("month", start.replace(day=1) - timedelta(days=1))

    def totals(since: datetime, until: datetime) -> dict[str, Any]:
        return with_derived(aggregate_calls(store, since=since, until=until)[0])

    def by(dim: str, since: datetime, until: datetime) -> dict[Any, dict[str, Any]]:
        return {r[dim]: with_derived(r) for r in aggregate_calls(store, by=[dim], since=since, until=until)}

    this, prev = totals(start, end), totals(prev_start, start)
    budgets = [b for b in settings.budgets if b.period == "month"]
    team_budgets = {b.target: b.amount for b in budgets if b.scope == "team"}
    project_budget = next((b.amount for b in budgets if b.scope == "project"), None)

    teams_now, teams_prev = by("team", start, end), by("team", prev_start, start)
    known_teams = [t.name for t in settings.teams or ()]
    team_names = list(dict.fromkeys([*teams_now, *[t for t in known_teams if t is not None], *team_budgets]))
    teams = []
    for name in team_names:
        spend = spend_of(teams_now.get(name))
        budget = team_budgets.get(name) if name is not None else None
        teams.append(
            {
                "team": name,
                "spend": spend,
                "previous": spend_of(teams_prev.get(name)),
                **_change(spend, spend_of(teams_prev.get(name))),
                "budget": budget,
                "budget_pct": float(spend / budget * 100) if budget else None,
                "unknown_cost": int((teams_now.get(name) or {}).get("unknown_cost") or 0),
            }
        )
    teams.sort(key=lambda t: (-t["spend"], str(t["team"])))
    return {
        "project": settings.project,
        "month": f"{start:%Y-%m}",
        "previous_month": f"{prev_start:%Y-%m}",
        "totals": this,
        "previous": prev,
        "change": _change(spend_of(this), spend_of(prev)),
        "project_budget": project_budget,
        "teams": teams,
        "prompts": _top(by("prompt", start, end), by("prompt", prev_start, start), "prompt"),
        "models": _top(by("model", start, end), by("model", prev_start, start), "model"),
        "sources": _top(by("source", start, end), by("source", prev_start, start), "source"),
    }


def spend_of(row: Mapping[str, Any] | None) -> Decimal:
    """The known spend of a row (0 when none is known, or no row)."""
    value = (row or {}).get("spend")
    return value if isinstance(value, Decimal) else Decimal(0)


def _change(now: Decimal, before: Decimal) -> dict[str, Any]:
    pct = float((now - before) / before * 100) if before else None
    return {"change": now - before, "change_pct": pct}


def _top(now: dict[Any, dict[str, Any]], before: dict[Any, dict[str, Any]], key: str) -> list[dict[str, Any]]:
    rows = []
    for name, row in now.items():
        spend, prev = spend_of(row), spend_of(before.get(name))
        rows.append(
            {
                key: name,
                "spend": spend,
                "previous": prev,
                **_change(spend, prev),
                "calls": row["calls"],
                "replayed": row["replayed"],
                "unknown_cost": row["unknown_cost"],
                "cost_per_pass": row["cost_per_pass"],
                "passed_unknown_cost": row["passed_unknown_cost"],
            }
        )
    rows.sort(key=lambda r: (-r["spend"], str(r[key])))
    return rows[:TOP]
