"""Named schema migrations of the results database, applied once each, in order, in a transaction.

Never edit a migration that has shipped: add a new ``(name, sql)`` pair at the end of MIGRATIONS,
and update the column lists in ``store/queries.py`` to match (a test checks they agree).

Timestamps are stored as TIMESTAMP (no time zone) holding UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from llmopsctl.errors import StoreError

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

MIGRATIONS_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)"
)

_INITIAL = """
CREATE TABLE runs (
    id VARCHAR PRIMARY KEY,
    suite VARCHAR,
    status VARCHAR,            -- running | complete | incomplete | interrupted | aborted
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    git_sha VARCHAR,
    git_branch VARCHAR,
    git_dirty BOOLEAN,
    tool_version VARCHAR,
    suite_hash VARCHAR,
    hashes JSON,               -- {"prompts": {name: hash}, "models": {...}, "datasets": {...}}
    ci VARCHAR,
    args JSON,
    planned INTEGER,
    note VARCHAR
);

CREATE TABLE results (
    id VARCHAR PRIMARY KEY,    -- run_id || '/' || item_key
    run_id VARCHAR,
    item_key VARCHAR,
    suite VARCHAR,
    case_key VARCHAR,
    prompt_name VARCHAR,
    prompt_hash VARCHAR,
    model_name VARCHAR,
    model_hash VARCHAR,
    dataset_name VARCHAR,
    dataset_hash VARCHAR,
    case_id VARCHAR,
    repeat_index INTEGER,
    provider VARCHAR,
    model_id VARCHAR,
    response_model VARCHAR,
    response_id VARCHAR,
    finish_reason VARCHAR,
    request_hash VARCHAR,
    messages JSON,
    vars JSON,
    expected JSON,
    output VARCHAR,
    latency_ms DOUBLE,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cached_input_tokens BIGINT,
    cache_write_tokens BIGINT,
    reasoning_tokens BIGINT,
    cost_usd DECIMAL(20, 10),  -- what this call cost: 0 when answered from the cache, NULL when unknown
    cost_nominal_usd DECIMAL(20, 10),  -- what the call costs at list price, cached or not
    cached BOOLEAN,
    attempts INTEGER,
    error VARCHAR,
    error_kind VARCHAR,
    score DOUBLE,
    passed BOOLEAN,
    created_at TIMESTAMP
);

CREATE TABLE scores (
    result_id VARCHAR,
    run_id VARCHAR,
    idx INTEGER,
    scorer VARCHAR,
    metric VARCHAR,
    value DOUBLE,
    passed BOOLEAN,
    weight DOUBLE,
    reason VARCHAR,
    error VARCHAR,
    PRIMARY KEY (result_id, idx)
);

CREATE TABLE cache (
    key VARCHAR PRIMARY KEY,
    response JSON,
    created_at TIMESTAMP,
    expires_at TIMESTAMP       -- NULL = never expires
);
"""

_COST = """
ALTER TABLE results ADD COLUMN price_source VARCHAR;   -- override | genai-prices | NULL = unknown price
ALTER TABLE results ADD COLUMN price_version VARCHAR;  -- e.g. 'genai-prices 0.2.3', or the model file hash
ALTER TABLE results ADD COLUMN team VARCHAR;
ALTER TABLE results ADD COLUMN owner VARCHAR;
ALTER TABLE results ADD COLUMN source VARCHAR DEFAULT 'eval';  -- eval | production traces later
ALTER TABLE results ADD COLUMN environment VARCHAR;

-- Calls made by model-graded scorers, costed apart from the graded call.
CREATE TABLE judge_calls (
    id VARCHAR PRIMARY KEY,
    run_id VARCHAR,
    result_id VARCHAR,         -- the graded result
    model_name VARCHAR,
    model_id VARCHAR,
    response_model VARCHAR,
    input_tokens BIGINT,
    output_tokens BIGINT,
    cached_input_tokens BIGINT,
    cache_write_tokens BIGINT,
    reasoning_tokens BIGINT,
    cost_usd DECIMAL(20, 10),
    cost_nominal_usd DECIMAL(20, 10),
    price_source VARCHAR,
    price_version VARCHAR,
    cached BOOLEAN,
    latency_ms DOUBLE,
    team VARCHAR,
    owner VARCHAR,
    created_at TIMESTAMP
);

