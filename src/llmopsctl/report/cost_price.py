"""Render the prices of `llmopsctl cost price` (llmopsctl.cost.pricing) as text lines or JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from llmopsctl.core.definitions import PriceAs, Pricing
from llmopsctl.core.format import money
from llmopsctl.cost.pricing import SOURCE_OVERRIDE, PriceQuote, aware_utc, quote_with_reason

PRICE_LABELS = {
    "input": "input",
    "cached_input": "cached input",
    "cache_write": "cache write",
    "output": "output",
}


PRICE_HINT = (
    "to price its calls, set `pricing: {input: ..., output: ...}` (USD per million tokens), or "
    "`price_as: {provider: ..., model: ...}` (the catalogue model it is billed as, e.g. behind a gateway or "
    "proxy), in the model file; until then its calls are reported as unknown cost, never $0"
)


def describe_price(
    *,
    override: Pricing | None,
    provider: str,
    model_id: str,
    base_url: str | None,
    at: datetime,
    override_version: str | None = None,
    price_as: PriceAs | None = None,
) -> str:
    """Several lines for `llmopsctl cost price`: the prices that apply at `at`, and where they come from."""
    quote, reason = quote_with_reason(override, provider, model_id, base_url, at, override_version, price_as)
    when = f"{aware_utc(at):%Y-%m-%d %H:%M} UTC"
    where = ", ".join(x for x in (provider, base_url) if x) or "provider matched by the catalogue"
    head = f"{model_id} ({where}) at {when}"
    if quote is None:
        return f"{head}: unknown price ({reason})\n  {PRICE_HINT}"
    lines = [f"{head}: {reason}"]
    lines.extend(quote_lines(quote))
    if quote.source == SOURCE_OVERRIDE:
        catalogue, why = quote_with_reason(None, provider, model_id, base_url, at, price_as=price_as)
        if catalogue is not None:
            lines.append(f"  (not used) {why}:")
            lines.extend("  " + line for line in quote_lines(catalogue))
    return "\n".join(lines)


def quote_lines(quote: PriceQuote) -> list[str]:
    lines = []
    for key, value in quote.per_million().items():
        if key == "cached_input" and quote.cached_input_rule and value is not None:
            text = f"{money(value, 'exact')} / M tokens ({quote.cached_input_rule})"
        elif value is None and key in ("cached_input", "cache_write") and quote.input is not None:
            rule = quote.cached_input_rule if key == "cached_input" and quote.cached_input_rule else ""
            text = (
                f"{money(quote.input, 'exact')} / M tokens ({rule or 'the input price: none listed apart'})"
            )
        else:
            text = "unknown" if value is None else f"{money(value, 'exact')} / M tokens"
        lines.append(f"  {PRICE_LABELS[key]:<13}{text}")
    if quote.tiered:
        lines.append("  (higher prices apply above some prompt size; calls are costed with the tiers)")
    return lines


def price_json(
    model: str, provider: str, model_id: str, at: datetime, quote: PriceQuote | None, reason: str = ""
) -> str:
    """The quote of `model` (provider, model_id) at `at` as JSON; prices as exact decimal strings, and
    where they come from (or why there are none)."""
    per_million = (
        {k: None if v is None else money(v, "exact", symbol=False) for k, v in quote.per_million().items()}
        if quote
        else None
    )
    doc: dict[str, Any] = {
        "model": model,
        "provider": provider,
        "model_id": model_id,
        "at": at.isoformat(),
        "source": quote.source if quote else None,
        "version": quote.version if quote else None,
        "detail": quote.detail if quote else None,
        "tiered": quote.tiered if quote else None,
        "per_million_usd": per_million,
        "cached_input_rule": quote.cached_input_rule or None if quote else None,
        "reason": reason,
    }
    return json.dumps(doc, indent=2)
