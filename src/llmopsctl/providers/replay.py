"""Cassettes: recorded requests and responses (JSONL, sorted by key), and the provider that replays them."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import httpx

from llmopsctl.core.chat import ChatRequest, ChatResponse, Embeddings
from llmopsctl.core.hashing import canonical_json, content_hash
from llmopsctl.core.secrets import redact
from llmopsctl.errors import MissingRecording, ProviderError
from llmopsctl.providers.base import BaseProvider, ModelSpec


def cassette_key(model: str, messages: Any, params: dict[str, Any]) -> str:
    """Identifies a request independently of where it is sent (base URL, key, provider)."""
    return content_hash({"model": model, "messages": list(messages), "params": params}, 24)


class Cassette:
    """A cassette file in memory. `save` writes it atomically in a stable order, so git diffs stay small."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self.dirty = False
        if path.exists():
            self._load()

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProviderError(f"cannot read cassette {self.path}: {exc.strerror}") from None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                self.entries[str(entry["key"])] = entry
            except (json.JSONDecodeError, KeyError, TypeError):
                raise ProviderError(f"{self.path}:{number}: not a cassette entry") from None

    def get(self, key: str) -> ChatResponse | None:
        entry = self.entries.get(key)
        return ChatResponse.from_dict(entry["response"]) if entry else None

    def put(
        self, key: str, model: str, messages: Any, params: dict[str, Any], response: ChatResponse
    ) -> None:
        self.entries[key] = {
            "key": key,
            "model": model,
            "messages": list(messages),
            "params": params,
            "response": response.to_dict(),
        }
        self.dirty = True

    def save(self, secrets: list[str]) -> None:
        if not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = [redact(canonical_json(self.entries[k]), secrets) for k in sorted(self.entries)]
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".cassette-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + ("\n" if lines else ""))
        os.replace(tmp, self.path)
        self.dirty = False


class ReplayProvider(BaseProvider):
    """Answers from a cassette, no network: chat answers, and embeddings recorded by `embeddings_entry`.

    The cassette is given (`eval --replay` shares the suite's among all models), else read from the
    model file's `options.cassette` (relative to the project root). `options.model` names the recorded
    model id when it differs from `model`.
    """

    cacheable = False  # answered locally: never from the response cache
    supports_embeddings = True

    def __init__(
        self,
        spec: ModelSpec,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        cassette: Cassette | None = None,
    ) -> None:
        super().__init__(spec)
        if cassette is None:
            path = spec.options.get("cassette")
            if not path:
                raise ProviderError(f"replay model {spec.name!r} needs options.cassette (a cassette file)")
            cassette = Cassette((spec.root or Path()) / str(path))
        self.cassette = cassette
        self.recorded_model = str(spec.options.get("model") or spec.model)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        params = {**self.spec.params, **request.params}
        key = cassette_key(self.recorded_model, request.messages, params)
        response = self.cassette.get(key)
        if response is None:
            raise MissingRecording(
                f"no recording for case {request.case_id!r} with model {self.spec.name!r} "
                f"in {self.cassette.path}",
                hint="record it with `llmopsctl eval --record` (needs the real model and its API key)",
            )
        return response

    async def embed(self, texts: list[str], *, case_id: str = "") -> Embeddings:
        key, _, _ = embeddings_entry(self.recorded_model, texts)
        response = self.cassette.get(key)
        if response is None or not isinstance(response.metadata.get("embeddings"), list):
            raise MissingRecording(
                f"no recorded embeddings for case {case_id!r} with model {self.spec.name!r} "
                f"in {self.cassette.path}",
                hint="record them with `llmopsctl eval --record` (needs the real model and its key)",
            )
        return response.metadata["embeddings"], response.usage, response.response_model


def embeddings_entry(model_id: str, texts: list[str]) -> tuple[str, list[dict[str, str]], dict[str, Any]]:
    """(cassette key, messages, params) under which the embeddings of `texts` are recorded: the texts as
    messages of role `input` and params {"endpoint": "embeddings"}, which no chat request has."""
    messages = [{"role": "input", "content": text} for text in texts]
    params: dict[str, Any] = {"endpoint": "embeddings"}
    return cassette_key(model_id, messages, params), messages, params
