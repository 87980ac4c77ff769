"""Helpers the commands share: finding the project, output format options."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typer.core import TyperOption

from llmopsctl.errors import ConfigError, ProjectNotFound, UsageError

if TYPE_CHECKING:  # imported where used, so that `--help` does not load YAML and the schemas
    from llmopsctl.core.diagnostics import Diagnostic
    from llmopsctl.project.model import Project
    from llmopsctl.store import Store


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


PROJECT_ENV = "LLMOPSCTL_PROJECT"
NO_PROJECT = ("init", "schema")  # commands that work on no existing project
# `--project` as the running command was given it; the app clears it before each invocation (in-process
# runs, as in tests, invoke it many times).
_given: dict[str, str] = {}


def project_option() -> TyperOption:
    """`--project DIR`, which every command working on a project takes after its name."""
    return TyperOption(
        param_decls=["--project"],
        metavar="DIR",
        expose_value=False,
        callback=_remember_project,
        help=f"The project's directory (where llmops.yaml is; also ${PROJECT_ENV}), e.g. a monorepo's "
        "subfolder. Unlike -C it keeps the working directory: paths on the command line stay relative to it.",
    )


def _remember_project(ctx: Any, param: Any, value: str | None) -> None:
    if value is not None:
        _given["project"] = value


def forget_given_project() -> None:
    _given.clear()


def given_project() -> tuple[str, str] | None:
    """The project directory named by `--project` (first) or $LLMOPSCTL_PROJECT, with where it was named."""
    if _given.get("project"):
        return _given["project"], "--project"
    value = os.environ.get(PROJECT_ENV, "").strip()
    return (value, PROJECT_ENV) if value else None


def project_root() -> Path:
    """The project's root: `--project DIR` or $LLMOPSCTL_PROJECT, else the nearest directory at or above the
    working directory holding llmops.yaml."""
    from llmopsctl.project.loader import find_root
    from llmopsctl.project.model import SETTINGS_FILE

    given = given_project()
    if given is None:
        return find_root(Path.cwd())
    value, source = given
    root = Path(value).expanduser()
    if not root.is_dir():
        raise UsageError(f"{source} {value}: no such directory")
    if not (root / SETTINGS_FILE).is_file():
        raise ProjectNotFound(
            f"{source} {value}: no {SETTINGS_FILE} there",
            hint=f"name the directory holding {SETTINGS_FILE}, or run `llmopsctl init {value}`",
        )
    return root.resolve()


def open_project(*, strict: bool = True) -> Project:
    """Load the project; with strict, any validation problem is a configuration error (exit 2)."""
    from llmopsctl.validate.project import load_checked_project

    project = load_checked_project(project_root(), keep_sources=False)  # commands need the typed project only
    # The project lives as long as the command: take what is loaded out of the cyclic collector's way, so the
    # collections while the command runs do not walk every case of a large dataset again and again.
    gc.freeze()
    if strict and project.diagnostics:
        lines = [d.format() for d in as_seen_from_here(project.root, project.diagnostics)]
        shown = "\n".join(lines[:20]) + (f"\n... and {len(lines) - 20} more" if len(lines) > 20 else "")
        raise ConfigError(
            f"the project has {len(lines)} problem(s):\n{shown}", hint="`llmopsctl validate` lists them all"
        )
    return project


def as_seen_from_here(root: Path, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics sorted, with their paths (relative to the project's root) relative to the working
    directory when the project is below it (`--project sub`), so that editors and terminals find the files."""
    here = Path.cwd().resolve()
    try:
        prefix = root.resolve().relative_to(here).as_posix()
    except ValueError:
        prefix = "."
    shown = sorted(set(diagnostics), key=lambda d: d.sort_key())
    if prefix == ".":
        return shown
    return [
        replace(d, path=f"{prefix}/{d.path}") if d.path and not Path(d.path).is_absolute() else d
        for d in shown
    ]


@contextmanager
def open_store(project: Project, db: Path | None = None, *, read_only: bool = False) -> Iterator[Store]:
    from llmopsctl.project.scaffold import ensure_llmops_gitignore
    from llmopsctl.store import Store

    path = db if db is not None else project.db_path
    if not read_only and path.resolve().parent == (project.root / ".llmops").resolve():
        ensure_llmops_gitignore(project.root)  # the database is never committed by accident
    store = Store.open(path, read_only=read_only)
    try:
        yield store
    finally:
        store.close()
