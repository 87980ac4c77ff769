"""`eval --env NAME` records the environment with every result; cost reports group by it."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli
from llmopsctl.store import Store


def _environments(project: Path) -> set[str | None]:
    with Store.open(project / ".llmops" / "llmops.duckdb", read_only=True) as store:
        _, rows = store.query("SELECT DISTINCT environment FROM results")
    return {row[0] for row in rows}


def test_the_environment_is_recorded_and_reported(cli: Cli, project: Path) -> None:
    assert cli("-C", project, "eval", "-q", "--env", "ci").exit_code == 0
    assert _environments(project) == {"ci"}
    report = cli("-C", project, "cost", "report", "--by", "environment", "--format", "json")
    assert report.exit_code == 0, report.output
    assert "ci" in report.stdout


def test_an_environment_llmops_yaml_does_not_declare_is_a_usage_error(cli: Cli, project: Path) -> None:
    settings = project / "llmops.yaml"
    settings.write_text(settings.read_text() + "environments:\n  staging: {}\n  production: {}\n")
    result = cli("-C", project, "eval", "-q", "--env", "stagng")
    assert result.exit_code == 2
    assert "unknown environment 'stagng'; did you mean 'staging'?" in result.output
    assert cli("-C", project, "eval", "-q", "--env", "staging").exit_code == 0
    assert _environments(project) == {"staging"}


def test_the_run_records_its_environment(cli: Cli, project: Path) -> None:
    first = cli("-C", project, "eval", "--json", "--env", "dev")
    run_id = json.loads(first.stdout)["run_id"]
    with Store.open(project / ".llmops" / "llmops.duckdb", read_only=True) as store:
        run = store.get_run(run_id)
    assert run is not None and run["args"]["environment"] == "dev"
