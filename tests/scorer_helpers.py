"""Run one assertion type's scorer synchronously, as the engine would, for the scorer unit tests."""

from __future__ import annotations

import asyncio
from typing import Any

from llmopsctl.scorers.base import Score, ScoreContext
from llmopsctl.scorers.registry import resolve, run_scorer


def run(
    type_name: str, output: str = "", value: Any = None, config: dict[str, Any] | None = None, **ctx: Any
) -> Score:
    """The Score of `type_name` (a `not-` prefix negates) on `output`; `ctx`: other ScoreContext fields."""
    spec, negate = resolve(type_name)
    context = ScoreContext(output=output, **ctx)
    return asyncio.run(run_scorer(spec, negate, context, value, dict(config or {})))
