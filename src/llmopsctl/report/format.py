"""Small formatting helpers shared by the renderers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def money(value: Decimal | float | None, unknown: int = 0) -> str:
    if value is None:
        return "?" if not unknown else f"? ({unknown} calls unpriced)"
    amount = Decimal(str(value))
    text = f"${amount:,.4f}" if amount < 1 else f"${amount:,.2f}"
    return f"{text} (+? for {unknown})" if unknown else text


def tokens(value: int | None, missing: str = "?") -> str:
    if value is None:
        return missing
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1_000:.1f}k"
    return str(value)


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f}s" if value >= 1000 else f"{value:.0f}ms"


def pct(numerator: int, denominator: int) -> str:
    return "-" if denominator == 0 else f"{100 * numerator / denominator:.1f}%"


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
