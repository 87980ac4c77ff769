"""Cost queries on the results database: judge calls, spend aggregates and budget alert events.

Spend is read from one stream of "calls", a UNION ALL of
- results (source = results.source, 'eval' by default; 'replay' for answers of `eval --replay`): rows that
  got an answer (or report usage or cost); a provider error or a render error is not a call;
- judge_calls (source 'judge'): model-graded scorers' calls, with the graded result's prompt, suite and
  environment, and its team/owner unless the judge row has its own. A judge call grading a replayed answer
  that spent nothing (cost 0, not a cache hit) was answered from the cassette too: source 'replay';
so a production traces table can be added as one more SELECT of the same columns.

Calls, tokens, spend and unknown costs are those of calls actually made: replayed answers (source
'replay') spend nothing and are no calls; they are only counted, as `replayed`. Answers from the
response cache count as cache hits, with their list price (cost_nominal_usd) as the cost the cache
avoided, and add no tokens. Cost per passing case counts only passes whose cost is known
(`passed_unknown_cost` counts the others: a cached answer of a model without a price spent nothing, but
what its pass costs is unknown, not $0).
Money comes back as Decimal (DuckDB DECIMAL sums), token sums as int.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from llmopsctl.core.records import JudgeCallRecord
from llmopsctl.errors import StoreError
from llmopsctl.store import queries as q

if TYPE_CHECKING:
    from llmopsctl.store.store import Store

# Column lists of the tables made by migration 0002_cost (queries.TABLE_COLUMNS has the others).
JUDGE_CALL_COLUMNS: dict[str, str] = {
    "id": "VARCHAR",
    "run_id": "VARCHAR",
    "result_id": "VARCHAR",
    "model_name": "VARCHAR",
    "model_id": "VARCHAR",
    "response_model": "VARCHAR",
    "input_tokens": "BIGINT",
    "output_tokens": "BIGINT",
    "cached_input_tokens": "BIGINT",
    "cache_write_tokens": "BIGINT",
    "reasoning_tokens": "BIGINT",
    "cost_usd": "DECIMAL(20,10)",
    "cost_nominal_usd": "DECIMAL(20,10)",
    "price_source": "VARCHAR",
    "price_version": "VARCHAR",
    "cached": "BOOLEAN",
    "latency_ms": "DOUBLE",
    "team": "VARCHAR",
    "owner": "VARCHAR",
    "created_at": "TIMESTAMP",
    # 0005_queue_time
    "queue_ms": "DOUBLE",
}

BUDGET_EVENT_COLUMNS: dict[str, str] = {
    "budget": "VARCHAR",
    "period_start": "TIMESTAMP",
    "threshold_pct": "DOUBLE",
    "spend_usd": "DECIMAL(20,10)",
    "amount_usd": "DECIMAL(20,10)",
    "fired_at": "TIMESTAMP",
    "delivered": "BOOLEAN",
}

COST_TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "judge_calls": JUDGE_CALL_COLUMNS,
    "budget_events": BUDGET_EVENT_COLUMNS,
}

DIMENSIONS = ("team", "owner", "prompt", "model", "suite", "source", "environment")
PERIODS = ("day", "week", "month")  # date_trunc('week') starts weeks on Monday (ISO)

REPLAY = "replay"  # results.source of answers replayed from a cassette (nothing spent, no call made)

CALLS_SQL = """
SELECT coalesce(r.source, 'eval') AS source, r.created_at AS called_at, r.team, r.owner,
       r.prompt_name AS prompt, r.model_name AS model, r.suite, r.environment,
       r.input_tokens, r.cached_input_tokens, r.cache_write_tokens, r.output_tokens, r.reasoning_tokens,
       r.cost_usd, r.cost_nominal_usd, coalesce(r.cached, false) AS cached, r.passed
FROM results r
WHERE r.output IS NOT NULL OR r.input_tokens IS NOT NULL OR r.output_tokens IS NOT NULL
   OR r.cost_usd IS NOT NULL
UNION ALL
SELECT CASE WHEN r.source = 'replay' AND j.cost_usd = 0 AND NOT coalesce(j.cached, false)
            THEN 'replay' ELSE 'judge' END AS source,
       j.created_at AS called_at, coalesce(j.team, r.team) AS team,
       coalesce(j.owner, r.owner) AS owner, r.prompt_name AS prompt, j.model_name AS model, r.suite,
       r.environment, j.input_tokens, j.cached_input_tokens, j.cache_write_tokens, j.output_tokens,
       j.reasoning_tokens, j.cost_usd, j.cost_nominal_usd, coalesce(j.cached, false) AS cached,
       NULL::BOOLEAN AS passed
