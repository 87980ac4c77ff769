"""The one registry of assertion types. Built-ins register exactly as plugins do (by import path)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from llmopsctl.scorers.base import Score, ScoreContext, ScorerError, coerce

ScorerFn = Callable[[ScoreContext, Any, dict[str, Any]], Any]
ENTRY_POINT_GROUP = "llmopsctl.scorers"
NEGATION = "not-"


@dataclass(frozen=True)
class ScorerSpec:
    name: str
    target: str  # "module:function"
    needs_value: bool = True  # compares with `value`, or the case's `expected` when absent
    negatable: bool = True

    def load(self) -> ScorerFn:
        module_name, _, attr = self.target.partition(":")
        try:
            fn: ScorerFn = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ScorerError(f"cannot load assertion type {self.name!r} from {self.target}: {exc}") from None
        return fn


BUILTINS: dict[str, ScorerSpec] = {
    spec.name: spec
    for spec in (
        ScorerSpec("equals", "llmopsctl.scorers.text:equals"),
        ScorerSpec("contains", "llmopsctl.scorers.text:contains"),
        ScorerSpec("icontains", "llmopsctl.scorers.text:icontains"),
        ScorerSpec("regex", "llmopsctl.scorers.text:regex"),
        ScorerSpec("is-json", "llmopsctl.scorers.structure:is_json", needs_value=False),
    )
}


@cache
def registry() -> dict[str, ScorerSpec]:
    """Built-ins plus third-party types from the `llmopsctl.scorers` entry point group."""
    from importlib.metadata import entry_points

    found = dict(BUILTINS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in found:
            found[ep.name] = ScorerSpec(ep.name, ep.value, needs_value=False)
    return found


def resolve(type_name: str) -> tuple[ScorerSpec, bool]:
    """The spec for an assertion type and whether it is negated (`not-` prefix)."""
    specs = registry()
    if type_name in specs:
        return specs[type_name], False
    if type_name.startswith(NEGATION) and type_name[len(NEGATION) :] in specs:
        spec = specs[type_name[len(NEGATION) :]]
        if not spec.negatable:
            raise ScorerError(f"assertion type {spec.name!r} cannot be negated")
        return spec, True
    from llmopsctl.project.schemacheck import did_you_mean

    raise ScorerError(f"unknown assertion type {type_name!r}{did_you_mean(type_name, known_types())}")


def known_types() -> list[str]:
    names = sorted(registry())
    return names + [NEGATION + n for n in names if registry()[n].negatable]


async def run_scorer(
    spec: ScorerSpec, negate: bool, ctx: ScoreContext, value: Any, config: dict[str, Any]
) -> Score:
    """Run one scorer; scorer functions may be plain or `async def` (model-graded ones call models)."""
    result = spec.load()(ctx, value, config)
    if inspect.isawaitable(result):
        result = await result
    score = coerce(result, threshold=float(config.get("threshold", 0.5)))
    if negate:
        return Score(1.0 - score.value, not score.passed, f"not: {score.reason}")
    return score
