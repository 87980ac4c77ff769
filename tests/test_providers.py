"""The built-in providers: request shapes, response parsing, error mapping, key hygiene, python and echo."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmopsctl.core.chat import ChatRequest, ChatResponse
from llmopsctl.errors import ProviderError
from llmopsctl.providers.anthropic import AnthropicProvider
from llmopsctl.providers.base import ModelSpec, Provider
from llmopsctl.providers.echo import EchoProvider
from llmopsctl.providers.http import HttpProvider, api_error_message, parse_retry_after
from llmopsctl.providers.ollama import OllamaProvider
from llmopsctl.providers.openai import OpenAIProvider
from llmopsctl.providers.python import PythonProvider

T = TypeVar("T")
KEY = "sk-test-SECRET-0123456789abcdef"
Handler = Callable[[httpx.Request], httpx.Response]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def spec(provider: str, **kwargs: Any) -> ModelSpec:
    kwargs.setdefault("model", "m-1")
    kwargs.setdefault("api_key", KEY)
    return ModelSpec(name=f"{provider}-test", provider=provider, **kwargs)


def req(*messages: tuple[str, str], **kwargs: Any) -> ChatRequest:
    msgs = messages or (("user", "hi"),)
    return ChatRequest(messages=tuple({"role": r, "content": c} for r, c in msgs), **kwargs)


class Recorder:
    """A MockTransport handler that records requests and answers with a fixed response."""

    def __init__(self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if isinstance(self.body, (str, bytes)):
            return httpx.Response(self.status, content=self.body, headers=self.headers)
        return httpx.Response(self.status, json=self.body, headers=self.headers)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    @property
    def last_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.last.content)
        return data


def call(
    provider_cls: type[HttpProvider], s: ModelSpec, handler: Handler, request: ChatRequest
) -> ChatResponse:
    async def go() -> ChatResponse:
        provider = provider_cls(s, transport=httpx.MockTransport(handler))
        try:
            return await provider.complete(request)
        finally:
            await provider.aclose()

    return run(go())


def call_error(provider_cls: type[HttpProvider], s: ModelSpec, handler: Handler) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        call(provider_cls, s, handler, req())
    return info.value


OPENAI_OK = {
    "id": "chatcmpl-1",
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
    "usage": {
        "prompt_tokens": 100,
        "completion_tokens": 30,
        "total_tokens": 130,
        "prompt_tokens_details": {"cached_tokens": 64},
        "completion_tokens_details": {"reasoning_tokens": 12},
    },
}
ANTHROPIC_OK = {
    "id": "msg_1",
    "type": "message",
    "model": "claude-3-5-haiku-20241022",
    "content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}],
    "stop_reason": "end_turn",
    "usage": {
        "input_tokens": 10,
        "cache_read_input_tokens": 100,
        "cache_creation_input_tokens": 20,
        "output_tokens": 7,
    },
}
OLLAMA_OK = {
    "model": "llama3.2:1b",
    "message": {"role": "assistant", "content": "hey"},
    "done": True,
    "done_reason": "stop",
    "prompt_eval_count": 26,
    "eval_count": 5,
}


# -- protocol ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls", [OpenAIProvider, AnthropicProvider, OllamaProvider, PythonProvider, EchoProvider]
)
def test_every_provider_satisfies_the_protocol(cls: type[Any]) -> None:
    provider = cls(spec("x", model="mod:fn"), transport=None)
    assert isinstance(provider, Provider)
    run(provider.aclose())


# -- openai -----------------------------------------------------------------------------------------------


def test_openai_request_shape_and_param_merge() -> None:
    rec = Recorder(body=OPENAI_OK)
    s = spec("openai", params={"temperature": 0.5, "max_tokens": 50}, headers={"X-Team": "evals"})
    call(OpenAIProvider, s, rec, req(("system", "be brief"), ("user", "hi"), params={"temperature": 0.0}))
    assert rec.last.method == "POST"
    assert str(rec.last.url) == "https://api.openai.com/v1/chat/completions"
    assert rec.last.headers["authorization"] == f"Bearer {KEY}"
    assert rec.last.headers["content-type"] == "application/json"
    assert rec.last.headers["x-team"] == "evals"
    assert rec.last_json == {
        "model": "m-1",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
        "temperature": 0.0,
        "max_tokens": 50,
    }


def test_openai_without_key_sends_no_auth_and_uses_base_url() -> None:
    rec = Recorder(body=OPENAI_OK)
    call(OpenAIProvider, spec("openai", api_key=None, base_url="http://localhost:8000/v1/"), rec, req())
    assert str(rec.last.url) == "http://localhost:8000/v1/chat/completions"
    assert "authorization" not in rec.last.headers
    assert "api-key" not in rec.last.headers


def test_openai_azure_style_query_header_and_path() -> None:
    rec = Recorder(body=OPENAI_OK)
    s = spec(
        "openai",
        base_url="https://res.openai.azure.com/openai/deployments/gpt4o",
        options={"api_version": "2024-10-21", "path": "/chat/completions"},
    )
    call(OpenAIProvider, s, rec, req())
    url = rec.last.url
    assert url.path == "/openai/deployments/gpt4o/chat/completions"
    assert url.params["api-version"] == "2024-10-21"
    assert rec.last.headers["api-key"] == KEY
    assert "authorization" not in rec.last.headers


def test_openai_path_option_overrides_suffix() -> None:
    rec = Recorder(body=OPENAI_OK)
    call(OpenAIProvider, spec("openai", base_url="http://h/x", options={"path": "/v2/chat"}), rec, req())
    assert str(rec.last.url) == "http://h/x/v2/chat"


def test_openai_response_parsing_and_usage() -> None:
    out = call(OpenAIProvider, spec("openai"), Recorder(body=OPENAI_OK), req())
    assert out.output == "hello"
    assert out.finish_reason == "stop"
    assert out.response_id == "chatcmpl-1"
    assert out.response_model == "gpt-4o-mini-2024-07-18"
    assert out.usage.to_dict() == {
        "input_tokens": 100,
        "output_tokens": 30,
        "cached_input_tokens": 64,
        "cache_write_tokens": None,
        "reasoning_tokens": 12,
    }


def test_openai_tool_calls_and_null_content() -> None:
    calls = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    body = {"choices": [{"message": {"content": None, "tool_calls": calls}, "finish_reason": "tool_calls"}]}
    out = call(OpenAIProvider, spec("openai"), Recorder(body=body), req())
    assert json.loads(out.metadata["tool_calls"]) == calls
    assert json.loads(out.output) == calls
    assert out.finish_reason == "tool_calls"
    assert out.usage.input_tokens is None

    body = {"choices": [{"message": {"content": None}, "finish_reason": "length"}]}
    assert call(OpenAIProvider, spec("openai"), Recorder(body=body), req()).output == ""


# -- anthropic --------------------------------------------------------------------------------------------


def test_anthropic_request_shape_system_extraction_and_defaults() -> None:
    rec = Recorder(body=ANTHROPIC_OK)
    s = spec("anthropic", params={"temperature": 0.2, "stop": "END"})
    request = req(("system", "rule one"), ("user", "hi"), ("system", "rule two"), ("assistant", "yo"))
    call(AnthropicProvider, s, rec, request)
    assert str(rec.last.url) == "https://api.anthropic.com/v1/messages"
    assert rec.last.headers["x-api-key"] == KEY
    assert rec.last.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in rec.last.headers
    assert rec.last_json == {
        "model": "m-1",
        "system": "rule one\n\nrule two",
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
        "max_tokens": 1024,
        "temperature": 0.2,
        "stop_sequences": ["END"],
    }


def test_anthropic_keeps_max_tokens_and_version_override() -> None:
    rec = Recorder(body=ANTHROPIC_OK)
    s = spec("anthropic", base_url="http://proxy/", options={"anthropic_version": "2099-01-01"})
    call(AnthropicProvider, s, rec, req(params={"max_tokens": 9, "stop": ["a", "b"]}))
    assert str(rec.last.url) == "http://proxy/v1/messages"
    assert rec.last.headers["anthropic-version"] == "2099-01-01"
    body = rec.last_json
    assert body["max_tokens"] == 9 and body["stop_sequences"] == ["a", "b"]
    assert "system" not in body and "stop" not in body


def test_anthropic_response_parsing_and_usage_includes_cache() -> None:
    out = call(AnthropicProvider, spec("anthropic"), Recorder(body=ANTHROPIC_OK), req())
    assert out.output == "Hello"
    assert out.finish_reason == "end_turn"
    assert out.response_id == "msg_1"
    assert out.response_model == "claude-3-5-haiku-20241022"
    assert out.usage.to_dict() == {
        "input_tokens": 130,
        "output_tokens": 7,
        "cached_input_tokens": 100,
        "cache_write_tokens": 20,
        "reasoning_tokens": None,
    }


def test_anthropic_529_overloaded_is_transient() -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    err = call_error(AnthropicProvider, spec("anthropic"), Recorder(529, body))
    assert err.transient and err.status == 529 and "Overloaded" in err.message


# -- ollama -----------------------------------------------------------------------------------------------


def test_ollama_request_shape_and_parsing() -> None:
    rec = Recorder(body=OLLAMA_OK)
    s = spec("ollama", api_key=None, params={"max_tokens": 64, "temperature": 0, "format": "json"})
    out = call(OllamaProvider, s, rec, req(params={"seed": 7}))
    assert str(rec.last.url) == "http://127.0.0.1:11434/api/chat"
    assert "authorization" not in rec.last.headers
    assert rec.last_json == {
        "model": "m-1",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": False,
        "options": {"num_predict": 64, "temperature": 0, "seed": 7},
        "format": "json",
    }
    assert out.output == "hey"
    assert out.usage.input_tokens == 26 and out.usage.output_tokens == 5
    assert out.finish_reason == "stop"
    assert out.response_model == "llama3.2:1b"


def test_ollama_string_error_is_extracted() -> None:
    err = call_error(OllamaProvider, spec("ollama"), Recorder(404, {"error": "model 'x' not found"}))
    assert not err.transient and err.status == 404
    assert "model 'x' not found" in err.message and "404" in err.message


# -- error mapping ----------------------------------------------------------------------------------------


def test_429_with_retry_after_seconds() -> None:
    err = call_error(
        OpenAIProvider,
        spec("openai"),
        Recorder(429, {"error": {"message": "slow down"}}, {"Retry-After": "2"}),
    )
    assert err.transient and err.retry_after == 2.0 and err.status == 429
    assert "slow down" in err.message


def test_retry_after_ms_wins_and_http_date_is_parsed() -> None:
    headers = {"retry-after-ms": "1500", "retry-after": "9"}
    err = call_error(OpenAIProvider, spec("openai"), Recorder(429, {}, headers))
    assert err.retry_after == 1.5
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    err = call_error(OpenAIProvider, spec("openai"), Recorder(503, "busy", {"Retry-After": when}))
    assert err.transient and err.retry_after is not None and 25 <= err.retry_after <= 31


def test_parse_retry_after_edge_cases() -> None:
    assert parse_retry_after(httpx.Headers({})) is None
    assert parse_retry_after(httpx.Headers({"retry-after": "soon"})) is None
    assert parse_retry_after(httpx.Headers({"retry-after": "-3"})) == 0.0
    assert parse_retry_after(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert parse_retry_after(httpx.Headers({"retry-after-ms": "x", "retry-after": "4"})) == 4.0


@pytest.mark.parametrize("status", [408, 409, 500, 502, 503, 504])
def test_server_errors_are_transient(status: int) -> None:
    err = call_error(OpenAIProvider, spec("openai"), Recorder(status, "<html>oops</html>"))
    assert err.transient and err.status == status and err.retry_after is None
    assert str(status) in err.message


def test_400_is_permanent_with_api_message() -> None:
    err = call_error(
        OpenAIProvider, spec("openai"), Recorder(400, {"error": {"message": "bad", "type": "x"}})
    )
    assert not err.transient and err.status == 400
    assert "400" in err.message and "bad" in err.message


def test_401_has_a_hint_and_long_messages_are_truncated() -> None:
    err = call_error(OpenAIProvider, spec("openai"), Recorder(401, {"error": {"message": "no " * 500}}))
    assert not err.transient and err.hint and "API key" in err.hint
    assert len(err.message) < 420


def test_api_error_message_shapes() -> None:
    assert api_error_message({"error": {"message": "a"}}) == "a"
    assert api_error_message({"error": "b"}) == "b"
    assert api_error_message({"message": "c"}) == "c"
    assert api_error_message({"error": {"type": "rate_limit"}}) == "rate_limit"
    assert api_error_message(["x"]) is None


@pytest.mark.parametrize("body", ["not json{", "", "[1, 2]"])
def test_malformed_json_in_2xx_is_transient(body: str) -> None:
    err = call_error(OpenAIProvider, spec("openai"), Recorder(200, body))
    assert err.transient and "malformed response" in err.message


@pytest.mark.parametrize(
    ("cls", "body"),
    [(OpenAIProvider, {"choices": []}), (AnthropicProvider, {"id": "x"}), (OllamaProvider, {"done": True})],
)
def test_2xx_missing_fields_is_malformed(cls: type[HttpProvider], body: dict[str, Any]) -> None:
    err = call_error(cls, spec("p"), Recorder(200, body))
    assert err.transient and "malformed response" in err.message


def raising(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.PoolTimeout("pool"),
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset by peer"),
        httpx.WriteError("broken pipe"),
    ],
)
def test_network_failures_are_transient(exc: Exception) -> None:
    err = call_error(OpenAIProvider, spec("openai"), raising(exc))
    assert err.transient and err.status is None


def test_bad_scheme_is_permanent() -> None:
    provider = OpenAIProvider(spec("openai", base_url="ftp://example.invalid"))  # the real transport
    with pytest.raises(ProviderError) as info:
        run(provider.complete(req()))
    run(provider.aclose())
    assert not info.value.transient and info.value.hint and "base_url" in info.value.hint


# -- the key never leaks ----------------------------------------------------------------------------------


def assert_no_key(err: ProviderError, key: str = KEY) -> None:
    for text in (err.message, str(err), repr(err), err.hint or "", repr(err.args)):
        assert key not in text
    assert err.__cause__ is None or key not in str(err.__cause__)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 529])
@pytest.mark.parametrize("cls", [OpenAIProvider, AnthropicProvider, OllamaProvider])
def test_key_echoed_in_error_body_is_scrubbed(cls: type[HttpProvider], status: int) -> None:
    body = {"error": {"message": f"Incorrect API key provided: {KEY}. Header was Bearer {KEY}"}}
    err = call_error(cls, spec("p"), Recorder(status, body))
    assert_no_key(err)
    assert "[REDACTED]" in err.message


def test_key_echoed_in_plain_text_and_malformed_bodies_is_scrubbed() -> None:
    assert_no_key(call_error(OpenAIProvider, spec("openai"), Recorder(502, f"upstream said {KEY}")))
    assert_no_key(call_error(OpenAIProvider, spec("openai"), Recorder(200, f"<html>{KEY}")))
    body = {"error": {"message": f"weird {KEY}"}}
    assert_no_key(call_error(OpenAIProvider, spec("openai"), Recorder(200, body)))


def test_key_in_exception_text_and_secret_headers_are_scrubbed() -> None:
    s = spec("openai", headers={"X-Custom-Token": "tok-abcdefgh-12345"})
    err = call_error(OpenAIProvider, s, raising(httpx.ConnectError(f"refused for {KEY} tok-abcdefgh-12345")))
    assert_no_key(err)
    assert "tok-abcdefgh-12345" not in err.message


def test_url_password_is_scrubbed() -> None:
    s = spec("openai", base_url="http://user:hunter2-pass@localhost:1/v1")
    err = call_error(
        OpenAIProvider, s, raising(httpx.ConnectError("refused http://user:hunter2-pass@localhost"))
    )
    assert "hunter2-pass" not in err.message


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=8, max_size=60),
    prefix=st.text(max_size=400),
    status=st.sampled_from([200, 400, 429, 500]),
)
def test_key_never_in_message_property(key: str, prefix: str, status: int) -> None:
    body = json.dumps({"error": {"message": prefix + key + prefix}}) if status != 200 else prefix + key
    err = call_error(OpenAIProvider, spec("openai", api_key=key), Recorder(status, body))
    assert_no_key(err, key)


# -- a real local HTTP server -----------------------------------------------------------------------------


class _OpenAIHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        payload = json.loads(self.rfile.read(length))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.seen.append((self.path, headers, payload))  # type: ignore[attr-defined]
        if payload.get("model") == "always-429":
            body = json.dumps({"error": {"message": "rate limited"}}).encode()
            self.send_response(429)
            self.send_header("Retry-After", "3")
        else:
            text = payload["messages"][-1]["content"].upper()
            choices = [{"message": {"content": text}, "finish_reason": "stop"}]
            body = json.dumps({**OPENAI_OK, "choices": choices}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[tuple[str, list[Any]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAIHandler)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", server.seen  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_real_local_openai_compatible_server(local_server: tuple[str, list[Any]]) -> None:
    base_url, seen = local_server

    async def go() -> list[ChatResponse]:
        provider = OpenAIProvider(spec("openai", base_url=base_url, timeout_s=5))
        try:
            return list(await asyncio.gather(*(provider.complete(req(("user", f"q{i}"))) for i in range(5))))
        finally:
            await provider.aclose()

    outs = run(go())
    assert sorted(o.output for o in outs) == [f"Q{i}" for i in range(5)]
    assert outs[0].usage.input_tokens == 100 and outs[0].usage.cached_input_tokens == 64
    path, headers, payload = seen[0]
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == f"Bearer {KEY}"
    assert payload["model"] == "m-1"


def test_real_local_server_429_and_refused_port(local_server: tuple[str, list[Any]]) -> None:
    base_url, _ = local_server

    async def go(s: ModelSpec) -> ProviderError:
        provider = OpenAIProvider(s)
        try:
            with pytest.raises(ProviderError) as info:
                await provider.complete(req())
            return info.value
        finally:
            await provider.aclose()

    err = run(go(spec("openai", base_url=base_url, model="always-429", timeout_s=5)))
    assert err.transient and err.retry_after == 3.0 and "rate limited" in err.message

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    err = run(go(spec("openai", base_url=f"http://127.0.0.1:{closed_port}/v1", timeout_s=5)))
    assert err.transient and "cannot connect" in err.message
    assert_no_key(err)


def test_aclose_is_idempotent() -> None:
    async def go() -> None:
        provider = OpenAIProvider(spec("openai"), transport=httpx.MockTransport(Recorder(body=OPENAI_OK)))
        await provider.complete(req())
        assert provider._clients  # the call opened a pooled client
        await provider.aclose()
        assert provider._clients == [] and provider._busy == []
        await provider.aclose()

    run(go())


# -- echo -------------------------------------------------------------------------------------------------


def test_echo_returns_last_user_message() -> None:
    provider = EchoProvider(spec("echo", api_key=None))
    out = run(
        provider.complete(req(("system", "sys"), ("user", "first"), ("assistant", "a"), ("user", "last")))
    )
    assert out.output == "last"
    assert out.response_model == "echo" and out.finish_reason == "stop"
    assert out.usage.output_tokens == len("last") // 4 + 1
    assert out.usage.input_tokens == len("sys\nfirst\na\nlast") // 4 + 1
    again = run(provider.complete(req(("user", "last"))))
    assert out.response_id == again.response_id and out.response_id and len(out.response_id) == 16


def test_echo_mode_all_and_no_messages() -> None:
    provider = EchoProvider(spec("echo", options={"mode": "all"}))
    out = run(provider.complete(req(("system", "s"), ("user", "u"))))
    assert out.output == "system: s\nuser: u"
    assert run(EchoProvider(spec("echo")).complete(ChatRequest(messages=()))).output == ""
    with pytest.raises(ProviderError):
        EchoProvider(spec("echo", options={"mode": "bogus"}))


def test_echo_latency() -> None:
    provider = EchoProvider(spec("echo", params={"latency_ms": 60}))
    start = time.perf_counter()
    run(provider.complete(req()))
    assert time.perf_counter() - start >= 0.05


# -- python -----------------------------------------------------------------------------------------------


@pytest.fixture
def user_code(tmp_path: Path) -> Iterator[Callable[[str, str], str]]:
    """Write a uniquely named user module into tmp_path; restore sys.path and sys.modules afterwards."""
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    counter = iter(range(10**6))

    def write(source: str, stem: str = "") -> str:
        name = stem or f"usermod_{id(tmp_path)}_{next(counter)}"
        (tmp_path / f"{name}.py").write_text(source)
        return name

    yield write
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


def pyspec(model: str, root: Path, **kwargs: Any) -> ModelSpec:
    return ModelSpec(name="app", provider="python", model=model, options={"root": str(root)}, **kwargs)


def test_python_sync_function_gets_declared_arguments(user_code: Any, tmp_path: Path) -> None:
    mod = user_code(
        "import threading\n"
        "CALLS = []\n"
        "def answer(vars, messages, case_id):\n"
        "    CALLS.append(threading.current_thread().name)\n"
        "    return f\"{case_id}:{vars['x']}:{messages[-1]['content']}\"\n"
    )
    provider = PythonProvider(pyspec(f"{mod}:answer", tmp_path))
    out = run(provider.complete(req(("user", "hi"), vars={"x": 1}, case_id="c7", params={"p": 1})))
    assert out.output == "c7:1:hi"
    assert out.usage.input_tokens is None
    assert sys.modules[mod].CALLS[0] != threading.main_thread().name  # ran in a worker thread


def test_python_async_function_kwargs_and_dict_return(user_code: Any, tmp_path: Path) -> None:
    mod = user_code(
        "import asyncio\n"
        "async def app(**kwargs):\n"
        "    await asyncio.sleep(0)\n"
        "    return {'output': ','.join(sorted(kwargs)), 'usage': {'input_tokens': 3, 'output_tokens': 4,\n"
        "            'cached_input_tokens': 1}, 'metadata': {'docs': 2}, 'model': 'rag-v1',\n"
        "            'finish_reason': 'stop'}\n"
    )
    provider = PythonProvider(pyspec(f"{mod}:app", tmp_path))
    out = run(provider.complete(req()))
    assert out.output == "case_id,messages,metadata,params,vars"
    assert out.usage.input_tokens == 3 and out.usage.output_tokens == 4 and out.usage.cached_input_tokens == 1
    assert out.metadata == {"docs": 2} and out.response_model == "rag-v1" and out.finish_reason == "stop"


def test_python_openai_style_usage_and_params_merge(user_code: Any, tmp_path: Path) -> None:
    mod = user_code(
        "def f(params):\n"
        "    return {'output': str(sorted(params.items())),\n"
        "            'usage': {'prompt_tokens': 11, 'completion_tokens': 2}}\n"
    )
    provider = PythonProvider(pyspec(f"{mod}:f", tmp_path, params={"a": 1, "b": 1}))
    out = run(provider.complete(req(params={"b": 2})))
    assert out.output == "[('a', 1), ('b', 2)]"
    assert out.usage.input_tokens == 11 and out.usage.output_tokens == 2


def test_python_file_path_form_and_import_once(user_code: Any, tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "bot.py").write_text(
        "IMPORTS = globals().get('IMPORTS', 0) + 1\n"
        "def reply(messages):\n"
        "    return f'{IMPORTS}:' + messages[0]['content']\n"
    )
    provider = PythonProvider(pyspec("apps/bot.py:reply", tmp_path))
    outs = [run(provider.complete(req(("user", f"m{i}")))).output for i in range(3)]
    assert outs == ["1:m0", "1:m1", "1:m2"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n    return 42\n", "returned int"),
        ("def f():\n    return {'text': 'x'}\n", "no 'output' key"),
        ("def f():\n    return None\n", "returned NoneType"),
    ],
)
def test_python_bad_return_type(user_code: Any, tmp_path: Path, source: str, expected: str) -> None:
    mod = user_code(source)
    with pytest.raises(ProviderError) as info:
        run(PythonProvider(pyspec(f"{mod}:f", tmp_path)).complete(req()))
    assert not info.value.transient
    assert f"{mod}:f" in info.value.message and expected in info.value.message


def test_python_raising_function(user_code: Any, tmp_path: Path) -> None:
    mod = user_code("def f(vars):\n    raise ValueError('boom')\n")
    with pytest.raises(ProviderError) as info:
        run(PythonProvider(pyspec(f"{mod}:f", tmp_path)).complete(req()))
    assert not info.value.transient
    assert info.value.message == f"{mod}:f raised ValueError: boom"


def test_python_function_may_raise_transient_provider_error(user_code: Any, tmp_path: Path) -> None:
    mod = user_code(
        "from llmopsctl.errors import ProviderError\n"
        "def f():\n    raise ProviderError('busy', transient=True, retry_after=1.0)\n"
    )
    with pytest.raises(ProviderError) as info:
        run(PythonProvider(pyspec(f"{mod}:f", tmp_path)).complete(req()))
    assert info.value.transient and info.value.retry_after == 1.0


def test_python_timeout_is_transient(user_code: Any, tmp_path: Path) -> None:
    mod = user_code("import asyncio\nasync def f():\n    await asyncio.sleep(5)\n")
    with pytest.raises(ProviderError) as info:
        run(PythonProvider(pyspec(f"{mod}:f", tmp_path, timeout_s=0.05)).complete(req()))
    assert info.value.transient and "timed out" in info.value.message


def python_error(model: str, root: Path) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        run(PythonProvider(pyspec(model, root)).complete(req()))
    assert not info.value.transient
    return info.value


def test_python_missing_module(user_code: Any, tmp_path: Path) -> None:
    err = python_error("no_such_module_xyz:f", tmp_path)
    assert "cannot find module 'no_such_module_xyz'" in err.message and err.hint and "model:" in err.hint


def test_python_missing_dependency_of_user_module(user_code: Any, tmp_path: Path) -> None:
    mod = user_code("import not_installed_dep_xyz\ndef f():\n    return 'x'\n")
    err = python_error(f"{mod}:f", tmp_path)
    assert "not_installed_dep_xyz" in err.message and err.hint and "install" in err.hint


def test_python_missing_attribute_and_bad_forms(user_code: Any, tmp_path: Path) -> None:
    mod = user_code("def real():\n    return 'x'\nVALUE = 3\n")
    err = python_error(f"{mod}:nope", tmp_path)
    assert "no attribute 'nope'" in err.message and err.hint and "real" in err.hint
    assert "not a function" in python_error(f"{mod}:VALUE", tmp_path).message
    assert "module:function" in python_error("just_a_name", tmp_path).message
    assert "file not found" in python_error("missing/file.py:f", tmp_path).message


def test_python_syntax_error_and_unsupported_parameter(user_code: Any, tmp_path: Path) -> None:
    bad = user_code("def f(:\n")
    assert "SyntaxError" in python_error(f"{bad}:f", tmp_path).message
    mod = user_code("def f(question, vars=None):\n    return 'x'\n")
    err = python_error(f"{mod}:f", tmp_path)
    assert "requires parameter 'question'" in err.message


def test_python_load_error_is_cached(user_code: Any, tmp_path: Path) -> None:
    provider = PythonProvider(pyspec("no_such_module_abc:f", tmp_path))
    for _ in range(2):
        with pytest.raises(ProviderError, match="cannot find module"):
            run(provider.complete(req()))
