"""A model as a run uses it: its provider, limits and retry policy, and how its calls are priced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypedDict

from llmopsctl.core.definitions import PriceAs, Pricing
from llmopsctl.core.usage import Usage
from llmopsctl.cost.pricing import PricedCall, PriceQuote, price_call, quote_price
from llmopsctl.engine.limits import ModelLimits
from llmopsctl.providers.base import Provider


class _PriceArgs(TypedDict):
    override: Pricing | None
    provider: str
    model_id: str
    base_url: str | None
    at: datetime
    override_version: str | None
    price_as: PriceAs | None


@dataclass
class ModelRuntime:
    provider: Provider
    limits: ModelLimits
    retries: int
    timeout_s: float
    pricing: Pricing | None
    base_url: str | None
    price_as: PriceAs | None = None  # the catalogue model it is billed as (the model file's `price_as`)
    cache: bool = True  # the provider's `cacheable`: False for local answers, which can change freely
    provider_name: str = ""
    model_id: str = ""
    price_version: str | None = None  # the model file's hash, recorded with prices from its override
    params: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False  # answers come from a cassette: priced at list price, but nothing is spent

    def price(self, usage: Usage, at: datetime) -> PricedCall:
        """The list price of a call made at `at`: by the model file's `pricing`, else the catalogue."""
        return price_call(usage, **self._price_args(at))

    def quote(self, at: datetime) -> PriceQuote | None:
        """The per-million prices `price` would use at `at`, or None when unknown."""
        return quote_price(**self._price_args(at))

    def spent(self, priced: PricedCall, *, cached: bool) -> Decimal | None:
        """What a call priced `priced` spends: nothing for a cached or replayed answer, whose list price
        is kept only as the nominal cost."""
        return Decimal(0) if cached or self.replayed else priced.cost

    def _price_args(self, at: datetime) -> _PriceArgs:
        return {
            "override": self.pricing,
            "provider": self.provider_name,
            "model_id": self.model_id,
            "base_url": self.base_url,
            "at": at,
            "override_version": self.price_version,
            "price_as": self.price_as,
        }
