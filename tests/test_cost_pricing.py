"""Pricing: the model file's override, the genai-prices catalogue, unknown prices, estimates."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llmopsctl.core.definitions import PriceAs, Pricing
from llmopsctl.core.records import ResultRecord
from llmopsctl.core.usage import Usage
from llmopsctl.cost import pricing
from llmopsctl.cost.estimate import EstimateItem, estimate_cost
from llmopsctl.cost.pricing import PriceQuote, cost_of, price_call, quote_price, quote_with_reason
from llmopsctl.report.cost_price import describe_price
from llmopsctl.store import Store

SRC = str(Path(__file__).resolve().parents[1] / "src")
AT = datetime(2025, 7, 1, 12, 0)


def call(usage: Usage, **over: Any) -> pricing.PricedCall:
    args: dict[str, Any] = {
        "override": None,
        "provider": "openai",
        "model_id": "gpt-4o-mini",
        "base_url": None,
        "at": AT,
    }
    args.update(over)
    return price_call(usage, **args)


def test_override_wins_and_splits_cached_and_written_input() -> None:
    override = Pricing.from_mapping({"input": 2, "output": 8, "cached_input": 0.5, "cache_write": 2.5})
    usage = Usage(input_tokens=1000, output_tokens=100, cached_input_tokens=400, cache_write_tokens=100)
    priced = call(usage, override=override, override_version="modelhash123")
    # 500 fresh * 2 + 400 * 0.5 + 100 * 2.5 + 100 * 8 = 1000 + 200 + 250 + 800 = 2250 per million
    assert priced.cost == Decimal("0.00225")
    assert (priced.source, priced.version) == ("override", "modelhash123")
    assert priced.cost == cost_of(usage, override)
    default_version = call(usage, override=override).version
    assert default_version is not None and default_version.startswith("pricing ")


def test_catalogue_price_of_gpt_4o_mini_with_cached_tokens() -> None:
    # Catalogue: $0.15 input, $0.075 cached input, $0.60 output per million. Our input includes cached
    # tokens, as genai-prices' input_tokens includes cache reads: 600 fresh + 400 cached.
    priced = call(Usage(input_tokens=1000, output_tokens=100, cached_input_tokens=400))
    assert priced.cost == Decimal("0.00018")  # (600*0.15 + 400*0.075 + 100*0.6) / 1e6
    assert priced.source == "genai-prices"
    assert priced.version is not None and priced.version.startswith("genai-prices ")
    assert isinstance(priced.cost, Decimal)


def test_catalogue_anthropic_cache_writes_priced_apart() -> None:
    usage = Usage(input_tokens=1000, output_tokens=10, cached_input_tokens=200, cache_write_tokens=300)
    priced = call(usage, provider="anthropic", model_id="claude-3-5-haiku-latest")
    # $0.8 input, $0.08 cache read, $1 cache write, $4 output: 500*0.8 + 200*0.08 + 300*1 + 10*4 = 756
    assert priced.cost == Decimal("0.000756")


def test_historical_timestamp_uses_the_price_of_that_day() -> None:
    # genai-prices lists o3 at $10/$40 per million until 2025-06-10, then $2/$8 (a StartDateConstraint).
    usage = Usage(input_tokens=1000, output_tokens=500, reasoning_tokens=300)
    before = call(usage, model_id="o3", at=datetime(2025, 1, 15))
    after = call(usage, model_id="o3", at=datetime(2025, 7, 1, tzinfo=timezone.utc))
    assert before.cost == Decimal("0.03")  # 1000*10 + 500*40 (reasoning is part of output)
    assert after.cost == Decimal("0.006")  # 1000*2 + 500*8
    old = quote_price(override=None, provider="openai", model_id="o3", base_url=None, at=datetime(2025, 6, 9))
    new = quote_price(
        override=None, provider="openai", model_id="o3", base_url=None, at=datetime(2025, 6, 10)
    )
    assert old is not None and new is not None
    assert (old.input, old.output, new.input, new.output) == (
        Decimal(10),
        Decimal(40),
        Decimal(2),
        Decimal(8),
    )


@pytest.mark.parametrize(
    ("provider", "model_id", "base_url"),
    [
        ("ollama", "llama3.1", None),
        ("python", "evals/x.py:f", None),
        ("echo", "echo", None),
        ("replay", "gpt-4o-mini", None),
        ("openai", "no-such-model-xyz", None),
        ("no-such-provider", "gpt-4o-mini", None),
        ("openai", "gpt-4o-mini", "http://127.0.0.1:8000/v1"),  # a local server: not guessed at
    ],
)
def test_unknown_prices_are_none_never_zero(provider: str, model_id: str, base_url: str | None) -> None:
    priced = call(
        Usage(input_tokens=10, output_tokens=5), provider=provider, model_id=model_id, base_url=base_url
    )
    assert priced == pricing.PricedCall(None, None, None)
    assert quote_price(override=None, provider=provider, model_id=model_id, base_url=base_url, at=AT) is None
    text = describe_price(override=None, provider=provider, model_id=model_id, base_url=base_url, at=AT)
    assert "unknown price" in text and "pricing:" in text


LOCAL = "http://127.0.0.1:8000/v1"


def test_a_model_behind_a_gateway_is_priced_as_the_catalogue_model_it_names() -> None:
    usage = Usage(input_tokens=1000, output_tokens=100, cached_input_tokens=400)
    assert call(usage, base_url=LOCAL) == pricing.PricedCall(None, None, None)
    priced = call(usage, base_url=LOCAL, price_as=PriceAs("openai", "gpt-4o-mini"))
    assert priced.cost == Decimal("0.00018") and priced.source == "genai-prices"  # as in the catalogue
    quote, reason = quote_with_reason(
        None, "openai", "gpt-4o-mini", LOCAL, AT, price_as=PriceAs("openai", "gpt-4o-mini")
    )
    assert quote is not None and quote.detail == "openai / gpt-4o-mini" and "`price_as`" in reason
    # Why a gateway has no price names the rule, not the catalogue's own words.
    quote, reason = quote_with_reason(None, "openai", "gpt-4o-mini", LOCAL, AT)
    assert quote is None and "Unable to find" not in reason
    assert reason.startswith(f"the catalogue knows no API at {LOCAL}") and "`price_as:" in reason
    _, bad = quote_with_reason(None, "openai", "x", LOCAL, AT, price_as=PriceAs("openai", "gpt-nope"))
    assert bad == "its `price_as` (openai / gpt-nope): the catalogue has no model 'gpt-nope' of openai"


def test_pricing_without_cached_input_takes_the_catalogues_cached_ratio() -> None:
    flat = Pricing.from_mapping({"input": 1, "output": 2})
    usage = Usage(input_tokens=1000, output_tokens=100, cached_input_tokens=400)
    # gpt-4o-mini's cached input is half its input price: 600 * 1 + 400 * 0.5 + 100 * 2 per million
    assert call(usage, override=flat).cost == Decimal("0.001")
    assert call(
        usage, override=flat, base_url=LOCAL, price_as=PriceAs("openai", "gpt-4o-mini")
    ).cost == Decimal("0.001")
    # A model the catalogue does not know: cached reads at the input price, and `cost price` says so.
    assert call(usage, override=flat, model_id="no-such-model-xyz").cost == Decimal("0.0012")
    assert call(Usage(input_tokens=1000, output_tokens=100), override=flat).cost == Decimal("0.0012")
    text = describe_price(override=flat, provider="openai", model_id="gpt-4o-mini", base_url=None, at=AT)
    assert "cached input $0.5 / M tokens (the input price x 0.5, the catalogue's ratio" in text
    text = describe_price(
        override=flat, provider="openai", model_id="no-such-model-xyz", base_url=None, at=AT
    )
    assert (
        "cached input $1 / M tokens (the input price: `pricing` gives no `cached_input` and the catalogue"
        in text
    )


def test_known_price_without_token_counts_is_unknown_cost() -> None:
    priced = call(Usage(input_tokens=None, output_tokens=None))
    assert priced.cost is None and priced.source == "genai-prices"
    assert call(Usage(), override=Pricing.from_mapping({"input": 1, "output": 1})).cost is None


def test_known_base_url_finds_its_provider() -> None:
    priced = call(Usage(input_tokens=1000, output_tokens=0), base_url="https://api.openai.com/v1")
    assert priced.cost == Decimal("0.00015")


def test_lookups_are_cached_per_provider_and_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import genai_prices

    seen: list[str] = []
    real = genai_prices.calc_price

    def counting(*args: Any, **kwargs: Any) -> Any:
        seen.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(pricing, "_LOOKUPS", {})
    monkeypatch.setattr(genai_prices, "calc_price", counting)
    for _ in range(50):
        call(Usage(input_tokens=10, output_tokens=5))
        call(Usage(input_tokens=10, output_tokens=5), model_id="no-such-model-xyz")
    assert sorted(seen) == ["gpt-4o-mini", "no-such-model-xyz"]


def test_genai_prices_is_imported_lazily() -> None:
    code = (
        "import sys, llmopsctl.cost.pricing, llmopsctl.cost.estimate, llmopsctl.cost.budgets, "
        "llmopsctl.cost.report, llmopsctl.cli.cost; print('genai_prices' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": SRC}, check=True
    )
    assert out.stdout.strip() == "False"


def test_decimal_sums_have_no_float_drift(tmp_path: Path) -> None:
    tiny = Decimal("0.0000001")
    total = sum((tiny for _ in range(10_000)), Decimal(0))
    assert total == Decimal("0.001")
    assert sum(0.0000001 for _ in range(10_000)) != 0.001  # what floats would have given
    # and through the store: DECIMAL(20,10) columns summed by DuckDB come back exact
    from llmopsctl.store.costs import aggregate_calls

    rows = [
        ResultRecord(run_id="r", item_key=f"k{i}", output="x", cost_usd=tiny, created_at=AT)
        for i in range(10_000)
    ]
    with Store.open(tmp_path / "db.duckdb") as store:
        store.write_results(rows)
        totals = aggregate_calls(store)[0]
    assert totals["spend"] == Decimal("0.001") and totals["calls"] == 10_000


def test_describe_price_names_its_source() -> None:
    text = describe_price(override=None, provider="openai", model_id="gpt-4o-mini", base_url=None, at=AT)
    assert "genai-prices" in text and "$0.15 / M tokens" in text and "$0.075 / M tokens" in text
    text = describe_price(
        override=Pricing.from_mapping({"input": 1, "output": 2}),
        provider="openai",
        model_id="gpt-4o-mini",
        base_url=None,
        at=AT,
    )
    assert "model file's `pricing`" in text and "(not used)" in text


def test_estimate_cost_counts_unknown_prices_apart_and_names_the_models() -> None:
    quote = PriceQuote(source="override", version="v1", input=Decimal("1"), output=Decimal("2"))
    catalogue = PriceQuote(
        source="genai-prices",
        version="genai-prices 0.1",
        input=Decimal("1"),
        output=Decimal("2"),
        detail="o / m",
    )
    estimate = estimate_cost(
        [
            EstimateItem("bot", 4000, 100, quote),
            EstimateItem("bot", 400, None, quote),
            EstimateItem("local", 4000, 100, None),
            EstimateItem("grader", 400, None, catalogue, judge=True),
            EstimateItem("grader2", 4, 1, None, judge=True),
        ],
        default_output_tokens=50,
    )
    # (1000 in * 1 + 100 out * 2) + (100 in * 1 + 50 out * 2) + (100 in * 1 + 50 out * 2) per million
    assert estimate.amount == Decimal("0.0016") and estimate.judge_amount == Decimal("0.0002")
    assert (estimate.calls, estimate.unknown, estimate.judge_calls) == (5, 2, 2)
    assert estimate.unpriced == ("local", "grader2")
    assert (estimate.input_tokens, estimate.output_tokens) == (2201, 301)
    text = estimate.explanation
    assert text.startswith("estimated $0.0016 for 3 of 5 calls (3 graded, 2 judge)")
    assert "characters / 4" in text and "max_tokens, 50 where unset" in text
    assert "at prices of bot (its model file's pricing), grader (genai-prices 0.1: o / m)" in text
    assert text.endswith("; 2 calls with unknown price not counted (unpriced: local, grader2)")
    assert estimate_cost([]).amount == 0
