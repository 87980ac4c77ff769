"""Assertions on the structure of the output."""

from __future__ import annotations

import json
from typing import Any

from llmopsctl.scorers.base import Score, ScoreContext


def extract_json(text: str) -> Any:
    """Parse the output as JSON, tolerating a Markdown code fence around it. Raises ValueError."""
    stripped = text.strip()
    if stripped.startswith("```"):
        lines = stripped.splitlines()
        if len(lines) >= 2 and lines[-1].strip() == "```":
            stripped = "\n".join(lines[1:-1])
    return json.loads(stripped)


def is_json(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    try:
        extract_json(ctx.output)
    except (ValueError, RecursionError) as exc:
        return Score.of(False, f"output is not valid JSON: {exc}")
    return Score.of(True, "output is valid JSON")
