"""Records for the results database: one per graded call, one per assertion score."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from llmopsctl.core.chat import ChatResponse
from llmopsctl.core.definitions import team_and_owner
from llmopsctl.core.records import ResultRecord, ScoreRecord
from llmopsctl.core.usage import Usage
from llmopsctl.cost.pricing import UNKNOWN, PricedCall
from llmopsctl.engine.score import CaseVerdict

if TYPE_CHECKING:
    from llmopsctl.engine.requests import PreparedRequest

_NO_USAGE = Usage()


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What asking for one item's answer gave: the answer (from the model or the cache), or an error."""

    response: ChatResponse | None
    attempts: int
    latency_ms: float | None
    cached: bool = False
    queue_ms: float | None = None  # waiting for the model's limits before the call (not in latency_ms)
    error: str | None = None
    error_kind: str | None = None  # render | provider | replay | scorer


@dataclass(frozen=True, slots=True)
class Charge:
    """What an answer costs: its list price, and what it spent (0 when cached or replayed, None unknown)."""

    priced: PricedCall
    spent: Decimal | None


def score_records(run_id: str, result_id: str, verdict: CaseVerdict) -> list[ScoreRecord]:
    return [
        ScoreRecord(
            result_id=result_id,
            run_id=run_id,
            idx=idx,
            scorer=row.scorer,
            metric=row.metric,
            value=row.value,
            passed=row.passed,
            weight=row.weight,
            reason=row.reason,
            error=row.error,
        )
        for idx, row in enumerate(verdict.rows)
    ]


def result_record(
    run_id: str,
    prep: PreparedRequest,
    outcome: CallOutcome,
    verdict: CaseVerdict | None,
    charge: Charge | None,
    *,
    source: str = "eval",  # "replay" for an answer replayed from a cassette: nothing spent, no call made
    environment: str | None = None,
) -> ResultRecord:
    """One item's result: what was asked, what came back, its cost and its grade (no pass with an error)."""
    item, response = prep.item, outcome.response
    usage = response.usage if response is not None else _NO_USAGE
    priced = charge.priced if charge is not None else UNKNOWN
    team, owner = team_and_owner(item.prompt, item.suite)
    return ResultRecord(
        run_id=run_id,
        item_key=item.item_key,
        suite=item.suite.name,
        case_key=item.case_key,
        prompt_name=item.prompt.name,
        prompt_hash=item.prompt.hash,
        model_name=item.model.name,
        model_hash=item.model.hash,
        dataset_name=item.dataset.name,
        dataset_hash=item.dataset.hash,
        case_id=item.case.id,
        repeat_index=item.repeat_index,
        provider=item.model.provider,
        model_id=item.model.model,
        response_model=response.response_model if response else None,
        response_id=response.response_id if response else None,
        finish_reason=response.finish_reason if response else None,
        request_hash=prep.request_hash,
        messages=prep.messages,
        vars=item.case.vars,
        expected=item.case.expected,
        output=response.output if response else None,
        latency_ms=outcome.latency_ms,
        queue_ms=outcome.queue_ms,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        cost_usd=charge.spent if charge is not None else None,
        cost_nominal_usd=priced.cost,
        price_source=priced.source,
        price_version=priced.version,
        team=team,
        owner=owner,
        source=source,
        environment=environment,
        tags=list(item.case.tags),
        response_metadata=(response.metadata or None) if response is not None else None,
        cached=outcome.cached,
        attempts=outcome.attempts,
        error=outcome.error,
        error_kind=outcome.error_kind,
        score=verdict.score if verdict is not None else None,
        passed=verdict.passed if verdict is not None and outcome.error is None else None,
    )
