"""One model call with the engine's policies: model limits, a per-request timeout, retries with backoff.

A call's latency is its own: it is measured once the model's limits (its concurrency, requests and tokens
per minute) let the attempt go, so time spent waiting in our own queue for a slot is not the API's
latency; it is counted apart, as queue time.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from llmopsctl.errors import ProviderError

if TYPE_CHECKING:
    from llmopsctl.engine.model_runtime import ModelRuntime

MAX_BACKOFF_S = 60.0
T = TypeVar("T")

if sys.version_info >= (3, 11):

    async def _within(call: Callable[[], Awaitable[T]], seconds: float) -> T:
        """`await call()`, or TimeoutError after `seconds`; in this task (wait_for makes a task per call)."""
        async with asyncio.timeout(seconds):
            return await call()

else:  # pragma: no cover - Python 3.10

    async def _within(call: Callable[[], Awaitable[T]], seconds: float) -> T:
        return await asyncio.wait_for(call(), seconds)


@dataclass(frozen=True)
class Attempted(Generic[T]):
    """What `with_retries` got: exactly one of value and error is set."""

    value: T | None
    error: ProviderError | None
    attempts: int
    latency_ms: float  # the last attempt's, from when its limits were acquired to its answer or error
    queue_ms: float  # waiting for the model's limits, over every attempt (backoff sleeps not included)


def backoff(attempt: int, retry_after: float | None, base_s: float) -> float:
    """Seconds before retry number `attempt`: the server's Retry-After, else exponential with jitter."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_BACKOFF_S)
    return min(base_s * (2.0 ** (attempt - 1)) * random.uniform(0.5, 1.5), MAX_BACKOFF_S)


async def with_retries(
    runtime: ModelRuntime,
    call: Callable[[], Awaitable[T]],
    *,
    estimate_tokens: int,
    backoff_s: float,
    label: str,
) -> Attempted[T]:
    """Call under the model's limits, retrying transient errors; latency and queue time measured apart."""
    attempts = 0
    last_error: ProviderError | None = None
    latency = queued = 0.0
    while attempts <= runtime.retries:
        attempts += 1
        waiting = time.perf_counter()
        started: float | None = None
        try:
            await runtime.limits.acquire(estimate_tokens)
            started = time.perf_counter()
            queued += started - waiting
            value = await _within(call, runtime.timeout_s + 5)
        except ProviderError as exc:
            last_error = exc
        except asyncio.TimeoutError:
            last_error = ProviderError(f"no answer within {runtime.timeout_s:g} s", transient=True)
        except Exception as exc:  # a bug in a provider (or a plugin) fails this call, not the whole run
            last_error = ProviderError(f"{label}: {type(exc).__name__}: {exc}", transient=False)
        else:
            return Attempted(value, None, attempts, _ms(time.perf_counter() - started), _ms(queued))
        finally:
            if started is not None:
                runtime.limits.release()
                latency = time.perf_counter() - started
        if not last_error.transient or attempts > runtime.retries:
            break
        await asyncio.sleep(backoff(attempts, last_error.retry_after, backoff_s))
    return Attempted(None, last_error, attempts, _ms(latency), _ms(queued))


def _ms(seconds: float) -> float:
    return seconds * 1000


def describe_failure(error: ProviderError, attempts: int) -> str:
    message = error.message
    if error.transient and attempts > 1:
        message = f"{message} (gave up after {attempts} attempts)"
    if error.hint:
        message = f"{message}; hint: {error.hint}"
    return message
