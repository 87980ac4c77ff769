"""`llmopsctl runs list|show|merge`: what ran, what it produced, and combining CI shard databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import typer

from llmopsctl.cli.context import TextOrJson, open_project, open_store
from llmopsctl.errors import UsageError

runs_app = typer.Typer(help="List, inspect and merge eval runs.", no_args_is_help=True)


@runs_app.command("list")
def list_runs(
    suite: str = typer.Option(None, "--suite", "-s", help="Only runs of this suite."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many runs (newest first)."),
    db: Path = typer.Option(None, "--db", help="Results database (default: from llmops.yaml)."),
    fmt: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f"),
) -> None:
    """The latest runs with their status, pass counts, cost and git commit."""
    from rich.table import Table

    from llmopsctl.core.format import money, pct
    from llmopsctl.report.format import jsonable
    from llmopsctl.report.terminal import console

    project = open_project(strict=False)
    with open_store(project, db, read_only=True) as store:
        runs = store.list_runs(suite, limit)
    if fmt is TextOrJson.json:
        typer.echo(json.dumps(jsonable(runs), indent=2, sort_keys=True))
        return
    if not runs:
        typer.echo("no runs yet; start one with `llmopsctl eval`")
        return
    table = Table()
    for column in (
        "run",
        "suite",
        "status",
        "started (UTC)",
        "results",
        "pass rate",
        "errors",
        "cost",
        "commit",
    ):
        table.add_column(column)
    for run in runs:
        scored = run["passed"] + run["failed"]
        commit = (run.get("git_sha") or "")[:8] + ("+dirty" if run.get("git_dirty") else "")
        table.add_row(
            run["id"],
            run["suite"],
            run["status"],
            f"{run['started_at']:%Y-%m-%d %H:%M}" if run.get("started_at") else "",
            str(run["results"]),
            pct(run["passed"], scored),
            str(run["errors"]),
            money(run["cost_usd"], unknown=run["unknown_cost"]),
            commit or "-",
        )
    console().print(table)


@runs_app.command("show")
def show_run(
    run_id: str = typer.Argument(..., help="The run id (see `runs list`), or `latest` for the newest run."),
    failed: bool = typer.Option(False, "--failed", help="Only failed cases and errors."),
    db: Path = typer.Option(None, "--db", help="Results database (default: from llmops.yaml)."),
    fmt: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f"),
) -> None:
    """A run's provenance and its results, with the reason of every failed assertion."""
    from llmopsctl.report.format import jsonable
    from llmopsctl.report.terminal import console, summary_table, tag_table
    from llmopsctl.store.breakdown import pass_rates_by_tag
    from llmopsctl.store.runref import resolve_run_ref

    project = open_project(strict=False)
    with open_store(project, db, read_only=True) as store:
        run_id = resolve_run_ref(store, run_id)
        run = store.get_run(run_id)
        if run is None:
            _no_run(run_id, store.pruned_run(run_id))
        results = store.results_for_run(run_id, failed_only=failed)
        summary = store.summary(run_id)
        by_tag = pass_rates_by_tag(store, run_id)
    if fmt is TextOrJson.json:
        document = {"run": run, "results": results, "by_tag": by_tag}
        typer.echo(json.dumps(jsonable(document), indent=2, sort_keys=True))
        return
    out = console()
    out.print(_provenance(run), markup=False)
    out.print(summary_table(run["suite"], run_id, summary))
    if by_tag:
        out.print(tag_table(by_tag))
    for result in results:
        out.print(_result_line(result), markup=False)


def _no_run(run_id: str, pruned: dict[str, Any] | None) -> NoReturn:
    if pruned is None:
        raise UsageError(f"no run {run_id!r}", hint="`llmopsctl runs list` shows the runs")
    raise UsageError(
        f"run {run_id!r} (suite {pruned['suite']}, started {pruned['started_at']:%Y-%m-%d %H:%M} UTC) was "
        f"deleted on {pruned['pruned_at']:%Y-%m-%d %H:%M} UTC by `retention apply` "
        f"(retention.results {pruned['retention']}) with its {pruned['results']} results",
        hint="`llmopsctl runs list` shows the runs kept",
    )


def _provenance(run: dict[str, Any]) -> str:
    if run.get("git_sha"):
        git = f"git {run['git_sha']}" + (" (uncommitted changes)" if run.get("git_dirty") else "")
        git += f" on {run.get('git_branch') or 'a detached HEAD'}"
    elif run.get("git_branch"):
        git = f"git: no commit yet on {run['git_branch']} (no commit recorded)"
    else:
        git = "not in a git repository (no commit recorded)"
    hashes = run.get("hashes") or {}
    parts = [
        f"run {run['id']} · suite {run['suite']} · {run['status']}",
        f"started {run.get('started_at')} · finished {run.get('finished_at') or '-'}"
        f" · llmopsctl {run.get('tool_version')}",
        f"{git} · ci {run.get('ci') or 'no'}",
    ]
    args = run.get("args") or {}
    if args.get("environment"):
        swaps = ", ".join(f"{a} -> {b}" for a, b in sorted((args.get("model_substitutes") or {}).items()))
        parts.append(f"environment {args['environment']}" + (f" · models: {swaps}" if swaps else ""))
    for kind in ("prompts", "models", "datasets"):
        items = ", ".join(f"{name}@{digest[:8]}" for name, digest in sorted((hashes.get(kind) or {}).items()))
        parts.append(f"{kind}: {items or '-'}")
    return "\n".join(parts)


def _result_line(result: dict[str, Any]) -> str:
    if result.get("error"):
        status = f"ERROR [{result.get('error_kind')}] {result['error']}"
    elif result.get("passed") is False:
        status = "FAIL"
    else:
        status = "pass"
    head = f"{status:<5} {result['case_key']}#{result['repeat_index']}"
    lines = [head]
    if result.get("response_model"):
        lines[0] += f"  ({result['response_model']})"
    if result.get("passed") is False or result.get("error"):
        output = (result.get("output") or "").strip().replace("\n", "\\n")
        if result.get("output") is not None:
            lines.append(f"      output: {output[:200]}{'…' if len(output) > 200 else ''}")
        for score in result.get("scores") or []:
            if score.get("passed") is False or score.get("error"):
                lines.append(f"      {score['scorer']}: {score.get('error') or score.get('reason')}")
    return "\n".join(lines)


@runs_app.command("merge")
def merge_runs(
    files: list[Path] = typer.Argument(..., help="Databases of other runs (e.g. CI shards) to merge in."),
    db: Path = typer.Option(None, "--db", help="Database to merge into (default: from llmops.yaml)."),
) -> None:
    """Copy the runs and results of other llmopsctl databases into this one (existing rows are kept)."""
    project = open_project(strict=False)
    with open_store(project, db) as store:
        for path in files:
            if not path.is_file():
                raise UsageError(f"{path}: no such file")
            counts = store.merge_from(path)
            typer.echo(
                f"{path}: {counts['runs']} runs, {counts['results']} results, "
                f"{counts['scores']} scores merged"
                f" ({counts['results_skipped']} results already present)"
            )
