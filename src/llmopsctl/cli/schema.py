"""`llmopsctl schema KIND`: print a shipped JSON Schema."""

from __future__ import annotations

import typer

from llmopsctl.errors import UsageError
from llmopsctl.project.schemas import KINDS


def schema(
    kind: str = typer.Argument(..., help=f"One of: {', '.join(KINDS)}.", metavar="KIND"),
) -> None:
    """Print the JSON Schema (draft 2020-12) of a kind of project file."""
    from llmopsctl.core.suggest import did_you_mean
    from llmopsctl.project.schemas import schema_text

    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}{did_you_mean(kind, KINDS)} (kinds: {', '.join(KINDS)})")
    typer.echo(schema_text(kind), nl=False)
