"""`llmopsctl init`: scaffold a project from a shipped template."""

from __future__ import annotations

from pathlib import Path

import typer


def init(
    directory: Path = typer.Argument(Path("."), help="Where to create the project (default: here)."),
    template: str = typer.Option("quickstart", "--template", "-t", help="Template to start from."),
    force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
) -> None:
    """Create llmops.yaml, a prompt, models, a golden dataset and a suite, ready to validate and run."""
    from llmopsctl.project.scaffold import scaffold

    result = scaffold(directory, template, force=force)
    for rel in result.created:
        typer.echo(f"created  {rel}")
    for rel in result.overwritten:
        typer.echo(f"replaced {rel}")
    for rel in result.skipped:
        typer.echo(f"kept     {rel} (exists; --force replaces it)")
    where = "" if directory.resolve() == Path.cwd().resolve() else f" -C {directory}"
    typer.echo("")
    typer.echo(f"next: llmopsctl{where} validate && llmopsctl{where} eval")
