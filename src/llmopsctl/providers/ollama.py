"""Ollama's native chat API over plain HTTP.

- URL: `{base_url or http://127.0.0.1:11434}/api/chat`, non-streaming.
- Params go into `options` (`max_tokens` becomes `num_predict`), except the request-level fields
  `format`, `keep_alive`, `tools` and `think`, which stay at the top level of the body.
- `Authorization: Bearer KEY` is sent only when a key is configured (Ollama behind a proxy).
"""

from __future__ import annotations

import json
from typing import Any

from llmopsctl.core.chat import ChatRequest, ChatResponse, Embeddings
from llmopsctl.core.usage import Usage, as_int
from llmopsctl.providers.http import HttpProvider, merged_params, missing_field, text_of

DEFAULT_BASE_URL = "http://127.0.0.1:11434"
TOP_LEVEL_PARAMS = frozenset({"format", "keep_alive", "tools", "think"})


class OllamaProvider(HttpProvider):
    default_base_url = DEFAULT_BASE_URL
    supports_embeddings = True

    def build_request(self, request: ChatRequest) -> tuple[str, dict[str, str], dict[str, Any]]:
        """(url, headers, body) for one call."""
        auth = {"authorization": f"Bearer {self.spec.api_key}"} if self.spec.api_key is not None else {}
        options: dict[str, Any] = {}
        top: dict[str, Any] = {}
        for key, value in merged_params(self.spec, request).items():
            if key in TOP_LEVEL_PARAMS:
                top[key] = value
            elif key == "max_tokens":
                options.setdefault("num_predict", value)
            else:
                options[key] = value
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": [dict(m) for m in request.messages],
            "stream": False,
            "options": options,
            **top,
        }
        return self.base_url + "/api/chat", self.headers(auth), body

    async def complete(self, request: ChatRequest) -> ChatResponse:
        url, headers, body = self.build_request(request)
        data = await self.post_json(url, body, headers=headers)
        return self.parse_response(data)

    async def embed(self, texts: list[str], *, case_id: str = "") -> Embeddings:
        """Vectors for `texts` from Ollama's `/api/embed`."""
        _, headers, _ = self.build_request(ChatRequest(messages=()))
        data = await self.post_json(
            self.base_url + "/api/embed", {"model": self.spec.model, "input": texts}, headers=headers
        )
        vectors = data.get("embeddings")
        if (
            not isinstance(vectors, list)
            or len(vectors) != len(texts)
            or not all(isinstance(v, list) for v in vectors)
        ):
            raise self.malformed(missing_field("embeddings", data))
        usage = Usage(input_tokens=as_int(data.get("prompt_eval_count")), output_tokens=0)
        model = data.get("model") if isinstance(data.get("model"), str) else None
        return [[float(x) for x in v] for v in vectors], usage, model

    def parse_response(self, data: dict[str, Any]) -> ChatResponse:
        message = data.get("message")
        if not isinstance(message, dict):
            raise self.malformed(missing_field("message", data))
        metadata: dict[str, Any] = {}
        thinking = message.get("thinking")
        if isinstance(thinking, str) and thinking:
            metadata["thinking"] = thinking
        output = text_of(message.get("content"))
        if message.get("tool_calls"):
            encoded = json.dumps(message["tool_calls"], ensure_ascii=False, sort_keys=True)
            metadata["tool_calls"] = encoded
            output = output or encoded
        done_reason = data.get("done_reason")
        return ChatResponse(
            output=output,
            usage=Usage(
                input_tokens=as_int(data.get("prompt_eval_count")),
                output_tokens=as_int(data.get("eval_count")),
            ),
            response_model=data.get("model") if isinstance(data.get("model"), str) else None,
            finish_reason=done_reason if isinstance(done_reason, str) else None,
            metadata=metadata,
        )
