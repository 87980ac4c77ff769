"""Unit tests of the engine's call policies and request identity: the client-side rate limits
(`engine.limits`), backoff and retries (`engine.retries`), and the request hash of repeated samples
(`engine.prepare`). Time is a fake clock: nothing here waits or measures real time."""

from __future__ import annotations

import asyncio
import dataclasses
import selectors
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmopsctl.core.hashing import content_hash
from llmopsctl.engine import limits, retries
from llmopsctl.engine.limits import ModelLimits, TokenBucket
from llmopsctl.engine.model_runtime import ModelRuntime
from llmopsctl.engine.plan import Filters, WorkItem, plan_suite
from llmopsctl.engine.requests import RequestPreparer
from llmopsctl.engine.retries import MAX_BACKOFF_S, backoff, with_retries
from llmopsctl.errors import ProviderError
from llmopsctl.project.model import Project

T = TypeVar("T")


class FakeClock:
    """Virtual time for `engine.limits`: it moves only when every task is waiting for a timer, and then
    straight to the next timer. Run code on it with `clock.run(coro)`; `sleeps` lists what was slept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        assert len(self.sleeps) < 1000, "still waiting after 1000 sleeps: this would wait forever"
        await asyncio.sleep(seconds)  # on the virtual-time loop: returns once time reaches its end

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = _VirtualTimeLoop(self)
        try:
            return loop.run_until_complete(coro)
        finally:
            loop.close()


class _SkippingSelector(selectors.DefaultSelector):
    """Instead of blocking until the next timer is due, moves the clock there."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        assert timeout is not None, "every task waits and no timer is set: deadlock"
        self.clock.advance(max(timeout, 0.0))
        return super().select(0)


class _VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        super().__init__(_SkippingSelector(clock))

    def time(self) -> float:
        return self.clock.now


