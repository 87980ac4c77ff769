"""Load a project and check it whole: what every command starts from."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from llmopsctl.core.secrets import mask_secrets
from llmopsctl.project.loader import load_project
from llmopsctl.project.model import Project
from llmopsctl.validate.references import run_checks


def load_checked_project(
    root: Path, only: Iterable[Path] | None = None, *, keep_sources: bool = True
) -> Project:
    """The project at `root` with every problem its files have, alone or together, in `diagnostics`.

    With `only`, those files and what they are cross-checked with are loaded, and only their problems
    kept. Each file's parsed source (positions) is kept for callers that locate things later; with
    keep_sources=False it is dropped once the checks have placed their diagnostics.
    """
    with _no_cyclic_gc():
        project = load_project(root, only)
        project.diagnostics.extend(run_checks(project))
        if project.focus is not None:
            project.diagnostics = [d for d in project.diagnostics if d.path in project.focus]
        if not keep_sources:
            project.drop_sources()
    # A problem quoting a value (e.g. a literal key put in `api_key_env`) must not print the secret.
    project.diagnostics = [
        replace(d, message=masked) if (masked := mask_secrets(d.message)) != d.message else d
        for d in project.diagnostics
    ]
    return project


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: loading makes many containers and no cycles, and with a large
    dataset the collector's repeated passes over everything loaded so far cost more than the loading."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
