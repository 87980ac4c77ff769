"""What one model call sends and gets back, whatever the provider: the request, the answer, embeddings."""

from __future__ import annotations

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "usage": self.usage.to_dict(),
            "response_model": self.response_model,
            "finish_reason": self.finish_reason,
            "response_id": self.response_id,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatResponse:
        return cls(
            output=str(data.get("output", "")),
            usage=Usage.from_dict(data.get("usage")),
            response_model=data.get("response_model"),
            finish_reason=data.get("finish_reason"),
            response_id=data.get("response_id"),
            metadata=dict(data.get("metadata") or {}),
        )


Embeddings = tuple[list[list[float]], Usage, str | None]
"""(one vector per input text, usage, the model version that answered) from a provider's `embed`."""
