"""What a call costs: the model file's `pricing` override, else the genai-prices catalogue (as the model
file's `price_as` says, else by its own provider and model id), else unknown.

Money is Decimal end to end. An unknown price is None, never 0.

Token counts follow `providers.base.Usage` (OpenTelemetry GenAI style): input_tokens includes cached input
(cache reads) and cache writes, output_tokens includes reasoning. genai-prices counts the same way: its
`input_tokens` includes `cache_read_tokens` and `cache_write_tokens`, so the numbers pass straight through.

genai-prices is imported lazily (about 0.2 s) and only its bundled data is used: no network. Catalogue
look-ups are cached per (provider, base_url, model id), misses included.

A model file with a `base_url` is looked up by that URL, not by its provider and model id: the catalogue
knows the URLs of the providers' APIs (api.openai.com, Azure, Groq, ...), and a URL it does not know (a
local server, a self-hosted or third-party OpenAI-compatible server, a private gateway) leaves the price
unknown even when the model id is a catalogue one such as gpt-4o-mini, since what such a server charges
cannot be told from the id. Such a model says which catalogue model it is billed as with
`price_as: {provider: openai, model: gpt-4o-mini}` (a gateway or proxy in front of OpenAI), or gives
`pricing`.

A `pricing` without `cached_input` prices cached reads at the catalogue's ratio of cached to fresh input for
the model (its `price_as`, else its own catalogue entry) when the catalogue has one; only a model the
catalogue does not know has its cached reads at the full input price (`cost price` says which applies).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmopsctl.core.definitions import PriceAs, Pricing
from llmopsctl.core.hashing import content_hash
from llmopsctl.core.usage import Usage

if TYPE_CHECKING:
    from genai_prices.types import ModelInfo, ModelPrice, Provider

MILLION = Decimal(1_000_000)
SOURCE_OVERRIDE = "override"
SOURCE_CATALOGUE = "genai-prices"

# Our providers that run locally or replay recordings: nothing in a price catalogue applies to them.
LOCAL_PROVIDERS = frozenset({"ollama", "python", "echo", "replay"})
# Our provider name -> genai-prices provider id. Other names (plugins: groq, mistral, google, ...) pass as-is.
CATALOGUE_PROVIDERS = {"openai": "openai", "anthropic": "anthropic"}


def cost_of(usage: Usage, pricing: Pricing | None) -> Decimal | None:
    """None when the price or the token counts are unknown: an unknown cost is never 0."""
    if pricing is None or usage.input_tokens is None or usage.output_tokens is None:
        return None
    cached = usage.cached_input_tokens or 0
    written = usage.cache_write_tokens or 0
    fresh = max(usage.input_tokens - cached - written, 0)
    cached_price = pricing.cached_input if pricing.cached_input is not None else pricing.input
    write_price = pricing.cache_write if pricing.cache_write is not None else pricing.input
    total = (
        fresh * pricing.input
        + cached * cached_price
        + written * write_price
        + usage.output_tokens * pricing.output
    )
    return total / MILLION


@dataclass(frozen=True)
class PricedCall:
    """The cost of one call and where its price came from; all None when the price is unknown.

    cost is also None when the price is known but the provider reported no token counts.
    """

    cost: Decimal | None
    source: str | None  # "override" | "genai-prices" | None (unknown)
    version: str | None  # "genai-prices 0.2.3", or the model file's hash for an override


UNKNOWN = PricedCall(None, None, None)


@dataclass(frozen=True)
class PriceQuote:
    """Prices in USD per million tokens that apply to a model at some moment, and where they come from.

    cached_input and cache_write are None when not listed separately (the input price then applies).
    """

    source: str
    version: str
    input: Decimal | None
    output: Decimal | None
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    detail: str = ""  # e.g. "openai / gpt-4o-mini" or "the model file's pricing"
    tiered: bool = False  # the catalogue has higher prices above some prompt size; base prices shown
    cached_input_rule: str = ""  # how cached_input was worked out when the model file's pricing has none

    def per_million(self) -> dict[str, Decimal | None]:
        return {
            "input": self.input,
            "cached_input": self.cached_input,
            "cache_write": self.cache_write,
            "output": self.output,
        }


def price_call(
    usage: Usage,
    *,
    override: Pricing | None,
    provider: str,
    model_id: str,
    base_url: str | None,
    at: datetime,
    override_version: str | None = None,
    price_as: PriceAs | None = None,
) -> PricedCall:
    """The list price of one call made at `at` (naive = UTC): override, else catalogue, else unknown.

    override_version identifies the override's prices (pass the model file's hash); by default a hash of
    the pricing mapping itself. price_as: the catalogue model to look up instead of (provider, model_id).
    """
    version = override_version or (_override_hash(override) if override else None)
    if override and (override.cached_input is not None or not usage.cached_input_tokens):
        return PricedCall(cost_of(usage, override), SOURCE_OVERRIDE, version)  # no catalogue needed
    found = _catalogue(provider, model_id, base_url, price_as)
    if override:
        priced, _ = with_cached_ratio(override, found, at)
        return PricedCall(cost_of(usage, priced), SOURCE_OVERRIDE, version)
    if isinstance(found, str):
        return UNKNOWN
    version = _catalogue_version()
    if usage.input_tokens is None or usage.output_tokens is None:
        return PricedCall(None, SOURCE_CATALOGUE, version)
    gp_provider, model = found
    try:
        calc = model.calc_price(_genai_usage(usage), gp_provider, genai_request_timestamp=aware_utc(at))
    except Exception:  # inconsistent counts (more cached than input) or a catalogue quirk: never fail a run
        return UNKNOWN
    return PricedCall(calc.total_price, SOURCE_CATALOGUE, version)


def quote_price(
    *,
    override: Pricing | None,
    provider: str,
    model_id: str,
    base_url: str | None,
    at: datetime,
    override_version: str | None = None,
    price_as: PriceAs | None = None,
) -> PriceQuote | None:
    """The per-million prices price_call would use at `at`, or None when unknown."""
    quote, _ = quote_with_reason(override, provider, model_id, base_url, at, override_version, price_as)
    return quote


def quote_with_reason(
    override: Pricing | None,
    provider: str,
    model_id: str,
    base_url: str | None,
    at: datetime,
    override_version: str | None = None,
    price_as: PriceAs | None = None,
) -> tuple[PriceQuote | None, str]:
    """quote_price's quote, and where its prices come from (or why there are none)."""
    found = _catalogue(provider, model_id, base_url, price_as)
    if override:
        version = override_version or _override_hash(override)
        priced, rule = with_cached_ratio(override, found, at)
        quote = PriceQuote(
            source=SOURCE_OVERRIDE,
            version=version,
            input=priced.input,
            output=priced.output,
            cached_input=priced.cached_input,
            cache_write=priced.cache_write,
            detail="the model file's pricing",
            cached_input_rule=rule,
        )
        return quote, f"prices from the model file's `pricing` ({version})"
    if isinstance(found, str):
        return None, found
    gp_provider, model = found
    prices = model.get_prices(aware_utc(at))
    version = _catalogue_version()
    quote = PriceQuote(
        source=SOURCE_CATALOGUE,
        version=version,
        input=_base(prices, "input_mtok"),
        output=_base(prices, "output_mtok"),
        cached_input=_base(prices, "cache_read_mtok"),
        cache_write=_base(prices, "cache_write_mtok"),
        detail=f"{gp_provider.id} / {model.id}",
        tiered=any(_is_tiered(prices, k) for k in ("input_mtok", "output_mtok", "cache_read_mtok")),
    )
    as_said = " (the model file's `price_as`)" if price_as is not None else ""
    return quote, f"catalogue prices from {version} ({gp_provider.id} model {model.id}){as_said}"


