"""`diff` and `gate` end to end: pick the sides, run the suites, compare, apply the thresholds.

Like engine.runner, these functions talk to the user interface only through callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from llmopsctl.compare.diff import DiffResult, diff
from llmopsctl.compare.gate import GateVerdict, gate_verdict, merge_thresholds
from llmopsctl.compare.sources import base_caseset, head_casesets, run_caseset
from llmopsctl.core.definitions import Suite
from llmopsctl.core.settings import GateThresholds
from llmopsctl.engine.progress import Progress
from llmopsctl.engine.provenance import with_paths
from llmopsctl.engine.runner import RunRequest, run_suite
from llmopsctl.project.model import Project
from llmopsctl.store import Store


@dataclass(frozen=True)
class DiffRequest:
    suites: Sequence[str] = ()  # default: every suite with a run
    base: str = "baseline"  # `baseline` (the working tree's file), a git ref or a run id
    head: str | None = None  # a run id; default: each suite's latest run
    pairs: Mapping[str, str] = field(default_factory=dict)  # renamed prompts or models, OLD -> NEW


def run_diff(project: Project, store: Store, request: DiffRequest) -> list[DiffResult]:
    """Compare each head run with its base, case by case."""
    results = []
    for head in head_casesets(project, store, request.suites, request.head):
        base = base_caseset(project.root, store, head.suite, request.base)
        results.append(name_files(project, diff(base, head, pairs=dict(request.pairs))))
    return results


def name_files(project: Project, result: DiffResult) -> DiffResult:
    """`result` with the project path of each changed file it names that the project still has."""
    if result.changes:
        result.changes = with_paths(project, result.changes)
    return result


def suite_thresholds(project: Project, suite: str, overrides: GateThresholds | None = None) -> GateThresholds:
    """The thresholds a suite's gate applies: llmops.yaml < the suite's `gate` < `overrides`, or the
    built-in defaults when none of them sets any (a suite no longer in the project: llmops.yaml's)."""
    found = project.suites.get(suite)
    own = found.gate if found is not None else GateThresholds()
    return merge_thresholds(project.settings.gate, own, overrides or GateThresholds())


def diff_verdict(project: Project, result: DiffResult) -> GateVerdict:
    """The verdict `gate` would give the same comparison with the configured thresholds, for `diff` to
    report (not enforced: diff exits 0 whatever it is)."""
    return gate_verdict(result, suite_thresholds(project, result.suite), enforced=False)


@dataclass(frozen=True)
class GateRequest:
    suites: Sequence[Suite]  # see compare.affected.select_gate_suites
    base: str = "baseline"  # `baseline`, a git ref (its committed baseline) or a run id
    pairs: Mapping[str, str] = field(default_factory=dict)  # renamed prompts or models, OLD -> NEW
    overrides: GateThresholds = field(default_factory=GateThresholds)  # the command line's; they win
    concurrency: int | None = None
    replay: bool = False  # answer from the recorded cassettes


@dataclass
class SuiteGate:
    """One suite's gate: the run it made, its diff with the base and the verdict."""

    run_id: str
    result: DiffResult
    verdict: GateVerdict


@dataclass
class GateOutcome:
    gates: list[SuiteGate] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        """The suites whose gate failed."""
        return [g.result.suite for g in self.gates if not g.verdict.passed]

    @property
    def passed(self) -> bool:
        return not self.failed

    def items(self) -> list[tuple[DiffResult, GateVerdict | None]]:
        """(diff, verdict) pairs, as the renderers take them."""
        return [(g.result, g.verdict) for g in self.gates]


def run_gate(
    project: Project,
    store: Store,
    request: GateRequest,
    on_start: Callable[[str, str, int], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_end: Callable[[str], None] | None = None,
) -> GateOutcome:
    """Run each suite (cached where possible), diff it with its base and apply the thresholds, merged
    llmops.yaml < suite < request.overrides.

    on_start(suite, run_id, calls) and on_progress(progress) follow each suite's run; on_end(suite) comes
    when the run is over, however it ends.
    """
    outcome = GateOutcome()
    for suite in request.suites:
        outcome.gates.append(_gate_suite(project, store, suite, request, on_start, on_progress, on_end))
    return outcome


def _gate_suite(
    project: Project,
    store: Store,
    suite: Suite,
    request: GateRequest,
    on_start: Callable[[str, str, int], None] | None,
    on_progress: Callable[[Progress], None] | None,
    on_end: Callable[[str], None] | None,
) -> SuiteGate:
    # Fail fast, before spending; a suite added since the base has no baseline there yet.
    base_set = base_caseset(project.root, store, suite.name, request.base, allow_new_suite=True)

    def started(run_id: str, total: int) -> None:
        if on_start is not None:
            on_start(suite.name, run_id, total)

    try:
        run = run_suite(
            project,
            store,
            RunRequest(suite=suite, concurrency=request.concurrency, replay=request.replay),
            on_start=started,
            on_progress=on_progress,
        )
    finally:
        if on_end is not None:
            on_end(suite.name)
    result = name_files(project, diff(base_set, run_caseset(store, run.run_id), pairs=dict(request.pairs)))
    thresholds = suite_thresholds(project, suite.name, request.overrides)
    return SuiteGate(run.run_id, result, gate_verdict(result, thresholds))
