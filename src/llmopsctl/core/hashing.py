"""Content hashes that ignore formatting and key order, so a reformat is not a change."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# The same encoder json.dumps would build on each call (it is stateless between calls, so it can be shared).
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode


def canonical_json(data: Any) -> str:
    return _encode(data)


def content_hash(data: Any, length: int = 16) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()[:length]


class ListHasher:
    """`content_hash` of a list fed one item at a time, without holding the list or its whole JSON.

    A list's canonical JSON is "[" + its items' JSON joined by "," + "]", so it is hashed a slice at a time.
    """

    def __init__(self) -> None:
        self._digest = hashlib.sha256(b"[")
        self._batch: list[Any] = []
        self._separator = b""

    def add(self, item: Any) -> None:
        self._batch.append(item)
        if len(self._batch) >= 1024:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self._digest.update(self._separator)
            self._digest.update(_encode(self._batch)[1:-1].encode())
            self._separator = b","
            self._batch = []

    def hexdigest(self, length: int = 16) -> str:
        self._flush()
        digest = self._digest.copy()
        digest.update(b"]")
        return digest.hexdigest()[:length]


# Keys of each kind of file that change how a run goes (time limits, retries, rate limits, spending caps,
# gate thresholds) or describe the file, but never what a model answers nor how an answer is scored. A
# dotted key names a key of a nested mapping (`defaults.timeout_s`).
RUNTIME_KEYS: dict[str, frozenset[str]] = {
    "prompt": frozenset({"description"}),
    "model": frozenset({"description", "timeout_s", "retries", "limits"}),
    "suite": frozenset({"description", "concurrency", "max_cost", "gate"}),
    "dataset": frozenset(),
    "llmops": frozenset(
        {
            "project",
            "db",
            "teams",
            "budgets",
            "retention",
            "gate",
            "baseline",
            "defaults.concurrency",
            "defaults.timeout_s",
            "defaults.retries",
            "defaults.cache_ttl",
            "defaults.backoff_s",
        }
    ),
}


def answer_view(kind: str, data: Any) -> Any:
    """A file's `data` without its RUNTIME_KEYS: what can change the answers of a run and their scores."""
    if not isinstance(data, Mapping):
        return data
    out = dict(data)
    for key in RUNTIME_KEYS.get(kind, frozenset()):
        parent, _, child = key.rpartition(".")
        if not parent:
            out.pop(key, None)
        elif isinstance(out.get(parent), Mapping):
            out[parent] = {k: v for k, v in out[parent].items() if k != child}
    return out


def answer_hash(kind: str, data: Any, length: int = 16) -> str:
    """`content_hash` of the file's answer_view: the same after edits to runtime settings alone."""
    return content_hash(answer_view(kind, data), length)