FROM judge_calls j LEFT JOIN results r ON r.id = j.result_id
"""

# `made`: a call actually sent (or answered from the response cache), i.e. not replayed from a cassette.
AGGREGATES = """
    CASE WHEN count(*) FILTER (WHERE made) = 0 THEN 0
         ELSE sum(cost_usd) FILTER (WHERE made) END AS spend,  -- NULL: every cost unknown
    count(*) FILTER (WHERE made) AS calls,
    count(*) FILTER (WHERE made AND cost_usd IS NULL) AS unknown_cost,
    count(*) FILTER (WHERE made AND cached) AS cached_calls,
    coalesce(sum(input_tokens) FILTER (WHERE made AND NOT cached), 0)::BIGINT AS input_tokens,
    coalesce(sum(cached_input_tokens) FILTER (WHERE made AND NOT cached), 0)::BIGINT AS cached_input_tokens,
    coalesce(sum(cache_write_tokens) FILTER (WHERE made AND NOT cached), 0)::BIGINT AS cache_write_tokens,
    coalesce(sum(output_tokens) FILTER (WHERE made AND NOT cached), 0)::BIGINT AS output_tokens,
    coalesce(sum(reasoning_tokens) FILTER (WHERE made AND NOT cached), 0)::BIGINT AS reasoning_tokens,
    coalesce(sum(cost_nominal_usd) FILTER (WHERE made AND cached), 0) AS cache_savings,
    count(*) FILTER (WHERE made AND cached AND cost_nominal_usd IS NULL) AS cache_savings_unknown,
    count(*) FILTER (WHERE NOT made) AS replayed,
    sum(cost_usd) FILTER (WHERE source = 'eval') AS eval_spend,
    count(*) FILTER (WHERE source = 'eval') AS eval_calls,
    count(*) FILTER (WHERE source = 'eval' AND passed) AS passed,
    count(*) FILTER (WHERE source = 'eval' AND passed
                     AND (cost_usd IS NULL OR (cached AND cost_nominal_usd IS NULL))) AS passed_unknown_cost
