"""Character-level similarity to a reference: Levenshtein distance and difflib's ratio."""

from __future__ import annotations

import difflib
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.scorers.base import (
    CheckEnv,
    Problem,
    Score,
    ScoreContext,
    ScorerError,
    as_text,
    get_threshold,
    graded,
    to_number,
)
from llmopsctl.scorers.checking import check_unit_threshold, threshold_problems
from llmopsctl.scorers.declaration import AssertionType

DEFAULT_MAX_DISTANCE = 5
DEFAULT_RATIO = 0.8
# Bit-parallel cost is about len(shorter) * len(longer) / 64 word operations: past this, refuse.
MAX_LEVENSHTEIN_CELLS = 10**10


def _bit_masks(text: str, wanted: set[str]) -> dict[str, int]:
    """For each character in `wanted`, an int with bit i set where text[i] is that character."""
    size = (len(text) + 8) // 8
    arrays: dict[str, bytearray] = {c: bytearray(size) for c in wanted}
    for i, char in enumerate(text):
        array = arrays.get(char)
        if array is not None:
            array[i >> 3] |= 1 << (i & 7)
    return {c: int.from_bytes(a, "little") for c, a in arrays.items()}


def levenshtein_distance(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions of one code point each).

    Hyyrö's bit-parallel form of Myers' algorithm (2003): the longer string is the bit vector (a Python
    int), the loop runs over the shorter one, so a 1 MB output against a short reference stays fast.
    """
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    if len(a) * len(b) > MAX_LEVENSHTEIN_CELLS:
        raise ScorerError(
            f"texts too long for levenshtein ({len(a)} x {len(b)} characters); "
            "use similarity-ratio or rouge-l for long texts"
        )
    m = len(a)
    peq = _bit_masks(a, set(b))
    full = (1 << m) - 1
    last = 1 << (m - 1)
    pv, mv, score = full, 0, m
    for char in b:
        eq = peq[char]
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & full)
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = mh | (~(xv | ph) & full)
        mv = ph & xv
    return score


def _pair(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> tuple[str, str]:
    reference = as_text(value)
    output = ctx.output
    if config.get("strip", True):
        reference, output = reference.strip(), output.strip()
    if config.get("ignore_case"):
        reference, output = reference.casefold(), output.casefold()
    return output, reference


def levenshtein(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """Passes when the edit distance to the reference is at most `threshold` (default 5).

    The score is 1 - distance / max(len(output), len(reference)) (1 for two empty strings).
    """
    raw = config.get("threshold", DEFAULT_MAX_DISTANCE)
    max_distance = to_number(raw, "`threshold` (the maximum edit distance)")
    if max_distance < 0:
        raise ScorerError(f"`threshold` (the maximum edit distance) must be >= 0, got {raw!r}")
    output, reference = _pair(ctx, value, config)
    distance = levenshtein_distance(output, reference)
    longest = max(len(output), len(reference))
    score = 1.0 - distance / longest if longest else 1.0
    passed = distance <= max_distance
    sign = "<=" if passed else ">"
    return Score(score, passed, f"edit distance {distance} {sign} {max_distance:g} (score {score:.3f})")


def similarity_ratio(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """difflib.SequenceMatcher ratio (2*matches / total length) against `threshold` (default 0.8)."""
    threshold = get_threshold(config, DEFAULT_RATIO)
    output, reference = _pair(ctx, value, config)
    ratio = difflib.SequenceMatcher(None, output, reference).ratio()
    return graded(ratio, threshold, "similarity ratio")


def check_distance(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """The threshold of levenshtein is the maximum edit distance: any number >= 0."""
    return threshold_problems(assertion, 0, None, " (the maximum edit distance)")


TYPES = (
    AssertionType("levenshtein", levenshtein, check=check_distance),
    AssertionType("similarity-ratio", similarity_ratio, check=check_unit_threshold),
)
