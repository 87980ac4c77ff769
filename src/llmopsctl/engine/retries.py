"""One model call with the engine's policies: model limits, a per-request timeout, retries with backoff."""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

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
) -> tuple[T | None, ProviderError | None, int, float]:
    """(value, error, attempts, latency of the last attempt in ms); exactly one of value and error is set."""
    attempts = 0
    last_error: ProviderError | None = None
    started = time.perf_counter()
    while attempts <= runtime.retries:
        attempts += 1
        started = time.perf_counter()
        acquired = False
        try:
            await runtime.limits.acquire(estimate_tokens)
            acquired = True
            value = await _within(call, runtime.timeout_s + 5)
        except ProviderError as exc:
            last_error = exc
        except asyncio.TimeoutError:
            last_error = ProviderError(f"no answer within {runtime.timeout_s:g} s", transient=True)
        except Exception as exc:  # a bug in a provider (or a plugin) fails this call, not the whole run
            last_error = ProviderError(f"{label}: {type(exc).__name__}: {exc}", transient=False)
        else:
            return value, None, attempts, (time.perf_counter() - started) * 1000
        finally:
            if acquired:
                runtime.limits.release()
        if not last_error.transient or attempts > runtime.retries:
            break
        await asyncio.sleep(backoff(attempts, last_error.retry_after, backoff_s))
    return None, last_error, attempts, (time.perf_counter() - started) * 1000


def describe_failure(error: ProviderError, attempts: int) -> str:
    message = error.message
    if error.transient and attempts > 1:
        message = f"{message} (gave up after {attempts} attempts)"
    if error.hint:
        message = f"{message}; hint: {error.hint}"
    return message
