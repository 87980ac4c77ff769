"""Tests of llmopsctl.store: the DuckDB results database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llmopsctl.core.records import ResultRecord, RunRecord, ScoreRecord
from llmopsctl.errors import StoreError, StoreLocked
from llmopsctl.store import Store
from llmopsctl.store import queries as q
from llmopsctl.store.migrations import MIGRATIONS

SRC = str(Path(__file__).resolve().parents[1] / "src")
T0 = datetime(2024, 5, 1, 12, 0, 0)


def make_result(run_id: str, n: int, **over: Any) -> ResultRecord:
    row: dict[str, Any] = {
        "run_id": run_id,
        "item_key": f"case{n:05d}#0",
        "suite": "smoke",
        "case_key": f"case{n:05d}",
        "prompt_name": "greet",
        "prompt_hash": "p1",
        "model_name": "echo",
        "model_hash": "m1",
        "dataset_name": "ds",
        "dataset_hash": "d1",
        "case_id": f"c{n}",
        "repeat_index": 0,
        "provider": "echo",
        "model_id": "echo-1",
        "messages": [{"role": "user", "content": f"hello {n} é"}],
        "vars": {"name": f"n{n}"},
        "expected": "hi",
        "output": f"out {n}",
        "latency_ms": 12.5,
        "input_tokens": 10,
        "output_tokens": 5,
        "cost_usd": Decimal("0.0000123456"),
        "cached": False,
        "attempts": 1,
        "score": 1.0,
        "passed": True,
        "created_at": T0,
    }
    row.update(over)
    return ResultRecord(**row)


def make_run(run_id: str, suite: str = "smoke", started: datetime = T0, **over: Any) -> RunRecord:
    run: dict[str, Any] = {
        "id": run_id,
        "suite": suite,
        "status": "running",
        "started_at": started,
        "git_sha": "abc",
        "git_dirty": False,
        "hashes": {"prompts": {"greet": "p1"}, "models": {}, "datasets": {}},
        "args": {"concurrency": 4},
        "planned": 3,
    }
    run.update(over)
    return RunRecord(**run)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store.open(tmp_path / "sub" / "results.duckdb") as s:
        yield s


def child(code: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True, env=env
    )


# --- opening and migrations ----------------------------------------------------------------------


def test_migrations_apply_once_and_reopen_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "r.duckdb"
    with Store.open(path) as s:
        _, rows = s.query("SELECT name FROM _migrations")
        assert [r[0] for r in rows] == [name for name, _ in MIGRATIONS]
        s.create_run(make_run("r1"))
    with Store.open(path) as s:
        _, rows = s.query("SELECT count(*) FROM _migrations")
        assert rows == [(len(MIGRATIONS),)]
        assert s.get_run("r1") is not None
    with Store.open(path, read_only=True) as s:
        assert s.get_run("r1") is not None
        assert s.query("SELECT id FROM runs") == (["id"], [("r1",)])
        s.checkpoint()  # a no-op when read-only


def test_column_lists_match_the_schema(store: Store) -> None:
    for table, columns in q.TABLE_COLUMNS.items():
        _, rows = store.query(f"DESCRIBE {table}")
        described = {r[0]: r[1].replace(" ", "") for r in rows}
        assert described == {c: t.replace(" ", "") for c, t in columns.items()}


def test_read_only_on_missing_file_errors_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nope" / "r.duckdb"
    with pytest.raises(StoreError, match=r"no results database at .* yet; run `llmopsctl eval` first"):
        Store.open(path, read_only=True)
    assert not path.parent.exists()


def test_non_database_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.duckdb"
    path.write_text("this is not a database\n" * 200)
    for ro in (False, True):
        with pytest.raises(StoreError, match="not a DuckDB results database") as info:
            Store.open(path, read_only=ro)
        assert not isinstance(info.value, StoreLocked)


def test_foreign_duckdb_file_read_only_is_rejected(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (a INTEGER)")
    con.close()
    with pytest.raises(StoreError, match="not an llmopsctl results database"):
        Store.open(path, read_only=True)


def test_read_only_store_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "r.duckdb"
    Store.open(path).close()
    with Store.open(path, read_only=True) as s, pytest.raises(StoreError, match="read-only"):
        s.create_run(make_run("r1"))


def test_closed_store_raises_store_error(tmp_path: Path) -> None:
    s = Store.open(tmp_path / "r.duckdb")
    s.close()
    s.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        s.list_runs()


def test_lock_held_by_another_process_raises_store_locked(tmp_path: Path) -> None:
    path = tmp_path / "r.duckdb"
    Store.open(path).close()
    proc = child(
        f"""
        import sys, time
        from pathlib import Path
        from llmopsctl.store import Store
        s = Store.open(Path({str(path)!r}))
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        start = time.monotonic()
        with pytest.raises(StoreLocked) as info:
            Store.open(path, lock_timeout_s=0.5)
        elapsed = time.monotonic() - start
        assert 0.4 <= elapsed < 2.0
        assert f"pid {proc.pid}" in info.value.message
        assert "in use by another llmopsctl process" in info.value.message
        assert info.value.hint and "--db" in info.value.hint
        with pytest.raises(StoreLocked):
            Store.open(path, read_only=True, lock_timeout_s=0.1)
    finally:
        proc.kill()
        proc.wait()
    # once the holder is gone the file opens at once
    with Store.open(path, lock_timeout_s=2.0) as s:
        assert s.list_runs() == []


