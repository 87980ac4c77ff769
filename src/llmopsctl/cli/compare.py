"""`llmopsctl baseline update`, `llmopsctl diff` and `llmopsctl gate`."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from llmopsctl.cli.context import open_project, open_store
from llmopsctl.errors import GateFailed, UsageError

if TYPE_CHECKING:
    from llmopsctl.compare.affected import SuiteSelection
    from llmopsctl.compare.baseline_update import BaselineWrite
    from llmopsctl.compare.diff import DiffResult
    from llmopsctl.compare.gate import GateVerdict
    from llmopsctl.project.model import Project

baseline_app = typer.Typer(help="Baselines: committed per-case results that diffs and gates compare with.")


class DiffFormat(str, Enum):
    text = "text"
    md = "md"
    json = "json"


def _pairs(values: list[str]) -> dict[str, str]:
    out = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old or not new:
            raise UsageError(f"--pair {value!r}: expected OLD=NEW (a prompt or model name)")
        out[old] = new
    return out


@baseline_app.command("update")
def baseline_update(
    suites: list[str] = typer.Argument(None, help="Suites (default: all with a run)."),
    run: str = typer.Option(
        None,
        "--run",
        help="The run to take, or `latest` for the newest run (default: each suite's latest complete run "
        "of all its cases).",
    ),
    partial: bool = typer.Option(
        False,
        "--partial",
        help="Accept a run that is incomplete or covers part of the suite (a shard, a sample).",
    ),
    output_chars: int = typer.Option(
        None,
        "--output-chars",
        min=0,
        help="Keep this many characters of each case's output (default: llmops.yaml's baseline.output_chars, "
        "else 500; 0: none).",
    ),
    db: Path = typer.Option(None, "--db", help="Results database (default: from llmops.yaml)."),
) -> None:
    """Write .llmops/baselines/<suite>.json from a run, in a stable format that reviews well in a PR."""
    from llmopsctl.compare.baseline_update import baseline_runs, write_baseline

    project = open_project(strict=False)
    with open_store(project, db, read_only=True) as store:
        for suite, run_id in baseline_runs(project, store, suites or [], run, partial=partial):
            written = write_baseline(project, store, suite, run_id, output_chars=output_chars)
            typer.echo(_written(project, written))
            if written.stale:
                typer.echo(
                    f"warning: run {run_id} was made from files that differ from the working tree's: "
                    f"{'; '.join(map(str, written.stale))}. The baseline records that run's results; "
                    f"run `llmopsctl eval {suite}` for a baseline of the files as they are now",
                    err=True,
                )


def _written(project: Project, written: BaselineWrite) -> str:
    rel = project.rel(written.path)
    if written.state == "unchanged":
        return f"unchanged {rel}: run {written.run_id} has the same results ({written.cases} cases)"
    return f"{written.state} {rel} from run {written.run_id} ({written.cases} cases)"


def _emit(
    items: list[tuple[DiffResult, GateVerdict | None]], fmt: DiffFormat, junit: Path | None, full: bool
) -> None:
    from llmopsctl.report.diff_render import dumps_json, render_junit, render_markdown, render_text

    if fmt is DiffFormat.json:
        typer.echo(dumps_json(items))
    elif fmt is DiffFormat.md:
        typer.echo("\n".join(render_markdown(r, v, full=full) for r, v in items))
    else:
        typer.echo("\n\n".join(render_text(r, v, full=full) for r, v in items))
    if junit is not None:
        junit.parent.mkdir(parents=True, exist_ok=True)
        junit.write_text(render_junit(items), encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write("\n".join(render_markdown(r, v, full=False) for r, v in items) + "\n")


def _echo_selection(selection: SuiteSelection) -> bool:
    """Say why --changed-since gates each suite (on stderr), or that it gates none; whether any."""
    if not selection.suites:
        typer.echo(f"no suite is affected by changes since {selection.changed_since}; nothing to gate")
        return False
    for name, reasons in selection.reasons.items():
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        typer.echo(f"gating {name}: {reasons[0]}{more}", err=True)
    return True


def diff(
    suites: list[str] = typer.Argument(None, help="Suites to compare (default: all with a run)."),
    base: str = typer.Option(
        "baseline", "--base", help="`baseline` (the working tree's file), a git ref, or a run id."
    ),
    head: str = typer.Option(
        None,
        "--head",
        help="Run to compare, or `latest` for the newest run (default: each suite's latest run).",
        metavar="RUN_ID",
    ),
    pair: list[str] = typer.Option(
        [], "--pair", help="Pair a renamed prompt or model: OLD=NEW (repeatable)."
    ),
    fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f"),
    junit: Path = typer.Option(None, "--junit", help="Also write JUnit XML here."),
    full: bool = typer.Option(False, "--full", help="Show outputs of regressions in full."),
    db: Path = typer.Option(None, "--db", help="Results database (default: from llmops.yaml)."),
) -> None:
    """Compare runs with a baseline case by case: regressions, improvements, flaky cases, whether it is
    noise, and the verdict the configured gate thresholds give (reported; diff exits 0 all the same)."""
    from llmopsctl.compare.runner import DiffRequest, diff_verdict, run_diff

    project = open_project(strict=False)
    request = DiffRequest(suites=tuple(suites or ()), base=base, head=head, pairs=_pairs(pair))
    with open_store(project, db, read_only=True) as store:
        results = run_diff(project, store, request)
    _emit([(result, diff_verdict(project, result)) for result in results], fmt, junit, full)


def gate(
    suites: list[str] = typer.Argument(
        None, help="Suites to gate (default: all, or those --changed-since affects)."
    ),
    base: str = typer.Option(
        "baseline", "--base", help="`baseline`, a git ref (its committed baseline) or a run id."
    ),
    changed_since: str = typer.Option(
        None, "--changed-since", help="Only suites whose files changed since this git ref.", metavar="REF"
    ),
    pair: list[str] = typer.Option(
        [], "--pair", help="Pair a renamed prompt or model: OLD=NEW (repeatable)."
    ),
    fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", "-f"),
    junit: Path = typer.Option(None, "--junit", help="Also write JUnit XML here."),
    min_pass_rate: float = typer.Option(None, "--min-pass-rate", min=0, max=1),
    max_regressions: int = typer.Option(None, "--max-regressions", min=0),
    max_score_drop: float = typer.Option(None, "--max-score-drop", min=0, max=1),
    significance: float = typer.Option(None, "--significance", min=0, max=0.5),
    max_cost_increase_pct: float = typer.Option(None, "--max-cost-increase-pct", min=0),
    max_p95_latency_ms: float = typer.Option(None, "--max-p95-latency-ms", min=0),
    allow_flaky: bool = typer.Option(None, "--allow-flaky/--no-allow-flaky"),
    concurrency: int = typer.Option(None, "--concurrency", "-j", min=1),
    replay: bool = typer.Option(False, "--replay", help="Answer from recorded cassettes; no network."),
    full: bool = typer.Option(False, "--full", help="Show outputs of regressions in full."),
    db: Path = typer.Option(None, "--db", help="Results database (default: from llmops.yaml)."),
) -> None:
    """Run the suites (cached where possible), compare with the base, and fail when a threshold is crossed."""
    from llmopsctl.compare.affected import select_gate_suites
    from llmopsctl.compare.runner import GateRequest, run_gate
    from llmopsctl.core.settings import GateThresholds
    from llmopsctl.report.terminal import ProgressView, console

    project = open_project()
    selection = select_gate_suites(project, suites or [], changed_since)
    if not _echo_selection(selection):
        return
    overrides = GateThresholds(
        min_pass_rate=min_pass_rate,
        max_regressions=max_regressions,
        max_score_drop=max_score_drop,
        significance=significance,
        max_cost_increase_pct=max_cost_increase_pct,
        max_p95_latency_ms=max_p95_latency_ms,
        allow_flaky=allow_flaky,
    )
    request = GateRequest(
        suites=selection.suites,
        base=base,
        pairs=_pairs(pair),
        overrides=overrides,
        concurrency=concurrency,
        replay=replay,
    )
    view = ProgressView(console(stderr=True), enabled=fmt is DiffFormat.text)
    with open_store(project, db) as store:
        outcome = run_gate(
            project,
            store,
            request,
            on_start=lambda suite, run_id, total: view.start(f"{suite} ({run_id})", total),
            on_progress=view.update,
            on_end=lambda suite: view.stop(),
        )
    _emit(outcome.items(), fmt, junit, full)
    if outcome.failed:
        raise GateFailed(f"gate failed for {', '.join(outcome.failed)}")
