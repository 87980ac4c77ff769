"""Content hashes that ignore formatting and key order, so a reformat is not a change."""

from __future__ import annotations

import hashlib
import json
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
