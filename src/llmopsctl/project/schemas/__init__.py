"""The shipped JSON Schemas (draft 2020-12), one per kind of project file."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

KINDS = ("llmops", "prompt", "model", "dataset", "case", "suite")


def schema_text(kind: str) -> str:
    return resources.files(__name__).joinpath(f"{kind}.schema.json").read_text(encoding="utf-8")


@cache
def load_schema(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(schema_text(kind))
    return data
