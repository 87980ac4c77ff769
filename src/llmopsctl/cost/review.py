"""`llmopsctl cost review --month YYYY-MM`: a monthly cost review in Markdown (or JSON)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmopsctl.core.format import money as format_money
from llmopsctl.cost.budgets import load_budgets, period_bounds
from llmopsctl.cost.report import with_derived
from llmopsctl.errors import UsageError
from llmopsctl.report.cost_report import LABELS, cell, cost_per_pass_note, plain_row, replay_note
from llmopsctl.report.markdown import markdown_table
from llmopsctl.store.costs import aggregate_calls

if TYPE_CHECKING:
    from llmopsctl.project.model import Settings
    from llmopsctl.store import Store

TOP = 10


def parse_month(text: str) -> datetime:
    """`2025-03` -> 2025-03-01 00:00 (naive UTC)."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UsageError(f"--month {text}: expected YYYY-MM, e.g. 2025-03")
    return datetime(int(match.group(1)), int(match.group(2)), 1)


def monthly_review(store: Store, settings: Settings | Mapping[str, Any], month: datetime) -> dict[str, Any]:
    """Everything the review shows, as plain values (Decimals for money). `month`: any moment in it."""
    start, end = period_bounds("month", month)
    prev_start, _ = period_bounds("month", start.replace(day=1) - timedelta(days=1))

    def totals(since: datetime, until: datetime) -> dict[str, Any]:
        return with_derived(aggregate_calls(store, since=since, until=until)[0])

    def by(dim: str, since: datetime, until: datetime) -> dict[Any, dict[str, Any]]:
        return {r[dim]: with_derived(r) for r in aggregate_calls(store, by=[dim], since=since, until=until)}

    this, prev = totals(start, end), totals(prev_start, start)
    budgets = [b for b in load_budgets(settings) if b.period == "month"]
    team_budgets = {b.target: b.amount for b in budgets if b.scope == "team"}
    project_budget = next((b.amount for b in budgets if b.scope == "project"), None)

    teams_now, teams_prev = by("team", start, end), by("team", prev_start, start)
    known_teams = [
        t.get("name") for t in _settings_data(settings).get("teams") or [] if isinstance(t, Mapping)
    ]
    team_names = list(dict.fromkeys([*teams_now, *[t for t in known_teams if t is not None], *team_budgets]))
    teams = []
    for name in team_names:
        spend = _spend(teams_now.get(name))
        budget = team_budgets.get(name) if name is not None else None
        teams.append(
            {
                "team": name,
                "spend": spend,
                "previous": _spend(teams_prev.get(name)),
                **_change(spend, _spend(teams_prev.get(name))),
                "budget": budget,
                "budget_pct": float(spend / budget * 100) if budget else None,
                "unknown_cost": int((teams_now.get(name) or {}).get("unknown_cost") or 0),
            }
        )
    teams.sort(key=lambda t: (-t["spend"], str(t["team"])))
    return {
        "month": f"{start:%Y-%m}",
        "previous_month": f"{prev_start:%Y-%m}",
        "totals": this,
        "previous": prev,
        "change": _change(_spend(this), _spend(prev)),
        "project_budget": project_budget,
        "teams": teams,
        "prompts": _top(by("prompt", start, end), by("prompt", prev_start, start), "prompt"),
        "models": _top(by("model", start, end), by("model", prev_start, start), "model"),
        "sources": _top(by("source", start, end), by("source", prev_start, start), "source"),
    }


def _settings_data(settings: Settings | Mapping[str, Any]) -> Mapping[str, Any]:
    return settings if isinstance(settings, Mapping) else settings.data


def _spend(row: Mapping[str, Any] | None) -> Decimal:
    value = (row or {}).get("spend")
    return value if isinstance(value, Decimal) else Decimal(0)


def _change(now: Decimal, before: Decimal) -> dict[str, Any]:
    pct = float((now - before) / before * 100) if before else None
    return {"change": now - before, "change_pct": pct}


def _top(now: dict[Any, dict[str, Any]], before: dict[Any, dict[str, Any]], key: str) -> list[dict[str, Any]]:
    rows = []
    for name, row in now.items():
        spend, prev = _spend(row), _spend(before.get(name))
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


