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
    judge_cost: Decimal = Decimal(0)
    stopped: str | None = None  # why the run stopped sending requests early (e.g. the cost cap)
    started: float = field(default_factory=time.monotonic)

    @property
    def spend(self) -> Decimal:
        return self.cost + self.judge_cost

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
                self.cost += cost
        self.judge_cost = judge_cost
        if cap is not None and self.spend >= cap and not self.stopped and self.done < self.total:
            cap_text, spent = money(cap, "as_held"), money(self.spend, "fixed", digits=6)
            self.stopped = f"cost cap {cap_text} reached (spent {spent})"
