"""`llmopsctl validate`: every problem in the project's files at once, with file:line:col."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from llmopsctl.cli.context import TextOrJson, as_seen_from_here, project_root
from llmopsctl.core.diagnostics import Diagnostic
from llmopsctl.errors import UsageError, ValidationFailed

if TYPE_CHECKING:
    from llmopsctl.project.model import Project


def validate(
    paths: list[Path] = typer.Argument(
        None, help="Files to check (as pre-commit passes them); default: the whole project."
    ),
    fmt: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="Output format."),
) -> None:
    """Check prompts, models, datasets and suites: YAML, schemas, references, template variables, secrets."""
    from llmopsctl.validate.project import load_checked_project

    started = time.perf_counter()
    root = project_root()
    missing = [str(p) for p in paths or [] if not p.exists()]
    if missing:
        raise UsageError(f"no such file: {', '.join(missing)}")
    project = load_checked_project(root, only=paths or None)
    diagnostics = as_seen_from_here(root, project.diagnostics)
    files = len(project.files)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if fmt is TextOrJson.json:
        typer.echo(
            json.dumps(
                {
                    "ok": not diagnostics,
                    "files": files,
                    "errors": [d.to_dict() for d in diagnostics],
                    "notes": [d.to_dict() for d in project.notes],
                    "hashes": _hashes(project),
                },
                indent=2,
                sort_keys=True,
            )
        )
    else:
        for note in sorted(project.notes, key=lambda d: d.sort_key()):
            typer.echo(f"{note.path}: note: {note.message}")
        for diag in diagnostics:
            typer.echo(diag.format())
    if diagnostics:
        noun = "problem" if len(diagnostics) == 1 else "problems"
        raise ValidationFailed(f"{len(diagnostics)} {noun} in {_count_files(diagnostics)} file(s)")
    if fmt is TextOrJson.text:
        cases = sum(len(d.cases) for d in project.datasets.values())
        counts = (
            f"{len(project.prompts)} prompts, {len(project.models)} models, "
            f"{len(project.datasets)} datasets ({cases} cases), "
            f"{len(project.suites)} suites"
        )
        typer.echo(f"ok: {files} files valid ({counts}) in {elapsed_ms:.0f} ms")


def _count_files(diagnostics: list[Diagnostic]) -> int:
    return len({d.path for d in diagnostics})


def _hashes(project: Project) -> dict[str, dict[str, str]]:
    return {
        "prompts": {n: p.hash for n, p in project.prompts.items()},
        "models": {n: m.hash for n, m in project.models.items()},
        "datasets": {n: d.hash for n, d in project.datasets.items()},
        "suites": {n: s.hash for n, s in project.suites.items()},
    }
