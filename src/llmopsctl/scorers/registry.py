"""The one registry of assertion types. Built-ins register exactly as plugins do (by import path)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.scorers.base import CheckEnv, Problem, Score, ScoreContext, ScorerError, coerce

ScorerFn = Callable[[ScoreContext, Any, dict[str, Any]], Any]
CheckFn = Callable[[Assertion, CheckEnv], list[Problem]]
ENTRY_POINT_GROUP = "llmopsctl.scorers"
NEGATION = "not-"


@dataclass(frozen=True)
class ScorerSpec:
    name: str
    target: str  # "module:function"
    needs_value: bool = True  # compares with `value`, or the case's `expected` when absent
    negatable: bool = True
    # "module:function" of a static check: (assertion dict, CheckEnv) -> list of (path in the assertion,
    # message), run by `llmopsctl validate`; None: no check beyond the type's name
    check: str | None = None

    def load(self) -> ScorerFn:
        try:
            return _import_target(self.target)
        except (ImportError, AttributeError) as exc:
            raise ScorerError(f"cannot load assertion type {self.name!r} from {self.target}: {exc}") from None

    def problems(self, assertion: Assertion, env: CheckEnv | None = None) -> list[Problem]:
        """What the static check finds wrong with an assertion of this type (nothing without a check)."""
        if self.check is None:
            return []
        module_name, _, attr = self.check.partition(":")
        check: CheckFn = getattr(importlib.import_module(module_name), attr)
        return list(check(assertion, env or CheckEnv()))


@cache
def _import_target(target: str) -> ScorerFn:
    """The function `module:function` names, imported once (scorers run for every case)."""
    module_name, _, attr = target.partition(":")
    fn: ScorerFn = getattr(importlib.import_module(module_name), attr)
    return fn


_T = "llmopsctl.scorers.text:"
_SIM = "llmopsctl.scorers.similarity:"
_ST = "llmopsctl.scorers.structure:"
_REF = "llmopsctl.scorers.reference:"
_OP = "llmopsctl.scorers.operational:"
_J = "llmopsctl.scorers.judge:"
_C = "llmopsctl.scorers.checks:"


def _spec(
    name: str, target: str, check: str | None, *, value: bool = True, negatable: bool = True
) -> ScorerSpec:
    return ScorerSpec(
        name, target, needs_value=value, negatable=negatable, check=_C + check if check else None
    )


# is-sql is left out on purpose: no well-kept pure-Python SQL parser is available as a dependency here,
# and a regex "parser" would pass broken SQL. A project can add it as a plugin (entry point).
BUILTINS: dict[str, ScorerSpec] = {
    spec.name: spec
    for spec in (
        # text
        _spec("equals", _T + "equals", None),
        _spec("contains", _T + "contains", "check_text"),
        _spec("icontains", _T + "icontains", "check_text"),
        _spec("contains-all", _T + "contains_all", "check_list"),
        _spec("contains-any", _T + "contains_any", "check_list"),
        _spec("starts-with", _T + "starts_with", "check_text"),
        _spec("regex", _T + "regex", "check_regex"),
        _spec("word-count", _T + "word_count", "check_bounds", value=False),
        _spec("length", _T + "length", "check_bounds", value=False),
        _spec("levenshtein", _SIM + "levenshtein", "check_distance"),
        _spec("similarity-ratio", _SIM + "similarity_ratio", "check_unit_threshold"),
        # structure
        _spec("is-json", _ST + "is_json", None, value=False),
        _spec("json-schema", _ST + "json_schema", "check_json_schema", value=False),
        _spec("json-path", _ST + "json_path", "check_json_path", value=False),
        _spec("is-valid-tool-call", _ST + "is_valid_tool_call", "check_tools", value=False),
        # overlap with a reference
        _spec("rouge-l", _REF + "rouge_l", "check_unit_threshold"),
        _spec("bleu", _REF + "bleu", "check_unit_threshold"),
        _spec("f1", _REF + "f1", "check_unit_threshold"),
        # operational
        _spec("latency", _OP + "latency", "check_maximum", value=False, negatable=False),
        _spec("cost", _OP + "cost", "check_maximum", value=False, negatable=False),
        _spec("finish-reason", _OP + "finish_reason", "check_finish_reason", value=False),
        # model-graded and semantic
        _spec("llm-judge", _J + "llm_judge", "check_llm_judge", value=False, negatable=False),
        _spec("factuality", _J + "factuality", "check_factuality", negatable=False),
        _spec("answer-relevance", _J + "answer_relevance", "check_model", value=False, negatable=False),
        _spec("similar", "llmopsctl.scorers.semantic:similar", "check_model"),
        # custom and composition
        _spec("python", "llmopsctl.scorers.custom:python", "check_python", value=False),
        _spec(
            "assert-set",
            "llmopsctl.scorers.compose:assert_set",
            "check_assert_set",
            value=False,
            negatable=False,
        ),
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
    from llmopsctl.core.suggest import did_you_mean

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
    try:
        threshold = float(config.get("threshold", 0.5))
    except (TypeError, ValueError):
        threshold = 0.5  # a scorer that reads `threshold` reports a bad one itself
    score = coerce(result, threshold=threshold)
    if negate:
        return Score(1.0 - score.value, not score.passed, f"not: {score.reason}")
    return score


async def run_assertion(
    assertion: Assertion, ctx: ScoreContext, render: Callable[[Any], Any] | None = None
) -> Score:
    """Score `ctx.output` by one assertion as written (type, value, config, threshold).

    A type that compares with a value gets the case's `expected` when the assertion has no `value`;
    `render`, when given, makes the value used of the one written (e.g. rendering a template).
    """
    spec, negate = resolve(assertion.type)
    value = assertion.value
    if value is None and spec.needs_value:
        value = ctx.expected
    config = assertion.options()
    return await run_scorer(spec, negate, ctx, render(value) if render else value, config)
