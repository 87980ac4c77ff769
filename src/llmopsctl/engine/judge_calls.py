"""Model calls for model-graded and semantic assertions, through the same policies as the graded calls:
cached, limited, retried, and their tokens and cost recorded (in `judge_calls`) apart from the graded call."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmopsctl.core.chat import ChatRequest, ChatResponse, stored_latency
from llmopsctl.core.hashing import content_hash
from llmopsctl.core.records import JudgeCallRecord
from llmopsctl.core.usage import Usage
from llmopsctl.engine.retries import describe_failure, with_retries
from llmopsctl.providers.replay import cassette_key, embeddings_entry
from llmopsctl.scorers.base import ScorerError

if TYPE_CHECKING:
    from llmopsctl.engine.model_runtime import ModelRuntime
    from llmopsctl.engine.options import RunOptions
    from llmopsctl.engine.writer import StoreWriter
    from llmopsctl.store import Store


@dataclass
class JudgeLedger:
    """Judge calls waiting to be written, and what they cost so far in this run."""

    calls_new: list[JudgeCallRecord] = field(default_factory=list)
    cache_new: list[tuple[str, dict[str, Any], datetime, datetime | None]] = field(default_factory=list)
    cost: Decimal = Decimal(0)
    calls: int = 0
    unknown_cost: int = 0


class ModelCalls:
    """Shared by every result of a run; `for_result` gives the ModelServices object a scorer sees."""

    def __init__(
        self,
        store: Store,
        runtimes: dict[str, ModelRuntime],
        options: RunOptions,
        writer: StoreWriter | None = None,
    ) -> None:
        self.store = store
        self.runtimes = runtimes
        self.options = options
        self.writer = writer  # when set, the store is used only through its thread
        self.ledger = JudgeLedger()

    def for_result(
        self, result_id: str, team: str | None, owner: str | None, case_id: str = ""
    ) -> ResultServices:
        return ResultServices(self, result_id, team, owner, case_id)

    def runtime(self, model: str) -> ModelRuntime:
        runtime = self.runtimes.get(model)
        if runtime is None:
            known = ", ".join(sorted(self.runtimes)) or "none"
            raise ScorerError(f"judge model {model!r} is not set up for this run (models available: {known})")
        return runtime

    async def cached(self, key: str) -> dict[str, Any] | None:
        if not self.options.use_cache:
            return None
        if self.writer is None:
            return self._cache_get(key)
        return await self.writer.call(self._cache_get, key)

    def _cache_get(self, key: str) -> dict[str, Any] | None:
        return self.store.cache_get_many([key], datetime.now(timezone.utc)).get(key)

    def remember(self, key: str, value: dict[str, Any]) -> None:
        if not self.options.use_cache:
            return
        self.ledger.cache_new.append(self.options.cache_entry(key, value))

    def drain(
        self,
    ) -> tuple[list[JudgeCallRecord], list[tuple[str, dict[str, Any], datetime, datetime | None]]]:
        """The judge calls and cache entries waiting to be written, handed over."""
        calls, cache = self.ledger.calls_new, self.ledger.cache_new
        self.ledger.calls_new, self.ledger.cache_new = [], []
        return calls, cache


class ResultServices:
    """The ModelServices a scorer receives while grading one result."""

    def __init__(
        self, calls: ModelCalls, result_id: str, team: str | None, owner: str | None, case_id: str = ""
    ) -> None:
        self.calls = calls
        self.result_id = result_id
        self.team = team
        self.owner = owner
        self.case_id = case_id  # the graded case, named when a replayed judge call has no recording
        self.count = 0  # judge calls made for this result; numbers them in judge_calls ids

    async def chat(
        self, model: str, messages: list[dict[str, str]], params: dict[str, Any] | None = None
    ) -> ChatResponse:
        runtime = self.calls.runtime(model)
        request = ChatRequest(messages=tuple(messages), params=dict(params or {}), case_id=self.case_id)
        merged = {**runtime.params, **request.params}
        key = content_hash(
            {
                "kind": "judge",
                "provider": runtime.provider_name,
                "base_url": runtime.base_url,
                "model": runtime.model_id,
                "messages": messages,
                "params": merged,
            },
            32,
        )
        hit = await self.calls.cached(key) if runtime.cache else None
        if hit is not None:
            cached = ChatResponse.from_dict(hit)
            self._record_answer(runtime, messages, merged, cached)  # as graded answers: cached ones too
            latency = cached.latency_ms  # the cached call's, when its entry kept it
            self._record(model, runtime, cached.usage, cached.response_model, cached=True, latency_ms=latency)
            return cached
        estimate = sum(len(m.get("content", "")) for m in messages) // 4 + int(merged.get("max_tokens", 256))
        got = await with_retries(
            runtime,
            lambda: runtime.provider.complete(request),
            estimate_tokens=estimate,
            backoff_s=self.calls.options.backoff_s,
            label=f"judge model {model!r}",
        )
        if got.value is None:
            assert got.error is not None
            raise ScorerError(f"judge model {model!r} failed: {describe_failure(got.error, got.attempts)}")
        if runtime.replayed:  # the recorded call's latency (None: not recorded)
            replayed = got.value
            self._record(
                model, runtime, replayed.usage, replayed.response_model, latency_ms=replayed.latency_ms
            )
            return replayed
        response = replace(got.value, latency_ms=got.latency_ms)  # cached and recorded with its latency
        if runtime.cache:
            self.calls.remember(key, response.to_dict())
        self._record_answer(runtime, messages, merged, response)
        self._record(
            model,
            runtime,
            response.usage,
            response.response_model,
            latency_ms=got.latency_ms,
            queue_ms=got.queue_ms,
        )
        return response

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        runtime = self.calls.runtime(model)
        provider = runtime.provider
        if not provider.supports_embeddings:
            raise ScorerError(
                f"model {model!r} ({runtime.provider_name}) has no embeddings endpoint; "
                "name an embedding model in `config.model` (e.g. of provider openai or ollama)"
            )
        key = content_hash(
            {
                "kind": "embeddings",
                "provider": runtime.provider_name,
                "base_url": runtime.base_url,
                "model": runtime.model_id,
                "input": texts,
            },
            32,
        )
        hit = await self.calls.cached(key) if runtime.cache else None
        if hit is not None:
            stored = [list(map(float, v)) for v in hit["vectors"]]
            used = Usage.from_dict(hit.get("usage"))
            self._record_embeddings(runtime, texts, stored, used, hit.get("model"))
            latency = stored_latency(hit.get("latency_ms"))  # the cached call's, when its entry kept it
            self._record(model, runtime, used, hit.get("model"), cached=True, latency_ms=latency)
            return stored
        got = await with_retries(
            runtime,
            lambda: provider.embed(texts, case_id=self.case_id),
            estimate_tokens=sum(len(t) for t in texts) // 4 + 1,
            backoff_s=self.calls.options.backoff_s,
            label=f"embedding model {model!r}",
        )
        result = got.value
        if result is None:
            assert got.error is not None
            raise ScorerError(
                f"embedding model {model!r} failed: {describe_failure(got.error, got.attempts)}"
            )
        vectors: list[list[float]] = [[float(x) for x in v] for v in result[0]]
        usage, response_model = result[1], result[2]
        if runtime.replayed:  # a cassette keeps no latency of embeddings: unknown, not 0
            self._record(model, runtime, usage, response_model, latency_ms=None)
            return vectors
        if runtime.cache:
            entry = {"vectors": vectors, "usage": usage.to_dict(), "model": response_model}
            self.calls.remember(key, {**entry, "latency_ms": round(got.latency_ms, 1)})
        self._record_embeddings(runtime, texts, vectors, usage, response_model)
        self._record(model, runtime, usage, response_model, latency_ms=got.latency_ms, queue_ms=got.queue_ms)
        return vectors

    def _record_answer(
        self,
        runtime: ModelRuntime,
        messages: list[dict[str, str]],
        params: dict[str, Any],
        response: ChatResponse,
    ) -> None:
        """Put a judge answer in the cassette being recorded, so that a replayed run grades offline."""
        cassette = self.calls.options.cassette
        if cassette is not None:
            key = cassette_key(runtime.model_id, messages, params)
            cassette.put(key, runtime.model_id, messages, params, response)

    def _record_embeddings(
        self,
        runtime: ModelRuntime,
        texts: list[str],
        vectors: list[list[float]],
        usage: Usage,
        response_model: str | None,
    ) -> None:
        """Put embeddings in the cassette being recorded (as a response whose metadata holds them)."""
        cassette = self.calls.options.cassette
        if cassette is None:
            return
        key, messages, params = embeddings_entry(runtime.model_id, texts)
        response = ChatResponse(
            output="", usage=usage, response_model=response_model, metadata={"embeddings": vectors}
        )
        cassette.put(key, runtime.model_id, messages, params, response)

    def _record(
        self,
        model: str,
        runtime: ModelRuntime,
        usage: Usage,
        response_model: str | None,
        *,
        cached: bool = False,
        latency_ms: float | None,
        queue_ms: float | None = None,
    ) -> None:
        """Count a judge call and its cost in the run's ledger, and queue its `judge_calls` record."""
        self.count += 1
        priced = runtime.price(usage, datetime.now(timezone.utc))
        cost = runtime.spent(priced, cached=cached)
        ledger = self.calls.ledger
        ledger.calls += 1
        if cost is None:
            ledger.unknown_cost += 1
        else:
            ledger.cost += cost
        ledger.calls_new.append(
            JudgeCallRecord(
                id=f"{self.result_id}/judge/{self.count}",
                result_id=self.result_id,
                model_name=model,
                model_id=runtime.model_id,
                response_model=response_model,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cached_input_tokens=usage.cached_input_tokens,
                cache_write_tokens=usage.cache_write_tokens,
                reasoning_tokens=usage.reasoning_tokens,
                cost_usd=cost,
                cost_nominal_usd=priced.cost,
                price_source=priced.source,
                price_version=priced.version,
                cached=cached,
                latency_ms=latency_ms,
                queue_ms=queue_ms,
                team=self.team,
                owner=self.owner,
            )
        )
