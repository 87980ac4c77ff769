"""Render the monthly cost review (llmopsctl.cost.review) as Markdown or JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from llmopsctl.core.format import money
from llmopsctl.cost.review import spend_of
from llmopsctl.report.cost_report import LABELS, cell, cost_per_pass_note, plain_row, rate, replay_note
from llmopsctl.report.markdown import markdown_table

TOPS = (("Top prompts", "prompt"), ("Top models", "model"), ("By source", "source"))


def review_json(review: dict[str, Any]) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return plain_row({k: plain(v) for k, v in value.items()})
        if isinstance(value, list):
            return [plain(v) for v in value]
        return money(value, "exact", symbol=False) if isinstance(value, Decimal) else value

    return json.dumps(plain(review), indent=2, sort_keys=True)


def review_markdown(review: dict[str, Any]) -> str:
    return "\n".join([*_overview(review), *_teams(review), *_tops(review)])


def _overview(review: dict[str, Any]) -> list[str]:
    """The title, the month's spend against the previous month and the project budget, and the totals."""
    this, prev, change = review["totals"], review["previous"], review["change"]
    before = review["previous_month"]
    spent, spent_before = money(spend_of(this)), money(spend_of(prev))
    line = f"**Spend:** {spent} ({_delta(change)} against {before}: {spent_before})"
    if review["project_budget"]:
        pct = spend_of(this) / review["project_budget"] * 100
        line += f" — project budget {money(review['project_budget'])}, {pct:.1f}% used"
    savings, savings_before = money(this["cache_savings"]), money(prev["cache_savings"])
    per_pass_now, per_pass_before = (
        cell("cost_per_pass", this["cost_per_pass"]),
        cell("cost_per_pass", prev["cost_per_pass"]),
    )
    title = f"# LLM cost review {review['month']}" + (
        f" · {review['project']}" if review.get("project") else ""
    )
    out = [title, "", line, ""]
    out += [
        f"- calls: {this['calls']} ({prev['calls']} in {before}), "
        f"of which {this['cached_calls']} answered from the cache ({rate(this.get('cache_hit_rate'))})",
        f"- cache savings: {savings} ({savings_before} in {before})",
        f"- cost per passing case: {per_pass_now} ({per_pass_before} in {before}"
        f"{_trend(this['cost_per_pass'], prev['cost_per_pass'])})"
        + (f" — {note}" if (note := cost_per_pass_note(this)) else ""),
        f"- unknown-cost calls: {this['unknown_cost']} ({prev['unknown_cost']} in {before})"
        + (" — their spend is not counted above" if this["unknown_cost"] else ""),
    ]
    if note := replay_note(this):
        out.append(f"- {note}")
    return [*out, ""]


def _teams(review: dict[str, Any]) -> list[str]:
    out = ["## Teams", ""]
    if not review["teams"]:
        return [*out, "_no spend this month_", ""]
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
    head = ["team", "spend", "monthly budget", "used", review["previous_month"], "change"]
    return [*out, markdown_table(head, body, left=LABELS), ""]


def _tops(review: dict[str, Any]) -> list[str]:
    """The top prompts and models, and spend by source."""
    out: list[str] = []
    for title, key in TOPS:
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
        head = [key, "spend", "calls", review["previous_month"], "change", "$/passing case"]
        out += [markdown_table(head, body, left=LABELS), ""]
    return out


def _spent(row: Mapping[str, Any]) -> str:
    unknown = int(row.get("unknown_cost") or 0)
    return money(row["spend"]) + (f" (+{unknown} of unknown cost)" if unknown else "")


def _delta(row: Mapping[str, Any]) -> str:
    change: Decimal = row["change"]
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    text = f"{sign}{money(abs(change))}"
    pct = row.get("change_pct")
    return f"{text} ({pct:+.1f}%)" if pct is not None else f"{text} (new)" if change > 0 else text


def _trend(now: Decimal | None, before: Decimal | None) -> str:
    if now is None or before is None or before == 0:
        return ""
    pct = float((now - before) / before * 100)
    return f", {pct:+.1f}%"
