"""`baseline update`: which runs become baselines, and writing their files unless the results are the same."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from llmopsctl.compare.baseline import baseline_path, dumps, same_results, to_document
from llmopsctl.compare.sources import latest_full_run, run_caseset, subset_of
from llmopsctl.engine.plan import select_suites
from llmopsctl.engine.provenance import FileChange, code_hashes, file_changes, with_paths
from llmopsctl.errors import UsageError
from llmopsctl.project.model import Project
from llmopsctl.store import Store
from llmopsctl.store.runref import resolve_run_ref


@dataclass(frozen=True)
class BaselineWrite:
    """What became of one suite's baseline file."""

    suite: str
    run_id: str
    path: Path
    cases: int
    state: str  # created, updated, or unchanged (same results: the file is kept as it was)
    stale: tuple[FileChange, ...] = ()  # files the run was made from that the working tree has changed


def baseline_runs(
    project: Project, store: Store, suites: Sequence[str], run: str | None = None, *, partial: bool = False
) -> list[tuple[str, str]]:
    """(suite, run id) to take baselines from: `run`, else each suite's latest complete run of all its
    cases (default: every suite that has one). A usage error when there is none."""
    targets = [_given_run(store, run, partial)] if run else _latest_runs(project, store, suites)
    if not targets:
        raise UsageError("no complete runs to make baselines from", hint="run `llmopsctl eval` first")
    return targets


def _given_run(store: Store, run: str, partial: bool) -> tuple[str, str]:
    """The run `--run` names (`latest`: the newest run); unless partial, it must be complete and cover all
    of its suite."""
    run = resolve_run_ref(store, run)
    run_row = store.get_run(run)
    if run_row is None:
        raise UsageError(f"no run {run!r}", hint="`llmopsctl runs list` shows the runs")
    subset = subset_of(run_row)
    if not partial and (run_row["status"] != "complete" or subset):
        what = f"is {run_row['status']}" if run_row["status"] != "complete" else f"covers only {subset}"
        raise UsageError(
            f"run {run} {what}: a baseline from it would drop cases",
            hint="use a complete run of the whole suite, or --partial if that is what you want",
        )
    return run_row["suite"], run


def _latest_runs(project: Project, store: Store, suites: Sequence[str]) -> list[tuple[str, str]]:
    """Each suite's latest full run; a named suite without one is an error, others are left out."""
    targets = []
    for suite in select_suites(project, list(suites)):
        latest = latest_full_run(store, suite.name)
        if latest is None:
            if suites:
                raise UsageError(
                    f"suite {suite.name!r} has no complete run", hint=f"run `llmopsctl eval {suite.name}`"
                )
            continue
        targets.append((suite.name, latest["id"]))
    return targets


def write_baseline(
    project: Project, store: Store, suite: str, run_id: str, *, output_chars: int | None = None
) -> BaselineWrite:
    """Write .llmops/baselines/<suite>.json from the run, unless the file there has the same results (only
    the run's id, time or latencies differ): then it is kept, so there is no diff to review. Each case
    keeps the first `output_chars` characters of its output (default: llmops.yaml's baseline.output_chars)."""
    caseset = run_caseset(store, run_id)
    suite_obj = project.suites.get(suite)
    path = baseline_path(project.root, suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    chars = project.settings.baseline.output_chars if output_chars is None else output_chars
    document = to_document(caseset, suite_obj.hash if suite_obj else None, output_chars=chars)
    old = path.read_text(encoding="utf-8") if path.is_file() else None
    if old is not None and same_results(old, document):
        state = "unchanged"
    else:
        path.write_text(dumps(document), encoding="utf-8")
        state = "created" if old is None else "updated"
    stale = tuple(stale_files(project, caseset.run, suite))
    return BaselineWrite(suite, run_id, path, len(caseset.cases), state, stale)


def stale_files(project: Project, run: Mapping[str, Any], suite: str) -> list[FileChange]:
    """The files a run was made from whose answers may differ in the working tree: changed there (beyond
    runtime settings) or gone from it."""
    recorded = run.get("hashes") or {}
    records: dict[str, Mapping[str, Any]] = {
        "prompts": project.prompts,
        "models": project.models,
        "datasets": project.datasets,
    }
    now: dict[str, Any] = {"answers": {}}
    for kind, found in records.items():
        names = [n for n in recorded.get(kind) or {} if n in found]
        now[kind] = {n: found[n].hash for n in names}
        if kind != "datasets":
            now["answers"][kind] = {n: found[n].answer_hash for n in names}
    coded = [project.models[n] for n in recorded.get("code") or {} if n in project.models]
    now["code"] = code_hashes(project, coded)
    suite_obj = project.suites.get(suite)
    if suite_obj is not None:
        now["answers"]["suite"] = suite_obj.answer_hash
    changes = file_changes(
        recorded,
        now,
        old_suite=run.get("suite_hash"),
        new_suite=suite_obj.hash if suite_obj else None,
        suite_name=suite,
    )
    stale = [
        c if c.how == "changed" else replace(c, how="not in the working tree")
        for c in changes
        if c.how in ("changed", "only in the base")
    ]
    return with_paths(project, stale)
