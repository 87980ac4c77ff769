"""A fault-injecting OpenAI-compatible HTTP server for end-to-end tests (`eval_helpers` writes projects
that use it and runs the CLI on them).

    with FakeLLMServer(faults={"q002": ["429", "500"]}) as server:
        write_project(tmp_path, port=server.port)
        ...
        assert server.count("q002") == 3

POST /v1/chat/completions answers an OpenAI-shaped body. The answer's content comes from `behaviour`:
a callable taking the request JSON (returning the content), a mapping "substring of the messages ->
answer" (echo when nothing matches), or None (echo the last user message).

Faults are scripted per request by substring of the request's messages: `faults[substring]` is a list
of faults for the successive matching requests (answered normally once it runs out) or one fault
string for every matching request. Faults (see FAULTS): "429" (Retry-After: 0), "429-1" (Retry-After:
1), "500", "503", "400", "hang" (sleep `hang_s`, past the client's timeout, then answer), "malformed"
(200 with a broken JSON body), "drop" (close the socket without a response), "echo-auth" (HTTP 500
whose error message contains the request's Authorization header), "echo-auth-400" (the same, as 400).

POST /v1/embeddings answers OpenAI-shaped embeddings (`{"data": [{"index": i, "embedding": [...]}], "model",
"usage": {"prompt_tokens": n}}`, `embedding_tokens` per input text). The vectors come from `embeddings`: a
callable text -> vector, a mapping "substring of the text -> vector" (the default for the rest), or None:
`letter_vector` (26 letter counts, so texts with the same letters point the same way). Faults and `count`
match embeddings requests on their input texts.

Judges: `judged(verdict)` is a behaviour answering model-graded requests (`is_judge_request`: the llm-judge,
factuality and answer-relevance system prompts) with `verdict(messages text)` and echoing the rest;
`verdict_json(score, reason)` and `choice_json(letter, reason)` write well-formed verdicts.

Every request is recorded (path, headers, raw body, parsed JSON) in `server.requests`.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

RESPONSE_MODEL = "fake-model-2024-01-01"
FAULTS = ("429", "429-1", "500", "503", "400", "hang", "malformed", "drop", "echo-auth", "echo-auth-400")
DEFAULT_USAGE = {"prompt_tokens": 100, "completion_tokens": 20, "cached_tokens": 40}

Behaviour = Callable[[dict[str, Any]], str] | Mapping[str, str] | None
Embedder = Callable[[str], Sequence[float]] | Mapping[str, Sequence[float]] | None
# The system prompts of llmopsctl's model-graded scorers (llm-judge, answer-relevance; factuality).
JUDGE_MARKERS = ("You are a strict, impartial grader", "You are comparing a submitted answer")


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None
    fault: str | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        """All message contents, newline-joined (what faults and behaviours match on)."""
        return messages_text(self.json)


def messages_text(body: Any) -> str:
    """The message contents of a chat request, or the input texts of an embeddings request."""
    if not isinstance(body, dict):
        return ""
    if "messages" not in body and "input" in body:
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        return "\n".join(str(t) for t in texts)
    messages = body.get("messages") or []
    return "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))


def last_user_message(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


def is_judge_request(body: Any) -> bool:
    """Whether a chat request is a model-graded scorer's (its system message is a judge's)."""
    messages = body.get("messages") if isinstance(body, dict) else None
    return any(
        isinstance(m, dict)
        and m.get("role") == "system"
        and any(marker in str(m.get("content", "")) for marker in JUDGE_MARKERS)
        for m in messages or []
    )


def judged(verdict: Callable[[str], str], graded: Behaviour = None) -> Callable[[dict[str, Any]], str]:
    """A behaviour: judge requests get `verdict(their messages text)`, the others `graded` (echo)."""

    def answer(body: dict[str, Any]) -> str:
        if is_judge_request(body):
            return verdict(messages_text(body))
        if callable(graded):
            return str(graded(body))
        text = messages_text(body)
        for substring, reply in (graded or {}).items():
            if substring in text:
                return reply
        return last_user_message(body)

    return answer


def verdict_json(score: float, reason: str = "graded by the fake judge") -> str:
    return json.dumps({"score": score, "reason": reason})


def choice_json(letter: str, reason: str = "compared by the fake judge") -> str:
    return json.dumps({"choice": letter, "reason": reason})


def letter_vector(text: str) -> list[float]:
    """Counts of a..z in the text (lower-cased), plus 1e-3 so no vector is all zeros."""
    lowered = text.lower()
    return [lowered.count(chr(c)) + 1e-3 for c in range(ord("a"), ord("z") + 1)]


class FakeLLMServer:
    """ThreadingHTTPServer on 127.0.0.1:0 in a daemon thread; a context manager (start/stop)."""

    def __init__(
        self,
        behaviour: Behaviour = None,
        faults: Mapping[str, Sequence[str] | str] | None = None,
        *,
        delay_s: float = 0.0,
        hang_s: float = 1.0,
        usage: Mapping[str, int] | None = None,
        embeddings: Embedder = None,
        embedding_tokens: int = 8,
    ) -> None:
        self.behaviour = behaviour
        self.embeddings = embeddings
        self.embedding_tokens = embedding_tokens
        self._lock = threading.Lock()
        self.faults: dict[str, list[str] | str] = {}
        for key, value in (faults or {}).items():
            self.set_faults(key, value)
        self.delay_s = delay_s
        self.hang_s = hang_s
        self.usage = dict(usage or DEFAULT_USAGE)
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests the server was answering at once
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up -----------------------------------------------------------------------------------------
    def set_faults(self, substring: str, faults: Sequence[str] | str) -> None:
        for fault in [faults] if isinstance(faults, str) else faults:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r} (known: {', '.join(FAULTS)})")
        with self._lock:
            self.faults[substring] = faults if isinstance(faults, str) else list(faults)

    def start(self) -> FakeLLMServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not running"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- assertions -------------------------------------------------------------------------------------
    def count(self, substring: str | None = None, *, path: str | None = None) -> int:
        """Requests received (whose messages contain `substring`; to `path`, e.g. "/v1/embeddings")."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (substring is None or substring in r.text) and (path is None or r.path == path)
            )

    def judge_count(self) -> int:
        """Model-graded scorers' chat requests received."""
        with self._lock:
            return sum(1 for r in self.requests if is_judge_request(r.json))

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- used by the handler ----------------------------------------------------------------------------
    def _record(self, request: RecordedRequest) -> str | None:
        """Store the request and pick its fault (None: answer normally)."""
        with self._lock:
            self.requests.append(request)
            text = request.text
            for substring, script in self.faults.items():
                if substring not in text:
                    continue
                if isinstance(script, str):
                    request.fault = script
                elif script:
                    request.fault = script.pop(0)
                break
            return request.fault

    def _busy(self, delta: int) -> None:
        with self._lock:
            self.in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _response_id(self, body: dict[str, Any]) -> str:
        """Deterministic per request body, so that re-recording a cassette gives the same bytes."""
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        return f"chatcmpl-{digest[:20]}"

    def _answer(self, body: dict[str, Any]) -> str:
        behaviour = self.behaviour
        if callable(behaviour):
            return str(behaviour(body))
        if behaviour is not None:
            text = messages_text(body)
            for substring, answer in behaviour.items():
                if substring in text:
                    return answer
        return last_user_message(body)

    def completion(self, body: dict[str, Any]) -> dict[str, Any]:
        usage = self.usage
        return {
            "id": self._response_id(body),
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": RESPONSE_MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self._answer(body)},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": usage["prompt_tokens"],
                "completion_tokens": usage["completion_tokens"],
                "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"],
                "prompt_tokens_details": {"cached_tokens": usage["cached_tokens"]},
            },
        }

    def vector(self, text: str) -> list[float]:
        embeddings = self.embeddings
        if callable(embeddings):
            return [float(x) for x in embeddings(text)]
        for substring, vector in (embeddings or {}).items():
            if substring in text:
                return [float(x) for x in vector]
        return letter_vector(text)

    def embedding(self, body: dict[str, Any]) -> dict[str, Any]:
        raw = body.get("input")
        texts = [str(t) for t in raw] if isinstance(raw, list) else [str(raw)]
        tokens = self.embedding_tokens * len(texts)
        return {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": self.vector(t)} for i, t in enumerate(texts)
            ],
            "model": str(body.get("model") or RESPONSE_MODEL),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLMServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        request = RecordedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, raw, parsed)
        fault = self.fake._record(request)
        self.fake._busy(+1)
        try:
            self._respond(request, fault)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client gave up (e.g. its timeout): nothing to do
        finally:
            self.fake._busy(-1)

    def _respond(self, request: RecordedRequest, fault: str | None) -> None:
        fake = self.fake
        if fault == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if fault == "hang":
            time.sleep(fake.hang_s)
        elif fake.delay_s:
            time.sleep(fake.delay_s)
        route = self.path.rstrip("/")
        if route not in ("/v1/chat/completions", "/v1/embeddings"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
        elif fault in ("429", "429-1"):
            retry_after = "1" if fault == "429-1" else "0"
            self._send(429, {"error": {"message": "rate limited, slow down"}}, {"Retry-After": retry_after})
        elif fault in ("500", "503", "400"):
            self._send(int(fault), {"error": {"message": f"fake server error {fault}"}})
        elif fault in ("echo-auth", "echo-auth-400"):
            auth = request.headers.get("authorization", "")
            status = 400 if fault == "echo-auth-400" else 500
            self._send(status, {"error": {"message": f"invalid credentials: {auth}"}})
        elif fault == "malformed":
            self._send_raw(200, b'{"id": "chatcmpl-broken", "choices": [{"message": {"content": "trunc')
        elif not isinstance(request.json, dict):
            self._send(400, {"error": {"message": "body is not a JSON object"}})
        elif route == "/v1/embeddings":
            self._send(200, fake.embedding(request.json))
        else:
            self._send(200, fake.completion(request.json))

    def _send(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(body).encode(), headers)

    def _send_raw(self, status: int, data: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
