"""A fast OpenAI-compatible chat.completions server for the benchmarks, with a fixed latency per request.

It is plain asyncio (`asyncio.start_server` and a minimal HTTP/1.1 keep-alive parser: request line,
headers, Content-Length body), answers every `POST .../chat/completions` after `--latency-ms` with one
precomputed body (with `usage`), and runs in its own process so it never shares the GIL with the client
being measured. `GET /stats` returns {"requests": n, "connections": n}; `POST /reset` zeroes them.

    python benchmarks/llm_server.py --latency-ms 20          # prints "LISTENING <port>", serves
    python benchmarks/llm_server.py --selftest               # how many requests/s it sustains

From Python: `with BenchServer(latency_ms=20) as server: server.base_url, server.stats()`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import subprocess
import sys
import time
from types import TracebackType

MAX_HEADER = 64 * 1024


def completion_body(output: str, model: str = "bench-model") -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1700000000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": output, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 57, "completion_tokens": 1, "total_tokens": 58},
        },
        separators=(",", ":"),
    ).encode()


def _response(status: str, body: bytes, close: bool = False) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        f"connection: {'close' if close else 'keep-alive'}\r\n\r\n"
    )
    return head.encode() + body


class Server:
    def __init__(self, latency_s: float, output: str) -> None:
        self.latency_s = latency_s
        self.completion = _response("200 OK", completion_body(output))
        self.requests = 0
        self.connections = 0
        self.held_s = 0.0  # total time completions were held (target: latency_s each)
        self.overshoot_s = 0.0  # running mean of how late asyncio.sleep wakes up; subtracted from the sleep

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                lines = head.split(b"\r\n")
                try:
                    method, target, _version = lines[0].split(b" ", 2)
                except ValueError:
                    writer.write(_response("400 Bad Request", b'{"error":"bad request line"}', close=True))
                    return
                length = 0
                close = False
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"connection":
                        close = value.strip().lower() == b"close"
                    elif name == b"transfer-encoding":
                        writer.write(_response("501 Not Implemented", b'{"error":"chunked"}', close=True))
                        return
                if length:
                    await reader.readexactly(length)
                writer.write(await self.route(method, target.split(b"?", 1)[0]))
                await writer.drain()
                if close:
                    return
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def route(self, method: bytes, path: bytes) -> bytes:
        if method == b"POST" and path.endswith(b"/chat/completions"):
            self.requests += 1
            started = time.perf_counter()
            if self.latency_s > 0:
                delay = max(self.latency_s - self.overshoot_s, 0.0)
                await asyncio.sleep(delay)
                held = time.perf_counter() - started
                self.overshoot_s += 0.02 * (held - delay - self.overshoot_s)
                self.held_s += held
            return self.completion
        if path == b"/stats":
            stats = {
                "requests": self.requests,
                "connections": self.connections,
                "mean_held_ms": self.held_s / self.requests * 1000 if self.requests else 0.0,
                "cpu_s": time.process_time(),
            }
            return _response("200 OK", json.dumps(stats).encode())
        if method == b"POST" and path == b"/reset":
            self.requests = self.connections = 0
            self.held_s = 0.0
            return _response("200 OK", b"{}")
        return _response("404 Not Found", b'{"error":{"message":"not found"}}')


async def serve(host: str, port: int, latency_s: float, output: str) -> None:
    server = Server(latency_s, output)
    listener = await asyncio.start_server(server.handle, host, port, backlog=2048, limit=MAX_HEADER)
    bound = listener.sockets[0].getsockname()[1]
    print(f"LISTENING {bound}", flush=True)
    async with listener:
        await listener.serve_forever()


class BenchServer:
    """The server in a child process (started by `with`, stopped on exit)."""

    def __init__(self, latency_ms: float = 20.0, output: str = "positive") -> None:
        self.latency_ms = latency_ms
        self.output = output
        self.port = 0
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> BenchServer:
        cmd = [sys.executable, __file__, "--latency-ms", str(self.latency_ms), "--output", self.output]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("LISTENING "):
            self.close()
            raise RuntimeError(f"benchmark server did not start (said {line!r})")
        self.port = int(line.split()[1])
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _call(self, method: str, path: str) -> dict[str, float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path)
            data: dict[str, float] = json.loads(conn.getresponse().read())
            return data
        finally:
            conn.close()

    def stats(self) -> dict[str, float]:
        return self._call("GET", "/stats")

    def reset(self) -> None:
        self._call("POST", "/reset")


async def hammer(port: int, requests: int, concurrency: int) -> float:
    """Send `requests` POSTs over `concurrency` keep-alive connections with a raw asyncio client;
    returns the wall time. Shows the server's own ceiling (the client here is far cheaper than httpx)."""
    body = b'{"model":"m","messages":[{"role":"user","content":"hi"}]}'
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n%s" % (len(body), body)
    )
    left = requests

    async def client() -> None:
        nonlocal left
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while left > 0:
                left -= 1
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - started


def selftest(latency_ms: float, requests: int, concurrency: int) -> tuple[float, float]:
    """(wall seconds, ideal seconds) for `requests` at `concurrency` against a fresh server process."""
    with BenchServer(latency_ms) as server:
        wall = asyncio.run(hammer(server.port, requests, concurrency))
        served = server.stats()["requests"]
    if served != requests:
        raise RuntimeError(f"server counted {served} requests, expected {requests}")
    return wall, requests * latency_ms / 1000 / concurrency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--output", default="positive", help="the assistant message every answer carries")
    parser.add_argument("--selftest", action="store_true", help="measure the server's capacity and exit")
    args = parser.parse_args()
    if args.selftest:
        for latency in (0.0, args.latency_ms):
            wall, ideal = selftest(latency, 20_000, 64)
            print(
                f"latency {latency:g} ms, concurrency 64: 20000 requests in {wall:.2f} s "
                f"({20_000 / wall:.0f} req/s; ideal {ideal:.2f} s)"
            )
        return
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.latency_ms / 1000.0, args.output))


if __name__ == "__main__":
    main()
