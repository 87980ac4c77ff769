"""Budgets from llmops.yaml: spend in the current period (UTC), and threshold alerts sent once to a webhook.

    budgets:
      - name: search-monthly
        scope: {team: search}          # or {prompt: NAME}, {suite: NAME}, {project: true} (the default)
        period: month                  # day | week (ISO, from Monday) | month
        amount_usd: 200
        alerts: [50, 80, 100]          # percent of amount_usd (default [100])
        webhook_env: SLACK_WEBHOOK_URL # NAME of the variable holding a Slack-compatible webhook URL

Spend counts eval results and judge calls, not replayed answers (see store.costs). `now` is a parameter
everywhere, so tests (and reports) can put it anywhere, month and year ends included.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from llmopsctl.core.format import money
from llmopsctl.core.settings import Budget
from llmopsctl.store.costs import (
    aggregate_calls,
    budget_events,
    record_budget_events,
    set_budget_events_delivered,
)

if TYPE_CHECKING:
    import httpx

    from llmopsctl.store import Store

SCOPES = ("team", "prompt", "suite", "project")
SCOPE_COLUMN = {"team": "team", "prompt": "prompt", "suite": "suite"}
WEBHOOK_TIMEOUT_S = 5.0
WEBHOOK_RETRIES = 2
WEBHOOK_BACKOFF_S = 0.25


@dataclass
class BudgetStatus:
    budget: Budget
    period_start: datetime
    period_end: datetime
    spend: Decimal  # known spend (calls with an unknown cost add nothing)
    unknown_cost: int
    calls: int

    @property
    def pct(self) -> float:
        return float(self.spend / self.budget.amount * 100)

    @property
    def exceeded(self) -> bool:
        return self.spend > self.budget.amount

    @property
    def crossed(self) -> list[float]:
        """The alert thresholds reached in this period."""
        return [t for t in self.budget.alerts if self.spend * 100 >= self.budget.amount * Decimal(str(t))]


@dataclass
class Alert:
    budget: str
    scope: str
    period: str
    period_start: datetime
    period_end: datetime
    threshold_pct: float  # the highest threshold newly crossed
    thresholds: list[float]  # every threshold newly crossed (one message for all)
    spend: Decimal
    amount: Decimal
    unknown_cost: int
    message: str
    delivered: bool | None = None  # None: no webhook configured
    warning: str | None = None  # why delivery failed


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the day, ISO week (Monday 00:00) or month holding `now`, naive UTC."""
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day, day + timedelta(days=1)
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        end = (
            start.replace(year=start.year + 1, month=1)
            if start.month == 12
            else start.replace(month=start.month + 1)
        )
        return start, end
    raise ValueError(f"unknown budget period {period!r}")


def budget_status(store: Store, budgets: Sequence[Budget], now: datetime) -> list[BudgetStatus]:
    """Spend against every budget in the period holding `now`."""
    return [status_of(store, budget, now) for budget in budgets]


def status_of(store: Store, budget: Budget, now: datetime) -> BudgetStatus:
    start, end = period_bounds(budget.period, now)
    where = {SCOPE_COLUMN[budget.scope]: budget.target} if budget.target is not None else None
    totals = aggregate_calls(store, since=start, until=end, where=where)[0]
    return BudgetStatus(
        budget=budget,
        period_start=start,
        period_end=end,
        spend=totals["spend"] if totals["spend"] is not None else Decimal(0),
        unknown_cost=int(totals["unknown_cost"]),
        calls=int(totals["calls"]),
    )


def check_alerts(
    store: Store,
    budgets: Sequence[Budget],
    now: datetime,
    *,
    http_client: httpx.Client | None = None,
) -> list[Alert]:
    """Record and send the alerts of budgets whose spend crossed a threshold in the current period.

    A (budget, period, threshold) is recorded once in budget_events, so it alerts once however often this
    runs. Thresholds crossed together make one message. Budgets without webhook_env: recorded (delivered
    NULL) and returned once. Budgets with webhook_env: the message ({"text": ...}, Slack-compatible) is
    POSTed to the URL in that variable.
    - variable unset: the alert comes back with a warning every time, and nothing is recorded, so a later
      run with the variable set (CI) still sends it;
    - delivery failed: recorded with delivered=False and the alert comes back with a warning; the next
      check sends the undelivered thresholds of the current period again (with any new ones, in one
      message), until delivered or the period ends.
    Bounded: a retry of an earlier failure is one attempt, a URL that failed is not tried again in the
    same check, and a failing webhook never raises. Needs a writable store.
    """
    delivery = _Delivery(http_client)
    try:
        alerts = [
            alert
            for status in budget_status(store, budgets, now)
            if (alert := _check(store, status, now, delivery))
        ]
    finally:
        delivery.close()
    return alerts


class _Delivery:
    """Posts alerts to webhooks within one check: a URL that failed is not tried again in the same check."""

    def __init__(self, client: httpx.Client | None) -> None:
        self.client = client
        self.owned = False
        self.failed: dict[str, str] = {}  # URL -> what went wrong, in this check

    def post(self, url: str, message: str, *, retries: int) -> str | None:
        """None when delivered, else what went wrong."""
        if url in self.failed:
            return f"{self.failed[url]} (not tried again in this check)"
        if self.client is None:
            import httpx  # lazy: only a check that has a webhook to call needs an HTTP client

            self.client, self.owned = httpx.Client(timeout=WEBHOOK_TIMEOUT_S), True
        error = post_webhook(self.client, url, {"text": message}, retries=retries)
        if error is not None:
            self.failed[url] = error
        return error

    def close(self) -> None:
        if self.owned and self.client is not None:
            self.client.close()