def with_cached_ratio(
    override: Pricing, found: tuple[Provider, ModelInfo] | str, at: datetime
) -> tuple[Pricing, str]:
    """The model file's pricing, with a cached input price when it gives none: its input price times the
    catalogue's ratio of cached to fresh input for the model, when the catalogue has one. Also how."""
    if override.cached_input is not None:
        return override, ""
    if isinstance(found, str):
        return (
            override,
            "the input price: `pricing` gives no `cached_input` and the catalogue does not know the model",
        )
    gp_provider, model = found
    key = (gp_provider.id, model.id, aware_utc(at).date())
    if key not in _CACHED_RATIOS:  # once a day per model: called for every call with cached input
        prices = model.get_prices(aware_utc(at))
        fresh, cached = _base(prices, "input_mtok"), _base(prices, "cache_read_mtok")
        _CACHED_RATIOS[key] = cached / fresh if fresh and cached is not None else None
    ratio = _CACHED_RATIOS[key]
    if ratio is None:
        return (
            override,
            f"the input price: `pricing` gives no `cached_input` and {gp_provider.id} / {model.id} "
            "lists none",
        )
    rule = (
        f"the input price x {ratio.normalize():f}, the catalogue's ratio of cached to fresh input of "
        f"{gp_provider.id} / {model.id}"
    )
    return replace(override, cached_input=override.input * ratio), rule


def aware_utc(at: datetime) -> datetime:
    """`at` as an aware UTC time (naive means UTC)."""
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


