"""OpenAI Chat Completions over plain HTTP; also Azure OpenAI and any OpenAI-compatible local server.

- URL: `{base_url or https://api.openai.com/v1}{options.path or /chat/completions}`.
- Auth: `Authorization: Bearer KEY`, omitted when there is no key (local servers).
- Azure: when `options.api_version` is set, `?api-version=...` is added and the key goes in `api-key`
  (base_url is then e.g. `https://RES.openai.azure.com/openai/deployments/DEPLOYMENT`).
- Body: `{model, messages, **params}` with the model file's params overlaid by the request's.
"""

from __future__ import annotations

import json
from typing import Any

from llmopsctl.core.chat import ChatRequest, ChatResponse, Embeddings
from llmopsctl.core.usage import Usage, as_int
from llmopsctl.providers.http import HttpProvider, merged_params, missing_field, text_of

DEFAULT_BASE_URL = "https://api.openai.com/v1"


class OpenAIProvider(HttpProvider):
    default_base_url = DEFAULT_BASE_URL
    supports_embeddings = True

    def build_request(
        self, request: ChatRequest
    ) -> tuple[str, dict[str, str], dict[str, str], dict[str, Any]]:
        """(url, headers, query, body) for one call; separate from `complete` so it can be inspected."""
        options = self.spec.options
        url = self.base_url + str(options.get("path") or "/chat/completions")
        api_version = options.get("api_version")
        query: dict[str, str] = {"api-version": str(api_version)} if api_version else {}
        auth: dict[str, str] = {}
        if self.spec.api_key is not None:
            if api_version:
                auth["api-key"] = self.spec.api_key
            else:
                auth["authorization"] = f"Bearer {self.spec.api_key}"
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": [dict(m) for m in request.messages],
            **merged_params(self.spec, request),
        }
        return url, self.headers(auth), query, body

    async def complete(self, request: ChatRequest) -> ChatResponse:
        url, headers, query, body = self.build_request(request)
        data = await self.post_json(url, body, headers=headers, query=query or None)
        return self.parse_response(data)

    async def embed(self, texts: list[str], *, case_id: str = "") -> Embeddings:
        """Vectors for `texts` from `{base_url}/embeddings` (options.embeddings_path overrides the suffix)."""
        url, headers, query, _ = self.build_request(ChatRequest(messages=()))
        url = self.base_url + str(self.spec.options.get("embeddings_path") or "/embeddings")
        data = await self.post_json(
            url, {"model": self.spec.model, "input": texts}, headers=headers, query=query or None
        )
        items = data.get("data")
        if not isinstance(items, list) or len(items) != len(texts):
            raise self.malformed(missing_field("data", data))
        ordered = sorted(items, key=lambda d: d.get("index", 0) if isinstance(d, dict) else 0)
        vectors = []
        for item in ordered:
            vector = item.get("embedding") if isinstance(item, dict) else None
            if not isinstance(vector, list):
                raise self.malformed(missing_field("data[].embedding", data))
            vectors.append([float(x) for x in vector])
        usage = _usage(data.get("usage"))
        model = data.get("model") if isinstance(data.get("model"), str) else None
        return vectors, Usage(input_tokens=usage.input_tokens, output_tokens=0), model

    def parse_response(self, data: dict[str, Any]) -> ChatResponse:
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise self.malformed(missing_field("choices[0]", data))
        choice = choices[0]
        message = choice.get("message")
        if not isinstance(message, dict):
            raise self.malformed(missing_field("choices[0].message", data))
        output = text_of(message.get("content"))
        metadata: dict[str, Any] = {}
        tool_calls = message.get("tool_calls")
        if tool_calls:
            encoded = json.dumps(tool_calls, ensure_ascii=False, sort_keys=True)
            metadata["tool_calls"] = encoded
            output = output or encoded
        refusal = message.get("refusal")
        if isinstance(refusal, str) and refusal:
            metadata["refusal"] = refusal
        finish = choice.get("finish_reason")
        return ChatResponse(
            output=output,
            usage=_usage(data.get("usage")),
            response_model=data.get("model") if isinstance(data.get("model"), str) else None,
            finish_reason=finish if isinstance(finish, str) else None,
            response_id=data.get("id") if isinstance(data.get("id"), str) else None,
            metadata=metadata,
        )


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    prompt_details = raw.get("prompt_tokens_details")
    completion_details = raw.get("completion_tokens_details")
    return Usage(
        input_tokens=as_int(raw.get("prompt_tokens")),
        output_tokens=as_int(raw.get("completion_tokens")),
        cached_input_tokens=as_int(prompt_details.get("cached_tokens"))
        if isinstance(prompt_details, dict)
        else None,
        reasoning_tokens=as_int(completion_details.get("reasoning_tokens"))
        if isinstance(completion_details, dict)
        else None,
    )
