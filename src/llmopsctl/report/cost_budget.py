"""Render the budget statuses of `llmopsctl cost budget` (llmopsctl.cost.budgets) as table rows or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from llmopsctl.core.format import money
from llmopsctl.cost.budgets import BudgetStatus

HEAD = ["budget", "scope", "period (UTC)", "spend", "budget", "used", "status"]


def budget_table(statuses: Sequence[BudgetStatus]) -> tuple[list[str], list[list[str]]]:
    """The heading and rows of the budget table: spend against each budget, and its state."""
    body = []
    for s in statuses:
        state = "EXCEEDED" if s.exceeded else (f"alert {s.crossed[-1]:g}%" if s.crossed else "ok")
        if s.unknown_cost:
            state += f" (+{s.unknown_cost} calls of unknown cost)"
        body.append(
            [
                s.budget.name,
                s.budget.scope_label,
                f"{s.budget.period} from {s.period_start:%Y-%m-%d}",
                money(s.spend),
                money(s.budget.amount),
                f"{s.pct:.1f}%",
                state,
            ]
        )
    return list(HEAD), body


def budget_json(statuses: Sequence[BudgetStatus]) -> str:
    """The statuses as a JSON list; money as exact decimal strings."""
    doc = [
        {
            "budget": s.budget.name,
            "scope": s.budget.scope,
            "target": s.budget.target,
            "period": s.budget.period,
            "period_start": s.period_start.isoformat(),
            "period_end": s.period_end.isoformat(),
            "amount_usd": money(s.budget.amount, "exact", symbol=False),
            "spend_usd": money(s.spend, "exact", symbol=False),
            "pct": round(s.pct, 4),
            "calls": s.calls,
            "unknown_cost": s.unknown_cost,
            "alerts_crossed": s.crossed,
            "exceeded": s.exceeded,
        }
        for s in statuses
    ]
    return json.dumps(doc, indent=2)
