"""Client-side limits per model: concurrency, requests per minute and tokens per minute."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    """Refills `rate_per_min` units per minute up to a burst of one minute's worth."""

    def __init__(self, rate_per_min: float) -> None:
        self.capacity = max(rate_per_min, 1.0)
        self.tokens = self.capacity
        self.rate = rate_per_min / 60.0
        self.updated = time.monotonic()
        self.lock = asyncio.Lock()

    async def take(self, amount: float = 1.0) -> None:
        amount = min(amount, self.capacity)
        async with self.lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= amount:
                    self.tokens -= amount
                    return
                await asyncio.sleep((amount - self.tokens) / self.rate)


class ModelLimits:
    def __init__(self, concurrency: int | None, rpm: float | None, tpm: float | None) -> None:
        self.semaphore = asyncio.Semaphore(concurrency) if concurrency else None
        self.requests = TokenBucket(rpm) if rpm else None
        self.tokens = TokenBucket(tpm) if tpm else None

    async def acquire(self, estimated_tokens: int) -> None:
        if self.semaphore is not None:
            await self.semaphore.acquire()
        if self.requests is not None:
            await self.requests.take(1)
        if self.tokens is not None:
            await self.tokens.take(estimated_tokens)

    def release(self) -> None:
        if self.semaphore is not None:
            self.semaphore.release()
