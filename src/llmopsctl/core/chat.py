"""What one model call sends and gets back, whatever the provider: the request, the answer, embeddings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llmopsctl.core.usage import Usage


@dataclass(frozen=True)
class ChatRequest:
    """One call: rendered messages and generation parameters; `vars`, `case_id` are for `python` models."""

    messages: tuple[dict[str, str], ...]
    params: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    case_id: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ChatResponse:
    output: str
    usage: Usage = field(default_factory=Usage)
    response_model: str | None = None  # the model version the API says answered, e.g. gpt-4o-mini-2024-07-18
    finish_reason: str | None = None
    response_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # The latency of the call that produced this answer, kept with it in the response cache and in
    # cassettes (None: not known). The engine times live calls itself; this is how a cached or replayed
    # answer brings the latency of its original call.
    latency_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "output": self.output,
            "usage": self.usage.to_dict(),
            "response_model": self.response_model,
            "finish_reason": self.finish_reason,
            "response_id": self.response_id,
            "metadata": self.metadata,
        }
        if self.latency_ms is not None:
            data["latency_ms"] = round(self.latency_ms, 1)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatResponse:
        return cls(
            output=str(data.get("output", "")),
            usage=Usage.from_dict(data.get("usage")),
            response_model=data.get("response_model"),
            finish_reason=data.get("finish_reason"),
            response_id=data.get("response_id"),
            metadata=dict(data.get("metadata") or {}),
            latency_ms=stored_latency(data.get("latency_ms")),
        )


def stored_latency(raw: Any) -> float | None:
    """A stored latency in ms, or None when it is missing or not a finite number >= 0."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 <= raw < math.inf:
        return None
    return float(raw)


Embeddings = tuple[list[list[float]], Usage, str | None]
"""(one vector per input text, usage, the model version that answered) from a provider's `embed`."""
