"""`llmopsctl cost report|budget|review|price`: where the money goes, budgets, monthly reviews, prices."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from llmopsctl.cli.context import open_project, open_store
from llmopsctl.errors import CheckFailed, ConfigError, UsageError

cost_app = typer.Typer(
    help="Token spend: reports, budgets, monthly reviews and model prices.", no_args_is_help=True
)


class ReportFormat(str, Enum):
    table = "table"
    md = "md"
    csv = "csv"
    json = "json"


class Period(str, Enum):
    day = "day"
    week = "week"
    month = "month"


class TableOrJson(str, Enum):
    table = "table"
    json = "json"


class MdOrJson(str, Enum):
    md = "md"
    json = "json"


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


DB_HELP = "Results database (default: from llmops.yaml)."


def parse_when(text: str | None, option: str, *, end: bool = False) -> datetime | None:
    """YYYY-MM-DD or an ISO date-time (UTC unless it has an offset) as naive UTC. With `end`, a bare date
    means the end of that day, so `--until 2025-03-31` includes the 31st."""
    if text is None:
        return None
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = datetime.combine(date.fromisoformat(value), datetime.min.time())
            return day + timedelta(days=1) if end else day
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {text}: expected a date (YYYY-MM-DD) or an ISO date-time") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


@cost_app.command("report")
def report(
    by: str = typer.Option(
        None,
        "--by",
        help="Group by these, comma-separated: team, owner, prompt, model, suite, source, environment.",
    ),
    period: Period = typer.Option(
        None, "--period", "-p", help="Also group by day, week (ISO) or month (UTC)."
    ),
    since: str = typer.Option(None, "--since", help="From this date (UTC, inclusive)."),
    until: str = typer.Option(None, "--until", help="Up to this date (UTC, inclusive)."),
    fmt: ReportFormat = typer.Option(ReportFormat.table, "--format", "-f"),
    db: Path = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Spend, calls, tokens by kind, cache hits and savings, and cost per passing case.

    Counts eval results and model-graded scorers' (judge) calls; calls without a known price are
    reported as unknown cost, never as $0. Answers replayed from a cassette (`eval --replay`) are no
    calls: they spend nothing and are left out of calls, tokens and spend, counted only as `replayed`
    (source `replay` with --by source). Cost per passing case is the known eval spend divided by the
    passing cases whose cost is known; passes of calls of unknown cost are left out (and said so).
    """
    from llmopsctl.cost.report import cost_report, parse_dims
    from llmopsctl.report import cost_report as render
    from llmopsctl.report.terminal import print_table

    dims = parse_dims(by)
    start = parse_when(since, "--since")
    stop = parse_when(until, "--until", end=True)
    project = open_project(strict=False)
    with open_store(project, db, read_only=True) as store:
        result = cost_report(store, by=dims, period=period.value if period else None, since=start, until=stop)
    if fmt is ReportFormat.json:
        typer.echo(render.render_json(result))
    elif fmt is ReportFormat.csv:
        typer.echo(render.render_csv(result), nl=False)
    elif fmt is ReportFormat.md:
        typer.echo(render.render_markdown(result), nl=False)
    else:
        print_table(*render.table_rows(result) if result.keys else render.totals_table(result))
        for note in render.footnotes(result):
            typer.echo(note)


