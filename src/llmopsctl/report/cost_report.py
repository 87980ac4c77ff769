"""Render a cost report (llmopsctl.cost.report) as table rows, Markdown, CSV and JSON.

JSON and CSV give money as exact decimal strings (no float rounding); table and Markdown round for reading.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from llmopsctl.core.format import money, tokens
from llmopsctl.cost.report import CostReport
from llmopsctl.report.markdown import markdown_table
from llmopsctl.store.costs import DIMENSIONS

MONEY_FIELDS = ("spend", "cache_savings", "eval_spend", "cost_per_pass")
# (key, heading) of the numbers shown after the dimensions.
COLUMNS = (
    ("spend", "spend"),
    ("calls", "calls"),
    ("unknown_cost", "unknown cost"),
    ("input_tokens", "input"),
    ("cached_input_tokens", "cached input"),
    ("cache_write_tokens", "cache write"),
    ("output_tokens", "output"),
    ("reasoning_tokens", "reasoning"),
    ("cache_hit_rate", "cache hits"),
    ("cache_savings", "cache saved"),
    ("cost_per_pass", "$/passing case"),
)
REPLAYED_COLUMN = ("replayed", "replayed")  # shown when the range holds replayed answers
LABELS = (*DIMENSIONS, "period")  # headings of the columns of names (left-aligned in Markdown)


def columns(report: CostReport) -> tuple[tuple[str, str], ...]:
    """(key, heading) of the numbers shown: COLUMNS, and `replayed` when there are any."""
    return (*COLUMNS, REPLAYED_COLUMN) if report.totals.get("replayed") else COLUMNS


def cost_per_pass_note(row: dict[str, Any]) -> str | None:
    """What cost per passing case leaves out (passes of unknown cost), if anything."""
    left_out = int(row.get("passed_unknown_cost") or 0)
    if not left_out:
        return None
    cases = "case" if left_out == 1 else "cases"
    return f"leaves out {left_out} passing {cases} of unknown cost"


def replay_note(row: dict[str, Any]) -> str | None:
    replayed = int(row.get("replayed") or 0)
    if not replayed:
        return None
    return (
        f"{replayed} replayed answer{'s' if replayed != 1 else ''} (eval --replay, source replay) "
        "not counted in calls, tokens or spend"
    )


def rate(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def label(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}"
    return str(value)


def cell(key: str, value: Any) -> str:
    if key == "cost_per_pass" and value is None:
        return "-"  # no passing case (or no known eval spend)
    if key in MONEY_FIELDS:
        return money(value)
    if key == "cache_hit_rate":
        return rate(value)
    if key.endswith("_tokens"):
        return tokens(value, missing="-")
    return label(value) if key in (*DIMENSIONS, "period_start") else str(value)


def heading(key: str) -> str:
    return "period" if key == "period_start" else dict(COLUMNS).get(key, key)


def table_rows(report: CostReport) -> tuple[list[str], list[list[str]]]:
    keys, shown = report.keys, columns(report)
    head = [heading(k) for k in keys] + [h for _, h in shown]
    body = [
        [cell(k, row.get(k)) for k in keys] + [cell(k, row.get(k)) for k, _ in shown] for row in report.rows
    ]
    if report.rows and keys:
        body.append(["total"] + [""] * (len(keys) - 1) + [cell(k, report.totals.get(k)) for k, _ in shown])
    return head, body


def totals_table(report: CostReport) -> tuple[list[str], list[list[str]]]:
    """The one-row table of the totals (a report without --by or --period)."""
    shown = columns(report)
    return [h for _, h in shown], [[cell(k, report.totals.get(k)) for k, _ in shown]]


def footnotes(report: CostReport) -> list[str]:
    notes = []
    totals = report.totals
    if totals["unknown_cost"]:
        notes.append(f"unknown cost for {totals['unknown_cost']} calls (not counted in spend)")
    if totals["cache_savings_unknown"]:
        notes.append(f"{totals['cache_savings_unknown']} cached answers have no known list price")
    if left_out := cost_per_pass_note(totals):
        notes.append(f"cost per passing case {left_out}")
    if replayed := replay_note(totals):
        notes.append(replayed)
    if not totals["calls"]:
        notes.append("no calls in this range")
    return notes


def render_markdown(report: CostReport) -> str:
    head, body = table_rows(report) if report.keys else totals_table(report)
    lines = [markdown_table(head, body, left=LABELS)]
    lines.extend(f"\n_{note}_" for note in footnotes(report))
    return "\n".join(lines) + "\n"


def render_csv(report: CostReport) -> str:
    fields = [
        *report.keys,
        *[k for k, _ in COLUMNS],
        "cached_calls",
        "cache_savings_unknown",
        "eval_calls",
        "passed",
        "passed_unknown_cost",
        "replayed",
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for row in report.rows if report.keys else [report.totals]:
        writer.writerow([_plain(row.get(f)) for f in fields])
    return buffer.getvalue()


def render_json(report: CostReport) -> str:
    doc = {
        "by": report.by,
        "period": report.period,
        "since": report.since.isoformat() if report.since else None,
        "until": report.until.isoformat() if report.until else None,
        "rows": [plain_row(r) for r in report.rows],
        "totals": plain_row(report.totals),
    }
    return json.dumps(doc, indent=2, sort_keys=True)


def plain_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v, keep_numbers=True) for k, v in row.items()}


def _plain(value: Any, keep_numbers: bool = False) -> Any:
    if isinstance(value, Decimal):
        return money(value, "exact", symbol=False)
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None:
        return None if keep_numbers else ""
    if isinstance(value, float):
        return round(value, 6)
    return value
