"""A cost estimate made before calls are sent, for a run's cost cap: rough on purpose, and says how."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from llmopsctl.core.format import money, tokens
from llmopsctl.cost.pricing import MILLION, SOURCE_OVERRIDE, PriceQuote

DEFAULT_OUTPUT_TOKENS = 256
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class EstimateItem:
    """One call still to make: the model it goes to, its prompt's size, its output limit and its prices."""

    model: str  # the model's name (models/<name>.yaml)
    chars: int  # rendered prompt characters
    max_tokens: int | None  # None: unset (DEFAULT_OUTPUT_TOKENS are assumed)
    quote: PriceQuote | None  # None: the model's price is unknown
    judge: bool = False  # a model-graded assertion's call to its judge model


@dataclass(frozen=True)
class CostEstimate:
    amount: Decimal  # USD for the calls with a known price; calls with an unknown price add nothing
    calls: int
    unknown: int  # calls whose price is unknown (not counted in amount)
    input_tokens: int
    output_tokens: int
    explanation: str
    sources: tuple[str, ...] = field(default=())
    judge_calls: int = 0  # of `calls`, the judge calls of model-graded assertions
    judge_amount: Decimal = Decimal(0)  # of `amount`
    unpriced: tuple[str, ...] = ()  # the models with calls of unknown price, by name

    @property
    def complete(self) -> bool:
        return self.unknown == 0


def price_source(model: str, quote: PriceQuote) -> str:
    """Where a model's prices come from, naming the model: "judge (its model file's pricing)"."""
    if quote.source == SOURCE_OVERRIDE:
        return f"{model} (its model file's pricing)"
    return f"{model} ({quote.version}: {quote.detail})" if quote.detail else f"{model} ({quote.version})"


def estimate_cost(
    items: Iterable[EstimateItem], *, default_output_tokens: int = DEFAULT_OUTPUT_TOKENS
) -> CostEstimate:
    """Estimate calls at list price: characters / 4 input tokens (all at the input price, no cache discount),
    and max_tokens output tokens (default_output_tokens where unset), so it errs on the high side."""
    amount = judge_amount = Decimal(0)
    calls = unknown = judges = input_total = output_total = defaulted = 0
    sources: dict[str, None] = {}
    unpriced: dict[str, None] = {}
    for item in items:
        calls += 1
        judges += item.judge
        tokens_in = -(-max(item.chars, 0) // CHARS_PER_TOKEN)
        defaulted += item.max_tokens is None
        tokens_out = max(item.max_tokens if item.max_tokens is not None else default_output_tokens, 0)
        input_total += tokens_in
        output_total += tokens_out
        quote = item.quote
        if quote is None or quote.input is None or quote.output is None:
            unknown += 1
            unpriced.setdefault(item.model)
            continue
        cost = (tokens_in * quote.input + tokens_out * quote.output) / MILLION
        amount += cost
        judge_amount += cost if item.judge else 0
        sources.setdefault(price_source(item.model, quote))
    explanation = _explain(
        amount, calls, unknown, judges, input_total, output_total, defaulted, default_output_tokens, sources
    )
    if unpriced:
        explanation += f" (unpriced: {', '.join(unpriced)})"
    return CostEstimate(
        amount=amount,
        calls=calls,
        unknown=unknown,
        input_tokens=input_total,
        output_tokens=output_total,
        explanation=explanation,
        sources=tuple(sources),
        judge_calls=judges,
        judge_amount=judge_amount,
        unpriced=tuple(unpriced),
    )


def _explain(
    amount: Decimal,
    calls: int,
    unknown: int,
    judges: int,
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
    made_of = f" ({calls - judges} graded, {judges} judge)" if judges else ""
    text = (
        f"estimated {money(amount)} for {calls - unknown} of {calls} calls{made_of}: "
        f"~{tokens(tokens_in)} input tokens "
        f"(prompt characters / {CHARS_PER_TOKEN}) and ~{tokens(tokens_out)} output tokens ({out_rule})"
    )
    if sources:
        text += f", at prices of {where}"
    if unknown:
        text += f"; {unknown} calls with unknown price not counted"
    return text
