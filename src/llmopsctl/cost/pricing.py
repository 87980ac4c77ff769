"""Cost of one call from normalised usage and a price (USD per million tokens), in Decimal."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from llmopsctl.providers.base import Usage

MILLION = Decimal(1_000_000)


def _price(pricing: dict[str, Any], key: str, fallback: str | None = None) -> Decimal:
    value = pricing.get(key)
    if value is None and fallback is not None:
        value = pricing.get(fallback)
    return Decimal(str(value)) if value is not None else Decimal(0)


def cost_of(usage: Usage, pricing: dict[str, Any] | None) -> Decimal | None:
    """None when the price or the token counts are unknown: an unknown cost is never 0."""
    if not pricing or usage.input_tokens is None or usage.output_tokens is None:
        return None
    cached = usage.cached_input_tokens or 0
    written = usage.cache_write_tokens or 0
    fresh = max(usage.input_tokens - cached - written, 0)
    total = (
        fresh * _price(pricing, "input")
        + cached * _price(pricing, "cached_input", "input")
        + written * _price(pricing, "cache_write", "input")
        + usage.output_tokens * _price(pricing, "output")
    )
    return total / MILLION