class AsyncioWithSleep:
    """The asyncio module as a module under test sees it, with `sleep` replaced."""

    def __init__(self, sleep: Callable[[float], Awaitable[None]]) -> None:
        self.sleep = sleep

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A fake clock for `engine.limits`: its `time.monotonic`, and its `asyncio.sleep` (recorded)."""
    fake = FakeClock()
    monkeypatch.setattr(limits, "time", SimpleNamespace(monotonic=fake.monotonic))
    monkeypatch.setattr(limits, "asyncio", AsyncioWithSleep(fake.sleep))
    return fake


def take(clock: FakeClock, bucket: TokenBucket, *amounts: float) -> None:
    """Take `amounts` from the bucket one after another."""

    async def main() -> None:
        for amount in amounts:
            await bucket.take(amount)

    clock.run(main())


# --- TokenBucket ----------------------------------------------------------------------------------------


def test_a_bucket_holds_one_minutes_worth_and_refills_per_second(clock: FakeClock) -> None:
    bucket = TokenBucket(120)
    assert bucket.capacity == 120 and bucket.tokens == 120  # starts full: a burst of a minute's worth
    assert bucket.rate == 2.0  # per second


def test_a_rate_below_one_a_minute_still_holds_one_unit(clock: FakeClock) -> None:
    bucket = TokenBucket(0.5)
    assert bucket.capacity == 1.0
    take(clock, bucket, 1)
    assert clock.sleeps == []
    take(clock, bucket, 1)
    assert clock.sleeps == [pytest.approx(120.0)]  # half a unit a minute: two minutes for the next


def test_the_whole_burst_is_available_at_once_then_the_next_unit_waits(clock: FakeClock) -> None:
    bucket = TokenBucket(120)
    take(clock, bucket, *[1] * 120)
    assert clock.sleeps == []
    take(clock, bucket, 1)
    assert clock.sleeps == [0.5]  # one unit at 2 a second


def test_take_waits_for_exactly_the_missing_tokens(clock: FakeClock) -> None:
    bucket = TokenBucket(60)  # 1 a second
    take(clock, bucket, 60)
    take(clock, bucket, 3)
    assert clock.sleeps == [3.0] and clock.now == 1003.0
    assert bucket.tokens == 0


def test_a_partly_refilled_bucket_waits_only_for_the_rest(clock: FakeClock) -> None:
    bucket = TokenBucket(120)
    take(clock, bucket, 120)
    clock.advance(0.25)  # half a unit back
    take(clock, bucket, 1)
    assert clock.sleeps == [0.25]


def test_the_bucket_refills_at_its_rate(clock: FakeClock) -> None:
    bucket = TokenBucket(120)
    take(clock, bucket, 120)
    clock.advance(10)  # 20 units back
    take(clock, bucket, 20)
    assert clock.sleeps == []
    take(clock, bucket, 1)
    assert clock.sleeps == [0.5]


def test_refill_stops_at_the_capacity(clock: FakeClock) -> None:
    bucket = TokenBucket(120)
    take(clock, bucket, 120)
    clock.advance(3600)  # an hour idle refills one minute's worth, not sixty
    take(clock, bucket, 120)
    assert clock.sleeps == []
    take(clock, bucket, 1)
    assert clock.sleeps == [0.5]


def test_a_take_larger_than_the_capacity_is_clamped_to_it(clock: FakeClock) -> None:
    bucket = TokenBucket(60)
    take(clock, bucket, 1000)  # a full bucket serves it at once, and is then empty
    assert clock.sleeps == [] and bucket.tokens == 0
    take(clock, bucket, 1000)  # an empty one waits for a full bucket (60 s), not for 1000 units
    assert clock.sleeps == [60.0] and bucket.tokens == 0


def test_waiters_on_an_empty_bucket_are_served_one_after_the_other(clock: FakeClock) -> None:
    bucket = TokenBucket(60)
    take(clock, bucket, 60)

    async def both() -> None:
        await asyncio.gather(bucket.take(1), bucket.take(1))

    clock.run(both())
    assert clock.sleeps == [1.0, 1.0] and clock.now == 1002.0  # the second unit is not handed out twice


# --- ModelLimits ----------------------------------------------------------------------------------------


def test_no_limits_never_wait(clock: FakeClock) -> None:
    unlimited = ModelLimits(None, None, None)
    assert (unlimited.semaphore, unlimited.requests, unlimited.tokens) == (None, None, None)

    async def many() -> None:
        for _ in range(100):
            await unlimited.acquire(10**9)
        unlimited.release()

    clock.run(many())
    assert clock.sleeps == []


def test_rpm_and_tpm_buckets_hold_a_minutes_worth(clock: FakeClock) -> None:
    model = ModelLimits(None, 500, 30_000)
    assert model.requests is not None and model.tokens is not None
    assert (model.requests.capacity, model.tokens.capacity) == (500, 30_000)
    assert model.requests.rate == pytest.approx(500 / 60) and model.tokens.rate == 500.0


def test_acquire_takes_one_request_and_the_estimated_tokens(clock: FakeClock) -> None:
    model = ModelLimits(None, 500, 30_000)
    clock.run(model.acquire(1000))
    assert model.requests is not None and model.tokens is not None
    assert (model.requests.tokens, model.tokens.tokens) == (499, 29_000)
    assert clock.sleeps == []


def test_requests_per_minute_make_the_next_request_wait(clock: FakeClock) -> None:
    model = ModelLimits(None, 2, None)

    async def three() -> None:
        for _ in range(3):
            await model.acquire(1)

    clock.run(three())
    assert sum(clock.sleeps) == pytest.approx(30.0)  # 2 a minute: one every 30 s


def test_tokens_per_minute_make_a_call_wait_for_its_estimate(clock: FakeClock) -> None:
    model = ModelLimits(None, None, 600)  # 10 tokens a second
    clock.run(model.acquire(600))
    assert clock.sleeps == []
    clock.run(model.acquire(50))
    assert clock.sleeps == [5.0]


def test_an_estimate_above_the_tpm_does_not_wait_forever(clock: FakeClock) -> None:
    model = ModelLimits(None, None, 100)
    clock.run(model.acquire(10_000))  # clamped to the bucket: served by a full one
    assert clock.sleeps == []
    clock.run(model.acquire(10_000))
    assert clock.sleeps == [60.0]  # and an empty one refills in a minute


async def settle() -> None:
    """Let every task that can run, run (a few rounds of the event loop; no time passes)."""
    for _ in range(20):
        await asyncio.sleep(0)


def test_concurrency_bounds_how_many_hold_the_limits_at_once() -> None:
    model = ModelLimits(2, None, None)
    holding = peak = finished = 0

    async def scenario() -> None:
        gate = asyncio.Event()

        async def call() -> None:
            nonlocal holding, peak, finished
            await model.acquire(10)
            holding += 1
            peak = max(peak, holding)
            await gate.wait()
            holding -= 1
            model.release()
            finished += 1

        tasks = [asyncio.create_task(call()) for _ in range(5)]
        await settle()
        assert holding == 2 and finished == 0  # two hold the limits; three wait
        gate.set()
        await settle()
        for task in tasks:
            task.cancel()  # none left, unless a release was lost

    asyncio.run(scenario())
    assert finished == 5 and peak == 2 and holding == 0


def test_release_lets_a_waiting_caller_in() -> None:
    model = ModelLimits(1, None, None)

    async def scenario() -> None:
        await model.acquire(1)
        waiting = asyncio.create_task(model.acquire(1))
        await settle()
        assert not waiting.done()  # the one slot is held
        model.release()
        await settle()
        assert waiting.done()  # released: the waiter has the slot
        waiting.cancel()
        assert model.semaphore is not None and model.semaphore.locked()
        model.release()
        assert not model.semaphore.locked()

    asyncio.run(scenario())


# --- backoff ----------------------------------------------------------------------------------------------

ATTEMPTS = st.integers(min_value=1, max_value=21)  # retries are at most 20 (the schemas' maximum)


def test_retry_after_is_used_as_given() -> None:
    assert backoff(1, 2.5, base_s=1.0) == 2.5
    assert backoff(4, 0.0, base_s=5.0) == 0.0  # zero means now, not "use the exponential delay"


def test_retry_after_is_clamped_to_zero_and_the_maximum() -> None:
    assert backoff(1, -3.0, base_s=1.0) == 0.0
    assert backoff(1, 86_400.0, base_s=1.0) == MAX_BACKOFF_S


@given(attempt=ATTEMPTS, retry_after=st.floats(allow_nan=False), base=st.floats(0, 1e6))
def test_retry_after_always_wins_within_its_bounds(attempt: int, retry_after: float, base: float) -> None:
    assert backoff(attempt, retry_after, base) == min(max(retry_after, 0.0), MAX_BACKOFF_S)


def test_backoff_doubles_each_attempt_up_to_the_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    ranges: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        ranges.append((low, high))
        return 1.0  # the jitter's midpoint

    monkeypatch.setattr(retries, "random", SimpleNamespace(uniform=uniform))
    delays = [backoff(attempt, None, base_s=0.5) for attempt in range(1, 10)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, MAX_BACKOFF_S, MAX_BACKOFF_S]
    assert set(ranges) == {(0.5, 1.5)}  # jitter between half and one and a half times


@pytest.mark.parametrize(("jitter", "delay"), [(0.5, 2.0), (1.5, 6.0)])
def test_jitter_scales_the_exponential_delay(
    monkeypatch: pytest.MonkeyPatch, jitter: float, delay: float
) -> None:
    monkeypatch.setattr(retries, "random", SimpleNamespace(uniform=lambda low, high: jitter))
    assert backoff(3, None, base_s=1.0) == delay  # 1 s x 2^2 x jitter


@given(attempt=ATTEMPTS, base=st.floats(0, 1e6))
def test_exponential_backoff_stays_within_its_jitter_bounds(attempt: int, base: float) -> None:
    nominal = base * 2 ** (attempt - 1)
    delay = backoff(attempt, None, base)
    assert min(0.5 * nominal, MAX_BACKOFF_S) <= delay <= min(1.5 * nominal, MAX_BACKOFF_S)
    assert 0.0 <= delay <= MAX_BACKOFF_S


# --- with_retries -----------------------------------------------------------------------------------------


class CountingLimits:
    """Model limits that only count how often they were acquired and released."""

    def __init__(self) -> None:
        self.acquired = 0
        self.released = 0
        self.estimates: list[int] = []

    async def acquire(self, estimated_tokens: int) -> None:
        self.acquired += 1
        self.estimates.append(estimated_tokens)

    def release(self) -> None:
        self.released += 1


def fake_runtime(retries: int) -> ModelRuntime:
    """What `with_retries` reads of a model's runtime: its limits, retries and timeout."""
    return cast(ModelRuntime, SimpleNamespace(limits=CountingLimits(), retries=retries, timeout_s=30.0))


