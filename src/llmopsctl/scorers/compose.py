"""`assert-set`: a group of assertions scored as one (their weighted mean).

`value` is a list of assertions written like any other (type, value, config, threshold, weight). Each runs
through the registry; a sub-assertion without `value` whose type compares with a value gets the case's
`expected`. Nothing is rendered again (a sub-assertion's `value` is used as written). The set passes when
the weighted score reaches `threshold` (config or the assertion's), else when every sub-assertion with a
weight above 0 passes.
"""

from __future__ import annotations

from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.scorers.base import Score, ScoreContext, ScorerError, to_number, weighted


def sub_assertions(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise ScorerError("`value` must be a non-empty list of assertions")
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise ScorerError(f"assertion {i} of the set has no `type`")
    return value


async def assert_set(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    from llmopsctl.scorers.registry import run_assertion

    rows: list[tuple[str, float, Score]] = []
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
    failed = [f"{name} ({score.reason})" for name, weight, score in rows if not score.passed and weight > 0]
    threshold = None
    if config.get("threshold") is not None:
        threshold = to_number(config["threshold"], "`threshold`")
    mean, passed = weighted([(score.value, weight, score.passed) for _, weight, score in rows], threshold)
    if threshold is not None:
        how = f"weighted score {mean:.3f} {'>=' if passed else '<'} threshold {threshold:g}"
    else:
        how = f"weighted score {mean:.3f}, {len(rows) - len(failed)} of {len(rows)} passed"
    detail = f"; failed: {'; '.join(failed[:3])}" if failed else ""
    return Score(max(0.0, min(1.0, mean)), passed, how + detail)
