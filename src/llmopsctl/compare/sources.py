"""What to compare with: `baseline` (the working tree's file), a run id, or a git ref (the file there)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llmopsctl import gitio
from llmopsctl.compare.baseline import baseline_path, loads
from llmopsctl.compare.caseset import CaseSet, from_results
from llmopsctl.engine.plan import select_suites
from llmopsctl.errors import UsageError
from llmopsctl.project.model import Project
from llmopsctl.store import Store
from llmopsctl.store.runref import resolve_run_ref

WORKTREE = "baseline"


def run_caseset(store: Store, run_id: str) -> CaseSet:
    run = store.get_run(run_id)
    if run is None:
        raise UsageError(
            f"no run {run_id!r} in the results database", hint="`llmopsctl runs list` shows the runs"
        )
    return from_results(f"run {run_id}", run["suite"], run, store.results_for_run(run_id))


SUBSET_FILTERS = ("prompts", "models", "cases", "tags", "sample", "shard")


def subset_of(run: dict[str, Any]) -> str | None:
    """How a run was narrowed to part of its suite (filters), or None when it ran all of it."""
    filters = (run.get("args") or {}).get("filters") or {}
    parts = []
    for key in SUBSET_FILTERS:
        value = filters.get(key)
        if value:
            shown = (
                "/".join(map(str, value))
                if key == "shard"
                else ",".join(map(str, value))
                if isinstance(value, list)
                else value
            )
            parts.append(f"{key} {shown}")
    return "; ".join(parts) or None


def latest_full_run(store: Store, suite: str) -> dict[str, Any] | None:
    """The newest complete run of the whole suite (not a shard, sample or filtered part)."""
    for run in store.list_runs(suite, limit=None):
        if run["status"] == "complete" and subset_of(run) is None:
            return run
    return None


def latest_caseset(store: Store, suite: str) -> CaseSet:
    """The head side by default: the newest complete run of the whole suite, else the newest run, labelled
    with what it lacks (a diff of a partial run shows the missing cases as removed)."""
    run = latest_full_run(store, suite) or store.latest_run(suite, status=None)
    if run is None:
        raise UsageError(f"suite {suite!r} has no run yet", hint=f"run `llmopsctl eval {suite}` first")
    caseset = run_caseset(store, run["id"])
    notes = [n for n in (run["status"] if run["status"] != "complete" else None, subset_of(run)) if n]
    if notes:
        caseset.label += f" ({'; '.join(notes)})"
    return caseset


def head_casesets(project: Project, store: Store, suites: Sequence[str], head: str | None) -> list[CaseSet]:
    """The head sides of `diff`: run `head` (`latest`: the newest run), else each named suite's latest
    run (see latest_caseset); with no names, every suite that has a run."""
    if head:
        return [run_caseset(store, resolve_run_ref(store, head))]
    heads = [
        latest_caseset(store, suite.name)
        for suite in select_suites(project, list(suites))
        if suites or store.latest_run(suite.name, status=None) is not None
    ]
    if not heads:
        raise UsageError("nothing to compare: no suite has a run", hint="run `llmopsctl eval` first")
    return heads


def _suite_is_new(root: Path, suite: str, ref: str) -> bool:
    return all(
        gitio.file_at(root, ref, root / "suites" / f"{suite}{ext}") is None for ext in (".yaml", ".yml")
    )


def base_caseset(
    root: Path, store: Store, suite: str, spec: str, *, allow_new_suite: bool = False
) -> CaseSet:
    """The base side for `suite` from --base SPEC. With allow_new_suite, a suite that did not exist at a
    git ref compares with nothing (every case is new), so a pull request may add suites."""
    path = baseline_path(root, suite)
    rel = path.relative_to(root).as_posix()
    if spec == WORKTREE:
        if not path.is_file():
            raise UsageError(
                f"no baseline for suite {suite!r} ({rel})",
                hint=f"create it with `llmopsctl baseline update {suite}` and commit it",
            )
        return loads(path.read_text(encoding="utf-8"), f"baseline ({rel})", rel)
    if store.get_run(spec) is not None:
        return run_caseset(store, spec)
    try:
        sha = gitio.resolve_ref(root, spec)
    except gitio.GitError as exc:
        raise UsageError(f"--base {spec!r} is not a run id, and {exc}") from None
    if sha is None:
        raise UsageError(
            f"--base {spec!r} is neither `baseline`, a run id, nor a git ref",
            hint="use `baseline` (the working tree's file), a run id from `runs list` or a ref (origin/main)",
        )
    text = gitio.file_at(root, spec, path)
    if text is None and allow_new_suite and _suite_is_new(root, suite, spec):
        return CaseSet(f"no baseline (suite {suite!r} is new since {spec})", suite, {})
    if text is None:
        raise UsageError(
            f"suite {suite!r} has no baseline at {spec} ({rel} is not committed there)",
            hint=f"run `llmopsctl baseline update {suite}` on that branch and commit the file",
        )
    return loads(text, f"baseline@{spec} ({sha[:8]})", f"{spec}:{rel}")
