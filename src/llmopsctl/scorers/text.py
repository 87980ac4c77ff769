"""Deterministic text assertions."""

from __future__ import annotations

import re
from typing import Any

from llmopsctl.scorers.base import Score, ScoreContext, ScorerError, shorten


def _text(value: Any) -> str:
    if value is None:
        raise ScorerError("needs a `value` (or the case's `expected`)")
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def equals(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    want = _text(value)
    got = ctx.output.strip() if config.get("strip", True) else ctx.output
    target = want.strip() if config.get("strip", True) else want
    if got == target:
        return Score.of(True, "output equals the expected text")
    return Score.of(False, f"expected {shorten(target)!r}, got {shorten(got)!r}")


def contains(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    want = _text(value)
    if want in ctx.output:
        return Score.of(True, f"output contains {shorten(want)!r}")
    return Score.of(False, f"output does not contain {shorten(want)!r}")


def icontains(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    want = _text(value)
    if want.casefold() in ctx.output.casefold():
        return Score.of(True, f"output contains {shorten(want)!r} (ignoring case)")
    return Score.of(False, f"output does not contain {shorten(want)!r} (ignoring case)")


def compile_regex(pattern: str, config: dict[str, Any]) -> re.Pattern[str]:
    flags = 0
    for flag in str(config.get("flags", "")):
        flags |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}.get(flag, 0)
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ScorerError(f"invalid regular expression {pattern!r}: {exc}") from None


def regex(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    pattern = compile_regex(_text(value), config)
    match = pattern.search(ctx.output)
    if match:
        return Score.of(True, f"matched {shorten(match.group(0))!r}")
    return Score.of(False, f"no match for /{shorten(pattern.pattern)}/")
