"""Deterministic text assertions: equality, substrings, prefixes, regular expressions, counts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.scorers.base import (
    CheckEnv,
    Problem,
    Score,
    ScoreContext,
    ScorerError,
    as_text,
    is_template,
    shorten,
    to_number,
)
from llmopsctl.scorers.checking import Where, given_option, literal
from llmopsctl.scorers.declaration import AssertionType
from llmopsctl.scorers.structure import extract_json

REGEX_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def equals(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """The output equals `value` (surrounding whitespace ignored unless `strip: false`).

    A dict or list `value` is compared with the output parsed as JSON (key order and spacing ignored).
    """
    if isinstance(value, (dict, list)):
        try:
            if extract_json(ctx.output) == value:
                return Score.of(True, "output equals the expected JSON")
        except (ValueError, RecursionError):
            pass
    want = as_text(value)
    strip = config.get("strip", True)
    got = ctx.output.strip() if strip else ctx.output
    target = want.strip() if strip else want
    if got == target:
        return Score.of(True, "output equals the expected text")
    return Score.of(False, f"expected {shorten(target)!r}, got {shorten(got)!r}")


def contains(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    want = as_text(value)
    if want in ctx.output:
        return Score.of(True, f"output contains {shorten(want)!r}")
    return Score.of(False, f"output does not contain {shorten(want)!r}")


def icontains(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    want = as_text(value)
    if want.casefold() in ctx.output.casefold():
        return Score.of(True, f"output contains {shorten(want)!r} (ignoring case)")
    return Score.of(False, f"output does not contain {shorten(want)!r} (ignoring case)")


def _needles(value: Any) -> list[str]:
    """The strings of a contains-all / contains-any: a list (a single string is a list of one)."""
    if value is None:
        raise ScorerError("needs a `value`: a list of strings (or the case's `expected`)")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value:
        return [as_text(v) for v in value]
    raise ScorerError(f"`value` must be a non-empty list of strings, got {shorten(repr(value))}")


def _found(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> tuple[list[str], list[str]]:
    needles = _needles(value)
    if config.get("ignore_case"):
        haystack = ctx.output.casefold()
        hits = [n for n in needles if n.casefold() in haystack]
    else:
        hits = [n for n in needles if n in ctx.output]
    return needles, hits


def contains_all(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """Every string of `value` occurs in the output; the score is the fraction that do."""
    needles, hits = _found(ctx, value, config)
    missing = [n for n in needles if n not in hits]
    score = len(hits) / len(needles)
    if not missing:
        return Score(1.0, True, f"output contains all {len(needles)} strings")
    shown = ", ".join(repr(shorten(m, 40)) for m in missing[:5])
    return Score(score, False, f"output lacks {len(missing)} of {len(needles)}: {shown}")


def contains_any(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    needles, hits = _found(ctx, value, config)
    if hits:
        return Score.of(True, f"output contains {shorten(hits[0])!r}")
    return Score.of(False, f"output contains none of {len(needles)} strings")


def starts_with(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """The output starts with `value` (leading whitespace of the output ignored unless `strip: false`)."""
    want = as_text(value)
    got = ctx.output.lstrip() if config.get("strip", True) else ctx.output
    if got.startswith(want):
        return Score.of(True, f"output starts with {shorten(want)!r}")
    return Score.of(
        False, f"output starts with {shorten(got[: max(len(want), 20)])!r}, not {shorten(want)!r}"
    )


def compile_regex(pattern: str, config: Mapping[str, Any]) -> re.Pattern[str]:
    flags = 0
    for flag in str(config.get("flags", "")):
        if flag not in REGEX_FLAGS:
            raise ScorerError(f"unknown regex flag {flag!r} (known: {', '.join(REGEX_FLAGS)})")
        flags |= REGEX_FLAGS[flag]
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ScorerError(f"invalid regular expression {pattern!r}: {exc}") from None


def regex(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    pattern = compile_regex(as_text(value), config)
    match = pattern.search(ctx.output)
    if match:
        return Score.of(True, f"matched {shorten(match.group(0))!r}")
    return Score.of(False, f"no match for /{shorten(pattern.pattern)}/")


def bounds(value: Any, config: dict[str, Any]) -> tuple[float | None, float | None]:
    """(min, max) from `value` (a number: exactly that; a dict {min, max}) over `config` {min, max}."""
    if value is not None and not isinstance(value, dict):
        exact = to_number(value, "`value`")
        return exact, exact
    merged = {**config, **(value or {})}
    low = None if merged.get("min") is None else to_number(merged["min"], "`min`")
    high = None if merged.get("max") is None else to_number(merged["max"], "`max`")
    if low is None and high is None:
        raise ScorerError("needs `min` and/or `max` (in `config` or a dict `value`), or a number `value`")
    if low is not None and high is not None and low > high:
        raise ScorerError(f"`min` ({low:g}) is greater than `max` ({high:g})")
    return low, high


def _in_bounds(count: int, unit: str, value: Any, config: dict[str, Any]) -> Score:
    low, high = bounds(value, config)
    if low is not None and count < low:
        return Score.of(False, f"{count} {unit}, fewer than the minimum {low:g}")
    if high is not None and count > high:
        return Score.of(False, f"{count} {unit}, more than the maximum {high:g}")
    limits = " and ".join(
        part
        for part in (f"min {low:g}" if low is not None else "", f"max {high:g}" if high is not None else "")
        if part
    )
    return Score.of(True, f"{count} {unit} ({limits})")


def word_count(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """Number of whitespace-separated words within {min, max} (or exactly a number `value`)."""
    return _in_bounds(len(ctx.output.split()), "words", value, config)


def length(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """Number of characters (Unicode code points) within {min, max} (or exactly a number `value`)."""
    return _in_bounds(len(ctx.output), "characters", value, config)


# -- static checks ----------------------------------------------------------------------------------


def check_text(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """`value` is one string, not a list or a mapping."""
    known, value = literal(assertion)
    if known and isinstance(value, (list, dict)):
        hint = "; for several strings use contains-all or contains-any" if isinstance(value, list) else ""
        return [
            (
                ("value",),
                f"`value` must be a string, not a {'list' if isinstance(value, list) else 'mapping'}{hint}",
            )
        ]
    return []


def check_list(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """`value` is a string or a non-empty list of strings."""
    known, value = literal(assertion)
    if not known or isinstance(value, str):
        return []
    if not isinstance(value, list) or not value:
        return [(("value",), "`value` must be a non-empty list of strings")]
    return [
        (("value", i), "each item must be a string")
        for i, v in enumerate(value)
        if isinstance(v, (dict, list))
    ]


def check_regex(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """`config.flags` are known flags and a literal `value` compiles as a regular expression."""
    config = assertion.config
    try:
        compile_regex("", config)
    except ScorerError as exc:
        return [(("config", "flags"), str(exc))]
    known, value = literal(assertion)
    if known and isinstance(value, str):
        try:
            compile_regex(value, config)
        except ScorerError as exc:
            return [(("value",), str(exc))]
    return []


def check_bounds(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """An exact count (a number `value`) or `min` and/or `max`, each >= 0, `min` not above `max`."""
    value = assertion.value
    if value is not None and not isinstance(value, dict):
        if is_template(value):
            return []
        try:
            exact = to_number(value, "`value`")
        except ScorerError as exc:
            return [(("value",), f"{exc} (or a mapping with `min` and/or `max`)")]
        return [(("value",), "`value` must be >= 0")] if exact < 0 else []
    found: dict[str, tuple[Where, float]] = {}
    problems: list[Problem] = []
    for key in ("min", "max"):
        option = given_option(assertion, key)
        if option is None or option[1] is None:
            continue
        try:
            number = to_number(option[1], f"`{key}`")
        except ScorerError as exc:
            problems.append((option[0], str(exc)))
            continue
        if number < 0:
            problems.append((option[0], f"`{key}` must be >= 0, got {option[1]!r}"))
        found[key] = (option[0], number)
    if not found and not problems:
        return [((), "needs `min` and/or `max` (in `config`), or a number `value`")]
    if "min" in found and "max" in found and found["min"][1] > found["max"][1]:
        problems.append(
            (found["min"][0], f"`min` ({found['min'][1]:g}) is greater than `max` ({found['max'][1]:g})")
        )
    return problems


TYPES = (
    AssertionType("equals", equals),
    AssertionType("contains", contains, check=check_text),
    AssertionType("icontains", icontains, check=check_text),
    AssertionType("contains-all", contains_all, check=check_list),
    AssertionType("contains-any", contains_any, check=check_list),
    AssertionType("starts-with", starts_with, check=check_text),
    AssertionType("regex", regex, check=check_regex),
    AssertionType("word-count", word_count, needs_value=False, check=check_bounds),
    AssertionType("length", length, needs_value=False, check=check_bounds),
)
