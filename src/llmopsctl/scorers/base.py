"""What a scorer receives and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from llmopsctl.providers.base import ChatResponse


class ModelServices(Protocol):
    """Model calls for model-graded and semantic scorers, made through the engine (cached, retried, costed)."""

    async def chat(
        self, model: str, messages: list[dict[str, str]], params: dict[str, Any] | None = None
    ) -> ChatResponse: ...

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]: ...


@dataclass(frozen=True)
class ScoreContext:
    output: str
    expected: Any = None
    vars: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    latency_ms: float | None = None
    cost_usd: float | None = None
    finish_reason: str | None = None
    services: ModelServices | None = None
    root: str | None = None  # the project root, for scorers that read files of the repo


@dataclass(frozen=True)
class Score:
    """value in [0, 1]; passed; a reason a person can read."""

    value: float
    passed: bool
    reason: str = ""

    @classmethod
    def of(cls, passed: bool, reason: str) -> Score:
        return cls(1.0 if passed else 0.0, passed, reason)


class ScorerError(Exception):
    """The assertion cannot be evaluated (bad configuration or a scorer failure)."""


def coerce(result: Any, *, threshold: float = 0.5) -> Score:
    """Turn what a plugin or user function returns (bool, number, dict, Score) into a Score."""
    if isinstance(result, Score):
        return result
    if isinstance(result, bool):
        return Score.of(result, "passed" if result else "failed")
    if isinstance(result, (int, float)):
        value = max(0.0, min(1.0, float(result)))
        return Score(value, value >= threshold, f"score {value:.3g} (threshold {threshold:g})")
    if isinstance(result, dict) and ("score" in result or "passed" in result):
        raw = result.get("score")
        passed = result.get("passed")
        value = float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
        if value is None:
            value = 1.0 if passed else 0.0
        value = max(0.0, min(1.0, value))
        if passed is None:
            passed = value >= threshold
        return Score(value, bool(passed), str(result.get("reason") or ""))
    raise ScorerError(f"a scorer must return bool, a number or {{score, passed, reason}}, got {type(result).__name__}")


def shorten(text: str, limit: int = 80) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"
