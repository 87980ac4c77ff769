"""Content hashes that ignore formatting and key order, so a reformat is not a change."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_hash(data: Any, length: int = 16) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()[:length]
