"""What a scorer receives and returns."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from llmopsctl.core.chat import ChatResponse

# A problem a static check found: the path inside the assertion (e.g. ("config", "model")) and a message.
Problem = tuple[tuple[str | int, ...], str]


class ModelServices(Protocol):
    """Model calls for model-graded and semantic scorers, made by the engine (cached, retried, costed)."""

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
    cost_usd: float | None = None  # the answer's list price, cached or not (None: unknown, no price)
    finish_reason: str | None = None
    services: ModelServices | None = None
    root: str | None = None  # the project root, for scorers that read files of the repo
    messages: tuple[dict[str, str], ...] = ()  # the rendered prompt (answer-relevance reads the question)


@dataclass(frozen=True)
class CheckEnv:
    """What a static check (`AssertionType.check`) may know about the project; None: unknown, skip."""

    root: Path | None = None
    models: frozenset[str] | None = None  # model config names (models/<name>.yaml)


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
        value = clamp(float(result))
        return Score(value, value >= threshold, f"score {value:.3g} (threshold {threshold:g})")
    if isinstance(result, dict) and ("score" in result or "passed" in result):
        raw = result.get("score")
        passed = result.get("passed")
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value = clamp(float(raw))
        else:
            value = 1.0 if passed else 0.0
        if passed is None:
            passed = value >= threshold
        return Score(value, bool(passed), str(result.get("reason") or ""))
    raise ScorerError(
        f"a scorer must return bool, a number or {{score, passed, reason}}, got {type(result).__name__}"
    )


def weighted(parts: list[tuple[float, float, bool]], threshold: float | None) -> tuple[float, bool]:
    """The weighted mean of (value, weight, passed) parts, and whether it passes: at `threshold` when one
    is given, else when every part with a weight above 0 passed. With no weight at all the mean is 1.0 if
    every part passed, else 0.0."""
    total = sum(weight for _, weight, _ in parts)
    if total > 0:
        mean = sum(value * weight for value, weight, _ in parts) / total
    else:
        mean = 1.0 if all(passed for _, _, passed in parts) else 0.0
    if threshold is not None:
        return mean, mean >= threshold - 1e-12
    return mean, all(passed for _, weight, passed in parts if weight > 0)


def shorten(text: str, limit: int = 80) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_template(value: Any) -> bool:
    """A string the engine renders with Jinja2 (so a static check cannot judge it)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def as_text(value: Any) -> str:
    """`value` as the text to compare with; dicts and lists as canonical JSON."""
    if value is None:
        raise ScorerError("needs a `value` (or the case's `expected`)")
    if isinstance(value, (dict, list, bool)):  # YAML `true` compares as the JSON text "true"
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def to_number(raw: Any, what: str) -> float:
    """A finite number from YAML (int, float, or a numeric string a template rendered); else ScorerError."""
    if isinstance(raw, bool):
        raise ScorerError(f"{what} must be a number, got {raw!r}")
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ScorerError(f"{what} must be a number, got {raw!r}") from None
    if not math.isfinite(number):
        raise ScorerError(f"{what} must be a finite number, got {raw!r}")
    return number


def get_threshold(config: dict[str, Any], default: float) -> float:
    """`config.threshold` (`Assertion.options` puts an assertion's own `threshold` there), else `default`."""
    raw = config.get("threshold")
    return default if raw is None else to_number(raw, "`threshold`")


def clamp(value: float) -> float:
    if math.isnan(value):
        return 0.0
    return max(0.0, min(1.0, value))


def graded(value: float, threshold: float, what: str) -> Score:
    """A score in [0, 1] that passes at `threshold` (with a little float tolerance)."""
    value = clamp(value)
    passed = value >= threshold - 1e-12
    return Score(value, passed, f"{what} {value:.3f} {'>=' if passed else '<'} threshold {threshold:g}")


def option(value: Any, config: dict[str, Any], key: str, default: Any = None) -> Any:
    """An option given in a dict `value` or in `config` (the value wins)."""
    if isinstance(value, dict) and key in value:
        return value[key]
    return config.get(key, default)


def services_of(ctx: ScoreContext) -> ModelServices:
    if ctx.services is None:
        raise ScorerError("model-graded assertions need the eval engine")
    return ctx.services
