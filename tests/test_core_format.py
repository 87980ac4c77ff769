"""The one money and token formatter: one rounding rule for people, exact digits for machines."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmopsctl.core.format import MoneyStyle, money, ms, pct, tokens

D = Decimal


@pytest.mark.parametrize(
    ("value", "style", "expected"),
    [
        # display: one rule for people (terminal, Markdown, messages), half up
        (D(0), "display", "$0"),
        (D("0.5"), "display", "$0.50"),
        (0.5, "display", "$0.50"),
        (D("0.1234567"), "display", "$0.1234567"),
        (D("0.0000031"), "display", "$0.0000031"),
        (D("0.00001234"), "display", "$0.00001234"),
        (D("0.000000125"), "display", "$0.00000013"),
        (D("0.000000001"), "display", "<$0.00000001"),
        (D("0.999999999"), "display", "$1.00"),
        (D("-0.5"), "display", "-$0.50"),
        (D("12.345"), "display", "$12.35"),
        (D("1234567.891"), "display", "$1,234,567.89"),
        (D("1E+1"), "display", "$10.00"),
        (1.5e-07, "display", "$0.00000015"),
        # exact: JSON, CSV and prices
        (D("0.1000000000"), "exact", "$0.1"),
        (D("1E+1"), "exact", "$10"),
        (D("-0"), "exact", "$0"),
        (D("-0.25"), "exact", "-$0.25"),
        (D("0.0000000001234"), "exact", "$0.0000000001234"),
    ],
)
def test_money_styles(value: Decimal | float, style: MoneyStyle, expected: str) -> None:
    assert money(value, style) == expected


def test_money_unknown_and_symbol() -> None:
    assert money(None) == money(None, "exact") == "?"
    assert money(None, unknown=3) == "? (3 calls unpriced)"
    assert money(D("0.25"), unknown=3) == "$0.25 (+? for 3)"
    assert money(D("0.10"), "exact", symbol=False) == "0.1"
    assert money(D("0.000000001"), symbol=False) == "<0.00000001"


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False))
def test_money_for_people_rounds_to_the_cent_or_the_8th_place_and_never_shows_0_for_an_amount(
    value: Decimal,
) -> None:
    text = money(value)
    if value == 0:
        assert text == "$0"
        return
    assert text != "$0" and money(value, "exact") != "$0"
    shown = text.replace("$", "").replace(",", "").lstrip("<")
    if not text.startswith(("<", "-<")):
        places = 2 if abs(value) >= D("0.999999995") else 8
        assert D(shown) == value.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)


def test_tokens_compact_and_full() -> None:
    assert [tokens(v) for v in (999, 9_999, 12_345, 1_234_567)] == ["999", "9999", "12.3k", "1.2M"]
    assert tokens(None) == "?" and tokens(None, missing="-") == "-"
    assert tokens(1_234_567.89, compact=False) == "1,234,568"
    assert tokens(None, missing="-", compact=False) == "-"


def test_durations_and_shares() -> None:
    assert (ms(None), ms(850.4), ms(1250)) == ("-", "850ms", "1.25s")
    assert (pct(1, 3), pct(0, 0)) == ("33.3%", "-")
