"""Formatting helpers of the renderers (money, tokens, durations and percentages: llmopsctl.core.format)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def jsonable(value: Any, *, exact: bool = False) -> Any:
    """JSON-ready data: Decimals become numbers, or exact strings with `exact` (money in `sql` output)."""
    if isinstance(value, Decimal):
        return format(value, "f") if exact else float(value)
    if isinstance(value, dict):
        return {k: jsonable(v, exact=exact) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, exact=exact) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
