"""Anthropic Messages API over plain HTTP.

- URL: `{base_url or https://api.anthropic.com}/v1/messages`; headers `x-api-key` and
  `anthropic-version` (2023-06-01 unless `options.anthropic_version` says otherwise).
- `system` messages are taken out of the list and joined (blank line between) into the top-level `system`.
- `max_tokens` is required by the API: 1024 when the params do not set it; `stop` becomes `stop_sequences`.
- Usage follows the OpenTelemetry convention: input_tokens = input + cache read + cache write.
"""

from __future__ import annotations

import json
from typing import Any

from llmopsctl.core.chat import ChatRequest, ChatResponse
from llmopsctl.core.usage import Usage, as_int
from llmopsctl.providers.http import HttpProvider, merged_params, missing_field

DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024


class AnthropicProvider(HttpProvider):
    default_base_url = DEFAULT_BASE_URL

    def build_request(self, request: ChatRequest) -> tuple[str, dict[str, str], dict[str, Any]]:
        """(url, headers, body) for one call."""
        auth = {"anthropic-version": str(self.spec.options.get("anthropic_version") or DEFAULT_VERSION)}
        if self.spec.api_key is not None:
            auth["x-api-key"] = self.spec.api_key
        system_parts: list[str] = []
        messages: list[dict[str, Any]] = []
        for message in request.messages:
            role = message.get("role", "user")
            content = message.get("content", "")
            if role == "system":
                system_parts.append(content)
            else:
                messages.append({"role": role, "content": content})
        params = merged_params(self.spec, request)
        if "stop" in params:
            stop = params.pop("stop")
            if stop is not None:
                params.setdefault("stop_sequences", [stop] if isinstance(stop, str) else list(stop))
        params.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
        body: dict[str, Any] = {"model": self.spec.model, "messages": messages}
        if system_parts:
            body["system"] = "\n\n".join(system_parts)
        body.update(params)
        return self.base_url + "/v1/messages", self.headers(auth), body

    async def complete(self, request: ChatRequest) -> ChatResponse:
        url, headers, body = self.build_request(request)
        data = await self.post_json(url, body, headers=headers)
        return self.parse_response(data)

    def parse_response(self, data: dict[str, Any]) -> ChatResponse:
        content = data.get("content")
        if not isinstance(content, list):
            raise self.malformed(missing_field("content", data))
        texts: list[str] = []
        tool_uses: list[dict[str, Any]] = []
        for block in content:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text" and isinstance(block.get("text"), str):
                texts.append(block["text"])
            elif block.get("type") == "tool_use":
                tool_uses.append(block)
        output = "".join(texts)
        metadata: dict[str, Any] = {}
        if tool_uses:
            encoded = json.dumps(tool_uses, ensure_ascii=False, sort_keys=True)
            metadata["tool_calls"] = encoded
            output = output or encoded
        stop_reason = data.get("stop_reason")
        if isinstance(data.get("stop_sequence"), str):
            metadata["stop_sequence"] = data["stop_sequence"]
        return ChatResponse(
            output=output,
            usage=_usage(data.get("usage")),
            response_model=data.get("model") if isinstance(data.get("model"), str) else None,
            finish_reason=stop_reason if isinstance(stop_reason, str) else None,
            response_id=data.get("id") if isinstance(data.get("id"), str) else None,
            metadata=metadata,
        )


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    uncached = as_int(raw.get("input_tokens"))
    cache_read = as_int(raw.get("cache_read_input_tokens"))
    cache_write = as_int(raw.get("cache_creation_input_tokens"))
    parts = [n for n in (uncached, cache_read, cache_write) if n is not None]
    return Usage(
        input_tokens=sum(parts) if parts else None,
        output_tokens=as_int(raw.get("output_tokens")),
        cached_input_tokens=cache_read,
        cache_write_tokens=cache_write,
    )
