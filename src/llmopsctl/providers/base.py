"""The Provider protocol, the base class that gives its defaults, and the types every provider speaks.

A provider is a class the registry (`llmopsctl.providers` entry points) finds by name and builds once per
run and model as `cls(spec)`. Everything the engine calls on it is declared by `Provider`:

- `spec`: the ModelSpec it was built from;
- `cacheable`: whether its answers may be served from the response cache (False for answers computed
  locally, which change with the user's code or a cassette where the request hash cannot see it);
- `supports_embeddings`: whether `embed` works; the engine never calls `embed` when it is False;
- `prepare()`: load and check what the first call needs, before any case runs (the python provider
  imports the user's function here). It runs before the run's event loop starts, so it must not open
  asyncio resources; a failure is reported as a configuration error naming the model file;
- `complete(request)`: one chat call, exactly one attempt (the engine owns retries, limits and caching);
- `embed(texts, case_id=...)`: one embeddings call, when `supports_embeddings`;
- `aclose()`: release what the provider holds (connections), at the end of the run.

Failures raise `llmopsctl.errors.ProviderError`, with `transient=True` for what is worth retrying (429,
5xx, timeouts, connection errors) and `retry_after` seconds when the server said so. `BaseProvider`
implements everything but `complete` with the defaults (cacheable, no embeddings, nothing to prepare or
close), so a plugin overrides only what it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from llmopsctl.core.chat import ChatRequest, ChatResponse, Embeddings
from llmopsctl.errors import ProviderError

if TYPE_CHECKING:
    import httpx


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
    options: dict[str, Any] = field(default_factory=dict)  # the model file's provider-specific `options`
    root: Path | None = None  # the project root, against which providers resolve project files


# What `isinstance(x, Provider)` checks, named for messages about a class that lacks some of it.
PROVIDER_MEMBERS = ("spec", "cacheable", "supports_embeddings", "prepare", "complete", "embed", "aclose")


@runtime_checkable
class Provider(Protocol):
    """A model API, as the engine uses it (see the module docstring for what each member means)."""

    spec: ModelSpec

    @property
    def cacheable(self) -> bool: ...

    @property
    def supports_embeddings(self) -> bool: ...

    def prepare(self) -> None: ...

    async def complete(self, request: ChatRequest) -> ChatResponse: ...

    async def embed(self, texts: list[str], *, case_id: str = "") -> Embeddings: ...

    async def aclose(self) -> None: ...


class BaseProvider:
    """The defaults of `Provider`: subclasses implement `complete` and override what else they have.

    `transport` is accepted (and ignored here) so that every built-in provider has the same constructor;
    the HTTP providers send their requests through it when a test gives one.
    """

    cacheable: bool = True
    supports_embeddings: bool = False

    def __init__(self, spec: ModelSpec, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.spec = spec

    def prepare(self) -> None:
        return None

    async def complete(self, request: ChatRequest) -> ChatResponse:
        raise NotImplementedError(f"{type(self).__name__} does not implement complete()")

    async def embed(self, texts: list[str], *, case_id: str = "") -> Embeddings:
        raise ProviderError(
            f"{self.spec.provider} model {self.spec.name!r} has no embeddings endpoint", transient=False
        )

    async def aclose(self) -> None:
        return None
