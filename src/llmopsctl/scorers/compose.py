"""`assert-set`: a group of assertions scored as one (their weighted mean).

`value` is a list of assertions written like any other (type, value, config, threshold, weight). Each runs
through the registry; a sub-assertion without `value` whose type compares with a value gets the case's
`expected`. Nothing is rendered again (a sub-assertion's `value` is used as written). The set passes when
the weighted score reaches `threshold` (config or the assertion's), else when every sub-assertion with a
weight above 0 passes; a sub-assertion with `required: true` that fails fails the set either way.

The type scores and checks its members through the registry that holds it, so the registry declares it
with `declare(resolve, run)`, handing over its own look-up and scoring functions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.scorers.base import CheckEnv, Problem, Score, ScoreContext, ScorerError, to_number, weighted
from llmopsctl.scorers.checking import threshold_problems
from llmopsctl.scorers.declaration import AssertionType

Resolve = Callable[[str], tuple[AssertionType, bool]]  # a type name -> (declaration, negated)
Run = Callable[[Assertion, ScoreContext], Awaitable[Score]]  # scores one assertion


def sub_assertions(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise ScorerError("`value` must be a non-empty list of assertions")
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise ScorerError(f"assertion {i} of the set has no `type`")
    return value


async def assert_set(ctx: ScoreContext, value: Any, config: dict[str, Any], run_assertion: Run) -> Score:
    rows: list[tuple[str, float, Score]] = []
    required_failed: list[str] = []
    for i, assertion in enumerate(sub_assertions(value)):
        type_name = str(assertion["type"])
        weight = to_number(assertion.get("weight", 1), f"`weight` of assertion {i} ({type_name})")
        if weight < 0:
            raise ScorerError(f"`weight` of assertion {i} ({type_name}) must be >= 0")
        try:
            score = await run_assertion(Assertion.from_mapping(assertion), ctx)
        except ScorerError as exc:
            raise ScorerError(f"[{i}] {type_name}: {exc}") from None
        rows.append((type_name, weight, score))
        if assertion.get("required") is True and not score.passed:
            required_failed.append(type_name)
    failed = [f"{name} ({score.reason})" for name, weight, score in rows if not score.passed and weight > 0]
    threshold = None
    if config.get("threshold") is not None:
        threshold = to_number(config["threshold"], "`threshold`")
    mean, passed = weighted([(score.value, weight, score.passed) for _, weight, score in rows], threshold)
    passed = passed and not required_failed
    if required_failed:
        how = f"weighted score {mean:.3f}, but required {', '.join(required_failed)} failed"
    elif threshold is not None:
        how = f"weighted score {mean:.3f} {'>=' if passed else '<'} threshold {threshold:g}"
    else:
        how = f"weighted score {mean:.3f}, {len(rows) - len(failed)} of {len(rows)} passed"
    detail = f"; failed: {'; '.join(failed[:3])}" if failed else ""
    return Score(max(0.0, min(1.0, mean)), passed, how + detail)


def check_assert_set(assertion: Assertion, env: CheckEnv, resolve: Resolve) -> list[Problem]:
    """A non-empty list of assertions, each checked by its own type's check (paths under `value`)."""
    value = assertion.value
    if not isinstance(value, list) or not value:
        return [(("value",) if value is not None else (), "`value` must be a non-empty list of assertions")]
    problems = threshold_problems(assertion, 0, 1)
    for i, sub in enumerate(value):
        if not isinstance(sub, dict) or not isinstance(sub.get("type"), str):
            problems.append((("value", i), "each assertion of the set needs a `type`"))
            continue
        if sub.get("threshold") is not None:
            try:
                to_number(sub["threshold"], "`threshold`")
            except ScorerError as exc:
                problems.append((("value", i, "threshold"), str(exc)))
        try:
            declared, _ = resolve(sub["type"])
        except ScorerError as exc:
            problems.append((("value", i, "type"), str(exc)))
            continue
        weight = sub.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            problems.append((("value", i, "weight"), f"`weight` must be a number >= 0, got {weight!r}"))
        if not isinstance(sub.get("required", False), bool):
            problems.append(
                (("value", i, "required"), f"`required` must be true or false, got {sub['required']!r}")
            )
        member = Assertion.from_mapping(sub)
        problems += [(("value", i, *where), message) for where, message in declared.problems(member, env)]
    return problems


def declare(resolve: Resolve, run: Run) -> AssertionType:
    """The `assert-set` type of a registry whose look-up is `resolve` and whose scoring is `run`."""

    async def score(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
        return await assert_set(ctx, value, config, run)

    def check(assertion: Assertion, env: CheckEnv) -> list[Problem]:
        return check_assert_set(assertion, env, resolve)

    return AssertionType("assert-set", score, needs_value=False, negatable=False, check=check)
