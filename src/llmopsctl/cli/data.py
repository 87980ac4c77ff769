"""`llmopsctl sql` (read-only queries) and `llmopsctl cache stats|clear`."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

import typer

from llmopsctl.cli.context import open_project, open_store

cache_app = typer.Typer(help="Inspect or clear the response cache.", no_args_is_help=True)


class QueryFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def sql(
    query: str = typer.Argument(
        ..., help='A read-only query, e.g. "SELECT model_name, avg(score) FROM results GROUP BY 1".'
    ),
    fmt: QueryFormat = typer.Option(QueryFormat.table, "--format", "-f"),
    limit: int = typer.Option(None, "--limit", "-n", min=1, help="At most N rows."),
    db: Path = typer.Option(None, "--db", help="Results database (default: from llmops.yaml)."),
) -> None:
    """Run a read-only SQL query on the results database.

    Tables: runs (one per eval run), results (one per graded call), scores (one per assertion of a result),
    judge_calls (calls of model-graded assertions), cache (cached responses), budget_events (budget alerts
    sent), pruned_runs (runs deleted by `retention apply`). `DESCRIBE results` lists a table's columns.
    """
    from llmopsctl.report.format import csv_cell, jsonable

    project = open_project(strict=False)
    with open_store(project, db, read_only=True) as store:
        columns, rows = store.query(query, max_rows=limit)
    if fmt is QueryFormat.json:
        typer.echo(
            json.dumps(
                [jsonable(dict(zip(columns, row, strict=True))) for row in rows],
                indent=2,
                default=str,
            )
        )
    elif fmt is QueryFormat.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([csv_cell(v) for v in row] for row in rows)
    else:
        from rich.table import Table

        from llmopsctl.report.terminal import console

        table = Table()
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*("NULL" if v is None else str(v) for v in row))
        console().print(table)
        typer.echo(f"{len(rows)} row(s)")


@cache_app.command("stats")
def cache_stats(
    db: Path = typer.Option(None, "--db", help="Results database (default: from llmops.yaml)."),
) -> None:
    """How many responses are cached, how many are still live, and roughly how much space they take."""
    project = open_project(strict=False)
    with open_store(project, db, read_only=True) as store:
        stats = store.cache_stats(datetime.now(timezone.utc))
    typer.echo(
        f"{stats['entries']} cached responses: {stats['live']} live, {stats['expired']} expired, "
        f"~{stats['bytes'] / 1024:.0f} KiB"
    )


@cache_app.command("clear")
def cache_clear(
    expired: bool = typer.Option(False, "--expired", help="Only remove expired entries."),
    db: Path = typer.Option(None, "--db", help="Results database (default: from llmops.yaml)."),
) -> None:
    """Remove cached responses (all, or only the expired ones)."""
    project = open_project(strict=False)
    with open_store(project, db) as store:
        removed = store.cache_clear(expired_only=expired, now=datetime.now(timezone.utc))
    typer.echo(f"removed {removed} cached responses")
