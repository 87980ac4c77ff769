"""Content hashes that ignore formatting and key order, so a reformat is not a change."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from itertools import islice
from typing import Any

# The same encoder json.dumps would build on each call (it is stateless between calls, so it can be shared).
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode


def canonical_json(data: Any) -> str:
    return _encode(data)


def content_hash(data: Any, length: int = 16) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()[:length]


def list_content_hash(items: Iterable[Any], length: int = 16) -> str:
    """`content_hash(list(items))` without ever building the whole list or its whole JSON.

    A list's canonical JSON is "[" + its items' JSON joined by "," + "]", so it is hashed a slice at a time.
    """
    digest = hashlib.sha256(b"[")
    separator = b""
    iterator = iter(items)
    while batch := list(islice(iterator, 1024)):
        digest.update(separator)
        digest.update(_encode(batch)[1:-1].encode())
        separator = b","
    digest.update(b"]")
    return digest.hexdigest()[:length]
