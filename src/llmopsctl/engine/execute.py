"""Run work items concurrently: cache look-ups a chunk at a time, limits, retries with backoff, scoring,
and results written to the store in batches while the run goes (a crash loses at most the batch being
written and the one being filled, 2 x WRITE_BATCH results; `eval --resume` runs them again).

While a run goes the store is used only from the store thread (engine/writer.py): batches are written
there in the background, one at a time, and cache look-ups wait their turn there."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from llmopsctl.core.chat import ChatRequest, ChatResponse
from llmopsctl.core.definitions import team_and_owner
from llmopsctl.core.records import JudgeCallRecord, ResultRecord, ScoreRecord
from llmopsctl.core.secrets import redact
from llmopsctl.cost.estimate import CostEstimate
from llmopsctl.engine.estimate import RunEstimate
from llmopsctl.engine.judge_calls import ModelCalls
from llmopsctl.engine.model_runtime import ModelRuntime
from llmopsctl.engine.options import RunOptions
from llmopsctl.engine.plan import WorkItem
from llmopsctl.engine.progress import Progress
from llmopsctl.engine.requests import PreparedRequest, RequestPreparer, chunks
from llmopsctl.engine.result_rows import CallOutcome, Charge, result_record, score_records
from llmopsctl.engine.retries import describe_failure, with_retries
from llmopsctl.engine.score import CaseVerdict, evaluate
from llmopsctl.engine.writer import StoreWriter
from llmopsctl.errors import MissingRecording
from llmopsctl.providers.replay import cassette_key
from llmopsctl.scorers.base import ScoreContext
from llmopsctl.store import Store
from llmopsctl.store.cache import CacheEntry
from llmopsctl.store.costs import write_judge_calls

CHUNK = 256  # items prepared and looked up in the cache together
WRITE_BATCH = 128  # results per write: with one batch in flight, a crash loses at most 2 x 128 results
FLUSH_S = 1.0  # write buffered results at least this often


@dataclass
class _Batch:
    results: list[ResultRecord]
    scores: list[ScoreRecord]
    judge_calls: list[JudgeCallRecord]
    cache: list[CacheEntry]


@dataclass
class _Chunk:
    prepared: list[PreparedRequest]
    lookup: asyncio.Future[dict[str, dict[str, Any]]] | None  # the cache hits among them, by request hash


class Executor:
    def __init__(
        self,
        run_id: str,
        store: Store,
        runtimes: dict[str, ModelRuntime],
        options: RunOptions,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.run_id = run_id
        self.store = store
        self.runtimes = runtimes
        self.options = options
        self.on_progress = on_progress
        self.progress = Progress()
        self._results: list[ResultRecord] = []
        self._scores: list[ScoreRecord] = []
        self._cache_new: list[CacheEntry] = []
        self._last_flush = time.monotonic()
        self.writer = StoreWriter()
        self.calls = ModelCalls(store, runtimes, options, self.writer)
        self._preparer = RequestPreparer(runtimes)

    # -- public -------------------------------------------------------------------------------------------
    async def run(self, items: Iterable[WorkItem], total: int) -> Progress:
        self.progress.total = total
        queue: asyncio.Queue[PreparedRequest | None] = asyncio.Queue(
            maxsize=max(self.options.concurrency * 2, CHUNK)
        )
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.options.concurrency)]
        ahead: _Chunk | None = None  # prepared, its cache look-up running while the chunk before is handled
        try:
            for chunk in chunks(items, CHUNK):
                if self.progress.stopped:
                    break
                prepared = [self._preparer.prepare(item) for item in chunk]
                keys = self._cache_keys(prepared)
                lookup = asyncio.ensure_future(self.writer.call(self._cache_get, keys)) if keys else None
                if ahead is not None:
                    await self._dispatch(ahead, queue, workers)
                ahead = _Chunk(prepared, lookup)
            if ahead is not None and not self.progress.stopped:
                await self._dispatch(ahead, queue, workers)
            for _ in workers:
                await _put(queue, None, workers)
            await asyncio.gather(*workers)
        finally:
            if ahead is not None and ahead.lookup is not None:
                ahead.lookup.cancel()
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self.flush()  # waits for the write in flight, then writes the rest
        return self.progress

    async def _dispatch(
        self, chunk: _Chunk, queue: asyncio.Queue[PreparedRequest | None], workers: list[asyncio.Task[None]]
    ) -> None:
        """Finish a chunk's cached answers and render errors here, and queue the rest for the workers."""
        hits = await chunk.lookup if chunk.lookup is not None else {}
        for prep in chunk.prepared:
            if self.progress.stopped:  # capped: the rest is left for `eval --resume`, cached
                break  # answers too, since grading them may call a judge
            if prep.error is not None:
                await self._finish(prep, CallOutcome(None, 0, None, error=prep.error, error_kind="render"))
            elif prep.request_hash in hits:
                response = ChatResponse.from_dict(hits[prep.request_hash])
                self._record(prep, response)
                # the latency of the call that was cached, when its entry kept it; never 0 for "cached"
                await self._finish(prep, CallOutcome(response, 0, response.latency_ms, cached=True))
            else:
                await _put(queue, prep, workers)
        await self._maybe_flush()

    def estimate(self, items: Iterable[WorkItem]) -> CostEstimate:
        """What the calls still to make (graded and judge calls) would cost at list price; cached answers,
        replayed and local models are free. Before the run: the store is used directly."""
        return RunEstimate(self.runtimes, self._preparer, self._cache_get, self.options.use_cache).estimate(
            items
        )

    def flush(self) -> None:
        """Wait for the write in flight (and anything else sent to the store thread), then write what is
        still buffered on the calling thread. It blocks: for the end of a run, Ctrl-C and errors."""
        self.writer.close()
        batch = self._take()
        if batch is not None:
            self._write(batch)

    # -- writing --------------------------------------------------------------------------------------------
    async def _maybe_flush(self) -> None:
        """Hand the buffered rows to the store thread once there are WRITE_BATCH of them or FLUSH_S passed.

        One batch at a time: a full batch waits for the batch in flight (back-pressure, and a crash loses
        at most that batch and the one being filled); on the timer alone, the rows wait for the next call."""
        while len(self._results) >= WRITE_BATCH or time.monotonic() - self._last_flush >= FLUSH_S:
            if not self.writer.busy:
                batch = self._take()
                if batch is not None:
                    self.writer.start(self._write, batch)
                return
            if len(self._results) < WRITE_BATCH:
                return
            await self.writer.wait()

    def _take(self) -> _Batch | None:
        """The buffered rows, handed over (the buffers start again empty)."""
        self._last_flush = time.monotonic()
        judge_calls, judge_cache = self.calls.drain()
        batch = _Batch(self._results, self._scores, judge_calls, self._cache_new + judge_cache)
        self._results, self._scores, self._cache_new = [], [], []
        return batch if batch.results or batch.judge_calls or batch.cache else None

    def _write(self, batch: _Batch) -> None:
        """Write one batch (on the store thread during a run): results and scores, judge calls, cache."""
        if batch.results:
            self.store.write_results(batch.results, batch.scores, replace=not self.options.fresh)
        if batch.judge_calls:
            write_judge_calls(self.store, batch.judge_calls)
        if batch.cache:
            self.store.cache_put_many(batch.cache)

    def _cache_keys(self, prepared: list[PreparedRequest]) -> list[str]:
        if not self.options.use_cache:
            return []
        return [
            p.request_hash
            for p in prepared
            if p.request_hash is not None and self.runtimes[p.item.model.name].cache
        ]

    def _cache_get(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        return self.store.cache_get_many(keys, datetime.now(timezone.utc))

    # -- calling the model ----------------------------------------------------------------------------------
    async def _worker(self, queue: asyncio.Queue[PreparedRequest | None]) -> None:
        while True:
            prep = await queue.get()
            if prep is None:
                return
            if self.progress.stopped:  # capped: leave the rest unsent, for `eval --resume`
                continue
            await self._call(prep)
            await self._maybe_flush()

    async def _call(self, prep: PreparedRequest) -> None:
        item = prep.item
        runtime = self.runtimes[item.model.name]
        assert prep.messages is not None
        request = ChatRequest(
            messages=tuple(prep.messages),
            params=prep.params,
            vars=item.case.vars,
            case_id=item.case.id,
            metadata=item.case.metadata,
        )
        estimate = sum(len(m["content"]) for m in prep.messages) // 4 + int(
            prep.params.get("max_tokens", 256)
        )
        got = await with_retries(
            runtime,
            lambda: runtime.provider.complete(request),
            estimate_tokens=estimate,
            backoff_s=self.options.backoff_s,
            label=f"{item.model.provider} model {item.model.name!r}",
        )
        if got.value is not None and runtime.replayed:  # the recorded call's latency (None: not recorded)
            await self._finish(prep, CallOutcome(got.value, got.attempts, got.value.latency_ms))
            return
        if got.value is not None:
            response = replace(got.value, latency_ms=got.latency_ms)  # cached and recorded with its latency
            self._remember(prep, response)
            await self._finish(
                prep, CallOutcome(response, got.attempts, got.latency_ms, queue_ms=got.queue_ms)
            )
            return
        assert got.error is not None
        kind = "replay" if isinstance(got.error, MissingRecording) else "provider"
        message = describe_failure(got.error, got.attempts)
        outcome = CallOutcome(None, got.attempts, got.latency_ms, queue_ms=got.queue_ms, error=message)
        await self._finish(prep, replace(outcome, error_kind=kind))

    def _remember(self, prep: PreparedRequest, response: ChatResponse) -> None:
        cacheable = self.options.use_cache and self.runtimes[prep.item.model.name].cache
        if cacheable and prep.request_hash is not None:
            self._cache_new.append(self.options.cache_entry(prep.request_hash, response.to_dict()))
        self._record(prep, response)

    def _record(self, prep: PreparedRequest, response: ChatResponse) -> None:
        """Put a response in the cassette being recorded, answers from the cache included."""
        item = prep.item
        if self.options.cassette is not None and prep.messages is not None:
            key = cassette_key(item.model.model, prep.messages, prep.params)
            self.options.cassette.put(key, item.model.model, prep.messages, prep.params, response)

    # -- results ------------------------------------------------------------------------------------------
    async def _finish(self, prep: PreparedRequest, outcome: CallOutcome) -> None:
        """Price and grade an answer, and buffer its result (and scores) for the next write."""
        item = prep.item
        runtime = self.runtimes[item.model.name]
        verdict: CaseVerdict | None = None
        charge: Charge | None = None
        if outcome.response is not None:
            priced = runtime.price(outcome.response.usage, datetime.now(timezone.utc))
            # the list price stays in cost_nominal_usd
            charge = Charge(priced, runtime.spent(priced, cached=outcome.cached))
            result_id = f"{self.run_id}/{item.item_key}"
            verdict = await self._grade(prep, outcome, charge, result_id)
            if verdict.error:
                outcome = replace(outcome, error=verdict.error, error_kind="scorer")
            self._scores.extend(score_records(self.run_id, result_id, verdict))
        if outcome.error is not None:
            outcome = replace(outcome, error=redact(outcome.error, self.options.secrets))
        source = "replay" if runtime.replayed else "eval"
        environment = self.options.environment
        self._results.append(
            result_record(self.run_id, prep, outcome, verdict, charge, source=source, environment=environment)
        )
        self.progress.count(
            outcome.response,
            outcome.cached,
            charge.spent if charge is not None else None,
            outcome.error,
            verdict.passed if verdict is not None else None,
            judge_cost=self.calls.ledger.cost,
            judge_calls=self.calls.ledger.calls,
            judge_unknown_cost=self.calls.ledger.unknown_cost,
            cap=self.options.max_cost,
        )
        if self.on_progress is not None:
            self.on_progress(self.progress)

    async def _grade(
        self, prep: PreparedRequest, outcome: CallOutcome, charge: Charge, result_id: str
    ) -> CaseVerdict:
        """Apply the case's assertions to the answer (model-graded ones call their judges through
        self.calls, charged to this result)."""
        item, response = prep.item, outcome.response
        assert response is not None
        team, owner = team_and_owner(item.prompt, item.suite)
        metadata = dict(item.case.metadata)
        if "tool_calls" in response.metadata:
            metadata["tool_calls"] = response.metadata["tool_calls"]
        if item.prompt.tools:
            metadata.setdefault("tools", [dict(tool) for tool in item.prompt.tools])
        ctx = ScoreContext(
            output=response.output,
            expected=item.case.expected,
            vars=item.case.vars,
            metadata=metadata,
            latency_ms=outcome.latency_ms,
            cost_usd=float(charge.priced.cost) if charge.priced.cost is not None else None,
            finish_reason=response.finish_reason,
            services=self.calls.for_result(result_id, team, owner, item.case.id),
            root=self.options.root,
            messages=tuple(prep.messages or ()),
        )
        return await evaluate(item.suite, item.case, ctx)


async def _put(
    queue: asyncio.Queue[PreparedRequest | None],
    prep: PreparedRequest | None,
    workers: list[asyncio.Task[None]],
) -> None:
    """queue.put that raises the error of a worker that died instead of waiting forever on a full queue."""
    if not queue.full():
        queue.put_nowait(prep)
        return
    put = asyncio.ensure_future(queue.put(prep))
    try:
        while not put.done():
            for worker in workers:
                error = None if not worker.done() or worker.cancelled() else worker.exception()
                if error is not None:
                    raise error
            alive = [w for w in workers if not w.done()]
            if not alive:
                raise RuntimeError("the eval workers stopped before the work was done")
            await asyncio.wait([put, *alive], return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not put.done():
            put.cancel()
