"""Deleting what llmops.yaml's `retention` no longer keeps, as a mixin of `Store`.

`RetentionMixin` holds `prune_runs` (runs older than `retention.results`, with their results, scores and
judge calls, each recorded in `pruned_runs`), `cache_prune` (cached responses older than
`retention.cache`) and `pruned_run` (what became of a deleted run). It uses only the Store's `_guard` and
`_transaction`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from llmopsctl.core.settings import Retention
from llmopsctl.store import queries as q

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from llmopsctl.store.store import Store

PRUNED_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "suite": "VARCHAR",
    "status": "VARCHAR",
    "started_at": "TIMESTAMP",
    "git_sha": "VARCHAR",
    "results": "INTEGER",
    "scores": "INTEGER",
    "judge_calls": "INTEGER",
    "retention": "VARCHAR",
    "pruned_at": "TIMESTAMP",
}

# The runs started before $1, with how many rows of each table hang off them.
_OLD_RUNS_SQL = """
SELECT r.id AS run_id, r.suite, r.status, r.started_at, r.git_sha,
    (SELECT count(*) FROM results x WHERE x.run_id = r.id) AS results,
    (SELECT count(*) FROM scores s WHERE s.run_id = r.id) AS scores,
    (SELECT count(*) FROM judge_calls j WHERE j.run_id = r.id) AS judge_calls
FROM runs r WHERE r.started_at < $1
ORDER BY r.started_at, r.id
"""


@dataclass(frozen=True)
class PrunedRun:
    """A run deleted (or, in a dry run, to be deleted) by retention, with the rows that went with it."""

    run_id: str
    suite: str
    status: str
    started_at: datetime
    results: int
    scores: int
    judge_calls: int


@dataclass
class RetentionOutcome:
    """What `apply_retention` deleted (or, in a dry run, would delete); None: that retention is not set."""

    runs_before: datetime | None = None
    runs: list[PrunedRun] = field(default_factory=list)
    cache_before: datetime | None = None
    cache_entries: int = 0


def apply_retention(
    store: Store, retention: Retention, now: datetime, *, dry_run: bool = False
) -> RetentionOutcome:
    """Delete the runs and cached responses older than llmops.yaml's `retention` keeps, as of `now`."""
    outcome = RetentionOutcome()
    if retention.results_s is not None:
        outcome.runs_before = now - timedelta(seconds=retention.results_s)
        outcome.runs = store.prune_runs(
            outcome.runs_before,
            retention=retention.results or "",
            now=now,
            dry_run=dry_run,
        )
    if retention.cache_s is not None:
        outcome.cache_before = now - timedelta(seconds=retention.cache_s)
        outcome.cache_entries = store.cache_prune(outcome.cache_before, dry_run=dry_run)
    return outcome


class RetentionMixin:
    """The retention methods of Store (mixed into it; not used on its own)."""

    if TYPE_CHECKING:

        def _guard(self, action: str) -> AbstractContextManager[DuckDBPyConnection]: ...

        def _transaction(self, action: str) -> AbstractContextManager[DuckDBPyConnection]: ...

    def prune_runs(
        self, started_before: datetime, *, retention: str, now: datetime, dry_run: bool = False
    ) -> list[PrunedRun]:
        """Delete the runs started before `started_before` with their results, scores and judge calls,
        and record each in `pruned_runs` (with `retention`, as written, and `now`). dry_run: only say
        which runs that would be."""
        cutoff = q.to_utc_naive(started_before)
        if dry_run:
            with self._guard("reading old runs") as con:
                return _pruned(con.execute(_OLD_RUNS_SQL, [cutoff]).fetchall())
        with self._transaction("deleting old runs") as con:
            rows = con.execute(_OLD_RUNS_SQL, [cutoff]).fetchall()
            pruned = _pruned(rows)
            if not pruned:
                return []
            ids = [p.run_id for p in pruned]
            record = [[*row[:5], *row[5:8], retention, q.to_utc_naive(now)] for row in rows]
            con.executemany(
                f"INSERT OR REPLACE INTO pruned_runs ({', '.join(PRUNED_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in PRUNED_COLUMNS)})",
                record,
            )
            for table, column in (("scores", "run_id"), ("judge_calls", "run_id"), ("results", "run_id")):
                con.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT UNNEST($1::VARCHAR[]))", [ids])
            con.execute("DELETE FROM runs WHERE id IN (SELECT UNNEST($1::VARCHAR[]))", [ids])
        return pruned

    def cache_prune(self, created_before: datetime, *, dry_run: bool = False) -> int:
        """Delete the cached responses created before `created_before` (dry_run: only count them)."""
        cutoff = q.to_utc_naive(created_before)
        if dry_run:
            with self._guard("reading the cache") as con:
                row = con.execute("SELECT count(*) FROM cache WHERE created_at < ?", [cutoff]).fetchone()
        else:
            with self._transaction("deleting old cache entries") as con:
                row = con.execute("DELETE FROM cache WHERE created_at < ?", [cutoff]).fetchone()
        return int(row[0]) if row else 0

    def pruned_run(self, run_id: str) -> dict[str, Any] | None:
        """The `pruned_runs` record of a run that retention deleted, or None."""
        with self._guard("reading pruned runs") as con:
            cur = con.execute(
                f"SELECT {', '.join(PRUNED_COLUMNS)} FROM pruned_runs WHERE run_id = ?", [run_id]
            )
            row = cur.fetchone()
        return dict(zip(PRUNED_COLUMNS, row, strict=True)) if row else None


def _pruned(rows: list[tuple[Any, ...]]) -> list[PrunedRun]:
    return [PrunedRun(str(r[0]), str(r[1]), str(r[2]), r[3], int(r[5]), int(r[6]), int(r[7])) for r in rows]
