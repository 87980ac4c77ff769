"""Money, token counts, durations and percentages as text: one formatter of each for the whole tool.

Standard library only. The money styles keep what each output showed before they were gathered here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

MoneyStyle = Literal["cents", "estimate", "trimmed", "exact", "as_held", "fixed", "general"]

TRIMMED_PLACES = 8  # the most decimal places of the "trimmed" style


def money(
    value: Decimal | float | None,
    style: MoneyStyle = "cents",
    *,
    unknown: int = 0,
    digits: int = 6,
    symbol: bool = True,
) -> str:
    """US dollars as text, "$" first unless `symbol` is False. `style`:

    - cents: cents from $1, 4 places below: "$1,234.57", "$0.0123" (terminal tables, progress, alerts);
    - estimate: as cents, with more places below $1 to show 2 significant digits: "$0.0000031";
    - trimmed: "$0"; cents from $1; below, up to 8 places without trailing zeros: "$0.00012",
      "<$0.00000001" (cost reports and reviews);
    - exact: every digit, no rounding, no trailing zeros: "0.0001234" (JSON, CSV, prices);
    - as_held: every digit the Decimal holds, trailing zeros included: "10.0" (a cap as it was given);
    - fixed: `digits` decimal places: "$0.123457";
    - general: `digits` significant digits, an exponent when very small or large: "$1.5e-07".

    None (no known cost) is "?". `unknown` calls of unknown cost add " (+? for N)", or give
    "? (N calls unpriced)" when nothing is known.
    """
    if value is None:
        return f"? ({unknown} calls unpriced)" if unknown else "?"
    sign = "$" if symbol else ""
    if style == "cents":
        text = _cents(Decimal(str(value)), sign)
    elif style == "estimate":
        text = _estimate(Decimal(str(value)), sign)
    elif style == "trimmed":
        text = _trimmed(Decimal(str(value)), sign)
    elif style == "exact":
        text = sign + _exact(Decimal(str(value)))
    elif style == "as_held":
        text = f"{sign}{value:f}"
    elif style == "fixed":
        text = f"{sign}{value:.{digits}f}"
    else:
        text = f"{sign}{value:.{digits}g}"
    return f"{text} (+? for {unknown})" if unknown else text


def _cents(value: Decimal, sign: str) -> str:
    return f"{sign}{value:,.4f}" if value < 1 else f"{sign}{value:,.2f}"


def _estimate(value: Decimal, sign: str) -> str:
    if value >= 1:
        return f"{sign}{value:,.2f}"
    places = 4 if value == 0 else max(4, 1 - value.adjusted())
    return f"{sign}{value:,.{places}f}"


def _trimmed(value: Decimal, sign: str) -> str:
    if value == 0:
        return f"{sign}0"
    if abs(value) >= 1:
        return f"{sign}{value:,.2f}"
    text = f"{abs(value):.{TRIMMED_PLACES}f}".rstrip("0")  # small amounts keep their significant digits
    if text == "0.":
        return f"<{sign}0.{'0' * (TRIMMED_PLACES - 1)}1"
    whole, frac = text.split(".")
    return f"{'-' if value < 0 else ''}{sign}{whole}.{frac.ljust(2, '0')}"


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
