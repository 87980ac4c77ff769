"""The one registry of assertion types: the declarations of the built-in scorer modules and the plugins'.

A plugin is an entry point of the group `llmopsctl.scorers`, named like its type, that points at an
`AssertionType` declaration, or at a plain scorer function (taken as a type that compares with no value
and can be negated). Plugins are listed once per process and loaded when their type is first resolved.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.core.suggest import did_you_mean
from llmopsctl.errors import ConfigError
from llmopsctl.scorers import (
    compose,
    custom,
    judge,
    operational,
    reference,
    semantic,
    similarity,
    structure,
    text,
)
from llmopsctl.scorers.base import Score, ScoreContext, ScorerError, coerce
from llmopsctl.scorers.declaration import AssertionType

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "llmopsctl.scorers"
NEGATION = "not-"

# Each declares its types in `TYPES`; this order is the order of the built-in types (in the JSON Schemas).
# `validate` imports them all to check assertions, so what only some scorers or checks need (jsonschema,
# asyncio, the verdict parser, ...) is imported inside the functions that use it.
# assert-set (compose) comes last: it is declared at the end of this module, with this registry's functions.
BUILTIN_MODULES = (text, similarity, structure, reference, operational, judge, semantic, custom)


def by_name(declarations: Iterable[AssertionType]) -> dict[str, AssertionType]:
    """The declarations by name, in order; a name declared twice is a bug (ValueError)."""
    found: dict[str, AssertionType] = {}
    for declaration in declarations:
        if not isinstance(declaration, AssertionType):
            raise ValueError(f"not an AssertionType: {declaration!r}")
        if declaration.name in found:
            raise ValueError(f"assertion type {declaration.name!r} is declared twice")
        found[declaration.name] = declaration
    return found


def _origin(entry: EntryPoint) -> str:
    """`name = value` of an entry point and the distribution that declares it, for messages."""
    dist = entry.dist
    where = f"{dist.name} {dist.version}" if dist is not None else "an unknown distribution"
    return f"{entry.name} = {entry.value!r} (from {where})"


def _negates_builtin(name: str) -> bool:
    """`not-<built-in>`: the name of a built-in type's negation."""
    base = name.removeprefix(NEGATION)
    return base != name and base in BUILTINS and BUILTINS[base].negatable


@cache
def plugin_entry_points() -> dict[str, EntryPoint]:
    """The plugins' entry points by type name, not loaded. A plugin that takes a built-in's name, or one
    that another plugin has, is a ConfigError: which of the two would run is not for a name to decide."""
    # lazy: reading the installed distributions' metadata is slow; only plugin look-ups need it
    from importlib.metadata import entry_points

    found: dict[str, EntryPoint] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in BUILTINS or _negates_builtin(entry.name):
            raise ConfigError(
                f"the assertion type plugin {_origin(entry)} has the name of a built-in assertion type "
                "or of its negation",
                hint=f"rename the plugin's entry point (group {ENTRY_POINT_GROUP!r}) or uninstall it",
            )
        if entry.name in found:
            raise ConfigError(
                f"two assertion type plugins are named {entry.name!r}: "
                f"{_origin(found[entry.name])} and {_origin(entry)}",
                hint="uninstall one of them, or rename its entry point",
            )
        found[entry.name] = entry
    return found


@cache
def plugin(name: str) -> AssertionType:
    """The declaration of the plugin type `name`, its entry point loaded on first use."""
    entry = plugin_entry_points()[name]
    try:
        target = entry.load()
    except (ImportError, AttributeError) as exc:
        raise ScorerError(f"cannot load assertion type {name!r} from {entry.value}: {exc}") from None
    if isinstance(target, AssertionType):
        if target.name != name:
            raise ConfigError(
                f"the assertion type plugin {_origin(entry)} declares the type {target.name!r}",
                hint=f"name the entry point {target.name!r}, as the declaration does",
            )
        return target
    if callable(target):
        return AssertionType(name, target, needs_value=False)
    raise ConfigError(
        f"the assertion type plugin {_origin(entry)} is a {type(target).__name__}, "
        "neither an AssertionType nor a function",
        hint="point the entry point at an llmopsctl.scorers.declaration.AssertionType",
    )


def _declared(name: str) -> AssertionType | None:
    if name in BUILTINS:
        return BUILTINS[name]
    if name in plugin_entry_points():
        return plugin(name)
    return None


def resolve(type_name: str) -> tuple[AssertionType, bool]:
    """The declaration of an assertion type and whether it is negated (`not-` prefix)."""
    plugin_entry_points()  # a broken plugin set-up is reported whatever the type
    found = _declared(type_name)
    if found is not None:
        return found, False
    if type_name.startswith(NEGATION):
        found = _declared(type_name[len(NEGATION) :])
        if found is not None:
            if not found.negatable:
                raise ScorerError(f"assertion type {found.name!r} cannot be negated")
            return found, True
    raise ScorerError(f"unknown assertion type {type_name!r}{did_you_mean(type_name, known_types())}")


def _negatable(name: str) -> bool:
    """Whether `not-<name>` is a type; a plugin that cannot be loaded counts as not negatable."""
    try:
        found = _declared(name)
    except Exception:  # a plugin that cannot even be imported: it is listed, not negated
        return False
    return found is not None and found.negatable


def known_types() -> list[str]:
    """Every type name, built-in and plugin, then the negated names."""
    names = sorted([*BUILTINS, *plugin_entry_points()])
    return names + [NEGATION + name for name in names if _negatable(name)]


async def run_scorer(
    assertion_type: AssertionType, negate: bool, ctx: ScoreContext, value: Any, config: dict[str, Any]
) -> Score:
    """Run one scorer; scorer functions may be plain or `async def` (model-graded ones call models)."""
    result = assertion_type.score(ctx, value, config)
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
    assertion_type, negate = resolve(assertion.type)
    value = assertion.value
    if value is None and assertion_type.needs_value:
        value = ctx.expected
    config = assertion.options()
    return await run_scorer(assertion_type, negate, ctx, render(value) if render else value, config)


# is-sql is left out on purpose: no well-kept pure-Python SQL parser is available as a dependency here,
# and a regex "parser" would pass broken SQL. A project can add it as a plugin (entry point).
BUILTINS: dict[str, AssertionType] = by_name(
    [
        *(declaration for module in BUILTIN_MODULES for declaration in module.TYPES),
        compose.declare(resolve, run_assertion),
    ]
)
