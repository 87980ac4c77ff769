"""`llmopsctl cost report`: spend, calls, tokens, cache and cost per passing case, by dimension and period.

JSON and CSV give money as exact decimal strings (no float rounding); table and Markdown round for reading.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmopsctl.core.format import tokens
from llmopsctl.errors import UsageError
from llmopsctl.store.costs import DIMENSIONS, PERIODS, aggregate_calls

if TYPE_CHECKING:
    from llmopsctl.store import Store

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


@dataclass
class CostReport:
    by: list[str]
    period: str | None
    since: datetime | None
    until: datetime | None
    rows: list[dict[str, Any]]
    totals: dict[str, Any]

    @property
    def keys(self) -> list[str]:
        return (["period_start"] if self.period else []) + self.by

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        """(key, heading) of the numbers shown: COLUMNS, and `replayed` when there are any."""
        return (*COLUMNS, REPLAYED_COLUMN) if self.totals.get("replayed") else COLUMNS


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


# --- rendering ---------------------------------------------------------------------------------------


def money(value: Decimal | None) -> str:
    if value is None:
        return "?"
    if value == 0:
        return "$0"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    text = f"{abs(value):.8f}".rstrip("0")  # small amounts keep their significant digits
    if text == "0.":
        return "<$0.00000001"
    whole, frac = text.split(".")
    return f"{'-' if value < 0 else ''}${whole}.{frac.ljust(2, '0')}"


def exact(value: Decimal | None) -> str | None:
    """A Decimal as plain text without float rounding or trailing zeros (JSON/CSV)."""
    if value is None:
        return None
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


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
    keys, columns = report.keys, report.columns
    head = [heading(k) for k in keys] + [h for _, h in columns]
    body = [
        [cell(k, row.get(k)) for k in keys] + [cell(k, row.get(k)) for k, _ in columns] for row in report.rows
    ]
    if report.rows and keys:
        body.append(["total"] + [""] * (len(keys) - 1) + [cell(k, report.totals.get(k)) for k, _ in columns])
    return head, body


def totals_table(report: CostReport) -> tuple[list[str], list[list[str]]]:
    """The one-row table of the totals (a report without --by or --period)."""
    columns = report.columns
    return [h for _, h in columns], [[cell(k, report.totals.get(k)) for k, _ in columns]]


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
    lines = [markdown_table(head, body)]
    lines.extend(f"\n_{note}_" for note in footnotes(report))
    return "\n".join(lines) + "\n"


def markdown_table(head: list[str], body: list[list[str]]) -> str:
    numeric = [i for i, h in enumerate(head) if h not in (*DIMENSIONS, "period", "team", "prompt", "model")]
    sep = ["---:" if i in numeric else "---" for i in range(len(head))]
    rows = [head, sep, *body]
    return "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows)


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
        return exact(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None:
        return None if keep_numbers else ""
    if isinstance(value, float):
        return round(value, 6)
    return value
