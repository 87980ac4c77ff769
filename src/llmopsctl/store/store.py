"""The results database: one DuckDB file holding runs, results, scores and the response cache.

This package is the only part of llmopsctl that talks to duckdb, and it imports duckdb lazily so the CLI
starts fast. Every duckdb error is wrapped as StoreError (StoreLocked when another process holds the
file). A Store is meant to be used from one thread at a time.

Timestamps are stored as naive UTC datetimes: pass aware datetimes (converted) or naive UTC ones;
reads return naive UTC datetimes. JSON columns take and return Python dicts/lists/values.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from llmopsctl.core.records import ResultRecord, RunRecord, ScoreRecord
from llmopsctl.errors import StoreError, StoreLocked
from llmopsctl.store import migrations
from llmopsctl.store import queries as q
from llmopsctl.store.cache import CacheEntry as CacheEntry
from llmopsctl.store.cache import CacheMixin
from llmopsctl.store.readonly import check_read_only
from llmopsctl.store.retention import RetentionMixin

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

_RUN_JSON = q.json_columns(q.RUN_COLUMNS)
_RESULT_JSON = q.json_columns(q.RESULT_COLUMNS)
_MERGE_ALIAS = "llmopsctl_merge_src"


class Store(CacheMixin, RetentionMixin):
    """An open results database. Create with `Store.open(path)`; close with `close()` or `with`.

    The response cache methods (`cache_*`) come from CacheMixin (cache.py), the retention methods
    (`prune_runs`, `cache_prune`, `pruned_run`) from RetentionMixin (retention.py).
    """

    def __init__(self, con: DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self._con: DuckDBPyConnection | None = con
        self.path = path
        self.read_only = read_only

    # --- opening and closing ------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, read_only: bool = False, lock_timeout_s: float = 5.0) -> Store:
        """Open (creating it and its folders unless read_only) and migrate the database at `path`.

        Waits up to lock_timeout_s while another process holds the file, then raises StoreLocked.
        """
        path = Path(path)
        if read_only and not path.exists():
            raise StoreError(f"no results database at {path} yet; run `llmopsctl eval` first")
        if not read_only:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for the results database {path}: {exc}") from None
        con = _connect(path, read_only, lock_timeout_s)
        try:
            migrations.prepare(con, path, read_only)
        except BaseException:
            con.close()
            raise
        return cls(con, path, read_only)

    def close(self) -> None:
        con, self._con = self._con, None
        if con is not None:
            try:
                con.close()
            except Exception as exc:
                raise StoreError(
                    f"error closing the results database {self.path}: {q.first_line(exc)}"
                ) from None

    @property
    def closed(self) -> bool:
        return self._con is None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def checkpoint(self) -> None:
        """Write the WAL into the database file (CHECKPOINT). A no-op for a read-only store."""
        if self.read_only:
            return
        with self._guard("checkpointing") as con:
            con.execute("CHECKPOINT")

    flush = checkpoint

    # --- runs ---------------------------------------------------------------------------------

    def create_run(self, run: RunRecord) -> None:
        """Insert a new run (status running and started now unless the record says otherwise)."""
        if not run.id:
            raise StoreError("a run needs an id")
        if self.get_run(run.id) is not None:
            raise StoreError(f"run {run.id} already exists in {self.path}")
        cols = q.RUN_COLUMNS
        values = [q.encode("runs", c, t, getattr(run, c)) for c, t in cols.items()]
        placeholders = ", ".join(f"?::{t}" for t in cols.values())
        with self._transaction("recording the run") as con:
            con.execute(f"INSERT INTO runs ({', '.join(cols)}) VALUES ({placeholders})", values)

    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set some columns of a run (status, finished_at, note, ...). StoreError if the run is missing."""
        q.check_keys("run", fields, q.RUN_COLUMNS)
        if "id" in fields:
            raise StoreError("a run's id cannot be changed")
        if not fields:
            return
        sets = ", ".join(f"{c} = ?::{q.RUN_COLUMNS[c]}" for c in fields)
        values = [q.encode("runs", c, q.RUN_COLUMNS[c], v) for c, v in fields.items()]
        with self._transaction("updating the run") as con:
            row = con.execute(f"UPDATE runs SET {sets} WHERE id = ?", [*values, run_id]).fetchone()
        if not row or not row[0]:
            raise StoreError(f"no run {run_id} in {self.path}")

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The run with its result aggregates (see list_runs), or None."""
        rows = self._runs("id = ?", [run_id], 1)
        return rows[0] if rows else None

    def list_runs(self, suite: str | None = None, limit: int | None = 20) -> list[dict[str, Any]]:
        """Runs, newest first, each with the aggregates of its results (queries.RUN_AGGREGATES):

        results, passed, failed (passed is false and no error), errors, cost_usd (Decimal sum; None when
        no result has a known cost), unknown_cost (answered results without a cost),
        input/output/cached_input/cache_write/reasoning _tokens sums (None when none reported), cached
        (results served from cache).
        """
        if suite is None:
            return self._runs("true", [], limit)
        return self._runs("suite = ?", [suite], limit)

    def latest_run(self, suite: str, status: str | None = "complete") -> dict[str, Any] | None:
        """The newest run of `suite` with `status` (any status when None), with aggregates."""
        if status is None:
            rows = self._runs("suite = ?", [suite], 1)
        else:
            rows = self._runs("suite = ? AND status = ?", [suite, status], 1)
        return rows[0] if rows else None

    def _runs(self, where: str, params: list[Any], limit: int | None) -> list[dict[str, Any]]:
        sql = q.RUNS_WITH_AGGREGATES_SQL.format(where=where)
        with self._guard("reading runs") as con:
            cur = con.execute(sql, [*params, limit])
            names = [d[0] for d in cur.description or []]
            rows = cur.fetchall()
        return [q.decode_row(names, row, _RUN_JSON) for row in rows]

    # --- results ------------------------------------------------------------------------------

    def write_results(
        self,
        results: Sequence[ResultRecord],
        scores: Sequence[ScoreRecord] = (),
        *,
        replace: bool = True,
    ) -> None:
        """Insert results and their scores in one transaction.

        A result whose id exists is replaced, and the stored scores of every result id in this call
        (results' ids and scores' result_ids) are replaced by the scores given here. See queries.py for
        defaults. replace=False: rows known to be new (a fresh run), plain INSERTs and no DELETE, ~35%
        faster; an existing key is an error.
        """
        ids, res_cols = q.result_columns(results)
        score_ids, score_cols = q.score_columns(scores)
        if not ids and not score_ids:
            return
        with self._transaction("writing results") as con:
            if replace:
                every = sorted(set(ids) | set(score_ids))
                con.execute("DELETE FROM scores WHERE result_id IN (SELECT UNNEST($1::VARCHAR[]))", [every])
            if ids:
                verb = "INSERT OR REPLACE" if replace else "INSERT"
                con.execute(q.bulk_insert_sql("results", q.RESULT_COLUMNS, verb), res_cols)
            if score_ids:
                con.execute(q.bulk_insert_sql("scores", q.SCORE_COLUMNS, "INSERT"), score_cols)

    def done_item_keys(self, run_id: str) -> set[str]:
        """item_keys of the run's results that have no error (what a resumed run skips)."""
        with self._guard("reading results") as con:
            rows = con.execute(
                "SELECT item_key FROM results WHERE run_id = ? AND error IS NULL", [run_id]
            ).fetchall()
        return {str(r[0]) for r in rows}

    def results_for_run(self, run_id: str, failed_only: bool = False) -> list[dict[str, Any]]:
        """The run's results ordered by case_key, repeat_index, JSON decoded, each with a `scores` list
        (ordered by idx). failed_only keeps results that errored or have passed = false."""
        where = "run_id = ?" + (" AND (error IS NOT NULL OR passed = false)" if failed_only else "")
        with self._guard("reading results") as con:
            cur = con.execute(
                f"SELECT * FROM results WHERE {where} ORDER BY case_key, repeat_index, item_key", [run_id]
            )
            names = [d[0] for d in cur.description or []]
            rows = cur.fetchall()
            scur = con.execute(
                f"SELECT * FROM scores WHERE result_id IN (SELECT id FROM results WHERE {where}) "
                "ORDER BY result_id, idx",
                [run_id],
            )
            snames = [d[0] for d in scur.description or []]
            srows = scur.fetchall()
        by_result: dict[str, list[dict[str, Any]]] = {}
        for srow in srows:
            score = dict(zip(snames, srow, strict=True))
            by_result.setdefault(str(score["result_id"]), []).append(score)
        out = []
        for row in rows:
            result = q.decode_row(names, row, _RESULT_JSON)
            result["scores"] = by_result.get(str(result["id"]), [])
            out.append(result)
        return out

    def summary(self, run_id: str) -> list[dict[str, Any]]:
        """Per prompt x model: counts, tokens, cost (NULL when all unknown), p50/p95 latency (of cached and
        replayed answers too: their original call's, where it was kept)."""
        sql = """
            SELECT prompt_name, model_name, count(*) AS results,
                   count(*) FILTER (WHERE error IS NULL AND passed IS NOT FALSE) AS passed,
                   count(*) FILTER (WHERE error IS NULL AND passed = false) AS failed,
                   count(*) FILTER (WHERE error IS NOT NULL) AS errors,
                   count(*) FILTER (WHERE cached) AS cached,
                   sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
                   sum(cost_usd) AS cost_usd,
                   count(*) FILTER (WHERE cost_usd IS NULL AND error IS NULL) AS unknown_cost,
                   quantile_cont(latency_ms, 0.5) FILTER (WHERE error IS NULL) AS p50_ms,
                   quantile_cont(latency_ms, 0.95) FILTER (WHERE error IS NULL) AS p95_ms
            FROM results WHERE run_id = ?
            GROUP BY prompt_name, model_name ORDER BY prompt_name, model_name
        """
        with self._guard("summarising a run") as con:
            cursor = con.execute(sql, [run_id])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # --- user queries and merging -------------------------------------------------------------

    def query(self, sql: str, *, max_rows: int | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read-only statement (SELECT/WITH/DESCRIBE/SHOW/PRAGMA/SUMMARIZE/EXPLAIN) and return
        (column names, rows). It runs in a transaction that is rolled back. Anything else -> StoreError."""
        con = self._require_open()
        check_read_only(con, sql)
        # lazy: importing duckdb takes a while; commands that never open the database skip it
        import duckdb

        cur = con.cursor()
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                cur.execute(sql)
                names = [d[0] for d in cur.description or []]
                rows = cur.fetchall() if max_rows is None else cur.fetchmany(max_rows)
            finally:
                cur.execute("ROLLBACK")
        except duckdb.Error as exc:
            raise StoreError(q.first_line(exc)) from None
        finally:
            cur.close()
        return names, rows

    def merge_from(self, other_path: Path) -> dict[str, int]:
        """Copy runs, results and scores from another llmopsctl database, skipping rows whose primary
        key exists here. Returns {"runs": added, "results": added, "scores": added,
        "runs_skipped": n, "results_skipped": n, "scores_skipped": n}."""
        other = Path(other_path)
        if not other.is_file():
            raise StoreError(f"no results database at {other}")
        if other.resolve() == self.path.resolve():
            raise StoreError(f"cannot merge {other} into itself")
        con = self._require_writable()
        # lazy: importing duckdb takes a while; commands that never open the database skip it
        import duckdb

        literal = "'" + str(other).replace("'", "''") + "'"
        try:
            con.execute(f"ATTACH {literal} AS {_MERGE_ALIAS} (READ_ONLY)")
        except duckdb.Error as exc:
            raise _open_error(other, exc) from None
        try:
            with self._guard(f"reading {other}"):
                found = {
                    str(r[0])
                    for r in con.execute(
                        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?",
                        [_MERGE_ALIAS],
                    ).fetchall()
                }
            if not {"runs", "results", "scores", "_migrations"} <= found:
                raise StoreError(f"{other} is not an llmopsctl results database")
            counts: dict[str, int] = {}
            keys = {"runs": ["id"], "results": ["id"], "scores": ["result_id", "idx"]}
            with self._transaction(f"merging {other}") as tx:
                for table, pk in keys.items():
                    match = " AND ".join(f"t.{k} = s.{k}" for k in pk)
                    total = tx.execute(f"SELECT count(*) FROM {_MERGE_ALIAS}.{table}").fetchone()
                    added = tx.execute(
                        f"INSERT INTO {table} BY NAME SELECT * FROM {_MERGE_ALIAS}.{table} s "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
                    ).fetchone()
                    counts[table] = int(added[0]) if added else 0
                    counts[f"{table}_skipped"] = (int(total[0]) if total else 0) - counts[table]
        finally:
            try:
                con.execute(f"DETACH {_MERGE_ALIAS}")
            except duckdb.Error:
                pass
        return counts

    # --- helpers ------------------------------------------------------------------------------

    def _require_open(self) -> DuckDBPyConnection:
        if self._con is None:
            raise StoreError(f"the results database {self.path} is closed")
        return self._con

    def _require_writable(self) -> DuckDBPyConnection:
        con = self._require_open()
        if self.read_only:
            raise StoreError(f"the results database {self.path} was opened read-only")
        return con

    @contextmanager
    def _guard(self, action: str) -> Iterator[DuckDBPyConnection]:
        con = self._require_open()
        # lazy: importing duckdb takes a while; commands that never open the database skip it
        import duckdb

        try:
            yield con
        except duckdb.Error as exc:
            raise StoreError(f"results database error while {action}: {q.first_line(exc)}") from None

    @contextmanager
    def _transaction(self, action: str) -> Iterator[DuckDBPyConnection]:
        con = self._require_writable()
        with self._guard(action), migrations.transaction(con):
            yield con


# --- module helpers -------------------------------------------------------------------------------


def _connect(path: Path, read_only: bool, lock_timeout_s: float) -> DuckDBPyConnection:
    # lazy: importing duckdb takes a while; commands that never open the database skip it
    import duckdb

    deadline = time.monotonic() + max(0.0, lock_timeout_s)
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            error = _open_error(path, exc)
            remaining = deadline - time.monotonic()
            if not isinstance(error, StoreLocked) or remaining <= 0:
                raise error from None
            time.sleep(min(delay, remaining))
            delay = min(delay * 1.5, 0.5)


def _open_error(path: Path, exc: BaseException) -> StoreError:
    message = str(exc)
    lowered = message.lower()
    if "conflicting lock" in lowered or "could not set lock" in lowered:
        pid = re.search(r"\bPID (\d+)", message)
        who = f" (pid {pid.group(1)})" if pid else ""
        return StoreLocked(
            f"the results database {path} is in use by another llmopsctl process{who}",
            hint="wait for it to finish, or point --db at another file",
        )
    if "not a valid duckdb database" in lowered or "corrupt" in lowered or "checksum" in lowered:
        return StoreError(
            f"{path} is not a DuckDB results database, or it is damaged",
            hint="point --db at an llmopsctl results database, or move this file away",
        )
    return StoreError(f"cannot open the results database {path}: {q.first_line(exc)}")