def test_lock_is_waited_for_until_released(tmp_path: Path) -> None:
    path = tmp_path / "r.duckdb"
    Store.open(path).close()
    proc = child(
        f"""
        import time
        from pathlib import Path
        from llmopsctl.store import Store
        s = Store.open(Path({str(path)!r}))
        print("ready", flush=True)
        time.sleep(0.7)
        s.close()
        time.sleep(30)
        """
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        with Store.open(path, lock_timeout_s=10.0) as s:
            assert s.list_runs() == []
    finally:
        proc.kill()
        proc.wait()


def test_committed_rows_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "r.duckdb"
    proc = child(
        f"""
        import time
        from pathlib import Path
        from decimal import Decimal
        from llmopsctl.core.records import ResultRecord, RunRecord
        from llmopsctl.store import Store
        s = Store.open(Path({str(path)!r}))
        s.create_run(RunRecord(id="r1", suite="smoke"))
        rows = [ResultRecord(run_id="r1", item_key=f"k{{i}}", cost_usd=Decimal("0.5")) for i in range(100)]
        s.write_results(rows, [])
        con = s._con
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO results (id, run_id, item_key) VALUES ('r1/x', 'r1', 'x')")
        print("mid", flush=True)
        time.sleep(60)
        """
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "mid"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with Store.open(path, lock_timeout_s=5.0) as s:
        assert len(s.done_item_keys("r1")) == 100
        assert "x" not in s.done_item_keys("r1")
        run = s.get_run("r1")
        assert run is not None and run["results"] == 100 and run["cost_usd"] == Decimal("50")


# --- runs and results -----------------------------------------------------------------------------


def test_run_round_trip_and_update(store: Store) -> None:
    aware = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    store.create_run(make_run("r1", started=aware))
    with pytest.raises(StoreError, match="already exists"):
        store.create_run(make_run("r1"))
    run = store.get_run("r1")
    assert run is not None
    assert run["started_at"] == datetime(2024, 5, 1, 12, 0)  # stored as naive UTC
    assert run["hashes"] == {"prompts": {"greet": "p1"}, "models": {}, "datasets": {}}
    assert run["args"] == {"concurrency": 4}
    assert run["git_dirty"] is False and run["planned"] == 3
    assert run["results"] == 0 and run["cost_usd"] is None
    store.update_run("r1", status="complete", finished_at=T0 + timedelta(minutes=5), note="ok")
    run = store.get_run("r1")
    assert run is not None and run["status"] == "complete" and run["note"] == "ok"
    assert run["finished_at"] == T0 + timedelta(minutes=5)
    assert store.get_run("missing") is None
    with pytest.raises(StoreError, match="no run"):
        store.update_run("missing", status="complete")
    with pytest.raises(StoreError, match="unknown run field"):
        store.update_run("r1", colour="blue")
    with pytest.raises(TypeError, match="bogus"):  # a run record has only the runs table's columns
        store.create_run(RunRecord(id="r2", bogus=1))  # type: ignore[call-arg]
    with pytest.raises(StoreError, match="a run needs an id"):
        store.create_run(RunRecord(id=""))


def test_results_round_trip_with_decimal_and_null_cost(store: Store) -> None:
    store.create_run(make_run("r1"))
    rows = [
        make_result("r1", 1),
        make_result("r1", 2, cost_usd=None, input_tokens=None, expected={"any": [1, 2]}),
        make_result("r1", 0, passed=False, score=0.0),
    ]
    scores = [
        ScoreRecord(result_id="r1/case00001#0", scorer="exact", metric="exact", value=1.0, passed=True),
        ScoreRecord(result_id="r1/case00001#0", scorer="len", metric="len", value=0.5, weight=2.0),
        ScoreRecord(result_id="r1/case00000#0", scorer="exact", value=0.0, passed=False, reason="no"),
    ]
    store.write_results(rows, scores)
    got = store.results_for_run("r1")
    assert [r["case_key"] for r in got] == ["case00000", "case00001", "case00002"]
    first, second, third = got
    assert second["id"] == "r1/case00001#0"
    assert second["cost_usd"] == Decimal("0.0000123456")
    assert isinstance(second["cost_usd"], Decimal)
    assert third["cost_usd"] is None and third["input_tokens"] is None
    assert third["expected"] == {"any": [1, 2]}
    assert second["expected"] == "hi"
    assert second["messages"] == [{"role": "user", "content": "hello 1 é"}]
    assert second["vars"] == {"name": "n1"}
    assert second["created_at"] == T0
    assert [(s["idx"], s["scorer"], s["run_id"]) for s in second["scores"]] == [
        (0, "exact", "r1"),
        (1, "len", "r1"),
    ]
    assert second["scores"][1]["weight"] == 2.0
    assert first["scores"][0]["reason"] == "no"
    assert third["scores"] == []
    failed = store.results_for_run("r1", failed_only=True)
    assert [r["case_key"] for r in failed] == ["case00000"]
    assert len(failed[0]["scores"]) == 1


def test_duplicate_result_id_is_replaced_with_its_scores(store: Store) -> None:
    store.create_run(make_run("r1"))
    err = make_result("r1", 1, error="timeout", error_kind="transient", passed=None, output=None)
    store.write_results([err], [ScoreRecord(result_id="r1/case00001#0", scorer="a", value=0.0)])
    store.write_results(
        [make_result("r1", 1), make_result("r1", 1, output="last wins")],
        [ScoreRecord(result_id="r1/case00001#0", scorer="b", value=1.0)],
    )
    got = store.results_for_run("r1")
    assert len(got) == 1
    assert got[0]["error"] is None and got[0]["output"] == "last wins"
    assert [s["scorer"] for s in got[0]["scores"]] == ["b"]
    _, rows = store.query("SELECT count(*) FROM results")
    assert rows == [(1,)]


def test_done_item_keys_excludes_errors(store: Store) -> None:
    store.create_run(make_run("r1"))
    store.create_run(make_run("r2"))
    store.write_results(
        [
            make_result("r1", 1),
            make_result("r1", 2, passed=False),
            make_result("r1", 3, error="boom", passed=None),
            make_result("r2", 4),
        ],
        [],
    )
    assert store.done_item_keys("r1") == {"case00001#0", "case00002#0"}
    assert store.done_item_keys("nope") == set()


def test_list_runs_aggregates_and_order(store: Store) -> None:
    store.create_run(make_run("old", started=T0))
    store.create_run(make_run("new", started=T0 + timedelta(hours=1)))
    store.create_run(make_run("other", suite="other", started=T0 + timedelta(hours=2)))
    store.create_run(make_run("empty", started=T0 - timedelta(hours=1)))
    store.write_results(
        [
            make_result("new", 1, cost_usd=Decimal("0.25"), cached=True),
            make_result("new", 2, passed=False, cost_usd=Decimal("0.5")),
            make_result("new", 3, error="boom", passed=None, cost_usd=None, input_tokens=None),
            make_result("old", 1, cost_usd=None),
        ],
        [],
    )
    runs = store.list_runs()
    assert [r["id"] for r in runs] == ["other", "new", "old", "empty"]
    new = runs[1]
    assert (new["results"], new["passed"], new["failed"], new["errors"]) == (3, 1, 1, 1)
    assert new["cost_usd"] == Decimal("0.75") and new["unknown_cost"] == 1
    assert new["input_tokens"] == 20 and new["output_tokens"] == 15 and new["cached"] == 1
    assert new["reasoning_tokens"] is None
    old = runs[2]
    assert old["cost_usd"] is None and old["unknown_cost"] == 1 and old["results"] == 1
    empty = runs[3]
    assert (empty["results"], empty["passed"], empty["cost_usd"], empty["input_tokens"]) == (0, 0, None, None)
    assert [r["id"] for r in store.list_runs(suite="smoke", limit=2)] == ["new", "old"]
    assert store.latest_run("smoke") is None
    store.update_run("old", status="complete")
    latest = store.latest_run("smoke")
    assert latest is not None and latest["id"] == "old" and latest["results"] == 1
    any_status = store.latest_run("smoke", status=None)
    assert any_status is not None and any_status["id"] == "new"


def test_write_results_in_one_batch(store: Store) -> None:
    store.create_run(make_run("big"))
    rows = [make_result("big", i) for i in range(10_000)]
    scores = [ScoreRecord(result_id=f"big/case{i:05d}#0", scorer="exact", value=1.0) for i in range(10_000)]
    store.write_results(rows, scores)
    run = store.get_run("big")
    assert run is not None and run["results"] == 10_000
    assert run["cost_usd"] == Decimal("0.0000123456") * 10_000


def test_bad_values_are_store_errors(store: Store) -> None:
    store.create_run(make_run("r1"))
    with pytest.raises(StoreError, match=r"results\.cost_usd"):
        store.write_results([make_result("r1", 1, cost_usd="lots")], [])
    with pytest.raises(StoreError, match=r"results\.created_at"):
        store.write_results([make_result("r1", 1, created_at=12)], [])
    with pytest.raises(TypeError, match="colour"):  # a result record has only the results table's columns
        store.write_results([make_result("r1", 1, colour="red")], [])
    with pytest.raises(TypeError, match="run_id"):  # its id is made of run_id and item_key
        store.write_results([ResultRecord(output="x")], [])  # type: ignore[call-arg]
    with pytest.raises(StoreError, match="a score needs a result_id"):
        store.write_results([], [ScoreRecord(result_id="", scorer="x")])
    assert store.results_for_run("r1") == []


# --- cache ----------------------------------------------------------------------------------------


def test_cache_ttl_stats_and_clear(store: Store) -> None:
    now = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    store.cache_put_many(
        [
            ("forever", {"output": "a", "usage": {}}, now, None),
            ("short", {"output": "b"}, now, now + timedelta(seconds=60)),
            ("gone", {"output": "c"}, now - timedelta(days=2), now - timedelta(days=1)),
        ]
    )
    assert store.cache_get("forever", now) == {"output": "a", "usage": {}}
    assert store.cache_get("short", now) == {"output": "b"}
    assert store.cache_get("short", now + timedelta(seconds=61)) is None
    assert store.cache_get("gone", now) is None
    assert store.cache_get("missing", now) is None
    stats = store.cache_stats(now)
    assert (stats["entries"], stats["live"], stats["expired"]) == (3, 2, 1)
    assert stats["bytes"] > 0
    store.cache_put_many([("short", {"output": "b2"}, now, None)])
    assert store.cache_get("short", now + timedelta(days=9)) == {"output": "b2"}
    assert store.cache_clear(expired_only=True, now=now) == 1
    assert store.cache_stats(now)["entries"] == 2
    assert store.cache_clear() == 2
    assert store.cache_stats(now) == {"entries": 0, "live": 0, "expired": 0, "bytes": 0}


# --- query ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM runs",
        "DROP TABLE runs",
        "SELECT 1; DROP TABLE runs",
        "SELECT 1; SELECT 2",
        "UPDATE runs SET note = 'x'",
        "INSERT INTO runs (id) VALUES ('x')",
        "WITH x AS (SELECT 1) DELETE FROM runs",
        "EXPLAIN ANALYZE DELETE FROM runs",
        "COPY runs TO 'out.csv'",
        "ATTACH ':memory:' AS m",
        "CHECKPOINT",
        "PRAGMA threads=1",
        "SET threads = 1",
        "  -- comment\n  DROP TABLE runs",
        "",
        "   ",
    ],
)
def test_query_rejects_anything_but_one_read_only_statement(store: Store, sql: str) -> None:
    with pytest.raises(StoreError):
        store.query(sql)
    assert store.list_runs() == []
    _, rows = store.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'")
    assert rows == [(1,)]


