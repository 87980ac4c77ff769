"""What the results database stores: one frozen record per row of its runs, results, scores and judge_calls.

Field names are the tables' column names (store/queries.py and store/costs.py give their SQL types), and
None is NULL. A field left to its default is filled by the store when it writes the record, as noted;
every other field defaults to NULL. Usage is flattened into the five token columns, as the tables hold it.
JSON columns take plain Python values (dicts, lists, str, numbers, bool, None).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultRecord:
    """One graded call (a row of `results`). Its id is f"{run_id}/{item_key}"."""

    run_id: str
    item_key: str
    suite: str | None = None
    case_key: str | None = None
    prompt_name: str | None = None
    prompt_hash: str | None = None
    model_name: str | None = None
    model_hash: str | None = None
    dataset_name: str | None = None
    dataset_hash: str | None = None
    case_id: str | None = None
    repeat_index: int | None = None
    provider: str | None = None
    model_id: str | None = None
    response_model: str | None = None
    response_id: str | None = None
    finish_reason: str | None = None
    request_hash: str | None = None
    messages: Sequence[Mapping[str, str]] | None = None  # JSON
    vars: Mapping[str, Any] | None = None  # JSON
    expected: Any = None  # JSON
    output: str | None = None
    latency_ms: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: Decimal | None = None  # what the call spent: 0 when cached or replayed, None when unknown
    cost_nominal_usd: Decimal | None = None  # its list price, cached or not
    cached: bool | None = None
    attempts: int | None = None
    error: str | None = None
    error_kind: str | None = None  # render | provider | replay | scorer
    score: float | None = None
    passed: bool | None = None
    created_at: datetime | None = None  # None: when the store writes it
    price_source: str | None = None  # override | genai-prices | None (unknown price)
    price_version: str | None = None
    team: str | None = None
    owner: str | None = None
    source: str | None = None  # eval | replay
    environment: str | None = None
    tags: Sequence[str] | None = None  # the case's tags
    response_metadata: Mapping[str, Any] | None = None  # JSON: what the provider returned beside the output
    queue_ms: float | None = None  # time waiting for the model's limits, not part of latency_ms

    @property
    def id(self) -> str:
        return f"{self.run_id}/{self.item_key}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreRecord:
    """One assertion's score of a result (a row of `scores`)."""

    result_id: str
    scorer: str
    value: float | None = None
    passed: bool | None = None
    weight: float | None = None
    metric: str | None = None
    reason: str | None = None
    error: str | None = None
    run_id: str | None = None  # None: the part of result_id before the first "/"
    idx: int | None = None  # None: the score's position among its result's scores in the batch written


@dataclass(frozen=True, slots=True, kw_only=True)
class JudgeCallRecord:
    """A call a model-graded scorer made while grading a result (a row of `judge_calls`)."""

    result_id: str  # the graded result
    id: str | None = None  # None: f"{result_id}/judge/{n}", n its position among the result's in the batch
    run_id: str | None = None  # None: the part of result_id before the first "/"
    model_name: str | None = None
    model_id: str | None = None
    response_model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_input_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: Decimal | None = None
    cost_nominal_usd: Decimal | None = None
    price_source: str | None = None
    price_version: str | None = None
    cached: bool | None = None
    latency_ms: float | None = None
    queue_ms: float | None = None  # time waiting for the model's limits, not part of latency_ms
    team: str | None = None  # None: the graded result's (when costs are read)
    owner: str | None = None
    created_at: datetime | None = None  # None: when the store writes it


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """A run as it starts (a row of `runs`); its status and end are updated as it goes."""

    id: str
    suite: str | None = None
    status: str | None = "running"  # running | complete | incomplete | interrupted | aborted
    started_at: datetime | None = field(default_factory=_now)
    finished_at: datetime | None = None
    git_sha: str | None = None
    git_branch: str | None = None
    git_dirty: bool | None = None
    tool_version: str | None = None
    suite_hash: str | None = None
    hashes: Mapping[str, Any] | None = None  # JSON: see engine.provenance.run_hashes
    ci: str | None = None
    args: Mapping[str, Any] | None = None  # JSON: the run's filters and flags
    planned: int | None = None
    note: str | None = None
