"""Read a judge model's verdict out of free text: a JSON object (maybe in a code fence, maybe inside prose)
with a score written as 0.8, "0.8", "8/10" or "80%", or a multiple-choice letter.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

MAX_SCAN = 100_000  # characters of a reply searched for a JSON object
_FENCE = re.compile(r"```[A-Za-z]*\s*\n?(.*?)```", re.DOTALL)
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_FRACTION = re.compile(rf"({_NUMBER})\s*(?:/|out of)\s*({_NUMBER})", re.IGNORECASE)
_PERCENT = re.compile(rf"({_NUMBER})\s*%")
_PROSE_SCORE = re.compile(
    rf"^\W*(?:final\s+)?score\W*\s*(?:is\s*)?[:=]?\s*({_NUMBER}\s*(?:%|(?:/|out of)\s*{_NUMBER})?)",
    re.IGNORECASE | re.MULTILINE,
)
SCORE_KEYS = ("score", "rating", "grade")
REASON_KEYS = ("reason", "reasoning", "explanation", "rationale")


def json_objects(text: str) -> Iterator[dict[str, Any]]:
    """JSON objects in `text`: fenced blocks first, then the whole text, then any `{...}` inside prose."""
    text = text[:MAX_SCAN]
    for candidate in [*_FENCE.findall(text), text]:
        try:
            parsed = json.loads(candidate.strip())
        except ValueError:
            continue
        if isinstance(parsed, dict):
            yield parsed
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


def parse_score(raw: Any) -> float | None:
    """A score in [0, 1] from 0.8, "0.8", "8/10", "4 out of 5", "80%", true/false; None if unusable.

    A bare number above 1 is read as out of 10 (up to 10) or as a percentage (up to 100).
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
    if not math.isfinite(number) or number < 0:
        return None
    if number <= 1:
        return number
    if number <= 10:
        return number / 10
    if number <= 100:
        return number / 100
    return None


def _unit(number: float) -> float | None:
    return number if math.isfinite(number) and 0 <= number <= 1 else None


def _reason(obj: dict[str, Any]) -> str:
    for key in REASON_KEYS:
        if isinstance(obj.get(key), str):
            return str(obj[key]).strip()
    return ""


def parse_graded(text: str) -> tuple[float, str] | None:
    """(score, reason) from a judge reply asked for {"score": 0..1, "reason": "..."}; None if garbled."""
    for obj in json_objects(text):
        lowered = {str(k).lower(): v for k, v in obj.items()}
        for key in (*SCORE_KEYS, "pass", "passed"):
            if key in lowered:
                score = parse_score(lowered[key])
                if score is not None:
                    return score, _reason(lowered)
    match = _PROSE_SCORE.search(text[:MAX_SCAN])
    if match:
        score = parse_score(match.group(1))
        if score is not None:
            return score, ""
    return None


_LETTER_JSON_KEYS = ("choice", "answer", "verdict", "category", "option")
_LETTER = re.compile(r"^\(?([A-Z])\)?(?:$|[\s.:)\-])")
_LETTER_PROSE = re.compile(
    r"\b(?i:answer|choice|verdict|option)\b\s*(?:is\s*)?[:=]?\s*\(?([A-Z])\)?(?![A-Za-z])"
)


def parse_choice(text: str, choices: str) -> tuple[str, str] | None:
    """(letter, reason) from a reply asked for {"choice": "A".., "reason": "..."}; None if garbled."""
    for obj in json_objects(text):
        lowered = {str(k).lower(): v for k, v in obj.items()}
        for key in _LETTER_JSON_KEYS:
            raw = lowered.get(key)
            if isinstance(raw, str):
                match = _LETTER.match(raw.strip().upper())
                if match and match.group(1) in choices:
                    return match.group(1), _reason(lowered)
    stripped = text.strip()
    bare = re.fullmatch(r"\(?([A-Z])\)?\.?", stripped)
    if bare and bare.group(1) in choices:
        return bare.group(1), ""
    found = [m.group(1) for m in _LETTER_PROSE.finditer(stripped[:MAX_SCAN]) if m.group(1) in choices]
    if found:
        return found[-1], ""
    return None
