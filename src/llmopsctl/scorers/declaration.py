"""The declaration of an assertion type: its name, its scorer function, and how `validate` checks it.

Every built-in scorer module declares its types in a `TYPES` tuple next to their functions; a plugin's
entry point (group `llmopsctl.scorers`) names one declaration the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.scorers.base import CheckEnv, Problem, ScoreContext

# (context, value, config) -> bool | number | {score, passed, reason} | Score; may be `async def`
ScorerFn = Callable[[ScoreContext, Any, dict[str, Any]], Any]
# (assertion, env) -> problems as (path inside the assertion, message); run by `llmopsctl validate`
CheckFn = Callable[[Assertion, CheckEnv], list[Problem]]


@dataclass(frozen=True)
class AssertionType:
    """One assertion type.

    `needs_value`: the scorer compares with `value`, or with the case's `expected` when the assertion has
    none. `negatable`: `not-<name>` is a type too. `check`: the static check `validate` runs on every
    assertion of this type (a `value` that is a Jinja2 template is only known at run time, so a check
    leaves it alone); None: nothing is checked beyond the type's name. `judge_calls`: the chat calls the
    scorer makes to the judge model named in `config.model` for each answer it grades (a run's cost
    estimate counts them at the judge's prices).
    """

    name: str
    score: ScorerFn
    needs_value: bool = True
    negatable: bool = True
    check: CheckFn | None = None
    judge_calls: int = 0

    def problems(self, assertion: Assertion, env: CheckEnv | None = None) -> list[Problem]:
        """What the static check finds wrong with an assertion of this type (nothing without a check)."""
        if self.check is None:
            return []
        return list(self.check(assertion, env or CheckEnv()))