"""


def aggregate_calls(
    store: Store,
    *,
    by: Sequence[str] = (),
    period: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    where: Mapping[str, str | None] | None = None,
) -> list[dict[str, Any]]:
    """Spend, calls, tokens by kind, cache hits and savings, unknown-cost calls, replayed answers and
    eval pass counts (passed; passed_unknown_cost: those of them whose cost is unknown), grouped by the
    `by` dimensions (DIMENSIONS) and, with `period`, by `period_start` (date_trunc, UTC).

    since is inclusive and until exclusive (naive = UTC). where: {dimension: value} equality filters
    (None matches NULL). Without `by` or `period`, one row of totals (zero calls included).
    Rows are ordered by period_start, then spend (largest first).
    """
    for dim in [*by, *(where or {})]:
        if dim not in DIMENSIONS:
            raise StoreError(f"unknown cost dimension {dim!r} (known: {', '.join(DIMENSIONS)})")
    if period is not None and period not in PERIODS:
        raise StoreError(f"unknown period {period!r} (known: {', '.join(PERIODS)})")
    conditions: list[str] = []
    params: list[Any] = []
    if since is not None:
        conditions.append("called_at >= ?")
        params.append(q.to_utc_naive(since))
    if until is not None:
        conditions.append("called_at < ?")
        params.append(q.to_utc_naive(until))
    for dim, value in (where or {}).items():
        if value is None:
            conditions.append(f"{dim} IS NULL")
        else:
            conditions.append(f"{dim} = ?")
            params.append(value)
    keys = list(dict.fromkeys(by))
    if period is not None:
        keys.insert(0, f"date_trunc('{period}', called_at) AS period_start")
    select = ", ".join([*keys, AGGREGATES])
    group = f"GROUP BY {', '.join(str(i) for i in range(1, len(keys) + 1))}" if keys else ""
    order = "ORDER BY " + ("period_start, " if period else "") + "spend DESC NULLS LAST"
    if by:
        order += ", " + ", ".join(f"{d} NULLS LAST" for d in dict.fromkeys(by))
    sql = (
        f"WITH calls AS (SELECT *, source <> '{REPLAY}' AS made FROM ({CALLS_SQL})) "
        f"SELECT {select} FROM calls "
        f"{'WHERE ' + ' AND '.join(conditions) if conditions else ''} {group} {order}"
    )
    with store._guard("reading costs") as con:
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def write_judge_calls(store: Store, calls: Sequence[JudgeCallRecord]) -> None:
    """Insert judge calls in one batch, replacing rows with the same id.

    Defaults: id = f"{result_id}/judge/{n}" (n = the call's position among that result's calls in this
    batch, so give ids when a result's judge calls are written over several batches), run_id = the part
    of result_id before the first "/", created_at = now.
    """
    ids: list[str] = []
    next_n: dict[str, int] = {}
    for call in calls:
        if call.id:
            ids.append(call.id)
            continue
        if not call.result_id:
            raise StoreError("a judge call needs an id or a result_id")
        n = next_n.get(call.result_id, 0)
        next_n[call.result_id] = n + 1
        ids.append(f"{call.result_id}/judge/{n}")
    keep = q.last_of_each(ids)
    if keep is not None:
        calls, ids = q.pick(calls, keep), q.pick(ids, keep)
    if not calls:
        return
    now = q.utc_now()
    run_ids = [c.result_id.split("/", 1)[0] if c.run_id is None and c.result_id else c.run_id for c in calls]
    created = [now if c.created_at is None else c.created_at for c in calls]
    given: dict[str, list[Any]] = {"id": ids, "run_id": run_ids, "created_at": created}
    cols = q.record_columns("judge_calls", calls, JUDGE_CALL_COLUMNS, given)
    with store._transaction("writing judge calls") as con:
        con.execute(q.bulk_insert_sql("judge_calls", JUDGE_CALL_COLUMNS), cols)


def record_budget_events(store: Store, events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Insert budget events (keys: BUDGET_EVENT_COLUMNS) unless their (budget, period_start,
    threshold_pct) is already recorded; return the rows inserted now (what to alert about).

    delivered: None when the budget has no webhook; False until the webhook took the alert (so an
    undelivered alert can be sent again), then True (set_budget_events_delivered)."""
    rows = [dict(e) for e in events]
    for row in rows:
        q.check_keys("budget event", row, BUDGET_EVENT_COLUMNS)
        row.setdefault("fired_at", q.utc_now())
    rows = q.dedupe(rows, lambda r: (str(r["budget"]), str(r["period_start"]), float(r["threshold_pct"])))
    if not rows:
        return []
    cols = q.column_lists("budget_events", rows, BUDGET_EVENT_COLUMNS)
    sql = q.bulk_insert_sql("budget_events", BUDGET_EVENT_COLUMNS, "INSERT OR IGNORE")
    with store._transaction("recording budget alerts") as con:
        inserted = con.execute(sql + " RETURNING budget, period_start, threshold_pct", cols).fetchall()
    new = {(str(b), q.to_utc_naive(p), float(t)) for b, p, t in inserted}
    return [
        row
        for row in rows
        if (str(row["budget"]), q.to_utc_naive(_ts(row["period_start"])), float(row["threshold_pct"])) in new
    ]


def set_budget_events_delivered(
    store: Store, budget: str, period_start: datetime, thresholds: Sequence[float], delivered: bool | None
) -> None:
    with store._transaction("recording budget alert delivery") as con:
        con.execute(
            "UPDATE budget_events SET delivered = ? WHERE budget = ? AND period_start = ? "
            "AND threshold_pct IN (SELECT UNNEST(?::DOUBLE[]))",
            [delivered, budget, q.to_utc_naive(period_start), [float(t) for t in thresholds]],
        )


def budget_events(
    store: Store, budget: str | None = None, period_start: datetime | None = None
) -> list[dict[str, Any]]:
    """Recorded budget events, oldest first (all budgets, or one; all periods, or the one starting at
    period_start)."""
    conditions: list[str] = []
    params: list[Any] = []
    if budget is not None:
        conditions.append("budget = ?")
        params.append(budget)
    if period_start is not None:
        conditions.append("period_start = ?")
        params.append(q.to_utc_naive(period_start))
    sql = "SELECT * FROM budget_events" + (" WHERE " + " AND ".join(conditions) if conditions else "")
    with store._guard("reading budget alerts") as con:
        cur = con.execute(sql + " ORDER BY period_start, budget, threshold_pct", params)
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _ts(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value
