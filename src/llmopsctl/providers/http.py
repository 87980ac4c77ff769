"""What the HTTP providers share: one pooled httpx client each, and one mapping of failures to ProviderError.

Error policy (the engine retries what is `transient`):

- 408, 409, 429 and every 5xx (incl. Anthropic's 529 "overloaded") -> transient, with `retry_after`
  taken from `retry-after-ms` or `Retry-After` (seconds or an HTTP date) when the server sent one;
- timeouts, refused/dropped connections, protocol and read/write errors -> transient;
- a 2xx whose body is not JSON, or lacks the fields the API promises -> transient ("malformed response");
- other 3xx/4xx -> not transient; the message has the status and the API's own error message.

No message ever holds request headers, and every text that goes into one is scrubbed of the API key
(and of other secret-looking header values and URL passwords) first, even if the server echoed it back.
"""

from __future__ import annotations

import functools
import json
import re
import ssl
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from llmopsctl.core.chat import ChatRequest
from llmopsctl.errors import ProviderError
from llmopsctl.providers.base import BaseProvider, ModelSpec

MAX_DETAIL_CHARS = 300
REDACTED = "[REDACTED]"
TRANSIENT_STATUSES = frozenset({408, 409, 429})
_SECRET_HEADER = re.compile(r"auth|key|token|secret|cookie|signature|password", re.IGNORECASE)


def merged_params(spec: ModelSpec, request: ChatRequest) -> dict[str, Any]:
    """The model file's params overlaid with the request's (the request wins)."""
    return {**spec.params, **request.params}


