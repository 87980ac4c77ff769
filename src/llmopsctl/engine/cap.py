"""A run's cost cap before anything is sent: a cap cannot hold the spend of models without a price, and a
run whose estimate is over its cap does not start."""

from __future__ import annotations

from decimal import Decimal

from llmopsctl.core.format import money
from llmopsctl.cost.estimate import CostEstimate
from llmopsctl.errors import CostCapExceeded, UsageError

PRICE_HINT = (
    "give {them} a price in {files}: `pricing: {{input: ..., output: ...}}` (USD per million tokens), or "
    "`price_as: {{provider: openai, model: gpt-4o-mini}}` for a model behind a gateway or proxy; or pass "
    "--allow-unpriced to cap only the calls that have a price"
)


def refuse_unpriced(estimate: CostEstimate, cap: Decimal, *, allowed: bool) -> None:
    """A UsageError when calls to make have no price (the cap cannot count them), unless `allowed`."""
    if not estimate.unpriced or allowed:
        return
    names = ", ".join(estimate.unpriced)
    files = ", ".join(f"models/{name}.yaml" for name in estimate.unpriced)
    them = "it" if len(estimate.unpriced) == 1 else "them"
    raise UsageError(
        f"the cost cap of {money(cap)} cannot hold: {estimate.unknown} of the {estimate.calls} calls to make "
        f"go to models without a price ({names}), whose spend it cannot count",
        hint=PRICE_HINT.format(them=them, files=files),
    )


def refuse_over_cap(estimate: CostEstimate, cap: Decimal, *, resumed: str | None) -> None:
    """CostCapExceeded when the estimate is over the cap, saying how it was made (its only mention)."""
    if estimate.amount <= cap:
        return
    again = f"`llmopsctl eval --resume {resumed} --max-cost USD`" if resumed else "a higher --max-cost"
    raise CostCapExceeded(
        f"the run would cost about {money(estimate.amount)}, over its cap of {money(cap)}; "
        f"{estimate.explanation}",
        hint=f"run it with {again} (or raise the suite's max_cost), or fewer cases with --sample/--case",
    )
