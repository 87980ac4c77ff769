"""Which suites a set of changed files can affect, through their references; the suites a gate runs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from llmopsctl import gitio
from llmopsctl.core.definitions import Suite
from llmopsctl.engine.plan import select_suites
from llmopsctl.errors import UsageError
from llmopsctl.project.loader import kind_of
from llmopsctl.project.model import Project


def affected_suites(project: Project, changed: list[Path]) -> list[str]:
    changed_names: dict[str, set[str]] = {"prompt": set(), "model": set(), "dataset": set(), "suite": set()}
    changed_rel = set()
    settings_changed = False
    for path in changed:
        kind = kind_of(project.root, path)
        if kind == "llmops":
            settings_changed = True
        elif kind in changed_names:
            changed_names[kind].add(path.stem)
        try:
            changed_rel.add(path.resolve().relative_to(project.root).as_posix())
        except ValueError:
            continue
    # A python model's own code is part of the model: a change to it affects the suites using that model.
    for model in project.models.values():
        if model.provider == "python":
            module = model.model.partition(":")[0]
            candidates = {module, module.replace(".", "/") + ".py"}
            if candidates & changed_rel:
                changed_names["model"].add(model.name)
    out = []
    for suite in project.suites.values():
        if (
            settings_changed
            or suite.name in changed_names["suite"]
            or set(suite.prompts) & changed_names["prompt"]
            or set(suite.models) & changed_names["model"]
            or set(suite.datasets) & changed_names["dataset"]
        ):
            out.append(suite.name)
    return out


@dataclass(frozen=True)
class SuiteSelection:
    """The suites a gate runs, and the ref `--changed-since` named (`auto` resolved to a real ref)."""

    suites: list[Suite]
    changed_since: str | None = None


def auto_ref(root: Path) -> str:
    """What `--changed-since auto` means: the pushed range's old end under pre-commit's pre-push stage,
    else the branch's upstream, else origin/main or main."""
    pushed_from = os.environ.get("PRE_COMMIT_FROM_REF", "")
    candidates = ([pushed_from] if pushed_from.strip("0") else []) + ["@{upstream}", "origin/main", "main"]
    for ref in candidates:
        try:
            if gitio.resolve_ref(root, ref) is not None:
                return ref
        except gitio.GitError as exc:
            raise UsageError(f"--changed-since auto: {exc}") from None
    raise UsageError("--changed-since auto: no upstream branch, origin/main or main to compare with")


def select_gate_suites(project: Project, names: Sequence[str], changed_since: str | None) -> SuiteSelection:
    """The named suites (default: all), narrowed to those the files changed since `changed_since` (a git
    ref, or `auto`) can affect. With no suite left the gate has nothing to do."""
    chosen = select_suites(project, list(names))
    if not changed_since:
        return SuiteSelection(chosen)
    if changed_since == "auto":
        changed_since = auto_ref(project.root)
    try:
        changed = gitio.changed_files(project.root, changed_since)
    except gitio.GitError as exc:
        raise UsageError(f"--changed-since: {exc}") from None
    affected = set(affected_suites(project, changed))
    return SuiteSelection([s for s in chosen if s.name in affected], changed_since)