class Script:
    """A model call that raises the given errors in turn, then answers `value`."""

    def __init__(self, *errors: BaseException, value: object = "answer") -> None:
        self.errors = list(errors)
        self.value = value
        self.calls = 0

    async def __call__(self) -> object:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.value


@pytest.fixture
def backoff_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays `with_retries` sleeps between attempts (sleeping none of them)."""
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(retries, "asyncio", AsyncioWithSleep(sleep))
    return sleeps


def retry(
    runtime: ModelRuntime, call: Script, **options: Any
) -> tuple[Any, ProviderError | None, int, float]:
    options = {"estimate_tokens": 42, "backoff_s": 0.0, "label": "openai model 'm'", **options}
    got = asyncio.run(with_retries(runtime, call, **options))
    return got.value, got.error, got.attempts, got.latency_ms


class Clock:
    """A perf_counter that only moves when told: waiting for a slot and the call each take a set time."""

    def __init__(self) -> None:
        self.now = 100.0

    def perf_counter(self) -> float:
        return self.now


def test_latency_is_the_calls_own_and_the_wait_for_the_limits_is_queue_time(
    monkeypatch: pytest.MonkeyPatch, backoff_sleeps: list[float]
) -> None:
    clock = Clock()
    monkeypatch.setattr(retries, "time", clock)

    class SlowLimits(CountingLimits):
        async def acquire(self, estimated_tokens: int) -> None:
            await super().acquire(estimated_tokens)
            clock.now += 5.0  # 5 s for a slot: other calls of the model hold them

    class TimedCall(Script):
        async def __call__(self) -> object:
            clock.now += 0.25 if self.calls == 0 else 0.5  # the API answers in 250 ms, then 500 ms
            return await super().__call__()

    runtime = cast(ModelRuntime, SimpleNamespace(limits=SlowLimits(), retries=2, timeout_s=30.0))
    got = asyncio.run(
        with_retries(runtime, TimedCall(transient()), estimate_tokens=1, backoff_s=0, label="m")
    )
    assert (got.value, got.error, got.attempts) == ("answer", None, 2)
    assert got.latency_ms == pytest.approx(500)  # the last attempt's call alone
    assert got.queue_ms == pytest.approx(10_000)  # both attempts' waits for a slot
    failed = asyncio.run(
        with_retries(
            runtime, TimedCall(ProviderError("bad request")), estimate_tokens=1, backoff_s=0, label="m"
        )
    )
    assert failed.value is None and failed.latency_ms == pytest.approx(250) and failed.queue_ms == 5000


def transient(message: str = "HTTP 503", retry_after: float | None = None) -> ProviderError:
    return ProviderError(message, transient=True, retry_after=retry_after)


def test_a_first_answer_is_one_attempt(backoff_sleeps: list[float]) -> None:
    runtime, call = fake_runtime(3), Script()
    value, error, attempts, latency_ms = retry(runtime, call)
    assert (value, error, attempts) == ("answer", None, 1)
    assert latency_ms >= 0 and call.calls == 1 and backoff_sleeps == []
    limits_ = cast(CountingLimits, runtime.limits)
    assert (limits_.acquired, limits_.released, limits_.estimates) == (1, 1, [42])


def test_transient_errors_are_retried_until_an_answer(backoff_sleeps: list[float]) -> None:
    runtime, call = fake_runtime(2), Script(transient(), transient())
    value, error, attempts, _ = retry(runtime, call)
    assert (value, error, attempts, call.calls) == ("answer", None, 3, 3)
    assert backoff_sleeps == [0.0, 0.0]  # backoff_s 0: a retry at once, after each failure
    limits_ = cast(CountingLimits, runtime.limits)
    assert limits_.acquired == limits_.released == 3  # each attempt takes the limits and gives them back


def test_a_transient_error_on_every_attempt_gives_up_after_the_retries(backoff_sleeps: list[float]) -> None:
    last = transient("HTTP 503 the last")
    runtime, call = fake_runtime(2), Script(transient(), transient(), last, transient())
    value, error, attempts, _ = retry(runtime, call)
    assert value is None and error is last
    assert attempts == call.calls == 3  # the first try and 2 retries; no fourth call
    assert backoff_sleeps == [0.0, 0.0]  # no wait after the last attempt
    limits_ = cast(CountingLimits, runtime.limits)
    assert limits_.acquired == limits_.released == 3


def test_no_retries_means_one_attempt(backoff_sleeps: list[float]) -> None:
    runtime, call = fake_runtime(0), Script(transient())
    value, error, attempts, _ = retry(runtime, call)
    assert value is None and error is not None and attempts == call.calls == 1


def test_a_non_transient_error_is_not_retried(backoff_sleeps: list[float]) -> None:
    rejected = ProviderError("HTTP 400 bad request", transient=False, status=400)
    runtime, call = fake_runtime(3), Script(rejected)
    value, error, attempts, _ = retry(runtime, call)
    assert (value, error, attempts, call.calls) == (None, rejected, 1, 1)
    assert backoff_sleeps == []
    limits_ = cast(CountingLimits, runtime.limits)
    assert limits_.acquired == limits_.released == 1


def test_a_bug_in_the_call_is_a_non_transient_error_naming_it(backoff_sleeps: list[float]) -> None:
    runtime, call = fake_runtime(3), Script(KeyError("choices"))
    value, error, attempts, _ = retry(runtime, call)
    assert value is None and attempts == call.calls == 1
    assert error is not None and not error.transient
    assert error.message == "openai model 'm': KeyError: 'choices'"


def test_a_timeout_is_transient_and_retried(backoff_sleeps: list[float]) -> None:
    runtime, call = fake_runtime(1), Script(asyncio.TimeoutError())
    value, error, attempts, _ = retry(runtime, call)
    assert (value, error, attempts, call.calls) == ("answer", None, 2, 2)

    runtime, call = fake_runtime(1), Script(asyncio.TimeoutError(), asyncio.TimeoutError())
    value, error, attempts, _ = retry(runtime, call)
    assert value is None and attempts == 2
    assert error is not None and error.transient and error.message == "no answer within 30 s"


def test_retry_after_sets_the_wait_before_the_next_attempt(backoff_sleeps: list[float]) -> None:
    runtime, call = fake_runtime(3), Script(transient("HTTP 429", retry_after=7.0))
    value, _, attempts, _ = retry(runtime, call, backoff_s=0.5)
    assert (value, attempts) == ("answer", 2)
    assert backoff_sleeps == [7.0]


def test_the_wait_grows_between_attempts(
    backoff_sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retries, "random", SimpleNamespace(uniform=lambda low, high: 1.0))
    runtime, call = fake_runtime(3), Script(transient(), transient(), transient())
    retry(runtime, call, backoff_s=0.25)
    assert backoff_sleeps == [0.25, 0.5, 1.0]


# --- the request hash of repeats --------------------------------------------------------------------------


def items(project: Project, repeat: int) -> list[WorkItem]:
    suite = project.suites["triage"]
    return list(plan_suite(project, suite, Filters(repeat=repeat)).items())


def preparer(project: Project) -> RequestPreparer:
    runtimes = {
        name: ModelRuntime(
            provider=cast(Any, None),
            limits=ModelLimits(None, None, None),
            retries=0,
            timeout_s=1.0,
            pricing=None,
            base_url=None,
        )
        for name in project.models
    }
    return RequestPreparer(runtimes)


def hashes(project: Project, repeat: int, prep: RequestPreparer | None = None) -> dict[str, str]:
    """Request hash by item key (`prompt/model/dataset/case#repeat`)."""
    prep = prep or preparer(project)
    out = {}
    for item in items(project, repeat):
        prepared = prep.prepare(item)
        assert prepared.error is None and prepared.request_hash
        out[item.item_key] = prepared.request_hash
    return out


@pytest.fixture
def loaded(project: Path) -> Project:
    """The quickstart project (conftest's `project`), loaded."""
    from llmopsctl.project.loader import load_project

    return load_project(project)


def test_repeat_zero_keeps_the_plain_request_hash(loaded: Project) -> None:
    plain = hashes(loaded, 1)
    repeated = hashes(loaded, 3)
    assert plain and all(key.endswith("#0") for key in plain)
    assert {key: repeated[key] for key in plain} == plain  # the cache entries of a run without repeats


def test_repeat_zero_hashes_the_request_alone(loaded: Project) -> None:
    # The cache keys of runs made before repeats existed: the request, with no repeat number in it.
    prep = preparer(loaded)
    for item in items(loaded, 3):
        if item.repeat_index == 0:
            prepared = prep.prepare(item)
            request = {
                "provider": item.model.provider,
                "base_url": None,
                "model": item.model.model,
                "messages": prepared.messages,
                "params": prepared.params,
            }
            assert prepared.request_hash == content_hash(request, 32)


def test_each_repeat_has_a_request_hash_of_its_own(loaded: Project) -> None:
    repeated = hashes(loaded, 4)
    case_keys = {key.rsplit("#", 1)[0] for key in repeated}
    for case_key in case_keys:
        mine = [repeated[f"{case_key}#{r}"] for r in range(4)]
        assert len(set(mine)) == 4, case_key
    assert len(set(repeated.values())) == len(repeated)  # and no two cases share one


def test_request_hashes_are_stable_across_preparers_and_loads(loaded: Project, project: Path) -> None:
    from llmopsctl.project.loader import load_project

    first = hashes(loaded, 3)
    prep = preparer(loaded)
    assert hashes(loaded, 3, prep) == first
    assert hashes(loaded, 3, prep) == first  # worked out again from the preparer's per-pair memo
    assert hashes(load_project(project), 3) == first


def test_the_request_hash_changes_with_the_messages(loaded: Project) -> None:
    before = hashes(loaded, 2)
    prompt = loaded.prompts["ticket-triage"]
    last = dataclasses.replace(prompt.messages[-1], content="Customer ticket: {{ ticket }}")
    loaded.prompts[prompt.name] = dataclasses.replace(prompt, messages=(*prompt.messages[:-1], last))
    after = hashes(loaded, 2)
    assert after.keys() == before.keys()
    assert all(after[key] != before[key] for key in before)


def test_the_request_hash_changes_with_the_case_vars(loaded: Project) -> None:
    before = hashes(loaded, 2)
    dataset = loaded.datasets["support-tickets"]
    first = dataset.cases[0]
    changed = first._replace(vars={**first.vars, "ticket": first.vars["ticket"] + "!"})
    loaded.datasets[dataset.name] = dataclasses.replace(dataset, cases=(changed, *dataset.cases[1:]))
    after = hashes(loaded, 2)
    differ = {key for key in before if after[key] != before[key]}
    assert differ and all(f"/{first.id}#" in key for key in differ)  # that case's items, and only those
    assert len(differ) == 2 * len(loaded.suites["triage"].models)


@pytest.mark.parametrize("where", ["prompt", "model"])
def test_the_request_hash_changes_with_the_params(loaded: Project, where: str) -> None:
    before = hashes(loaded, 2)
    if where == "prompt":
        prompt = loaded.prompts["ticket-triage"]
        params = {**prompt.params, "temperature": 0.7}
        loaded.prompts[prompt.name] = dataclasses.replace(prompt, params=params)
    else:
        (name,) = loaded.suites["triage"].models
        model = loaded.models[name]
        loaded.models[name] = dataclasses.replace(model, params={"seed": 7})
    after = hashes(loaded, 2)
    assert after.keys() == before.keys()
    assert all(after[key] != before[key] for key in before)
