"""Operational assertions: latency, cost and why the model stopped."""

from __future__ import annotations

from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.core.format import money
from llmopsctl.scorers.base import CheckEnv, Problem, Score, ScoreContext, ScorerError, is_template, to_number
from llmopsctl.scorers.checking import threshold_problems
from llmopsctl.scorers.declaration import AssertionType


def _maximum(value: Any, config: dict[str, Any], unit: str) -> float:
    raw = value if value is not None else config.get("threshold")
    if raw is None:
        raise ScorerError(f"needs a maximum in {unit}: `value` or `threshold`")
    limit = to_number(raw, f"the maximum ({unit})")
    if limit < 0:
        raise ScorerError(f"the maximum ({unit}) must be >= 0, got {raw!r}")
    return limit


def latency(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """The call took at most `value` (or `threshold`) milliseconds. A cached or replayed answer is checked
    with its original call's latency; an unknown latency (none was kept) fails."""
    limit = _maximum(value, config, "milliseconds")
    if ctx.latency_ms is None:
        return Score.of(False, "latency unknown")
    if ctx.latency_ms <= limit:
        return Score.of(True, f"latency {ctx.latency_ms:.0f} ms <= {limit:g} ms")
    return Score.of(False, f"latency {ctx.latency_ms:.0f} ms > {limit:g} ms")


def cost(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """The call costs at most `value` (or `threshold`) USD at list price: a cached or replayed answer is
    checked at its call's price, so the verdict does not depend on the cache. Unknown cost (no pricing)
    fails."""
    limit = _maximum(value, config, "USD")
    if ctx.cost_usd is None:
        return Score.of(False, "cost unknown")
    if ctx.cost_usd <= limit + 1e-12:
        return Score.of(True, f"cost {money(ctx.cost_usd)} <= {money(limit)}")
    return Score.of(False, f"cost {money(ctx.cost_usd)} > {money(limit)}")


def finish_reasons(value: Any) -> list[str]:
    if isinstance(value, str) and value.strip():
        return [value.strip()]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value]
    raise ScorerError("needs a `value`: the expected finish reason (e.g. stop) or a list of them")


def finish_reason(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """The provider's finish reason is `value` (or one of a list); compared without case."""
    wanted = finish_reasons(value)
    if ctx.finish_reason is None:
        return Score.of(False, "finish reason unknown")
    got = ctx.finish_reason.strip()
    if got.casefold() in {w.casefold() for w in wanted}:
        return Score.of(True, f"finish reason {got!r}")
    return Score.of(False, f"finish reason {got!r}, expected {' or '.join(repr(w) for w in wanted)}")


def check_maximum(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """The maximum (latency in ms, cost in USD), in `value` or `threshold`: a number >= 0."""
    value = assertion.value
    if value is None:
        if assertion.threshold is None and assertion.config.get("threshold") is None:
            return [((), "needs the maximum: `value` or `threshold`")]
        return threshold_problems(assertion, 0, None)
    if is_template(value):
        return []
    try:
        number = to_number(value, "`value`")
    except ScorerError as exc:
        return [(("value",), str(exc))]
    return [(("value",), f"`value` must be >= 0, got {value!r}")] if number < 0 else []


def check_finish_reason(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """`value` is a finish reason or a non-empty list of them."""
    value = assertion.value
    if is_template(value):
        return []
    try:
        finish_reasons(value)
    except ScorerError as exc:
        return [(("value",) if value is not None else (), str(exc))]
    return []


TYPES = (
    AssertionType("latency", latency, needs_value=False, negatable=False, check=check_maximum),
    AssertionType("cost", cost, needs_value=False, negatable=False, check=check_maximum),
    AssertionType("finish-reason", finish_reason, needs_value=False, check=check_finish_reason),
)
