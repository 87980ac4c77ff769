"""What the calls a run still has to make would cost at list price, before any is sent (for its cost cap):
the graded calls, and the judge calls of their model-graded assertions.

A call is left out when nothing would be paid for it: its answer is in the response cache (its judge calls
are taken to be cached too: the same answer gets the same judge request), or its model answers locally
(python, echo, ollama without a price) or from a cassette (`eval --replay`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.cost.estimate import (
    CHARS_PER_TOKEN,
    DEFAULT_OUTPUT_TOKENS,
    CostEstimate,
    EstimateItem,
    estimate_cost,
)
from llmopsctl.cost.pricing import PriceQuote
from llmopsctl.engine.model_runtime import ModelRuntime
from llmopsctl.engine.plan import WorkItem
from llmopsctl.engine.requests import PreparedRequest, RequestPreparer, chunks
from llmopsctl.errors import LlmopsError
from llmopsctl.scorers.base import ScorerError
from llmopsctl.scorers.registry import resolve

CHUNK = 256  # items prepared and looked up in the cache together
JUDGE_INSTRUCTIONS_CHARS = (
    1_500  # a judge's own instructions: its system prompt and the frame around the data
)

CacheLookup = Callable[[list[str]], dict[str, Any]]


class RunEstimate:
    """Estimates the calls of a run's items; `cached` looks request hashes up in the response cache."""

    def __init__(
        self,
        runtimes: dict[str, ModelRuntime],
        preparer: RequestPreparer,
        cached: CacheLookup,
        use_cache: bool,
    ) -> None:
        self.runtimes = runtimes
        self.preparer = preparer
        self.cached = cached
        self.use_cache = use_cache
        self.now = datetime.now(timezone.utc)
        self._quotes: dict[str, PriceQuote | None] = {}

    def estimate(self, items: Iterable[WorkItem]) -> CostEstimate:
        calls: list[EstimateItem] = []
        for chunk in chunks(items, CHUNK):
            prepared = [self.preparer.prepare(item) for item in chunk]
            keys = [p.request_hash for p in prepared if p.request_hash is not None and self._cacheable(p)]
            hits = self.cached(keys) if keys and self.use_cache else {}
            for prep in prepared:
                if prep.messages is not None and prep.request_hash not in hits:
                    calls.extend(self._calls(prep))
        return estimate_cost(calls)

    def _calls(self, prep: PreparedRequest) -> Iterator[EstimateItem]:
        """The graded call of an item (unless nothing is paid for it), and its judge calls."""
        assert prep.messages is not None
        name = prep.item.model.name
        chars = sum(len(m["content"]) for m in prep.messages)
        max_tokens = _max_tokens(prep.params)
        if self._paid(name):
            yield EstimateItem(name, chars, max_tokens, self._quote(name))
        answer_chars = (max_tokens or DEFAULT_OUTPUT_TOKENS) * CHARS_PER_TOKEN
        for judge, assertion in judged_assertions(prep.item):
            if judge not in self.runtimes or not self._paid(judge):
                continue
            rubric = assertion.value if assertion.value is not None else assertion.config.get("rubric")
            judge_chars = JUDGE_INSTRUCTIONS_CHARS + len(str(rubric or "")) + chars + answer_chars
            judge_max = _max_tokens(self.runtimes[judge].params)
            yield EstimateItem(judge, judge_chars, judge_max, self._quote(judge), judge=True)

    def _cacheable(self, prep: PreparedRequest) -> bool:
        return self.runtimes[prep.item.model.name].cache

    def _paid(self, name: str) -> bool:
        """Whether calls of the model may be billed: not replayed, and not a local model without a price."""
        runtime = self.runtimes[name]
        return not runtime.replayed and (runtime.cache or self._quote(name) is not None)

    def _quote(self, name: str) -> PriceQuote | None:
        if name not in self._quotes:
            self._quotes[name] = self.runtimes[name].quote(self.now)
        return self._quotes[name]


def judged_assertions(item: WorkItem) -> list[tuple[str, Assertion]]:
    """(judge model, assertion) once per judge call the item's model-graded assertions make, those of
    assert-sets included."""
    found: list[tuple[str, Assertion]] = []

    def visit(assertions: Iterable[Assertion]) -> None:
        for assertion in assertions:
            if assertion.type == "assert-set":
                visit(assertion.members())
                continue
            model = assertion.config.get("model")
            try:
                spec, _ = resolve(assertion.type)
            except (ScorerError, LlmopsError):  # validate reports it; an estimate does not fail on it
                continue
            if isinstance(model, str) and spec.judge_calls:
                found.extend([(model.strip(), assertion)] * spec.judge_calls)

    visit(item.suite.asserts)
    visit(item.case.asserts)
    return found


def _max_tokens(params: Any) -> int | None:
    value = params.get("max_tokens") if isinstance(params, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
