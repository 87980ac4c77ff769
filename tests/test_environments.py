"""`eval --env NAME` records the environment with every result and calls the models the environment
names instead of the suite's; cost reports group by it."""

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


CI_MODELS = """\
environments:
  dev: {}
  ci:
    description: CI answers with a cheaper model
    models: {keyword-baseline: cheap}
"""
CHEAP_MODEL = "provider: python\nmodel: evals/cheap.py:answer\n"
CHEAP_CODE = "def answer(vars):\n    return 'other'\n"


def _with_ci_models(project: Path) -> None:
    settings = project / "llmops.yaml"
    settings.write_text(settings.read_text() + CI_MODELS)
    (project / "models" / "cheap.yaml").write_text(CHEAP_MODEL)
    (project / "evals" / "cheap.py").write_text(CHEAP_CODE)


def _model_names(project: Path, run_id: str) -> set[str]:
    with Store.open(project / ".llmops" / "llmops.duckdb", read_only=True) as store:
        _, rows = store.query(f"SELECT DISTINCT model_name FROM results WHERE run_id = '{run_id}'")
    return {row[0] for row in rows}


def test_an_environment_calls_its_models_instead_and_the_run_records_it(cli: Cli, project: Path) -> None:
    _with_ci_models(project)
    result = cli("-C", project, "eval", "--json", "--env", "ci")
    assert result.exit_code == 0, result.output
    run_id = json.loads(result.stdout)["run_id"]
    assert _model_names(project, run_id) == {"cheap"}
    with Store.open(project / ".llmops" / "llmops.duckdb", read_only=True) as store:
        run = store.get_run(run_id)
    assert run is not None
    assert run["args"]["model_substitutes"] == {"keyword-baseline": "cheap"}
    assert set(run["hashes"]["models"]) == {"cheap"}
    shown = cli("-C", project, "runs", "show", run_id)
    assert "environment ci · models: keyword-baseline -> cheap" in shown.stdout

    by_suite_name = cli("-C", project, "eval", "--json", "--env", "ci", "--model", "keyword-baseline")
    assert by_suite_name.exit_code == 0, by_suite_name.output
    assert _model_names(project, json.loads(by_suite_name.stdout)["run_id"]) == {"cheap"}

    dev = cli("-C", project, "eval", "--json", "--env", "dev")
    assert _model_names(project, json.loads(dev.stdout)["run_id"]) == {"keyword-baseline"}
    plain = cli("-C", project, "eval", "--json")
    assert _model_names(project, json.loads(plain.stdout)["run_id"]) == {"keyword-baseline"}


def test_a_resumed_run_keeps_its_environments_models(cli: Cli, project: Path) -> None:
    _with_ci_models(project)
    first = cli("-C", project, "eval", "--json", "--env", "ci", "--case", "double-charged-subscription")
    run_id = json.loads(first.stdout)["run_id"]
    resumed = cli("-C", project, "eval", "--json", "--resume", run_id)
    assert resumed.exit_code == 0, resumed.output
    assert _model_names(project, run_id) == {"cheap"}


def test_environment_models_must_be_models_of_the_project(cli: Cli, project: Path) -> None:
    settings = project / "llmops.yaml"
    line = len(settings.read_text().splitlines()) + 3
    settings.write_text(settings.read_text() + "environments:\n  ci:\n    models: {keyword-baselin: chep}\n")
    result = cli("-C", project, "validate")
    assert result.exit_code == 1
    assert [ln for ln in result.stdout.splitlines() if ln] == [
        f"llmops.yaml:{line}:14: environment 'ci' replaces unknown model 'keyword-baselin' "
        "(no models/keyword-baselin.yaml); did you mean 'keyword-baseline'? "
        "($.environments.ci.models['keyword-baselin'])",
        f"llmops.yaml:{line}:31: environment 'ci' calls unknown model 'chep' (no models/chep.yaml) "
        "($.environments.ci.models['keyword-baselin'])",
    ]
    assert cli("-C", project, "eval", "--env", "ci").exit_code == 2


def test_an_unknown_key_in_an_environment_is_an_error(cli: Cli, project: Path) -> None:
    settings = project / "llmops.yaml"
    line = len(settings.read_text().splitlines()) + 3
    settings.write_text(settings.read_text() + "environments:\n  ci:\n    model: {keyword-baseline: x}\n")
    result = cli("-C", project, "validate")
    assert [ln for ln in result.stdout.splitlines() if ln] == [
        f"llmops.yaml:{line}:5: unknown key 'model' in $.environments.ci; did you mean 'models'? "
        "($.environments.ci.model)"
    ]
