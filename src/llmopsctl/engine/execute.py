"""Run work items concurrently: cache look-ups a chunk at a time, limits, retries with backoff, scoring,
and results written to the store in batches while the run goes (a crash loses at most the last chunk)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from llmopsctl.cost.estimate import CostEstimate, EstimateItem, estimate_cost
from llmopsctl.cost.pricing import PricedCall, PriceQuote
from llmopsctl.engine.calls import describe_failure, with_retries
from llmopsctl.engine.plan import WorkItem
from llmopsctl.engine.rows import result_row, score_rows
from llmopsctl.engine.runtime import ModelRuntime
from llmopsctl.engine.score import evaluate
from llmopsctl.engine.services import ModelCalls
from llmopsctl.errors import ConfigError, MissingRecording
from llmopsctl.project.hashing import content_hash
from llmopsctl.project.secrets import redact
from llmopsctl.project.templating import render_messages
from llmopsctl.providers.base import ChatRequest, ChatResponse
from llmopsctl.providers.replay import Cassette, cassette_key
from llmopsctl.scorers.base import ScoreContext
from llmopsctl.store import Store
from llmopsctl.store.costs import write_judge_calls

CHUNK = 256  # items prepared, looked up in the cache and written per batch
FLUSH_S = 1.0  # write buffered results at least this often


@dataclass
class Options:
    concurrency: int = 8
    use_cache: bool = True
    cache_ttl_s: int | None = 7 * 86400
    backoff_s: float = 0.5
    cassette: Cassette | None = None  # record into this cassette when set
    secrets: list[str] = field(default_factory=list)
    max_cost: Decimal | None = None  # stop sending once the run's spend (graded and judge calls) reaches it
    root: str | None = None  # the project root, for scorers that read files of the repository


@dataclass
class Progress:
    total: int = 0
    done: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    cached: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: Decimal = Decimal(0)
    unknown_cost: int = 0
    judge_cost: Decimal = Decimal(0)
    stopped: str | None = None  # why the run stopped sending requests early (e.g. the cost cap)
    started: float = field(default_factory=time.monotonic)

    @property
    def spend(self) -> Decimal:
        return self.cost + self.judge_cost


@dataclass
class _Prepared:
    item: WorkItem
    messages: list[dict[str, str]] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    request_hash: str | None = None
    error: str | None = None


class Executor:
    def __init__(
        self,
        run_id: str,
        store: Store,
        runtimes: dict[str, ModelRuntime],
        options: Options,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.run_id = run_id
        self.store = store
        self.runtimes = runtimes
        self.options = options
        self.on_progress = on_progress
        self.progress = Progress()
        self._results: list[dict[str, Any]] = []
        self._scores: list[dict[str, Any]] = []
        self._cache_new: list[tuple[str, dict[str, Any], datetime, datetime | None]] = []
        self._last_flush = time.monotonic()
        self.calls = ModelCalls(store, runtimes, options)

    # -- public -------------------------------------------------------------------------------------------
    async def run(self, items: Iterable[WorkItem], total: int) -> Progress:
        self.progress.total = total
        queue: asyncio.Queue[_Prepared | None] = asyncio.Queue(
            maxsize=max(self.options.concurrency * 2, CHUNK)
        )
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.options.concurrency)]
        try:
            for chunk in _chunks(items, CHUNK):
                if self.progress.stopped:
                    break
                prepared = [self._prepare(item) for item in chunk]
                hits = self._cache_lookup(prepared)
                for prep in prepared:
                    if self.progress.stopped:  # capped: the rest is left for `eval --resume`, cached
                        break  # answers too, since grading them may call a judge
                    if prep.error is not None:
                        await self._finish(
                            prep, None, error=prep.error, error_kind="render", attempts=0, latency_ms=None
                        )
                    elif prep.request_hash in hits:
                        response = ChatResponse.from_dict(hits[prep.request_hash])
                        self._record(prep, response)
                        await self._finish(prep, response, cached=True, attempts=0, latency_ms=0.0)
                    else:
                        await _put(queue, prep, workers)
                self._maybe_flush()
            for _ in workers:
                await _put(queue, None, workers)
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self.flush()
        return self.progress

    def estimate(self, items: Iterable[WorkItem]) -> CostEstimate:
        """What the calls still to make would cost at list price; cached answers and local models are free."""
        now = datetime.now(timezone.utc)
        quotes: dict[str, PriceQuote | None] = {}

        def quote(name: str) -> PriceQuote | None:
            if name not in quotes:
                quotes[name] = self.runtimes[name].quote(now)
            return quotes[name]

        estimate_items: list[EstimateItem] = []
        for chunk in _chunks(items, CHUNK):
            prepared = [self._prepare(item) for item in chunk]
            hits = self._cache_lookup(prepared)
            for prep in prepared:
                if prep.messages is None or prep.request_hash in hits:
                    continue
                if not self.runtimes[prep.item.model.name].cache and quote(prep.item.model.name) is None:
                    continue  # a local model (python, echo, replay): no API bill
                chars = sum(len(m["content"]) for m in prep.messages)
                max_tokens = prep.params.get("max_tokens")
                estimate_items.append(
                    (chars, max_tokens if isinstance(max_tokens, int) else None, quote(prep.item.model.name))
                )
        return estimate_cost(estimate_items)

    def flush(self) -> None:
        """Write buffered results, scores, judge calls and cache entries in one batch each."""
        if self._results:
            results, scores = self._results, self._scores
            self._results, self._scores = [], []
            self.store.write_results(results, scores)
        judge_rows, judge_cache = self.calls.drain()
        if judge_rows:
            write_judge_calls(self.store, judge_rows)
        entries, self._cache_new = self._cache_new + judge_cache, []
        if entries:
            self.store.cache_put_many(entries)
        self._last_flush = time.monotonic()

    # -- preparation --------------------------------------------------------------------------------------
    def _prepare(self, item: WorkItem) -> _Prepared:
        prep = _Prepared(item)
        try:
            prep.messages = render_messages(
                item.prompt.messages,
                item.case.vars,
                what=f"prompt {item.prompt.name!r}, case {item.case.id!r}",
            )
        except ConfigError as exc:
            prep.error = str(exc)
            return prep
        prep.params = {**item.prompt.params, **item.model.params}
        runtime = self.runtimes[item.model.name]
        identity: dict[str, Any] = {
            "provider": item.model.provider,
            "base_url": runtime.base_url,
            "model": item.model.model,
            "messages": prep.messages,
            "params": prep.params,
        }
        if item.repeat_index:  # each repeat is a sample of its own, cached apart (repeat 0 keeps a plain key)
            identity["repeat"] = item.repeat_index
        prep.request_hash = content_hash(identity, 32)
        return prep

    def _cache_lookup(self, prepared: list[_Prepared]) -> dict[str, dict[str, Any]]:
        if not self.options.use_cache:
            return {}
        keys = [
            p.request_hash
            for p in prepared
            if p.request_hash is not None and self.runtimes[p.item.model.name].cache
        ]
        return self.store.cache_get_many(keys, datetime.now(timezone.utc)) if keys else {}

    # -- calling the model ----------------------------------------------------------------------------------
    async def _worker(self, queue: asyncio.Queue[_Prepared | None]) -> None:
        while True:
            prep = await queue.get()
            if prep is None:
                return
            if self.progress.stopped:  # capped: leave the rest unsent, for `eval --resume`
                continue
            await self._call(prep)
            self._maybe_flush()

    async def _call(self, prep: _Prepared) -> None:
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
        response, error, attempts, latency = await with_retries(
            runtime,
            lambda: runtime.provider.complete(request),
            estimate_tokens=estimate,
            backoff_s=self.options.backoff_s,
            label=f"{item.model.provider} model {item.model.name!r}",
        )
        if response is not None:
            self._remember(prep, response)
            await self._finish(prep, response, attempts=attempts, latency_ms=latency)
            return
        assert error is not None
        kind = "replay" if isinstance(error, MissingRecording) else "provider"
        message = describe_failure(error, attempts)
        await self._finish(prep, None, error=message, error_kind=kind, attempts=attempts, latency_ms=latency)

    def _remember(self, prep: _Prepared, response: ChatResponse) -> None:
        now = datetime.now(timezone.utc)
        cacheable = self.options.use_cache and self.runtimes[prep.item.model.name].cache
        if cacheable and prep.request_hash is not None:
            ttl = self.options.cache_ttl_s
            expires = now + timedelta(seconds=ttl) if ttl is not None else None
            self._cache_new.append((prep.request_hash, response.to_dict(), now, expires))
        self._record(prep, response)

    def _record(self, prep: _Prepared, response: ChatResponse) -> None:
        """Put a response in the cassette being recorded, answers from the cache included."""
        item = prep.item
        if self.options.cassette is not None and prep.messages is not None:
            key = cassette_key(item.model.model, prep.messages, prep.params)
            self.options.cassette.put(key, item.model.model, prep.messages, prep.params, response)

    # -- results ------------------------------------------------------------------------------------------
    async def _finish(
        self,
        prep: _Prepared,
        response: ChatResponse | None,
        *,
        cached: bool = False,
        error: str | None = None,
        error_kind: str | None = None,
        attempts: int,
        latency_ms: float | None,
    ) -> None:
        item = prep.item
        runtime = self.runtimes[item.model.name]
        cost: Decimal | None = None
        priced: PricedCall | None = None
        score = passed = None
        result_id = f"{self.run_id}/{item.item_key}"
        if response is not None:
            priced = runtime.price(response.usage, datetime.now(timezone.utc))
            cost = runtime.spent(priced, cached=cached)  # the list price stays in cost_nominal_usd
            team = item.prompt.team or item.suite.data.get("team")
            owner = item.prompt.data.get("owner") or item.suite.data.get("owner")
            metadata = dict(item.case.metadata)
            if "tool_calls" in response.metadata:
                metadata["tool_calls"] = response.metadata["tool_calls"]
            if item.prompt.data.get("tools"):
                metadata.setdefault("tools", item.prompt.data["tools"])
            ctx = ScoreContext(
                output=response.output,
                expected=item.case.expected,
                vars=item.case.vars,
                metadata=metadata,
                latency_ms=latency_ms,
                cost_usd=float(cost) if cost is not None else None,
                finish_reason=response.finish_reason,
                services=self.calls.for_result(result_id, team, owner, item.case.id),
                root=self.options.root,
                messages=tuple(prep.messages or ()),
            )
            verdict = await evaluate(item.suite, item.case, ctx)
            score, passed = verdict.score, verdict.passed
            if verdict.error:
                error, error_kind = verdict.error, "scorer"
            self._scores.extend(score_rows(self.run_id, result_id, verdict))
        if error is not None:
            error = redact(error, self.options.secrets)
        self._results.append(
            result_row(
                self.run_id,
                item,
                messages=prep.messages,
                request_hash=prep.request_hash,
                response=response,
                priced=priced,
                cost=cost,
                cached=cached,
                attempts=attempts,
                latency_ms=latency_ms,
                error=error,
                error_kind=error_kind,
                score=score,
                passed=passed,
            )
        )
        self._count(response, cached, cost, error, passed)

    def _count(
        self,
        response: ChatResponse | None,
        cached: bool,
        cost: Decimal | None,
        error: str | None,
        passed: bool | None,
    ) -> None:
        p = self.progress
        p.done += 1
        if error is not None:
            p.errors += 1
        elif passed is False:
            p.failed += 1
        else:
            p.passed += 1
        if cached:
            p.cached += 1
        if response is not None:
            p.input_tokens += response.usage.input_tokens or 0
            p.output_tokens += response.usage.output_tokens or 0
            if cost is None:
                p.unknown_cost += 1
            else:
                p.cost += cost
        p.judge_cost = self.calls.ledger.cost
        cap = self.options.max_cost
        if cap is not None and p.spend >= cap and not p.stopped and p.done < p.total:
            p.stopped = f"cost cap ${cap:f} reached (spent ${p.spend:.6f})"
        if self.on_progress is not None:
            self.on_progress(p)

    def _maybe_flush(self) -> None:
        if len(self._results) >= CHUNK or time.monotonic() - self._last_flush >= FLUSH_S:
            self.flush()


async def _put(
    queue: asyncio.Queue[_Prepared | None], prep: _Prepared | None, workers: list[asyncio.Task[None]]
) -> None:
    """queue.put that raises the error of a worker that died instead of waiting forever on a full queue."""
    if not queue.full():
        queue.put_nowait(prep)
        return
    put = asyncio.ensure_future(queue.put(prep))
    try:
        while not put.done():
            alive = [w for w in workers if not w.done()]
            if not alive:
                raise RuntimeError("the eval workers stopped before the work was done")
            await asyncio.wait([put, *alive], return_when=asyncio.FIRST_COMPLETED)
            for worker in workers:
                error = None if not worker.done() or worker.cancelled() else worker.exception()
                if error is not None:
                    raise error
    finally:
        if not put.done():
            put.cancel()


def _chunks(items: Iterable[WorkItem], size: int) -> Iterator[list[WorkItem]]:
    chunk: list[WorkItem] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
