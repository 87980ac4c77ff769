"""Rows for the results database: one per graded call, one per assertion score."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmopsctl.core.chat import ChatResponse
from llmopsctl.core.definitions import team_and_owner
from llmopsctl.cost.pricing import PricedCall
from llmopsctl.engine.score import CaseVerdict

if TYPE_CHECKING:
    from llmopsctl.engine.plan import WorkItem


def score_rows(run_id: str, result_id: str, verdict: CaseVerdict) -> list[dict[str, Any]]:
    return [
        {
            "result_id": result_id,
            "run_id": run_id,
            "idx": idx,
            "scorer": row.scorer,
            "metric": row.metric,
            "value": row.value,
            "passed": row.passed,
            "weight": row.weight,
            "reason": row.reason,
            "error": row.error,
        }
        for idx, row in enumerate(verdict.rows)
    ]


def result_row(
    run_id: str,
    item: WorkItem,
    *,
    messages: list[dict[str, str]] | None,
    request_hash: str | None,
    response: ChatResponse | None,
    priced: PricedCall | None,
    cost: Decimal | None,
    cached: bool,
    attempts: int,
    latency_ms: float | None,
    error: str | None,
    error_kind: str | None,
    score: float | None,
    passed: bool | None,
    source: str = "eval",  # "replay" for an answer replayed from a cassette: nothing spent, no call made
    environment: str | None = None,
) -> dict[str, Any]:
    usage = response.usage.to_dict() if response is not None else {}
    team, owner = team_and_owner(item.prompt, item.suite)
    return {
        "id": f"{run_id}/{item.item_key}",
        "run_id": run_id,
        "item_key": item.item_key,
        "suite": item.suite.name,
        "case_key": item.case_key,
        "prompt_name": item.prompt.name,
        "prompt_hash": item.prompt.hash,
        "model_name": item.model.name,
        "model_hash": item.model.hash,
        "dataset_name": item.dataset.name,
        "dataset_hash": item.dataset.hash,
        "case_id": item.case.id,
        "repeat_index": item.repeat_index,
        "provider": item.model.provider,
        "model_id": item.model.model,
        "response_model": response.response_model if response else None,
        "response_id": response.response_id if response else None,
        "finish_reason": response.finish_reason if response else None,
        "request_hash": request_hash,
        "messages": messages,
        "vars": item.case.vars,
        "expected": item.case.expected,
        "output": response.output if response else None,
        "latency_ms": latency_ms,
        **usage,
        "cost_usd": cost,
        "cost_nominal_usd": priced.cost if priced else None,
        "price_source": priced.source if priced else None,
        "price_version": priced.version if priced else None,
        "team": team,
        "owner": owner,
        "source": source,
        "environment": environment,
        "tags": list(item.case.tags),
        "response_metadata": (response.metadata or None) if response is not None else None,
        "cached": cached,
        "attempts": attempts,
        "error": error,
        "error_kind": error_kind,
        "score": score,
        "passed": passed if error is None else None,
    }
