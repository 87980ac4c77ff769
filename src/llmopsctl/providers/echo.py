"""An offline provider that answers with its input: for demos, tests, benchmarks and checking prompts.

- Output: the content of the LAST `user` message (or of the last message when there is no user
  message; "" when there are none). With `options.mode: all`, every message as a `role: content` line.
- Usage is an approximation (characters // 4 + 1): input over all messages' contents, output over the output.
- `response_model` is "echo", `finish_reason` "stop", `response_id` the first 16 hex digits of the
  output's sha256 (so it is deterministic).
- `params.latency_ms` (model file or request) makes each call sleep that long first.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx

from llmopsctl.core.chat import ChatRequest, ChatResponse
from llmopsctl.core.usage import Usage
from llmopsctl.errors import ProviderError
from llmopsctl.providers.base import BaseProvider, ModelSpec
from llmopsctl.providers.http import merged_params


def approx_tokens(text: str) -> int:
    return len(text) // 4 + 1


class EchoProvider(BaseProvider):
    cacheable = False  # answered locally: never from the response cache

    def __init__(self, spec: ModelSpec, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(spec)
        mode = str(spec.options.get("mode", "last")).lower()
        if mode not in ("last", "all"):
            raise ProviderError(
                f"echo model {spec.name!r}: unknown mode {mode!r}",
                hint="options.mode must be 'last' (the default) or 'all'",
            )
        self.mode = mode

    def render(self, request: ChatRequest) -> str:
        messages = request.messages
        if self.mode == "all":
            return "\n".join(f"{m.get('role', '')}: {m.get('content', '')}" for m in messages)
        for message in reversed(messages):
            if message.get("role") == "user":
                return message.get("content", "")
        return messages[-1].get("content", "") if messages else ""

    async def complete(self, request: ChatRequest) -> ChatResponse:
        params = merged_params(self.spec, request)
        latency = _latency_s(params.get("latency_ms"))
        if latency:
            await asyncio.sleep(latency)
        output = self.render(request)
        input_text = "\n".join(m.get("content", "") for m in request.messages)
        return ChatResponse(
            output=output,
            usage=Usage(input_tokens=approx_tokens(input_text), output_tokens=approx_tokens(output)),
            response_model="echo",
            finish_reason="stop",
            response_id=hashlib.sha256(output.encode("utf-8")).hexdigest()[:16],
        )


def _latency_s(value: Any) -> float:
    if value is None or isinstance(value, bool):
        return 0.0
    try:
        ms = float(value)
    except (TypeError, ValueError):
        return 0.0
    return ms / 1000.0 if ms > 0 else 0.0
