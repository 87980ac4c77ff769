"""`llmopsctl runs list|show|merge` and `llmopsctl sql` on the results of real eval runs, and CI shards."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from eval_helpers import (
    FLAT_PRICED,
    MakeProject,
    StartServer,
    cli,
    db_path,
    eval_json,
    query,
    results,
)


@pytest.fixture
def project(eval_project: MakeProject, fake_server: StartServer) -> tuple[Path, str]:
    """A project after one run of 3 cases: q001 passes, q002 fails its assertion, q003 errors."""
    server = fake_server({"w-q002": "a wrong answer"}, {"w-q003": "400"})
    root = eval_project(server, cases=3, models=[FLAT_PRICED])
    data = eval_json(root, code=1)
    return root, data["run_id"]


def test_runs_list_text_and_json(project: tuple[Path, str]) -> None:
    root, run_id = project
    text = cli("-C", root, "runs", "list")
    assert text.exit_code == 0, text.output
    (line,) = [ln for ln in text.stdout.splitlines() if run_id in ln]
    assert "smoke" in line and "incomplete" in line and "50.0%" in line  # 1 of 2 scored cases passed

    listed = cli("-C", root, "runs", "list", "--format", "json")
    assert listed.exit_code == 0
    (run,) = json.loads(listed.stdout)
    assert run["id"] == run_id and run["status"] == "incomplete"
    assert (run["results"], run["passed"], run["failed"], run["errors"]) == (3, 1, 1, 1)
    assert run["cost_usd"] == "0.00028"  # money in JSON: exact decimal text, as stored


def test_runs_show_failed_gives_the_reasons(project: tuple[Path, str]) -> None:
    root, run_id = project
    shown = cli("-C", root, "runs", "show", run_id, "--failed")
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert f"run {run_id}" in out and "not in a git repository (no commit recorded)" in out
    assert "FAIL  ask/priced/golden/q002#0" in out
    assert "output: a wrong answer" in out and "equals: expected 'w-q002', got 'a wrong answer'" in out
    assert "ERROR [provider]" in out and "q003" in out and "HTTP 400" in out
    assert "q001" not in out  # it passed

    everything = cli("-C", root, "runs", "show", run_id, "--format", "json")
    data = json.loads(everything.stdout)
    assert data["run"]["id"] == run_id and len(data["results"]) == 3
    (failed,) = [r for r in data["results"] if r["case_id"] == "q002"]
    assert failed["scores"][0]["reason"] == "expected 'w-q002', got 'a wrong answer'"

    missing = cli("-C", root, "runs", "show", "no-such-run")
    assert missing.exit_code == 2 and "no run 'no-such-run'" in missing.stderr


def test_sql_csv_json_and_only_reads(project: tuple[Path, str]) -> None:
    root, run_id = project
    sql = "SELECT case_id, passed, error_kind FROM results ORDER BY case_id"
    as_csv = cli("-C", root, "sql", sql, "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows == [
        ["case_id", "passed", "error_kind"],
        ["q001", "True", ""],
        ["q002", "False", ""],
        ["q003", "", "provider"],
    ]

    as_json = cli("-C", root, "sql", sql, "-f", "json")
    assert json.loads(as_json.stdout) == [
        {"case_id": "q001", "passed": True, "error_kind": None},
        {"case_id": "q002", "passed": False, "error_kind": None},
        {"case_id": "q003", "passed": None, "error_kind": "provider"},
    ]
    table = cli("-C", root, "sql", "SELECT count(*) AS n FROM results")
    assert table.exit_code == 0 and "1 row(s)" in table.stdout

    # Money, in CSV as in JSON: the exact decimal, never a float or a column's padding of zeros.
    money = "SELECT sum(cost_usd) AS spend, sum(cost_usd) / 3 AS third FROM results"
    (head, values) = list(csv.reader(io.StringIO(cli("-C", root, "sql", money, "-f", "csv").stdout)))
    assert head == ["spend", "third"] and values[0] == "0.00028"
    assert json.loads(cli("-C", root, "sql", money, "-f", "json").stdout)[0]["spend"] == "0.00028"

    for statement in ("DELETE FROM runs", "DROP TABLE results", "SELECT 1; DELETE FROM runs"):
        rejected = cli("-C", root, "sql", statement)
        assert rejected.exit_code == 2, statement
        assert "error:" in rejected.stderr and "Traceback" not in rejected.output
    assert len(query(db_path(root), "SELECT * FROM runs")) == 1
    assert len(results(root, run_id)) == 3


def test_shards_cover_every_case_once_and_merge_into_one_database(
    eval_project: MakeProject, fake_server: StartServer
) -> None:
    server = fake_server()
    root = eval_project(server, cases=12, models=[FLAT_PRICED])
    shards = []
    for index in (1, 2, 3):
        db = root / f"shard{index}.duckdb"
        data = eval_json(root, "--shard", f"{index}/3", "--db", db)
        shards.append((db, data["run_id"], [r["case_id"] for r in results(root, db=db)]))
    assert server.count() == 12

    cases = [c for _, _, ids in shards for c in ids]
    assert sorted(cases) == [f"q{i:03d}" for i in range(1, 13)]  # all of them, each exactly once
    assert all(ids for _, _, ids in shards)

    merged = cli("-C", root, "runs", "merge", *(db for db, _, _ in shards))
    assert merged.exit_code == 0, merged.output
    assert "1 runs" in merged.stdout and "(0 results already present)" in merged.stdout
    runs = query(db_path(root), "SELECT id, status, planned FROM runs ORDER BY id")
    assert sorted(r["id"] for r in runs) == sorted(run_id for _, run_id, _ in shards)
    assert all(r["status"] == "complete" for r in runs)
    assert sum(r["planned"] for r in runs) == 12
    rows = results(root)
    assert sorted(r["case_id"] for r in rows) == sorted(cases)

    again = cli("-C", root, "runs", "merge", shards[0][0])
    assert again.exit_code == 0 and "0 runs, 0 results" in again.stdout and "already present" in again.stdout
    assert len(results(root)) == 12

    listed = cli("-C", root, "runs", "list", "--format", "json")
    assert sum(r["results"] for r in json.loads(listed.stdout)) == 12

    nothing = cli("-C", root, "runs", "merge", root / "missing.duckdb")
    assert nothing.exit_code == 2 and "no such file" in nothing.stderr
