"""`latest` wherever a run id is taken; case tags stored with results and pass rates by tag in `runs show`;
`sql --help` names every table; `runs show` of a run made outside git says so."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import Cli
from eval_helpers import db_path, query
from llmopsctl.store import Store


def _run(cli: Cli, project: Path, *args: str) -> str:
    result = cli("-C", project, "eval", "--json", *args)
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["run_id"])


@pytest.fixture
def two_runs(cli: Cli, project: Path) -> tuple[Path, str, str]:
    """The quickstart project after a full run, then a run of the billing cases only (the newest)."""
    full = _run(cli, project)
    billing = _run(cli, project, "--tag", "billing")
    return project, full, billing


def test_runs_show_latest_is_the_newest_run(cli: Cli, two_runs: tuple[Path, str, str]) -> None:
    project, _, newest = two_runs
    shown = cli("-C", project, "runs", "show", "latest", "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["run"]["id"] == newest
    text = cli("-C", project, "runs", "show", "latest")
    assert f"run {newest} · suite triage" in text.stdout


def test_latest_with_no_runs_yet_is_a_clear_error(cli: Cli, project: Path) -> None:
    with Store.open(db_path(project)):
        pass  # an empty results database
    for args in (("runs", "show", "latest"), ("eval", "--resume", "latest"), ("diff", "--head", "latest")):
        result = cli("-C", project, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "no runs yet, so no `latest` run" in result.stderr


def test_eval_resume_latest_finishes_the_newest_run(cli: Cli, two_runs: tuple[Path, str, str]) -> None:
    project, full, newest = two_runs
    resumed = cli("-C", project, "eval", "--json", "--resume", "latest")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["run_id"] == newest
    counts = query(db_path(project), "SELECT run_id, count(*) AS n FROM results GROUP BY 1 ORDER BY 2")
    assert [(row["run_id"], row["n"]) for row in counts] == [(newest, 5), (full, 20)]


def test_baseline_update_and_diff_take_latest(cli: Cli, project: Path) -> None:
    run_id = _run(cli, project)
    updated = cli("-C", project, "baseline", "update", "--run", "latest")
    assert updated.exit_code == 0, updated.output
    assert f"from run {run_id} (20 cases)" in updated.stdout
    diffed = cli("-C", project, "diff", "--head", "latest", "--format", "json")
    assert diffed.exit_code == 0, diffed.output
    assert f"run {run_id}" in diffed.stdout


def test_tags_are_stored_and_runs_show_breaks_pass_rates_down_by_tag(
    cli: Cli, two_runs: tuple[Path, str, str]
) -> None:
    project, full, _ = two_runs
    rows = query(db_path(project), "SELECT case_id, tags FROM results WHERE run_id = ?", full)
    tags = {row["case_id"]: row["tags"] for row in rows}
    assert tags["double-charged-subscription"] == ["billing"]
    assert tags["downgrade-still-old-price"] == ["billing", "edge-case"]

    by_sql = query(
        db_path(project),
        "SELECT tag, count(*) AS results, count(*) FILTER (WHERE passed) AS passed "
        "FROM (SELECT unnest(tags) AS tag, passed FROM results WHERE run_id = ?) GROUP BY tag",
        full,
    )
    expected = {row["tag"]: (row["results"], row["passed"]) for row in by_sql}
    assert expected["billing"][0] == 5

    shown = cli("-C", project, "runs", "show", full, "--format", "json")
    by_tag = {row["tag"]: (row["results"], row["passed"]) for row in json.loads(shown.stdout)["by_tag"]}
    assert by_tag == expected
    text = cli("-C", project, "runs", "show", full).stdout
    assert "by tag" in text
    billing_results, billing_passed = expected["billing"]
    (line,) = [ln for ln in text.splitlines() if re.search(r"\bbilling\b", ln) and "%" in ln]
    assert f"{100 * billing_passed / billing_results:.1f}%" in line


def test_sql_help_names_every_table(cli: Cli, project: Path) -> None:
    with Store.open(db_path(project)) as store:
        _, rows = store.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_name NOT LIKE '\\_%' ESCAPE '\\'"
        )
    tables = {row[0] for row in rows}
    assert {"runs", "results", "scores", "cache", "judge_calls", "budget_events", "pruned_runs"} <= tables
    shown = cli("sql", "--help")
    assert shown.exit_code == 0
    words = set(re.findall(r"[a-z_]+", shown.stdout))
    assert tables <= words, tables - words


def test_runs_show_of_a_run_outside_git_says_so(cli: Cli, project: Path) -> None:
    run_id = _run(cli, project)
    shown = cli("-C", project, "runs", "show", run_id)
    assert "not in a git repository (no commit recorded)" in shown.stdout