def truncate(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_retry_after(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Seconds to wait per `retry-after-ms` or `Retry-After` (seconds or HTTP date); None if absent/bad."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000.0
        except ValueError:
            value = -1.0
        if value >= 0 and value == value and value != float("inf"):
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
        return max(0.0, seconds)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def api_error_message(body: Any) -> str | None:
    """The API's own error text: `error.message`, a string `error`, or a top-level `message`/`detail`."""
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if isinstance(err, dict):
        msg = err.get("message")
        if isinstance(msg, str) and msg:
            return msg
        kind = err.get("type") or err.get("code")
        if isinstance(kind, str) and kind:
            return kind
    if isinstance(err, str) and err:
        return err
    for key in ("message", "detail"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """The default verifying TLS context (certifi's roots), built once per process."""
    return httpx.create_ssl_context()


class HttpProvider(BaseProvider):
    """Base of the HTTP providers: a lazily built pooled client and `post_json` with the error policy.

    Remote answers are `cacheable`; `aclose` closes the clients. Subclasses implement `complete` (and
    `embed`, setting `supports_embeddings`, when the API has an embeddings endpoint).
    """

    default_base_url = ""

    def __init__(self, spec: ModelSpec, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(spec)
        self._transport = transport
        self._clients: list[httpx.AsyncClient] = []
        self._busy: list[int] = []  # requests in flight per client
        self._verify: ssl.SSLContext | bool | None = None
        self._secrets = self._collect_secrets(spec)
        self.label = f"{spec.provider} model {spec.name!r}"

    # -- plumbing -------------------------------------------------------------------------------------

    @staticmethod
    def _collect_secrets(spec: ModelSpec) -> tuple[str, ...]:
        found: set[str] = set()
        if spec.api_key:
            found.add(spec.api_key)
        for name, value in spec.headers.items():
            if _SECRET_HEADER.search(name) and value:
                found.add(value)
                found.update(part for part in value.split() if len(part) >= 8)  # "Bearer <token>"
        if spec.base_url:
            try:
                password = httpx.URL(spec.base_url).password
            except (httpx.InvalidURL, TypeError, ValueError):
                password = None
            if password:
                found.add(password)
        # Longest first so that a secret containing another is replaced whole.
        return tuple(sorted((s for s in found if len(s) >= 4), key=len, reverse=True))

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    @property
    def base_url(self) -> str:
        return (self.spec.base_url or self.default_base_url).rstrip("/")

    def _pick_client(self) -> int:
        """The least busy of a set of one-connection clients, adding one while under max_connections.

        httpcore's pool does work quadratic in its connections on every request; at 64 connections that
        costs more CPU than the requests themselves. Clients of one connection each keep it constant.
        """
        max_conn = max(int(self.spec.options.get("max_connections", 100)), 1)
        if self._clients:
            best = min(range(len(self._clients)), key=self._busy.__getitem__)
            if self._busy[best] == 0 or len(self._clients) >= max_conn:
                return best
        if self._verify is None:  # one TLS context for every client (building one takes ~20 ms)
            self._verify = False if self.base_url.startswith("http://") else ssl_context()
        self._clients.append(
            httpx.AsyncClient(
                timeout=httpx.Timeout(self.spec.timeout_s),
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1, keepalive_expiry=30.0),
                transport=self._transport,
                verify=self._verify,
            )
        )
        self._busy.append(0)
        return len(self._clients) - 1

    async def aclose(self) -> None:
        clients, self._clients, self._busy = self._clients, [], []
        for client in clients:
            await client.aclose()

    def headers(self, defaults: dict[str, str]) -> dict[str, str]:
        """Provider defaults overlaid with the model file's `headers`."""
        return {
            "content-type": "application/json",
            "accept": "application/json",
            **defaults,
            **self.spec.headers,
        }

    def error(
        self,
        message: str,
        *,
        transient: bool,
        retry_after: float | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> ProviderError:
        return ProviderError(
            self.scrub(f"{self.label}: {message}"),
            transient=transient,
            retry_after=retry_after,
            status=status,
            hint=self.scrub(hint) if hint else None,
        )

    def malformed(self, detail: str) -> ProviderError:
        return self.error(f"malformed response: {truncate(self.scrub(detail))}", transient=True)

    # -- the one request ------------------------------------------------------------------------------

    async def post_json(
        self,
        url: str,
        body: dict[str, Any],
        *,
        headers: dict[str, str],
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST `body` as JSON and return the decoded JSON object, or raise ProviderError."""
        try:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise self.error(f"request body is not JSON-serialisable: {exc}", transient=False) from None
        try:
            index = self._pick_client()
            self._busy[index] += 1
            try:
                response = await self._clients[index].post(
                    url, content=content, headers=headers, params=query
                )
            finally:
                if index < len(self._busy):
                    self._busy[index] -= 1
        except httpx.TimeoutException as exc:
            raise self.error(
                f"request timed out after {self.spec.timeout_s:g}s ({type(exc).__name__})", transient=True
            ) from None
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            what = "cannot connect to" if isinstance(exc, httpx.ConnectError) else "connection failed to"
            raise self.error(
                f"{what} {self._safe_url(url)} ({type(exc).__name__}: {truncate(self.scrub(str(exc)))})",
                transient=True,
            ) from None
        except httpx.DecodingError as exc:
            raise self.malformed(f"undecodable body ({exc})") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise self.error(
                f"invalid URL {self._safe_url(url)}: {self.scrub(str(exc))}",
                transient=False,
                hint="check base_url in the model file",
            ) from None
        except httpx.HTTPError as exc:
            raise self.error(
                f"request failed ({type(exc).__name__}: {truncate(self.scrub(str(exc)))})", transient=False
            ) from None
        if not 200 <= response.status_code < 300:
            raise self._status_error(response)
        try:
            data = response.json()
        except ValueError:  # JSONDecodeError and UnicodeDecodeError
            snippet = truncate(response.text, 120) if response.content else "empty body"
            raise self.malformed(f"not JSON ({snippet})") from None
        if not isinstance(data, dict):
            raise self.malformed(f"expected a JSON object, got {type(data).__name__}")
        return data

    def _safe_url(self, url: str) -> str:
        try:
            return str(httpx.URL(url).copy_with(username=None, password=None, query=None))
        except (httpx.InvalidURL, TypeError, ValueError):
            return "the configured base_url"

    def _status_error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        try:
            detail = api_error_message(response.json())
        except ValueError:
            detail = None
        if detail is None:
            detail = response.text.strip() or response.reason_phrase or "no details"
        detail = truncate(self.scrub(detail))
        transient = status in TRANSIENT_STATUSES or status >= 500
        hint: str | None = None
        if status in (401, 403):
            hint = f"check the API key (environment variable) configured for model {self.spec.name!r}"
        elif status == 404:
            hint = "check base_url and the model id in the model file"
        elif 300 <= status < 400:
            location = response.headers.get("location")
            hint = "check base_url" + (f" (redirected to {self._safe_url(location)})" if location else "")
        return self.error(
            f"HTTP {status}: {detail}",
            transient=transient,
            retry_after=parse_retry_after(response.headers) if transient else None,
            status=status,
            hint=hint,
        )


def text_of(content: Any) -> str:
    """Message content as text: a string, or the text parts of a list of content blocks."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return "".join(parts)
    return str(content)


def missing_field(field: str, data: dict[str, Any]) -> str:
    """Detail for a 2xx body that lacks `field`, with the API's error text when it sent one instead."""
    api_msg = api_error_message(data)
    return f"no {field} in the body" + (f" (API says: {api_msg})" if api_msg else "")
