"""Did-you-mean suggestions for names a user mistyped."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[object]) -> str:
    """ "; did you mean 'x'?" for the closest of `choices`, or "" when none is close."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {matches[0]!r}?" if matches else ""
