"""llmops.yaml `retention`: `llmopsctl retention apply` deletes old runs (recorded in pruned_runs) and old
cached responses; the cache never serves an answer past `retention.cache`; `traces` is refused."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from conftest import Cli, problem_lines
from eval_helpers import MakeProject, db_path, eval_json, query
from fake_llm_server import FakeLLMServer
from llmopsctl.store import Store

OLD_DAYS = 40


def _settings(project: Path, text: str) -> None:
    path = project / "llmops.yaml"
    path.write_text(path.read_text() + text)


def _run(cli: Cli, project: Path) -> str:
    result = cli("-C", project, "eval", "--json")
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["run_id"])


def _age(db: Path, run_id: str, days: int) -> None:
    """Make a run look `days` older, as if it had been made then."""
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "UPDATE runs SET started_at = started_at - to_days(?::INTEGER), "
            "finished_at = finished_at - to_days(?::INTEGER) WHERE id = ?",
            [days, days, run_id],
        )
    finally:
        con.close()


def _counts(db: Path, run_id: str) -> tuple[int, int, int]:
    (row,) = query(
        db,
        "SELECT (SELECT count(*) FROM runs WHERE id = $1) AS runs, "
        "(SELECT count(*) FROM results WHERE run_id = $1) AS results, "
        "(SELECT count(*) FROM scores WHERE run_id = $1) AS scores",
        run_id,
    )
    return row["runs"], row["results"], row["scores"]


@pytest.fixture
def two_runs(cli: Cli, project: Path) -> tuple[Path, str, str]:
    """The quickstart project with `retention.results: 30d`, an old run (40 days) and a new one."""
    _settings(project, "retention:\n  results: 30d\n")
    old, new = _run(cli, project), _run(cli, project)
    _age(db_path(project), old, OLD_DAYS)
    return project, old, new


def test_a_dry_run_names_the_old_runs_and_deletes_nothing(cli: Cli, two_runs: tuple[Path, str, str]) -> None:
    project, old, new = two_runs
    result = cli("-C", project, "retention", "apply", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "(retention.results 30d): would delete 1 (20 results, 20 scores, 0 judge calls)" in lines[0]
    assert lines[1].startswith(f"  {old}  triage  complete  started ")
    assert new not in result.stdout
    assert _counts(db_path(project), old) == (1, 20, 20)


def test_old_runs_are_deleted_with_their_rows_and_recorded(cli: Cli, two_runs: tuple[Path, str, str]) -> None:
    project, old, new = two_runs
    result = cli("-C", project, "retention", "apply")
    assert result.exit_code == 0, result.output
    assert "(retention.results 30d): deleted 1 (20 results, 20 scores, 0 judge calls)" in result.stdout
    db = db_path(project)
    assert _counts(db, old) == (0, 0, 0)
    assert _counts(db, new) == (1, 20, 20)
    (pruned,) = query(db, "SELECT * FROM pruned_runs")
    assert (pruned["run_id"], pruned["suite"], pruned["status"]) == (old, "triage", "complete")
    counts = (pruned["results"], pruned["scores"], pruned["judge_calls"])
    assert counts == (20, 20, 0) and pruned["retention"] == "30d"

    listed = cli("-C", project, "runs", "list", "--format", "json")
    assert [run["id"] for run in json.loads(listed.stdout)] == [new]
    shown = cli("-C", project, "runs", "show", old)
    assert shown.exit_code == 2
    assert f"run '{old}' (suite triage, started " in shown.stderr
    assert "by `retention apply` (retention.results 30d) with its 20 results" in shown.stderr

    again = cli("-C", project, "retention", "apply")
    assert again.exit_code == 0 and "deleted 0 (0 results, 0 scores, 0 judge calls)" in again.stdout


def test_cached_responses_older_than_the_retention_are_deleted(cli: Cli, project: Path) -> None:
    _settings(project, "retention:\n  cache: 7d\n")
    now = datetime.now(timezone.utc)
    with Store.open(db_path(project)) as store:
        store.cache_put_many(
            [
                ("old", {"output": "a"}, now - timedelta(days=8), None),
                ("recent", {"output": "b"}, now - timedelta(days=6), None),
            ]
        )
    dry = cli("-C", project, "retention", "apply", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "(retention.cache 7d): would delete 1" in dry.stdout
    assert "runs started before" not in dry.stdout  # no results retention: runs are kept
    result = cli("-C", project, "retention", "apply")
    assert "(retention.cache 7d): deleted 1" in result.stdout
    assert [row["key"] for row in query(db_path(project), "SELECT key FROM cache")] == ["recent"]


def test_without_retention_nothing_is_deleted(cli: Cli, project: Path) -> None:
    run_id = _run(cli, project)
    _age(db_path(project), run_id, 1000)
    result = cli("-C", project, "retention", "apply")
    assert result.exit_code == 0, result.output
    assert "llmops.yaml sets no retention" in result.stdout
    assert _counts(db_path(project), run_id) == (1, 20, 20)


def test_an_answer_is_cached_no_longer_than_the_cache_retention(
    eval_project: MakeProject, server: FakeLLMServer
) -> None:
    root = eval_project(server, cases=2, settings="  cache_ttl: 30d\nretention:\n  cache: 1d\n")
    eval_json(root, "--model", "priced")
    rows = query(db_path(root), "SELECT created_at, expires_at FROM cache")
    assert len(rows) == 2
    assert all(row["expires_at"] - row["created_at"] == timedelta(days=1) for row in rows)


def test_traces_retention_is_refused_until_traces_exist(cli: Cli, project: Path) -> None:
    lines = len((project / "llmops.yaml").read_text().splitlines())
    _settings(project, "retention:\n  results: 90d\n  traces: 30d\n")
    result = cli("-C", project, "validate")
    assert result.exit_code == 1
    assert problem_lines(result) == [
        f"llmops.yaml:{lines + 3}:3: 'traces' is not supported yet: llmopsctl stores no traces (remove it) "
        "($.retention.traces)"
    ]
    assert cli("-C", project, "retention", "apply").exit_code == 2


def test_the_pruned_runs_column_list_matches_the_table(tmp_path: Path) -> None:
    from llmopsctl.store.retention import PRUNED_COLUMNS

    with Store.open(tmp_path / "db.duckdb") as store:
        _, rows = store.query("DESCRIBE pruned_runs")
    assert {row[0]: row[1] for row in rows} == PRUNED_COLUMNS
