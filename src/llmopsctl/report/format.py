"""Formatting helpers of the renderers (money, tokens, durations and percentages: llmopsctl.core.format)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from llmopsctl.core.format import money


def jsonable(value: Any) -> Any:
    """JSON-ready data: Decimals (money) become exact decimal strings ("0.000024", never a float that
    rounds or a 30-digit fraction), datetimes ISO 8601 text."""
    if isinstance(value, Decimal):
        return money(value, "exact", symbol=False)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def csv_cell(value: Any) -> Any:
    """A CSV cell: money (Decimals) as exact decimal text, as in JSON; NULL as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return money(value, "exact", symbol=False)
    return value
