"""Helpers the commands share: finding the project, output format options."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from llmopsctl.errors import ConfigError

if TYPE_CHECKING:  # imported where used, so that `--help` does not load YAML and the schemas
    from llmopsctl.project.model import Project
    from llmopsctl.store import Store


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


def project_root() -> Path:
    from llmopsctl.project.loader import find_root

    return find_root(Path.cwd())


def open_project(*, strict: bool = True) -> Project:
    """Load the project; with strict, any validation problem is a configuration error (exit 2)."""
    from llmopsctl.validate.project import load_checked_project

    project = load_checked_project(project_root(), keep_sources=False)  # commands need the typed project only
    # The project lives as long as the command: take what is loaded out of the cyclic collector's way, so the
    # collections while the command runs do not walk every case of a large dataset again and again.
    gc.freeze()
    if strict and project.diagnostics:
        lines = [d.format() for d in sorted(set(project.diagnostics), key=lambda d: d.sort_key())]
        shown = "\n".join(lines[:20]) + (f"\n... and {len(lines) - 20} more" if len(lines) > 20 else "")
        raise ConfigError(
            f"the project has {len(lines)} problem(s):\n{shown}", hint="`llmopsctl validate` lists them all"
        )
    return project


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
