"""A small JSONPath subset, no dependency: `$`, `.key`, `['key']` / `["key"]`, `[index]` (negative from the
end), `[*]` and `.*` (every element or member). Examples: `$.answer`, `$.items[0].id`, `$['a b'][*]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_KEY = re.compile(r"[A-Za-z_$\-][\w$\-]*", re.UNICODE)
_INDEX = re.compile(r"-?\d+")
WILDCARD = "*"


class JsonPathError(ValueError):
    """A path outside the supported subset; the message says where."""


@dataclass(frozen=True)
class Step:
    kind: str  # "key" | "index" | "all"
    key: str | int | None = None


def parse(path: str) -> tuple[Step, ...]:
    """The steps of a path, or JsonPathError naming the column of the problem."""
    text = path.strip()
    if not text.startswith("$"):
        raise JsonPathError(f"a JSON path starts with '$' (got {path!r})")
    steps: list[Step] = []
    i = 1
    while i < len(text):
        char = text[i]
        if char == "." and text.startswith("..", i):
            raise JsonPathError(f"recursive descent '..' is not supported (at column {i + 1})")
        if char == ".":
            if text.startswith("*", i + 1):
                steps.append(Step("all"))
                i += 2
                continue
            match = _KEY.match(text, i + 1)
            if not match:
                raise JsonPathError(f"expected a key after '.' at column {i + 2} of {path!r}")
            steps.append(Step("key", match.group(0)))
            i = match.end()
        elif char == "[":
            i = _bracket(text, i, steps, path)
        else:
            raise JsonPathError(f"unexpected {char!r} at column {i + 1} of {path!r}")
    return tuple(steps)


def _bracket(text: str, i: int, steps: list[Step], path: str) -> int:
    end = text.find("]", i)
    if text.startswith(("['", '["'), i):
        quote = text[i + 1]
        close = text.find(quote + "]", i + 2)
        if close < 0:
            raise JsonPathError(f"unterminated quoted key at column {i + 1} of {path!r}")
        steps.append(Step("key", text[i + 2 : close]))  # no escapes inside quoted keys
        return close + 2
    if end < 0:
        raise JsonPathError(f"missing ']' after column {i + 1} of {path!r}")
    inner = text[i + 1 : end].strip()
    if inner == WILDCARD:
        steps.append(Step("all"))
    elif _INDEX.fullmatch(inner):
        steps.append(Step("index", int(inner)))
    else:
        what = "slices and filters are" if (":" in inner or "?" in inner) else f"{inner!r} is"
        raise JsonPathError(f"{what} not supported in [...] at column {i + 1} of {path!r}")
    return end + 1


def find(document: Any, steps: tuple[Step, ...]) -> list[Any]:
    """Every value the path selects (empty when nothing matches)."""
    current = [document]
    for step in steps:
        selected: list[Any] = []
        for node in current:
            if step.kind == "all":
                if isinstance(node, list):
                    selected.extend(node)
                elif isinstance(node, dict):
                    selected.extend(node.values())
            elif step.kind == "index":
                if (
                    isinstance(node, list)
                    and isinstance(step.key, int)
                    and -len(node) <= step.key < len(node)
                ):
                    selected.append(node[step.key])
            elif isinstance(node, dict) and step.key in node:
                selected.append(node[step.key])
        current = selected
    return current


def is_definite(steps: tuple[Step, ...]) -> bool:
    """True when the path selects at most one value (no wildcard)."""
    return all(step.kind != "all" for step in steps)