# --- rendering -----------------------------------------------------------------------------------------


def review_json(review: dict[str, Any]) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return plain_row({k: plain(v) for k, v in value.items()})
        if isinstance(value, list):
            return [plain(v) for v in value]
        return format_money(value, "exact", symbol=False) if isinstance(value, Decimal) else value

    return json.dumps(plain(review), indent=2, sort_keys=True)


def review_markdown(review: dict[str, Any]) -> str:
    this, prev, change = review["totals"], review["previous"], review["change"]
    month, before = review["month"], review["previous_month"]
    out = [f"# LLM cost review {month}", ""]
    line = f"**Spend:** {money(_spend(this))} ({_delta(change)} against {before}: {money(_spend(prev))})"
    if review["project_budget"]:
        pct = _spend(this) / review["project_budget"] * 100
        line += f" — project budget {money(review['project_budget'])}, {pct:.1f}% used"
    out += [line, ""]
    per_pass_now, per_pass_before = (
        cell("cost_per_pass", this["cost_per_pass"]),
        cell("cost_per_pass", prev["cost_per_pass"]),
    )
    out += [
        f"- calls: {this['calls']} ({prev['calls']} in {before}), "
        f"of which {this['cached_calls']} answered from the cache ({_rate(this)})",
        f"- cache savings: {money(this['cache_savings'])} ({money(prev['cache_savings'])} in {before})",
        f"- cost per passing case: {per_pass_now} ({per_pass_before} in {before}"
        f"{_trend(this['cost_per_pass'], prev['cost_per_pass'])})"
        + (f" — {note}" if (note := cost_per_pass_note(this)) else ""),
        f"- unknown-cost calls: {this['unknown_cost']} ({prev['unknown_cost']} in {before})"
        + (" — their spend is not counted above" if this["unknown_cost"] else ""),
    ]
    if note := replay_note(this):
        out.append(f"- {note}")
    out.append("")
    out += ["## Teams", ""]
    if review["teams"]:
        body = [
            [
                str(t["team"] or "(no team)"),
                _spent(t),
                money(t["budget"]) if t["budget"] is not None else "-",
                f"{t['budget_pct']:.1f}%" if t["budget_pct"] is not None else "-",
                money(t["previous"]),
                _delta(t),
            ]
            for t in review["teams"]
        ]
        out += [
            markdown_table(["team", "spend", "monthly budget", "used", before, "change"], body, left=LABELS),
            "",
        ]
    else:
        out += ["_no spend this month_", ""]
    for title, key in (("Top prompts", "prompt"), ("Top models", "model"), ("By source", "source")):
        rows = review[key + "s"]
        out += [f"## {title}", ""]
        if not rows:
            out += ["_none_", ""]
            continue
        body = [
            [
                str(r[key] or "(none)"),
                _spent(r),
                str(r["calls"]) + (f" (+{r['replayed']} replayed)" if r["replayed"] else ""),
                money(r["previous"]),
                _delta(r),
                cell("cost_per_pass", r["cost_per_pass"]),
            ]
            for r in rows
        ]
        out += [
            markdown_table([key, "spend", "calls", before, "change", "$/passing case"], body, left=LABELS),
            "",
        ]
    return "\n".join(out)


def money(value: Decimal | None) -> str:
    return format_money(value, "trimmed")


def _spent(row: Mapping[str, Any]) -> str:
    unknown = int(row.get("unknown_cost") or 0)
    return money(row["spend"]) + (f" (+{unknown} of unknown cost)" if unknown else "")


def _delta(row: Mapping[str, Any]) -> str:
    change: Decimal = row["change"]
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    text = f"{sign}{money(abs(change))}"
    pct = row.get("change_pct")
    return f"{text} ({pct:+.1f}%)" if pct is not None else f"{text} (new)" if change > 0 else text


def _rate(row: Mapping[str, Any]) -> str:
    value = row.get("cache_hit_rate")
    return "-" if value is None else f"{100 * value:.1f}%"


def _trend(now: Decimal | None, before: Decimal | None) -> str:
    if now is None or before is None or before == 0:
        return ""
    pct = float((now - before) / before * 100)
    return f", {pct:+.1f}%"
