"""Terminal output with rich: live progress on a TTY, plain lines otherwise, and run summaries."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from llmopsctl.core.format import money, ms, pct, tokens
from llmopsctl.engine.progress import Progress


def console(stderr: bool = False) -> Console:
    out = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not out.is_terminal:  # logs and pipes: wide enough that tables are not squeezed
        out = Console(stderr=stderr, highlight=False, soft_wrap=False, width=160)
    return out


class ProgressView:
    """A rich progress bar on a terminal; on a pipe or in CI, a plain line every few seconds."""

    def __init__(self, out: Console, enabled: bool = True) -> None:
        self.out = out
        self.enabled = enabled
        self.live = enabled and out.is_terminal
        self._bar: Any = None
        self._task: Any = None
        self._last_line = 0.0
        self._label = ""

    def start(self, label: str, total: int) -> None:
        """Show a new run's progress; a view may show several runs, one after the other (stop between)."""
        self._label = label
        self._last_line = 0.0
        if not self.enabled:
            return
        if self.live:
            # lazy: the progress bar is only built when writing to a terminal
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[stats]}"),
                TimeRemainingColumn(),
                console=self.out,
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(label, total=total, stats="")
        else:
            self.out.print(f"{label}: {total} calls to make")

    def update(self, p: Progress) -> None:
        if not self.enabled:
            return
        stats = f"errors {p.errors}  tokens {tokens(p.input_tokens + p.output_tokens)}  {cost_line(p)}"
        if self._bar is not None:
            self._bar.update(self._task, completed=p.done, stats=stats)
            return
        now = time.monotonic()
        if now - self._last_line >= 5 or p.done == p.total:
            self._last_line = now
            self.out.print(f"{self._label}: {p.done}/{p.total} done, {stats}")

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def cost_line(p: Progress) -> str:
    """The spend so far: of the graded calls, and when there were judge calls, theirs and the total."""
    spent = money(p.eval_cost, unknown=p.unknown_cost)
    if not p.judge_calls:
        return f"cost {spent}"
    judges = money(p.judge_spend, unknown=p.judge_unknown_cost)
    total = money(p.total_cost, unknown=p.unknown_cost + p.judge_unknown_cost)
    calls = f"{p.judge_calls} judge call{'' if p.judge_calls == 1 else 's'}"
    return f"cost {total}: eval {spent}, {calls} {judges}"


def summary_table(suite: str, run_id: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"suite {suite} · run {run_id}", title_justify="left")
    for column in (
        "prompt",
        "model",
        "pass rate",
        "passed",
        "failed",
        "errors",
        "tokens in/out",
        "cost",
        "p50",
        "p95",
    ):
        table.add_column(column, justify="left" if column in ("prompt", "model") else "right")
    for row in rows:
        scored = row["passed"] + row["failed"]
        table.add_row(
            row["prompt_name"],
            row["model_name"],
            pct(row["passed"], scored),
            str(row["passed"]),
            str(row["failed"]),
            str(row["errors"]) if not row["errors"] else f"[red]{row['errors']}[/red]",
            f"{tokens(row['input_tokens'])}/{tokens(row['output_tokens'])}",
            money(row["cost_usd"], unknown=row["unknown_cost"]),
            ms(row["p50_ms"]),
            ms(row["p95_ms"]),
        )
    return table


def tag_table(rows: list[dict[str, Any]]) -> Table:
    """Pass rates by case tag (store.breakdown.pass_rates_by_tag)."""
    table = Table(title="by tag", title_justify="left")
    for column in ("tag", "pass rate", "passed", "failed", "errors"):
        table.add_column(column, justify="left" if column == "tag" else "right")
    for row in rows:
        table.add_row(
            row["tag"],
            pct(row["passed"], row["passed"] + row["failed"]),
            str(row["passed"]),
            str(row["failed"]),
            str(row["errors"]),
        )
    return table


def print_table(head: list[str], body: list[list[str]]) -> None:
    """A table of text cells on stdout."""
    table = Table()
    for column in head:
        table.add_column(column)
    for row in body:
        table.add_row(*row)
    console().print(table)


def is_tty() -> bool:
    return sys.stdout.isatty()