@cost_app.command("budget")
def budget(
    fmt: TableOrJson = typer.Option(TableOrJson.table, "--format", "-f"),
    at: str = typer.Option(None, "--at", help="Judge the budgets as of this date-time (UTC; default: now)."),
    notify: bool = typer.Option(
        False,
        "--notify",
        help="Also record and send the alerts of thresholds newly crossed (once each; a failed post again).",
    ),
    db: Path = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Spend against each budget of llmops.yaml in its current period; exit 1 when one is exceeded."""
    from llmopsctl.cost.budgets import budget_status, check_alerts
    from llmopsctl.report.cost_budget import budget_json, budget_table
    from llmopsctl.report.terminal import print_table

    now = parse_when(at, "--at") or datetime.now(timezone.utc).replace(tzinfo=None)
    project = open_project(strict=False)
    if not project.settings.budgets:
        raise ConfigError(
            "llmops.yaml defines no budgets", hint="add a `budgets:` list (see `llmopsctl schema`)"
        )
    with open_store(project, db, read_only=not notify) as store:
        statuses = budget_status(store, project.settings.budgets, now)
        alerts = check_alerts(store, project.settings.budgets, now) if notify else []
    exceeded = [s for s in statuses if s.exceeded]
    if fmt is TableOrJson.json:
        typer.echo(budget_json(statuses))
    else:
        print_table(*budget_table(statuses))
    for alert in alerts:
        typer.echo(alert.message, err=True)
        if alert.warning:
            typer.echo(f"warning: {alert.warning}", err=True)
    if exceeded:
        names = ", ".join(s.budget.name for s in exceeded)
        raise CheckFailed(f"{len(exceeded)} budget(s) exceeded: {names}")


@cost_app.command("review")
def review(
    month: str = typer.Option(None, "--month", "-m", help="YYYY-MM (default: the current month, UTC)."),
    fmt: MdOrJson = typer.Option(MdOrJson.md, "--format", "-f"),
    db: Path = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """A monthly review in Markdown: teams against budgets, top prompts and models, change on last month."""
    from llmopsctl.cost.review import monthly_review, parse_month
    from llmopsctl.report.cost_review import review_json, review_markdown

    start = parse_month(month) if month else datetime.now(timezone.utc).replace(tzinfo=None)
    project = open_project(strict=False)
    with open_store(project, db, read_only=True) as store:
        data = monthly_review(store, project.settings, start)
    typer.echo(review_json(data) if fmt is MdOrJson.json else review_markdown(data))


@cost_app.command("price")
def price(
    model: str = typer.Argument(
        ..., help="A model of this project (models/NAME.yaml), or a catalogue model id."
    ),
    provider: str = typer.Option(None, "--provider", help="Provider of a catalogue model id (e.g. openai)."),
    base_url: str = typer.Option(None, "--base-url", help="API base URL of a catalogue model id."),
    at: str = typer.Option(None, "--at", help="Prices as of this date (UTC; default: now)."),
    fmt: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f"),
) -> None:
    """The per-million-token prices that apply to a model, and where they come from (exit 1: none known)."""
    from llmopsctl.core.suggest import did_you_mean
    from llmopsctl.cost.pricing import quote_with_reason
    from llmopsctl.report.cost_price import PRICE_HINT, describe_price, price_json

    when = parse_when(at, "--at") or datetime.now(timezone.utc).replace(tzinfo=None)
    args: dict[str, Any] = {
        "override": None,
        "provider": provider or "",
        "model_id": model,
        "base_url": base_url,
    }
    try:
        project = open_project(strict=False)
    except ConfigError:
        project = None
    config = project.models.get(model) if project is not None and provider is None else None
    if config is not None:
        args = {
            "override": config.pricing,
            "provider": config.provider,
            "model_id": config.model,
            "base_url": config.base_url,
            "override_version": config.hash,
            "price_as": config.price_as,
        }
    quote, reason = quote_with_reason(**args, at=when)
    if fmt is TextOrJson.json:
        typer.echo(price_json(model, args["provider"], args["model_id"], when, quote, reason))
    elif quote is not None:
        if config is not None:
            typer.echo(f"model {model} ({project.rel(config.path) if project else config.path}):")
        typer.echo(describe_price(**args, at=when))
    if quote is None:
        hint = PRICE_HINT if "price_as" not in reason else "until then its calls are unknown cost, never $0"
        if config is not None and project is not None:
            where = project.rel(config.path)
            raise CheckFailed(f"no known price for model {model} ({where}): {reason}", hint=hint)
        known = sorted(project.models) if project is not None else []
        raise CheckFailed(
            f"no known price for {model!r}: {reason}{did_you_mean(model, known)}",
            hint="name a model of this project (models/NAME.yaml), or a catalogue model id, with its "
            "provider for the best match (--provider openai)",
        )