def _check(store: Store, status: BudgetStatus, now: datetime, delivery: _Delivery) -> Alert | None:
    """The alert of one budget's newly crossed (or undelivered) thresholds, recorded; None when none."""
    crossed = status.crossed
    if not crossed:
        return None
    budget = status.budget
    recorded = {
        float(e["threshold_pct"]): e["delivered"]
        for e in budget_events(store, budget.name, status.period_start)
    }
    fresh = [t for t in crossed if t not in recorded]
    if not budget.webhook_env:
        new = sorted(float(e["threshold_pct"]) for e in _record(store, status, fresh, now, None))
        return _alert(status, new) if new else None
    # Recorded but not delivered (a failed webhook), and still crossed: send again.
    retry = [t for t in crossed if recorded.get(t, True) is False]
    url = os.environ.get(budget.webhook_env, "").strip()
    if not url:
        return _unsendable(status, sorted({*fresh, *retry}))
    # Recorded as undelivered first: a run stopped before the update below sends it again later.
    new = [float(e["threshold_pct"]) for e in _record(store, status, fresh, now, False)]
    pending = sorted({*new, *retry})
    if not pending:
        return None
    alert = _alert(status, pending)
    # A first delivery retries on its own; resending an earlier failure is one attempt.
    error = delivery.post(url, alert.message, retries=WEBHOOK_RETRIES if new else 0)
    alert.delivered = error is None
    if error is not None:
        alert.warning = (
            f"budget alert {budget.name!r} not delivered to ${budget.webhook_env}: {error}; "
            f"the next check this {budget.period} sends it again"
        )
    set_budget_events_delivered(store, budget.name, status.period_start, pending, alert.delivered)
    return alert


def _unsendable(status: BudgetStatus, pending: list[float]) -> Alert | None:
    """The alert of a budget whose webhook variable is unset: a warning each time, nothing recorded."""
    if not pending:
        return None
    alert = _alert(status, pending)
    alert.delivered = False
    alert.warning = (
        f"budget alert not sent: the variable {status.budget.webhook_env} is not set "
        "(it is sent by the next check that has it)"
    )
    return alert


def _record(
    store: Store, status: BudgetStatus, thresholds: list[float], now: datetime, delivered: bool | None
) -> list[dict[str, Any]]:
    """Record the budget events of `thresholds`; the ones recorded now (not already there)."""
    if not thresholds:
        return []
    budget = status.budget
    events = [
        {
            "budget": budget.name,
            "period_start": status.period_start,
            "threshold_pct": t,
            "spend_usd": status.spend,
            "amount_usd": budget.amount,
            "fired_at": now,
            "delivered": delivered,
        }
        for t in thresholds
    ]
    return record_budget_events(store, events)


def _alert(status: BudgetStatus, thresholds: list[float]) -> Alert:
    budget = status.budget
    top = thresholds[-1]
    when = f"{status.period_start:%Y-%m-%d}" if budget.period != "month" else f"{status.period_start:%Y-%m}"
    verb = "exceeded" if status.exceeded else "reached"
    text = (
        f"llmopsctl budget {budget.name} ({budget.scope_label}, {budget.period} {when}) {verb} "
        f"{_pct(top)} of {money(budget.amount)}: spent {money(status.spend)} ({status.pct:.1f}%)"
    )
    if status.unknown_cost:
        text += f"; {status.unknown_cost} calls have an unknown cost and are not counted"
    return Alert(
        budget=budget.name,
        scope=budget.scope_label,
        period=budget.period,
        period_start=status.period_start,
        period_end=status.period_end,
        threshold_pct=top,
        thresholds=thresholds,
        spend=status.spend,
        amount=budget.amount,
        unknown_cost=status.unknown_cost,
        message=text,
    )


def post_webhook(
    client: httpx.Client,
    url: str,
    payload: dict[str, Any],
    *,
    retries: int = WEBHOOK_RETRIES,
    backoff_s: float = WEBHOOK_BACKOFF_S,
) -> str | None:
    """POST JSON, retrying errors, 429 and 5xx `retries` times. None when delivered, else what went wrong.

    Never raises (the URL is not put in the message: it is usually a secret)."""
    # lazy: only a check that has a webhook to call needs an HTTP client
    import httpx

    error = "not sent"
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff_s * (2 ** (attempt - 1)))
        try:
            response = client.post(url, json=payload, timeout=WEBHOOK_TIMEOUT_S)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {_first_line(exc, url)}"
            continue
        except Exception as exc:  # an odd URL or a broken client: report, never raise
            return f"{type(exc).__name__}: {_first_line(exc, url)}"
        if response.status_code < 300:
            return None
        error = f"HTTP {response.status_code}"
        if response.status_code != 429 and response.status_code < 500:
            return error
    return f"{error} (after {retries + 1} attempt{'s' if retries else ''})"


def _first_line(exc: BaseException, url: str) -> str:
    text = str(exc).strip().replace(url, "<webhook URL>")
    return text.splitlines()[0] if text else "no detail"


def _pct(value: float) -> str:
    return f"{value:g}%"
