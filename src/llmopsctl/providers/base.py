"""The Provider protocol and the request/response types every provider speaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from llmopsctl.core.usage import Usage


@dataclass(frozen=True)
class ModelSpec:
    """What a provider needs from a model file, with the API key already resolved from the environment."""

    name: str  # the model config name (models/<name>.yaml)
    provider: str  # openai | anthropic | ollama | python | echo | replay | a plugin's name
    model: str  # the provider's model id, or module:function for `python`
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)  # never printed, never stored
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 60.0
    options: dict[str, Any] = field(default_factory=dict)  # provider-specific extras (api_version, path, ...)


@dataclass(frozen=True)
class ChatRequest:
    """One call: rendered messages and generation parameters; `vars`, `case_id` are for `python` models."""

    messages: tuple[dict[str, str], ...]
    params: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    case_id: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


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


@runtime_checkable
class Provider(Protocol):
    """A model API. `complete` makes exactly one attempt; the engine owns retries, limits and caching.

    Failures raise `llmopsctl.errors.ProviderError` with `transient=True` for what is worth retrying
    (429, 5xx, timeouts, connection errors), carrying `retry_after` seconds when the server said so.
    """

    spec: ModelSpec
    # Providers may set `cacheable = False` (a class attribute): answers computed locally, which change with
    # the user's code or cassette where the request hash cannot see it, are then never served from the cache.

    async def complete(self, request: ChatRequest) -> ChatResponse: ...

    async def aclose(self) -> None: ...
