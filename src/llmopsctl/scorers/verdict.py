"""Read a judge model's verdict out of its reply, and only a verdict that is the judge's own.

A verdict is a JSON object that is the whole reply or ends it (maybe in a code fence, maybe after the
judge's reasoning): `{"score": ..., "reason": ...}` or `{"choice": "C", "reason": ...}`. A last line such as
`Score: 7/10` or `Answer: (B)`, or a bare letter, is read too. Anything else is no verdict (None), and so is
a verdict that copies an example: one equal to a JSON object of the instructions the judge was given (its
rubric included), or whose reason is a placeholder such as "<one or two sentences>" or "...". A judge that
repeats its instructions back therefore never passes by accident.

Scores are written as 0.8, "0.8", "8/10", "4 out of 5", "80%" or true/false. A bare number above 1 is read
on the rubric's declared scale (`scale`, e.g. 10: 7 means 0.7) and is no verdict without one.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

MAX_SCAN = 100_000  # characters at the end of a reply searched for the verdict
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_FRACTION = re.compile(rf"({_NUMBER})\s*(?:/|out of)\s*({_NUMBER})", re.IGNORECASE)
_PERCENT = re.compile(rf"({_NUMBER})\s*%")
_PROSE_SCORE = re.compile(
    rf"\W*(?:final\s+)?score\W*\s*(?:is\s*)?[:=]?\s*({_NUMBER}\s*(?:%|(?:/|out of)\s*{_NUMBER})?)\W*",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"<[^<>]*>|\.\.\.|…")
SCORE_KEYS = ("score", "rating", "grade", "pass", "passed")
REASON_KEYS = ("reason", "reasoning", "explanation", "rationale")


def json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object written anywhere in `text` (the examples in a judge's instructions)."""
    decoder = json.JSONDecoder()
    start = text.find("{")
    while start >= 0:
        try:
            parsed, end = decoder.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if isinstance(parsed, dict):
            yield parsed
        start = text.find("{", end)


def final_object(text: str) -> dict[str, Any] | None:
    """The JSON object that ends `text` (a closing code fence and white space after it allowed), or None."""
    tail = text[-MAX_SCAN:].rstrip()
    if tail.endswith("```"):
        tail = tail[:-3].rstrip()
    if not tail.endswith("}"):
        return None
    decoder = json.JSONDecoder()
    start = tail.find("{")
    while start >= 0:
        try:
            parsed, end = decoder.raw_decode(tail, start)
        except ValueError:
            start = tail.find("{", start + 1)
            continue
        if end == len(tail):
            return parsed if isinstance(parsed, dict) else None
        start = tail.find("{", end)
    return None


def example_objects(*texts: str) -> list[dict[str, Any]]:
    """The JSON objects of a judge's instructions, with lower-cased keys: a reply equal to one is a copy."""
    return [_lowered(obj) for text in texts for obj in json_objects(text)]


def parse_score(raw: Any, scale: float | None = None) -> float | None:
    """A score in [0, 1] from 0.8, "0.8", "8/10", "4 out of 5", "80%", true/false; None if unusable.

    A bare number is read on `scale` (7 on a scale of 10 is 0.7); without a scale it must be from 0 to 1.
    """
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if isinstance(raw, (int, float)):
        number = float(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        fraction = _FRACTION.fullmatch(text)
        percent = _PERCENT.fullmatch(text)
        try:
            if fraction:
                denominator = float(fraction.group(2))
                if denominator <= 0:
                    return None
                return _unit(float(fraction.group(1)) / denominator)
            if percent:
                return _unit(float(percent.group(1)) / 100)
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return _unit(number / scale if scale else number)


def _unit(number: float) -> float | None:
    return number if math.isfinite(number) and 0 <= number <= 1 else None


def _lowered(obj: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in obj.items()}


def _reason(obj: dict[str, Any]) -> str:
    for key in REASON_KEYS:
        if isinstance(obj.get(key), str):
            return str(obj[key]).strip()
    return ""


def _own_verdict(found: dict[str, Any], examples: Collection[dict[str, Any]]) -> dict[str, Any] | None:
    """A reply's final JSON object (keys lower-cased), unless it copies an example or a placeholder."""
    obj = _lowered(found)
    if obj in examples or _PLACEHOLDER.fullmatch(_reason(obj)):
        return None
    return obj


def _last_line(text: str) -> str:
    lines = text[-MAX_SCAN:].strip().splitlines()
    return lines[-1].strip() if lines else ""


def parse_graded(
    text: str, *, scale: float | None = None, examples: Collection[dict[str, Any]] = ()
) -> tuple[float, str] | None:
    """(score, reason) from a judge reply asked for {"score": 0..1, "reason": "..."}; None if it holds no
    verdict of the judge's own (see the module's docstring). `examples`: from `example_objects`."""
    found = final_object(text)
    if found is not None:
        obj = _own_verdict(found, examples) or {}
        for key in SCORE_KEYS:
            if key in obj:
                score = parse_score(obj[key], scale)
                if score is not None:
                    return score, _reason(obj)
        return None
    match = _PROSE_SCORE.fullmatch(_last_line(text))
    if match:
        score = parse_score(match.group(1), scale)
        if score is not None:
            return score, ""
    return None


_LETTER_JSON_KEYS = ("choice", "answer", "verdict", "category", "option")
_LETTER = re.compile(r"^\(?([A-Z])\)?(?:$|[\s.:)\-])")
_LETTER_PROSE = re.compile(
    r"(?:.*\b)?(?i:answer|choice|verdict|option)\b\s*(?:is\s*)?[:=]?\s*\(?([A-Z])\)?[.!]?", re.DOTALL
)


def parse_choice(
    text: str, choices: str, *, examples: Collection[dict[str, Any]] = ()
) -> tuple[str, str] | None:
    """(letter, reason) from a reply asked for {"choice": "A".., "reason": "..."}; None if it holds no
    verdict of the judge's own (see the module's docstring)."""
    found = final_object(text)
    if found is not None:
        obj = _own_verdict(found, examples) or {}
        for key in _LETTER_JSON_KEYS:
            raw = obj.get(key)
            if isinstance(raw, str):
                match = _LETTER.match(raw.strip().upper())
                if match and match.group(1) in choices:
                    return match.group(1), _reason(obj)
        return None
    last = _last_line(text)
    bare = re.fullmatch(r"\(?([A-Z])\)?\.?", last)
    if bare and bare.group(1) in choices:
        return bare.group(1), ""
    prose = _LETTER_PROSE.fullmatch(last)
    if prose and prose.group(1) in choices:
        return prose.group(1), ""
    return None
