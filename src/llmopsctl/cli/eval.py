"""`llmopsctl eval`: run suites against the models, score, store, summarise."""

from __future__ import annotations

import functools
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from llmopsctl.cli.context import open_project, open_store
from llmopsctl.errors import CostCapExceeded, RunIncomplete, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from llmopsctl.cost.budgets import Alert
    from llmopsctl.cost.estimate import CostEstimate
    from llmopsctl.engine.runner import RunOutcome, RunRequest
    from llmopsctl.project.model import Project
    from llmopsctl.store import Store


def eval_command(
    suites: list[str] = typer.Argument(None, help="Suites to run (default: all)."),
    prompt: list[str] = typer.Option(
        [], "--prompt", "-p", help="Only these prompts (name or glob; repeatable)."
    ),
    model: list[str] = typer.Option(
        [], "--model", "-m", help="Only these models (name or glob; repeatable)."
    ),
    case: list[str] = typer.Option([], "--case", help="Only these case ids (id or glob; repeatable)."),
    tag: list[str] = typer.Option([], "--tag", "-t", help="Only cases with one of these tags (repeatable)."),
    sample: int = typer.Option(
        None, "--sample", min=1, help="A seeded random sample of N cases per dataset."
    ),
    seed: int = typer.Option(None, "--seed", help="Seed for --sample (default: llmops.yaml defaults.seed)."),
    shard: str = typer.Option(
        None, "--shard", help="Run shard I of N (e.g. 2/4) of the cases.", metavar="I/N"
    ),
    repeat: int = typer.Option(None, "--repeat", "-r", min=1, help="Run each case N times."),
    concurrency: int = typer.Option(None, "--concurrency", "-j", min=1, help="Calls in flight at once."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Call the models even for cached requests."),
    record: bool = typer.Option(
        False, "--record", help="Record responses to .llmops/cassettes/<suite>.jsonl."
    ),
    replay: bool = typer.Option(False, "--replay", help="Answer from the recorded cassettes; no network."),
    resume: str = typer.Option(
        None, "--resume", help="Finish an interrupted run (`latest`: the newest run).", metavar="RUN_ID"
    ),
    max_cost: float = typer.Option(
        None,
        "--max-cost",
        min=0,
        help="USD cap: refuse to start above it, stop sending once spent.",
        metavar="USD",
    ),
    allow_unpriced: bool = typer.Option(
        False,
        "--allow-unpriced",
        help="With a cost cap, run even when some models have no price (the cap counts only priced calls).",
    ),
    env: str = typer.Option(
        None,
        "--env",
        help="Environment to record with the results (dev, ci, ...; see llmops.yaml environments).",
    ),
    db: Path = typer.Option(None, "--db", help="Results database (default: from llmops.yaml)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object with the results."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
) -> None:
    """Run every prompt x model x case of the suites, score the outputs and store them with provenance."""
    from llmopsctl.engine.plan import Filters, parse_shard, select_suites
    from llmopsctl.engine.resume import find_resume
    from llmopsctl.engine.runner import RunRequest
    from llmopsctl.report.eval_summary import dumps_summary, footer
    from llmopsctl.report.terminal import console, summary_table

    if record and replay:
        raise UsageError("--record and --replay exclude each other")
    project = open_project()
    out = console()
    err = console(stderr=True)
    with open_store(project, db) as store:
        resumed = None
        if resume:
            if suites:
                raise UsageError("--resume takes no suite names: the run knows its suite")
            resumed = find_resume(project, store, resume)
        chosen = [resumed.suite] if resumed is not None else select_suites(project, suites or [])
        filters = Filters(
            prompts=tuple(prompt),
            models=tuple(model),
            cases=tuple(case),
            tags=tuple(tag),
            sample=sample,
            seed=seed if seed is not None else project.settings.defaults.seed,
            shard=parse_shard(shard) if shard else None,
            repeat=repeat,
        )
        outcomes: list[RunOutcome] = []
        for suite in chosen:
            request = RunRequest(
                suite=suite,
                filters=filters,
                concurrency=concurrency,
                use_cache=not no_cache,
                record=record,
                replay=replay,
                resume=resumed,
                max_cost=Decimal(str(max_cost)) if max_cost is not None else None,
                allow_unpriced=allow_unpriced,
                environment=env,
            )
            outcome = _run_one(project, store, request, err, show_progress=not quiet and not as_json)
            outcomes.append(outcome)
            if not as_json:
                out.print(summary_table(suite.name, outcome.run_id, store.summary(outcome.run_id)))
                out.print(footer(outcome))
        alerts = _budget_alerts(project, store)
        if as_json:
            typer.echo(dumps_summary(outcomes))
        _print_alerts(err, alerts)
    _raise_unfinished(outcomes)


def _run_one(
    project: Project, store: Store, request: RunRequest, err: Console, *, show_progress: bool
) -> RunOutcome:
    """Run one suite with its progress on stderr; on Ctrl-C, say how to finish the run."""
    from llmopsctl.engine.runner import run_suite
    from llmopsctl.report.terminal import ProgressView

    name = request.suite.name
    view = ProgressView(err, enabled=show_progress)
    started: list[str] = []

    def on_start(run_id: str, total: int) -> None:
        started.append(run_id)
        view.start(f"{name} ({run_id})", total)

    try:
        return run_suite(
            project,
            store,
            request,
            on_start=on_start,
            on_progress=view.update,
            on_estimate=functools.partial(_print_estimate, err, name),
        )
    except KeyboardInterrupt:
        view.stop()
        run_id = started[0] if started else "RUN_ID"
        err.print(
            f"[yellow]interrupted: results so far are saved; finish with `llmopsctl eval --resume {run_id}`"
        )
        raise
    finally:
        view.stop()


def _print_estimate(err: Console, suite: str, estimate: CostEstimate) -> None:
    err.print(f"{suite}: {estimate.explanation}", markup=False)


def _budget_alerts(project: Project, store: Store) -> list[Alert]:
    """Budgets whose spend crossed an alert threshold: recorded once per period, webhook posted."""
    from datetime import datetime, timezone

    from llmopsctl.cost.budgets import check_alerts

    if not project.settings.budgets:
        return []
    return check_alerts(store, project.settings.budgets, datetime.now(timezone.utc))


def _print_alerts(err: Console, alerts: list[Alert]) -> None:
    for alert in alerts:
        err.print(f"[yellow]budget alert: {alert.message}[/yellow]")
        if alert.warning:
            err.print(f"[yellow]warning: {alert.warning}[/yellow]")


def _raise_unfinished(outcomes: list[RunOutcome]) -> None:
    """Exit non-zero when a run stopped at its cost cap or did not complete every case."""
    capped = [o for o in outcomes if o.status == "aborted" and o.progress.stopped]
    if capped:
        names = ", ".join(f"{o.run_id} ({o.progress.stopped})" for o in capped)
        run_id = capped[0].run_id if len(capped) == 1 else "RUN_ID"
        raise CostCapExceeded(
            f"stopped early: {names}",
            hint=f"what ran is saved; finish with `llmopsctl eval --resume {run_id} --max-cost USD` (higher)",
        )
    incomplete = [o for o in outcomes if o.status != "complete"]
    if incomplete:
        names = ", ".join(f"{o.run_id} ({o.progress.errors} errors)" for o in incomplete)
        run_id = incomplete[0].run_id if len(incomplete) == 1 else "RUN_ID"
        raise RunIncomplete(
            f"not every case completed: {names}",
            hint=f"`llmopsctl runs show {run_id} --failed` lists them; `llmopsctl eval --resume {run_id}` "
            "retries",
        )
