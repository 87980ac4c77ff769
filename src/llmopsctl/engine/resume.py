"""Finishing an interrupted run: the one place that looks the run up and works out how it resumes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmopsctl.core.definitions import Suite
from llmopsctl.engine.plan import Filters, Plan, select_suites
from llmopsctl.engine.provenance import answer_changes, run_hashes
from llmopsctl.errors import UsageError
from llmopsctl.project.model import Project
from llmopsctl.store import Store
from llmopsctl.store.runref import resolve_run_ref


@dataclass(frozen=True)
class Resume:
    """A run to finish: its record in the results database and the suite it is a run of."""

    run: dict[str, Any]
    suite: Suite

    @property
    def run_id(self) -> str:
        return str(self.run["id"])

    @property
    def args(self) -> dict[str, Any]:
        args: dict[str, Any] = self.run.get("args") or {}
        return args

    @property
    def filters(self) -> Filters:
        """The filters the run started with: a resume finishes the same cases."""
        return Filters.from_dict(self.args.get("filters") or {})

    @property
    def use_cache(self) -> bool:
        """False for a run started with --no-cache: it resumes without the cache too."""
        return self.args.get("cache") is not False

    @property
    def environment(self) -> str | None:
        environment: str | None = self.args.get("environment")
        return environment

    def check_unchanged(self, project: Project, plan: Plan) -> None:
        """A resumed run must use the files it started with, or its results would mix two configurations.
        Edits to runtime settings alone (a timeout, retries, limits, a cost cap, gate thresholds) do not
        change answers and are allowed."""
        changed = answer_changes(
            self.run.get("hashes") or {},
            run_hashes(project, plan),
            recorded_suite=self.run.get("suite_hash"),
            suite=plan.suite,
        )
        if changed:
            what = ", ".join(f"{c.kind} {c.name!r}" for c in changed)
            raise UsageError(
                f"cannot resume run {self.run_id}: {what} changed since it started",
                hint="start a new run with `llmopsctl eval` (or restore the files to resume this one)",
            )


def find_resume(project: Project, store: Store, run_id: str) -> Resume:
    """The run `run_id` (`latest`: the newest run) and its suite, for `eval --resume`; a usage error when
    either is unknown."""
    run = store.get_run(resolve_run_ref(store, run_id))
    if run is None:
        raise UsageError(f"no run {run_id!r} in the results database", hint="see `llmopsctl runs list`")
    (suite,) = select_suites(project, [run["suite"]])
    return Resume(run, suite)
