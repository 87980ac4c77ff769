"""Money, token counts, durations and percentages as text: one formatter of each for the whole tool.

Standard library only. Money has one rounding rule for people (terminal, Markdown, messages) and exact
digits for machines (CSV, JSON).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

MoneyStyle = Literal["display", "exact"]

DISPLAY_PLACES = 8  # the most decimal places shown of an amount below $1
_CENTS = Decimal("0.01")
_SMALLEST = Decimal(1).scaleb(-DISPLAY_PLACES)


def money(
    value: Decimal | float | None,
    style: MoneyStyle = "display",
    *,
    unknown: int = 0,
    symbol: bool = True,
) -> str:
    """US dollars as text, "$" first unless `symbol` is False. `style`:

    - display (for people): "$0"; from $1, cents with thousands separators ("$1,234.57"); below, up to 8
      places without trailing zeros past the cents ("$0.50", "$0.000912"), "<$0.00000001" below that.
      Rounding is half up, to the cent or to the 8th place.
    - exact (CSV, JSON, prices): every digit, no rounding, no trailing zeros: "0.0001234".

    None (no known cost) is "?". `unknown` calls of unknown cost add " (+? for N)", or give
    "? (N calls unpriced)" when nothing is known.
    """
    if value is None:
        return f"? ({unknown} calls unpriced)" if unknown else "?"
    sign = "$" if symbol else ""
    amount = Decimal(str(value))
    if style == "exact":
        text = ("-" if amount < 0 else "") + sign + _exact(abs(amount))
    else:
        text = _display(amount, sign)
    return f"{text} (+? for {unknown})" if unknown else text


def _display(value: Decimal, sign: str) -> str:
    if value == 0:
        return f"{sign}0"
    minus = "-" if value < 0 else ""
    fine = abs(value).quantize(_SMALLEST, rounding=ROUND_HALF_UP)
    if fine >= 1:
        return f"{minus}{sign}{abs(value).quantize(_CENTS, rounding=ROUND_HALF_UP):,}"
    if fine == 0:
        return f"{minus}<{sign}{_SMALLEST:f}"
    whole, frac = f"{fine:f}".split(".")
    return f"{minus}{sign}{whole}.{frac.rstrip('0').ljust(2, '0')}"


def _exact(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def tokens(value: int | float | None, *, missing: str = "?", compact: bool = True) -> str:
    """A token count: compact from 10,000 ("12.3k", "1.2M"), or with `compact` False in full with
    thousands separators ("1,234,567"). `missing` for an unknown count."""
    if value is None:
        return missing
    if not compact:
        return f"{value:,.0f}"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1_000:.1f}k"
    return str(value)


def ms(value: float | None) -> str:
    """Milliseconds: "850ms", from a second "1.25s"; "-" when unknown."""
    if value is None:
        return "-"
    return f"{value / 1000:.2f}s" if value >= 1000 else f"{value:.0f}ms"


def pct(numerator: int, denominator: int) -> str:
    """A share as a percentage with one decimal; "-" for nothing out of nothing."""
    return "-" if denominator == 0 else f"{100 * numerator / denominator:.1f}%"
