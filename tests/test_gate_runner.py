"""compare.runner and compare.affected called directly, without the command line: run_gate, run_diff and the
choice of suites for --changed-since; compare.baseline_update and engine.resume too.

The projects are real git repositories with offline Python models (tests/gate_helpers.py); the baselines are
made through the CLI, as a user would, and the functions under test are then called with a loaded project
and an open store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from gate_helpers import (
    SETTINGS,
    baseline_file,
    branch,
    eval_run,
    keys,
    make_baseline,
    make_project,
    model_yaml,
    prompt_yaml,
    run_suites,
    suite_yaml,
    write,
)
from llmopsctl.compare.affected import select_gate_suites
from llmopsctl.compare.baseline_update import baseline_runs, write_baseline
from llmopsctl.compare.runner import DiffRequest, GateRequest, run_diff, run_gate
from llmopsctl.core.settings import GateThresholds
from llmopsctl.engine.resume import find_resume
from llmopsctl.errors import ConfigError, UsageError
from llmopsctl.project.model import Project
from llmopsctl.store import Store

pytestmark = pytest.mark.usefixtures("gate_isolation")


@contextmanager
def opened(root: Path, *, read_only: bool = False) -> Iterator[tuple[Project, Store]]:
    from llmopsctl.validate.project import load_checked_project

    project = load_checked_project(root, keep_sources=False)
    assert not project.diagnostics, project.diagnostics
    store = Store.open(project.db_path, read_only=read_only)
    try:
        yield project, store
    finally:
        store.close()


class Events:
    """The callbacks of run_gate, recording what they were told."""

    def __init__(self) -> None:
        self.seen: list[tuple[Any, ...]] = []

    def start(self, suite: str, run_id: str, total: int) -> None:
        self.seen.append(("start", suite, run_id, total))

    def progress(self, p: Any) -> None:
        self.seen.append(("progress", p.done))

    def end(self, suite: str) -> None:
        self.seen.append(("end", suite))

    def callbacks(self) -> dict[str, Any]:
        return {"on_start": self.start, "on_progress": self.progress, "on_end": self.end}


def test_run_gate_runs_the_suite_diffs_it_and_names_the_regressions(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(root, suite={"gate": {"max_regressions": 0}})
    make_baseline(repo)
    branch(repo, "swap", {"models/bot.yaml": model_yaml("worse")})
    events = Events()
    with opened(root) as (project, store):
        request = GateRequest(suites=[project.suites["main"]], base="main")
        outcome = run_gate(project, store, request, **events.callbacks())
        (gate,) = outcome.gates
        run = store.get_run(gate.run_id)
        assert run is not None and run["suite"] == "main" and run["status"] == "complete"
    assert outcome.failed == ["main"] and not outcome.passed
    assert gate.verdict.reasons == [
        "2 regressed case(s), more than max_regressions=0: ask/bot/items/c03, ask/bot/items/c07"
    ]
    assert [c.key for c in gate.result.by_status("regressed")] == keys("c03", "c07")
    assert (
        gate.result.base.label.startswith("baseline@main (")
        and gate.result.head.label == f"run {gate.run_id}"
    )
    assert outcome.items() == [(gate.result, gate.verdict)]
    # One start, one progress report per call, then the end.
    assert events.seen[0] == ("start", "main", gate.run_id, 10)
    assert events.seen[1:-1] == [("progress", n) for n in range(1, 11)]
    assert events.seen[-1] == ("end", "main")


def test_run_gate_merges_thresholds_llmops_yaml_then_suite_then_request(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    settings = SETTINGS + "gate:\n  min_pass_rate: 0.9\n  max_regressions: 5\n"
    suite = {"gate": {"max_regressions": 3, "significance": 0.01}}
    repo = make_project(root, suite=suite, extra={"llmops.yaml": settings})
    make_baseline(repo)
    branch(repo, "swap", {"models/bot.yaml": model_yaml("worse")})
    with opened(root) as (project, store):
        main = project.suites["main"]
        overridden = run_gate(
            project, store, GateRequest(suites=[main], overrides=GateThresholds(max_regressions=0))
        )
        configured = run_gate(project, store, GateRequest(suites=[main]))
    (gate,) = overridden.gates
    assert gate.verdict.thresholds == {"min_pass_rate": 0.9, "max_regressions": 0, "significance": 0.01}
    assert gate.verdict.reasons == [
        "2 regressed case(s), more than max_regressions=0: ask/bot/items/c03, ask/bot/items/c07",
        "pass rate 80.0% of 10 case(s) is below min_pass_rate=90%",
    ]
    assert any(n.startswith("pass rate fell 100.0% -> 80.0%, not significant") for n in gate.verdict.notes)
    (gate,) = configured.gates
    assert gate.verdict.thresholds == {"min_pass_rate": 0.9, "max_regressions": 3, "significance": 0.01}
    assert gate.verdict.reasons == ["pass rate 80.0% of 10 case(s) is below min_pass_rate=90%"]


def test_run_gate_without_thresholds_fails_only_on_a_significant_drop(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(root)
    make_baseline(repo)
    branch(repo, "swap", {"models/bot.yaml": model_yaml("worse")})
    with opened(root) as (project, store):
        outcome = run_gate(project, store, GateRequest(suites=[project.suites["main"]]))
    (gate,) = outcome.gates
    assert outcome.passed and outcome.failed == []
    assert gate.verdict.thresholds == {"significance": 0.05}  # the built-in default
    assert gate.verdict.notes == ["pass rate fell 100.0% -> 80.0%, not significant (p=0.5)"]


def test_run_gate_checks_the_base_before_running_and_ends_a_failed_run(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(root)
    repo.create_tag("before-baseline")
    make_baseline(repo)
    events = Events()
    with opened(root) as (project, store):
        request = GateRequest(suites=[project.suites["main"]], base="before-baseline")
        with pytest.raises(UsageError, match="suite 'main' has no baseline at before-baseline"):
            run_gate(project, store, request, **events.callbacks())
    assert events.seen == [] and run_suites(root) == ["main"]  # nothing ran

    # A model whose module cannot be imported: the run fails before its first call.
    files = {"app/broken.py": "raise RuntimeError('broken')\n\n\ndef good(vars):\n    return ''\n"}
    branch(repo, "broken", {**files, "models/bot.yaml": model_yaml("good", module="app/broken.py")})
    with opened(root) as (project, store):
        request = GateRequest(suites=[project.suites["main"]], base="main")
        with pytest.raises(ConfigError, match=r"importing app/broken\.py raised RuntimeError"):
            run_gate(project, store, request, **events.callbacks())
    assert events.seen == [("end", "main")]  # the UI may stop its progress display


def test_run_gate_compares_a_suite_new_since_the_base_with_nothing(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(root)
    make_baseline(repo)
    branch(repo, "new-suite", {"suites/second.yaml": suite_yaml()})
    with opened(root) as (project, store):
        suites = [project.suites["main"], project.suites["second"]]
        outcome = run_gate(project, store, GateRequest(suites=suites, base="main"))
    assert [g.result.suite for g in outcome.gates] == ["main", "second"] and outcome.passed
    second = outcome.gates[1]
    assert not second.result.base.cases and len(second.result.by_status("new")) == 10
    assert second.verdict.notes == [
        "no baseline (suite 'second' is new since main): "
        "only absolute thresholds (min_pass_rate, max_p95_latency_ms) apply"
    ]
    assert run_suites(root) == ["main", "main", "second"]


def test_min_pass_rate_applies_to_a_suite_new_since_the_base(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(root)
    make_baseline(repo)
    branch(repo, "new-suite", {"suites/second.yaml": suite_yaml(gate={"min_pass_rate": 0.5})})
    with opened(root) as (project, store):
        outcome = run_gate(project, store, GateRequest(suites=[project.suites["second"]], base="main"))
    assert outcome.passed, outcome.gates[0].verdict.reasons
    assert "pass rate 100.0% of 10 case(s) (min_pass_rate=50%)" in outcome.gates[0].verdict.notes


def test_select_gate_suites_resolves_changed_since_and_auto(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    repo = make_project(
        root,
        extra={
            "prompts/other.yaml": prompt_yaml(),
            "suites/second.yaml": suite_yaml(prompt="other"),
            "README.md": "a project\n",
        },
    )
    with opened(root) as (project, _):
        everything = select_gate_suites(project, [], None)
        assert [s.name for s in everything.suites] == ["main", "second"] and everything.changed_since is None
        assert [s.name for s in select_gate_suites(project, ["second"], "").suites] == ["second"]

    branch(repo, "prompt", {"prompts/other.yaml": prompt_yaml(" Be brief.")})
    with opened(root) as (project, _):
        chosen = select_gate_suites(project, [], "main")
        assert [s.name for s in chosen.suites] == ["second"] and chosen.changed_since == "main"
        # No upstream and no origin: auto means main.
        auto = select_gate_suites(project, [], "auto")
        assert [s.name for s in auto.suites] == ["second"] and auto.changed_since == "main"
        # Named suites are narrowed too, down to none.
        assert select_gate_suites(project, ["main"], "main").suites == []
        with pytest.raises(UsageError, match="--changed-since"):
            select_gate_suites(project, [], "no-such-ref")

    # Under pre-commit's pre-push stage, auto means the old end of the pushed range.
    sha = str(repo.head.commit.hexsha)
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", sha)
    with opened(root) as (project, _):
        pushed = select_gate_suites(project, [], "auto")
    assert pushed.suites == [] and pushed.changed_since == sha
    write(root, {"README.md": "a project, documented\n"})
    with opened(root) as (project, _):
        assert select_gate_suites(project, [], "auto").suites == []


def test_run_diff_compares_the_latest_or_a_given_run(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    repo = make_project(root)
    base_run = make_baseline(repo)
    branch(repo, "swap", {"models/bot.yaml": model_yaml("worse")})
    head_run = eval_run(root, "main")
    with opened(root, read_only=True) as (project, store):
        (latest,) = run_diff(project, store, DiffRequest())
        (given,) = run_diff(project, store, DiffRequest(suites=("main",), base=base_run, head=head_run))
        (same,) = run_diff(project, store, DiffRequest(base=head_run, head=head_run))
    assert latest.base.label == "baseline (.llmops/baselines/main.json)"
    assert latest.head.label == f"run {head_run}"
    assert [c.key for c in latest.by_status("regressed")] == keys("c03", "c07")
    assert given.base.label == f"run {base_run}" and given.counts() == latest.counts()
    assert same.counts()["regressed"] == 0 and same.counts()["unchanged"] == 10


def test_baseline_runs_and_write_baseline(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    make_project(root)
    with opened(root) as (project, store):
        with pytest.raises(UsageError, match="no complete runs to make baselines from"):
            baseline_runs(project, store, [])
        with pytest.raises(UsageError, match="suite 'main' has no complete run"):
            baseline_runs(project, store, ["main"])
    sample = eval_run(root, "main", "--sample", "3")
    full = eval_run(root, "main")
    with opened(root) as (project, store):
        assert baseline_runs(project, store, []) == [("main", full)]
        with pytest.raises(UsageError, match=r"covers only sample 3: a baseline from it would drop cases"):
            baseline_runs(project, store, [], sample)
        assert baseline_runs(project, store, [], sample, partial=True) == [("main", sample)]
        written = write_baseline(project, store, "main", full)
        assert (written.state, written.cases, written.path) == ("created", 10, baseline_file(root))
        text = baseline_file(root).read_text(encoding="utf-8")
        assert write_baseline(project, store, "main", full).state == "unchanged"
        assert baseline_file(root).read_text(encoding="utf-8") == text
        assert write_baseline(project, store, "main", sample).state == "updated"


def test_find_resume_looks_the_run_up_once_for_its_suite_and_filters(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    make_project(root)
    run_id = eval_run(root, "main", "--case", "c0*", "--no-cache")
    with opened(root) as (project, store):
        resume = find_resume(project, store, run_id)
        assert resume.run_id == run_id and resume.suite is project.suites["main"]
        assert resume.filters.cases == ("c0*",) and resume.use_cache is False
        with pytest.raises(UsageError, match="no run 'nope' in the results database"):
            find_resume(project, store, "nope")