def test_query_returns_rows(store: Store) -> None:
    store.create_run(make_run("r1"))
    store.create_run(make_run("r2", started=T0 + timedelta(hours=1)))
    names, rows = store.query("SELECT id, planned FROM runs ORDER BY id")
    assert names == ["id", "planned"] and rows == [("r1", 3), ("r2", 3)]
    names, rows = store.query("-- hello\nWITH x AS (SELECT id FROM runs) SELECT count(*) AS n FROM x;")
    assert names == ["n"] and rows == [(2,)]
    for ok in ("DESCRIBE results", "SHOW TABLES", "SUMMARIZE runs", "EXPLAIN SELECT 1", "FROM runs"):
        store.query(ok)
    _, rows = store.query("PRAGMA table_info('runs')")
    assert len(rows) == len(q.RUN_COLUMNS)
    assert len(store.query("SELECT * FROM range(100)", max_rows=5)[1]) == 5
    with pytest.raises(StoreError, match="no_such_table"):
        store.query("SELECT * FROM no_such_table")


# --- merge ----------------------------------------------------------------------------------------


def test_merge_from_counts_and_dedupes(tmp_path: Path) -> None:
    shard_a, shard_b, main = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "main.duckdb"
    with Store.open(shard_a) as a:
        a.create_run(make_run("ra"))
        a.write_results(
            [make_result("ra", 1), make_result("ra", 2)],
            [ScoreRecord(result_id="ra/case00001#0", scorer="x", value=1.0)],
        )
    with Store.open(shard_b) as b:
        b.create_run(make_run("rb", started=T0 + timedelta(hours=1)))
        b.write_results([make_result("rb", 1)], [])
    with Store.open(main) as m:
        assert m.merge_from(shard_a) == {
            "runs": 1,
            "results": 2,
            "scores": 1,
            "runs_skipped": 0,
            "results_skipped": 0,
            "scores_skipped": 0,
        }
        again = m.merge_from(shard_a)
        assert (again["runs"], again["results"], again["scores"]) == (0, 0, 0)
        assert (again["runs_skipped"], again["results_skipped"], again["scores_skipped"]) == (1, 2, 1)
        counts = m.merge_from(shard_b)
        assert (counts["runs"], counts["results"]) == (1, 1)
        assert [r["id"] for r in m.list_runs()] == ["rb", "ra"]
        merged = m.results_for_run("ra")
        assert merged[0]["cost_usd"] == Decimal("0.0000123456")
        assert merged[0]["messages"] == [{"role": "user", "content": "hello 1 é"}]
        assert [s["scorer"] for s in merged[0]["scores"]] == ["x"]
        with pytest.raises(StoreError, match="into itself"):
            m.merge_from(main)
        with pytest.raises(StoreError, match="no results database"):
            m.merge_from(tmp_path / "missing.duckdb")
        junk = tmp_path / "junk.duckdb"
        junk.write_text("nope" * 1000)
        with pytest.raises(StoreError):
            m.merge_from(junk)
        # the store is still usable after failed merges
        assert len(m.list_runs()) == 2


def test_fresh_rows_insert_without_replacing_and_a_duplicate_is_an_error(store: Store) -> None:
    store.create_run(make_run("r1"))
    rows = [make_result("r1", n) for n in range(3)]
    ids = [f"r1/{r.item_key}" for r in rows]
    scores = [ScoreRecord(result_id=i, idx=0, scorer="equals", value=1.0, passed=True) for i in ids]
    store.write_results(rows, scores, replace=False)
    stored = store.results_for_run("r1")
    assert [r["id"] for r in stored] == ids
    assert all(len(r["scores"]) == 1 for r in stored)
    with pytest.raises(StoreError):
        store.write_results([make_result("r1", 0)], replace=False)
    assert len(store.results_for_run("r1")) == 3  # the failed batch left nothing behind