# --- internals --------------------------------------------------------------------------------------


_LOOKUPS: dict[tuple[str, str | None, str], tuple[Provider, ModelInfo] | str] = {}
_CACHED_RATIOS: dict[tuple[str, str, date], Decimal | None] = {}  # (provider, model, day) -> cached/input


def _catalogue(
    provider: str, model_id: str, base_url: str | None, price_as: PriceAs | None = None
) -> tuple[Provider, ModelInfo] | str:
    """The catalogue's (provider, model) for our provider/model/base_url, or the model file's `price_as`,
    or why there is none. Cached."""
    if price_as is not None:
        billed_as = _catalogue(price_as.provider, price_as.model, None)
        if isinstance(billed_as, str):
            return f"its `price_as` ({price_as.provider} / {price_as.model}): {billed_as}"
        return billed_as
    key = (provider, base_url, model_id)
    found = _LOOKUPS.get(key)
    if found is None:
        found = _LOOKUPS[key] = _lookup(provider, model_id, base_url)
    return found


def _lookup(provider: str, model_id: str, base_url: str | None) -> tuple[Provider, ModelInfo] | str:
    if provider in LOCAL_PROVIDERS:
        return f"{provider} models have no catalogue price"
    try:
        # lazy: the price catalogue loads its data on import; only priced calls need it
        import genai_prices
    except ImportError:
        return "the genai-prices package is not installed"
    zero = genai_prices.Usage(input_tokens=0, output_tokens=0)
    provider_id = CATALOGUE_PROVIDERS.get(provider, provider)
    try:
        if base_url:
            # A base_url the catalogue does not know (a local server, a private gateway) is not guessed at.
            calc = genai_prices.calc_price(zero, model_id, provider_api_url=base_url)
        elif provider:
            calc = genai_prices.calc_price(zero, model_id, provider_id=provider_id)
        else:  # no provider given (`cost price MODEL_ID`): the catalogue's match on the model name
            calc = genai_prices.calc_price(zero, model_id)
    except LookupError as exc:
        return _not_found(str(exc), provider_id, model_id, base_url)
    except Exception as exc:  # a catalogue quirk must not fail a run: the price is just unknown
        return f"genai-prices could not price it: {type(exc).__name__}: {exc}"
    return calc.provider, calc.model


PRICE_AS_RULE = (
    "set `price_as: {provider: ..., model: ...}` (the catalogue model it is billed as) or `pricing`"
)


def _not_found(error: str, provider_id: str, model_id: str, base_url: str | None) -> str:
    """Why the catalogue has no price, in our terms rather than the catalogue's (its message as detail)."""
    if base_url and "provider" in error:
        return (
            f"the catalogue knows no API at {base_url} (a local server, gateway or proxy), so its prices "
            f"cannot be told from the model id; {PRICE_AS_RULE} in the model file"
        )
    if not provider_id:
        return f"the catalogue has no model matching {model_id!r}"
    if "Unable to find provider" in error:
        return f"the catalogue has no provider {provider_id!r}"
    return f"the catalogue has no model {model_id!r} of {provider_id}"


def _catalogue_version() -> str:
    # lazy: the price catalogue loads its data on import; only priced calls need it
    import genai_prices

    return f"genai-prices {genai_prices.__version__}"


def _genai_usage(usage: Usage) -> Any:
    # lazy: the price catalogue loads its data on import; only priced calls need it
    import genai_prices

    values: dict[str, int] = {
        "input_tokens": usage.input_tokens or 0,
        "output_tokens": usage.output_tokens or 0,
    }
    if usage.cached_input_tokens:
        values["cache_read_tokens"] = usage.cached_input_tokens
    if usage.cache_write_tokens:
        values["cache_write_tokens"] = usage.cache_write_tokens
    reasoning = usage.reasoning_tokens or 0
    if 0 < reasoning <= values["output_tokens"]:  # a part of output; priced apart only where listed apart
        values["output_reasoning_tokens"] = reasoning
    return genai_prices.Usage(**values)


def _base(prices: ModelPrice, key: str) -> Decimal | None:
    value = getattr(prices, key, None)
    if value is None:
        return None
    base = getattr(value, "base", value)
    return base if isinstance(base, Decimal) else Decimal(str(base))


def _is_tiered(prices: ModelPrice, key: str) -> bool:
    return hasattr(getattr(prices, key, None), "tiers")


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _override_hash(override: Pricing) -> str:
    """Identifies a pricing written in a model file: the hash of its prices as numbers."""
    numbers = {k: int(v) if v == v.to_integral_value() else float(v) for k, v in override.to_dict().items()}
    return f"pricing {content_hash(numbers, 12)}"
