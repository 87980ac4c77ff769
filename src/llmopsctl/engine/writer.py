"""The one thread that uses the results database while a run goes.

Writes of results run there in the background, so the event loop keeps answering while DuckDB works
(it releases the GIL), with at most one batch in flight: the next batch waits for the previous one.
Cache look-ups of the run go through the same thread and take their turn behind the writes, so the
connection is never used from two threads at once (a DuckDB connection is not thread-safe).
`close` waits for everything sent to the thread; after it, the store may be used directly again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class StoreWriter:
    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None  # the write in flight, or the last one (its error)

    @property
    def busy(self) -> bool:
        """A write is in flight (queued or running)."""
        return self._pending is not None and not self._pending.done()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the store thread (after the writes sent before it) and wait for its value."""
        return await asyncio.wrap_future(self._executor().submit(fn, *args))

    def start(self, fn: Callable[..., None], *args: Any) -> None:
        """Start a write on the store thread. The previous write must be done (see `wait`); its error,
        if it failed, is raised here and this write is not started."""
        if self.busy:
            raise RuntimeError("a write is already in flight")
        self._raise_failure()
        self._pending = self._executor().submit(fn, *args)

    async def wait(self) -> None:
        """Wait for the write in flight, without cancelling it when the waiting task is cancelled."""
        pending = self._pending
        if pending is not None and not pending.done():
            await asyncio.shield(asyncio.wrap_future(pending))

    def close(self) -> None:
        """Block until everything sent to the store thread is done and stop the thread; raise the error
        of the last write if it failed. Safe to call again (e.g. after Ctrl-C interrupted a first call)."""
        pool = self._pool
        if pool is not None:
            pool.shutdown(wait=True)
            self._pool = None
        self._raise_failure()

    def _raise_failure(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmopsctl-store")
        return self._pool
