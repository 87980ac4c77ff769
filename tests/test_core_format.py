"""The one money and token formatter: each style prints what its callers printed before it existed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from llmopsctl.core.format import MoneyStyle, money, ms, pct, tokens

D = Decimal


@pytest.mark.parametrize(
    ("value", "style", "expected"),
    [
        # cents: terminal tables, progress, budget alerts
        (D("0.1234567"), "cents", "$0.1235"),
        (D("0.0000031"), "cents", "$0.0000"),
        (D("1234.5678"), "cents", "$1,234.57"),
        (0.5, "cents", "$0.5000"),
        # estimate: tiny amounts keep 2 significant digits
        (D("0.0000031"), "estimate", "$0.0000031"),
        (D("0.00012345"), "estimate", "$0.00012"),
        (D(0), "estimate", "$0.0000"),
        (D("12.345"), "estimate", "$12.34"),
        # trimmed: cost reports and reviews
        (D(0), "trimmed", "$0"),
        (D("0.5"), "trimmed", "$0.50"),
        (D("0.00001234"), "trimmed", "$0.00001234"),
        (D("0.000000001"), "trimmed", "<$0.00000001"),
        (D("-0.5"), "trimmed", "-$0.50"),
        (D("1234567.891"), "trimmed", "$1,234,567.89"),
        # exact: JSON, CSV and prices
        (D("0.1000000000"), "exact", "$0.1"),
        (D("1E+1"), "exact", "$10"),
        (D("-0"), "exact", "$0"),
        # as_held: a cost cap as it was given
        (D("10.0"), "as_held", "$10.0"),
        (D("1e-08"), "as_held", "$0.00000001"),
        # fixed and general
        (D("0.1234567"), "fixed", "$0.123457"),
        (D("1234.5"), "fixed", "$1234.500000"),
        (1.5e-07, "general", "$1.5e-07"),
        (0.0001234567, "general", "$0.000123457"),
    ],
)
def test_money_styles(value: Decimal | float, style: MoneyStyle, expected: str) -> None:
    assert money(value, style) == expected


def test_money_unknown_digits_and_symbol() -> None:
    assert money(None) == money(None, "trimmed") == "?"
    assert money(None, unknown=3) == "? (3 calls unpriced)"
    assert money(D("0.25"), unknown=3) == "$0.2500 (+? for 3)"
    assert money(D("0.1234567"), "fixed", digits=2) == "$0.12"
    assert money(D("0.10"), "exact", symbol=False) == "0.1"
    assert money(D("0.000000001"), "trimmed", symbol=False) == "<0.00000001"


def test_tokens_compact_and_full() -> None:
    assert [tokens(v) for v in (999, 9_999, 12_345, 1_234_567)] == ["999", "9999", "12.3k", "1.2M"]
    assert tokens(None) == "?" and tokens(None, missing="-") == "-"
    assert tokens(1_234_567.89, compact=False) == "1,234,568"
    assert tokens(None, missing="-", compact=False) == "-"


def test_durations_and_shares() -> None:
    assert (ms(None), ms(850.4), ms(1250)) == ("-", "850ms", "1.25s")
    assert (pct(1, 3), pct(0, 0)) == ("33.3%", "-")
