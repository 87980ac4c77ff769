"""`llmopsctl retention apply`: delete the runs and cached responses that llmops.yaml's `retention` no
longer keeps."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import typer

from llmopsctl.cli.context import open_project, open_store

retention_app = typer.Typer(
    help="Apply llmops.yaml's retention to the results database.", no_args_is_help=True
)


@retention_app.command("apply")
def apply(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would be deleted."),
    db: Path = typer.Option(None, "--db", help="Results database (default: from llmops.yaml)."),
) -> None:
    """Delete runs older than `retention.results` (with their results, scores and judge calls; each deleted
    run is recorded in the `pruned_runs` table) and cached responses older than `retention.cache`."""
    from llmopsctl.report.retention import render_retention
    from llmopsctl.store.retention import apply_retention

    project = open_project()
    retention = project.settings.retention
    if retention.empty:
        typer.echo(
            "llmops.yaml sets no retention (e.g. `retention: {results: 90d, cache: 30d}`): nothing to do"
        )
        return
    with open_store(project, db) as store:
        outcome = apply_retention(store, retention, datetime.now(timezone.utc), dry_run=dry_run)
    for line in render_retention(outcome, retention, dry_run=dry_run):
        typer.echo(line)
