"""A cost estimate made before calls are sent, for a run's cost cap: rough on purpose, and says how."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from llmopsctl.core.format import money, tokens
from llmopsctl.cost.pricing import MILLION, PriceQuote

DEFAULT_OUTPUT_TOKENS = 256
CHARS_PER_TOKEN = 4

EstimateItem = tuple[int, int | None, PriceQuote | None]
"""(rendered prompt characters, max_tokens or None, the price quote or None when the price is unknown)"""


@dataclass(frozen=True)
class CostEstimate:
    amount: Decimal  # USD for the calls with a known price; calls with an unknown price add nothing
    calls: int
    unknown: int  # calls whose price is unknown (not counted in amount)
    input_tokens: int
    output_tokens: int
    explanation: str
    sources: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return self.unknown == 0


def estimate_cost(
    items: Iterable[EstimateItem], *, default_output_tokens: int = DEFAULT_OUTPUT_TOKENS
) -> CostEstimate:
    """Estimate calls at list price: characters / 4 input tokens (all at the input price, no cache discount),
    and max_tokens output tokens (default_output_tokens where unset), so it errs on the high side."""
    amount = Decimal(0)
    calls = unknown = input_total = output_total = 0
    defaulted = 0
    sources: dict[str, None] = {}
    for chars, max_tokens, quote in items:
        calls += 1
        tokens_in = -(-max(chars, 0) // CHARS_PER_TOKEN)
        if max_tokens is None:
            defaulted += 1
        tokens_out = max(max_tokens if max_tokens is not None else default_output_tokens, 0)
        input_total += tokens_in
        output_total += tokens_out
        if quote is None or quote.input is None or quote.output is None:
            unknown += 1
            continue
        amount += (tokens_in * quote.input + tokens_out * quote.output) / MILLION
        sources.setdefault(f"{quote.version} ({quote.detail})" if quote.detail else quote.version)
    return CostEstimate(
        amount=amount,
        calls=calls,
        unknown=unknown,
        input_tokens=input_total,
        output_tokens=output_total,
        explanation=_explain(
            amount, calls, unknown, input_total, output_total, defaulted, default_output_tokens, sources
        ),
        sources=tuple(sources),
    )


def _explain(
    amount: Decimal,
    calls: int,
    unknown: int,
    tokens_in: int,
    tokens_out: int,
    defaulted: int,
    default_out: int,
    sources: dict[str, None],
) -> str:
    if calls == 0:
        return "estimated $0 for 0 calls"
    out_rule = "max_tokens" if not defaulted else f"max_tokens, {default_out} where unset"
    where = ", ".join(list(sources)[:3]) + (f" and {len(sources) - 3} more" if len(sources) > 3 else "")
    text = (
        f"estimated {money(amount, 'estimate')} for {calls - unknown} of {calls} calls: "
        f"~{tokens(tokens_in)} input tokens "
        f"(prompt characters / {CHARS_PER_TOKEN}) and ~{tokens(tokens_out)} output tokens ({out_rule})"
    )
    if sources:
        text += f", at prices from {where}"
    if unknown:
        text += f"; {unknown} calls with unknown price not counted"
    return text
