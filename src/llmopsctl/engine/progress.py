"""A run's progress as the results come in."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

from llmopsctl.core.chat import ChatResponse
from llmopsctl.core.format import money


@dataclass
class Progress:
    total: int = 0
    done: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    cached: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal = Decimal(0)
    unknown_cost: int = 0
    known_cost: int = 0  # answers whose cost is known (0 for a cached or replayed one)
    judge_cost: Decimal = Decimal(0)  # the judge calls' known spend
    judge_calls: int = 0  # calls of model-graded assertions (judges, embeddings)
    judge_unknown_cost: int = 0  # of them, those of unknown cost
    stopped: str | None = None  # why the run stopped sending requests early (e.g. the cost cap)
    started: float = field(default_factory=time.monotonic)

    @property
    def spend(self) -> Decimal:
        return self.cost + self.judge_cost

    @property
    def eval_cost(self) -> Decimal | None:
        """The graded calls' spend, or None when none of them had a known cost."""
        return self.cost if self.known_cost else None

    @property
    def judge_spend(self) -> Decimal | None:
        """The judge calls' spend (0 without any), or None when none of them had a known cost."""
        if self.judge_calls and self.judge_unknown_cost == self.judge_calls:
            return None
        return self.judge_cost

    @property
    def total_cost(self) -> Decimal | None:
        """Graded and judge calls' known spend together; None when neither is known."""
        parts = [c for c in (self.eval_cost, self.judge_spend if self.judge_calls else None) if c is not None]
        return sum(parts, Decimal(0)) if parts else None

    def count(
        self,
        response: ChatResponse | None,
        cached: bool,
        cost: Decimal | None,
        error: str | None,
        passed: bool | None,
        *,
        judge_cost: Decimal,
        cap: Decimal | None,
        judge_calls: int = 0,
        judge_unknown_cost: int = 0,
    ) -> None:
        """Count one result; past the cost cap, say why the run stops sending."""
        self.done += 1
        if error is not None:
            self.errors += 1
        elif passed is False:
            self.failed += 1
        else:
            self.passed += 1
        if cached:
            self.cached += 1
        if response is not None:
            self.input_tokens += response.usage.input_tokens or 0
            self.output_tokens += response.usage.output_tokens or 0
            if cost is None:
                self.unknown_cost += 1
            else:
                self.known_cost += 1
                self.cost += cost
        self.judge_cost = judge_cost
        self.judge_calls, self.judge_unknown_cost = judge_calls, judge_unknown_cost
        if cap is not None and self.spend >= cap and not self.stopped and self.done < self.total:
            cap_text, spent = money(cap), money(self.spend)
            self.stopped = f"cost cap {cap_text} reached, {spent} spent"