-- One row per budget, period and alert threshold crossed: an alert is sent once.
CREATE TABLE budget_events (
    budget VARCHAR,
    period_start TIMESTAMP,
    threshold_pct DOUBLE,
    spend_usd DECIMAL(20, 10),
    amount_usd DECIMAL(20, 10),
    fired_at TIMESTAMP,
    delivered BOOLEAN,         -- NULL: no webhook configured
    PRIMARY KEY (budget, period_start, threshold_pct)
);
"""

_PRUNED_RUNS = """
-- Runs deleted by `llmopsctl retention apply` (llmops.yaml `retention.results`), with what went with them.
CREATE TABLE pruned_runs (
    run_id VARCHAR PRIMARY KEY,
    suite VARCHAR,
    status VARCHAR,
    started_at TIMESTAMP,
    git_sha VARCHAR,
    results INTEGER,
    scores INTEGER,
    judge_calls INTEGER,
    retention VARCHAR,         -- the retention applied, as written in llmops.yaml (e.g. 90d)
    pruned_at TIMESTAMP
);
"""

_RESULT_TAGS_METADATA = """
ALTER TABLE results ADD COLUMN tags VARCHAR[];          -- the case's tags, for pass rates by tag
ALTER TABLE results ADD COLUMN response_metadata JSON;  -- what the provider returned beside the output
"""

_QUEUE_TIME = """
-- Time a call waited for its model's limits (concurrency, rpm, tpm) before it was sent; latency_ms is
-- the call's own. NULL: not measured (a cached or replayed answer, or a row from an older version).
ALTER TABLE results ADD COLUMN queue_ms DOUBLE;
ALTER TABLE judge_calls ADD COLUMN queue_ms DOUBLE;
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_initial", _INITIAL),
    ("0002_cost", _COST),
    ("0003_pruned_runs", _PRUNED_RUNS),
    ("0004_result_tags_metadata", _RESULT_TAGS_METADATA),
    ("0005_queue_time", _QUEUE_TIME),
]


def applied_migrations(con: DuckDBPyConnection) -> set[str] | None:
    """Names of the applied migrations, or None when the database has no _migrations table."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = '_migrations' "
        "AND table_schema = 'main' AND table_catalog = current_database()"
    ).fetchone()
    if not found or not found[0]:
        return None
    return {str(row[0]) for row in con.execute("SELECT name FROM _migrations").fetchall()}


def pending_migrations(con: DuckDBPyConnection) -> list[str]:
    """Names of the migrations not yet applied (all of them for a database without _migrations)."""
    done = applied_migrations(con) or set()
    return [name for name, _ in MIGRATIONS if name not in done]


@contextmanager
def transaction(con: DuckDBPyConnection) -> Iterator[DuckDBPyConnection]:
    """BEGIN, then COMMIT, or ROLLBACK (as far as it can) and re-raise when the block raises."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except Exception:
            pass
        raise


def apply_migrations(con: DuckDBPyConnection) -> list[str]:
    """Apply every pending migration, each in its own transaction; return the names applied.

    Raises duckdb errors as they come; the caller wraps them.
    """
    con.execute(MIGRATIONS_TABLE_SQL)
    done = applied_migrations(con) or set()
    applied: list[str] = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        with transaction(con):
            con.execute(sql)
            now = datetime.now(timezone.utc).replace(tzinfo=None)
            con.execute("INSERT INTO _migrations VALUES (?, ?)", [name, now])
        applied.append(name)
    return applied


def prepare(con: DuckDBPyConnection, path: Path, read_only: bool) -> None:
    """Apply pending migrations, or (read_only) check that none is pending; errors as StoreError."""
    # lazy: importing duckdb takes a while; commands that never open the database skip it
    import duckdb

    try:
        if not read_only:
            apply_migrations(con)
            return
        done = applied_migrations(con)
        if done is None:
            raise StoreError(f"{path} is a DuckDB database but not an llmopsctl results database")
        if pending_migrations(con):
            raise StoreError(
                f"the results database {path} was made by an older llmopsctl and needs upgrading",
                hint="run any command that writes to it (for example `llmopsctl eval`) once",
            )
    except duckdb.Error as exc:
        raise StoreError(f"cannot prepare the results database {path}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
