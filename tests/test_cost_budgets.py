"""Budgets: UTC periods (month and year ends, ISO weeks), spend by scope, alerts fired once, webhooks."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmopsctl.core.records import JudgeCallRecord, ResultRecord
from llmopsctl.core.settings import Budget
from llmopsctl.cost import budgets as bud
from llmopsctl.cost.budgets import budget_status, check_alerts, period_bounds
from llmopsctl.project.records import budgets
from llmopsctl.store import Store
from llmopsctl.store.costs import budget_events, write_judge_calls


@pytest.mark.parametrize(
    ("period", "now", "start", "end"),
    [
        ("day", datetime(2024, 12, 31, 23, 59, 59), datetime(2024, 12, 31), datetime(2025, 1, 1)),
        ("day", datetime(2024, 2, 29, 0, 0), datetime(2024, 2, 29), datetime(2024, 3, 1)),
        ("month", datetime(2024, 1, 31, 23, 59), datetime(2024, 1, 1), datetime(2024, 2, 1)),
        ("month", datetime(2024, 2, 29, 12), datetime(2024, 2, 1), datetime(2024, 3, 1)),
        ("month", datetime(2024, 12, 31, 23, 59, 59, 999999), datetime(2024, 12, 1), datetime(2025, 1, 1)),
        ("month", datetime(2025, 1, 1, 0, 0), datetime(2025, 1, 1), datetime(2025, 2, 1)),
        # ISO weeks start on Monday; 2025-01-01 is a Wednesday of the week starting 2024-12-30
        ("week", datetime(2025, 1, 1, 8), datetime(2024, 12, 30), datetime(2025, 1, 6)),
        ("week", datetime(2023, 1, 1, 23), datetime(2022, 12, 26), datetime(2023, 1, 2)),  # a Sunday
        ("week", datetime(2024, 12, 30, 0, 0), datetime(2024, 12, 30), datetime(2025, 1, 6)),  # a Monday
    ],
)
def test_period_bounds_utc(period: str, now: datetime, start: datetime, end: datetime) -> None:
    assert period_bounds(period, now) == (start, end)


def test_period_bounds_convert_aware_times_to_utc() -> None:
    # 2025-01-01 01:30 at UTC+2 is still 2024-12-31 in UTC: December's budget
    now = datetime(2025, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))
    assert period_bounds("month", now) == (datetime(2024, 12, 1), datetime(2025, 1, 1))


def result(n: int, at: datetime, cost: str | None, **over: Any) -> ResultRecord:
    row: dict[str, Any] = {
        "run_id": "run1",
        "item_key": f"c{n}",
        "suite": "smoke",
        "prompt_name": "triage",
        "model_name": "mini",
        "output": "ok",
        "input_tokens": 100,
        "output_tokens": 10,
        "cost_usd": Decimal(cost) if cost is not None else None,
        "cost_nominal_usd": Decimal(cost) if cost is not None else None,
        "cached": False,
        "passed": True,
        "team": "search",
        "created_at": at,
    }
    row.update(over)
    return ResultRecord(**row)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "r.duckdb") as s:
        yield s


SETTINGS: dict[str, Any] = {
    "budgets": [
        {
            "name": "search-month",
            "scope": {"team": "search"},
            "period": "month",
            "amount_usd": 10,
            "alerts": [50, 80, 100],
        },
        {"name": "triage-week", "scope": {"prompt": "triage"}, "period": "week", "amount_usd": 100},
        {"name": "smoke-day", "scope": {"suite": "smoke"}, "period": "day", "amount_usd": 1},
        {"scope": {"project": True}, "period": "month", "amount_usd": 1000},
    ]
}


def test_spend_by_scope_in_the_current_period(store: Store) -> None:
    store.write_results(
        [
            result(1, datetime(2024, 12, 31, 23, 59), "4"),  # December: not in January's budget
            result(2, datetime(2025, 1, 1, 0, 0), "3"),
            result(3, datetime(2025, 1, 2, 10), "2.5", team="other", suite="other", prompt_name="other"),
            result(4, datetime(2025, 1, 2, 11), None),  # unknown cost
            result(5, datetime(2025, 1, 2, 12), "0.25", suite="smoke"),
        ]
    )
    judge = JudgeCallRecord(result_id="run1/c5", cost_usd=Decimal("0.5"), created_at=datetime(2025, 1, 2))
    write_judge_calls(store, [judge])
    now = datetime(2025, 1, 2, 18)
    statuses = {s.budget.name: s for s in budget_status(store, budgets_of(SETTINGS), now)}
    assert statuses["search-month"].spend == Decimal("3.75")  # 3 + 0.25 + judge 0.5 (team from its result)
    assert statuses["search-month"].unknown_cost == 1
    assert statuses["triage-week"].period_start == datetime(2024, 12, 30)
    assert statuses["triage-week"].spend == Decimal("7.75")  # the week holds Dec 31 too
    assert statuses["smoke-day"].spend == Decimal("0.75")
    assert statuses["project-month"].spend == Decimal("6.25")
    assert not any(s.exceeded for s in statuses.values())
    assert statuses["search-month"].crossed == []
    store.write_results([result(6, datetime(2025, 1, 2, 13), "1", suite="smoke")])
    statuses = {s.budget.name: s for s in budget_status(store, budgets_of(SETTINGS), now)}
    assert statuses["smoke-day"].exceeded and statuses["smoke-day"].crossed == [100.0]
    assert statuses["search-month"].crossed == [] and statuses["search-month"].pct == pytest.approx(47.5)


def budgets_of(settings: dict[str, Any]) -> tuple[Budget, ...]:
    """The budgets of an llmops.yaml mapping, as the loader reads them."""
    return budgets(settings.get("budgets"))


def test_load_budgets_defaults_and_unique_names() -> None:
    loaded = budgets_of({"budgets": [{"period": "day", "amount_usd": 5}, {"period": "day", "amount_usd": 6}]})
    assert [b.name for b in loaded] == ["project-day", "project-day#2"]
    assert loaded[0].alerts == (100.0,) and loaded[0].scope == "project" and loaded[0].amount == Decimal(5)
    assert budgets_of({}) == ()


def test_threshold_crossing_fires_once_per_period(store: Store) -> None:
    settings = {"budgets": [SETTINGS["budgets"][0]]}
    jan = datetime(2025, 1, 20)
    store.write_results([result(1, datetime(2025, 1, 5), "6")])  # 60%: crosses 50
    alerts = check_alerts(store, budgets_of(settings), jan)
    assert [(a.budget, a.thresholds, a.delivered) for a in alerts] == [("search-month", [50.0], None)]
    assert "60.0%" in alerts[0].message and "search-month" in alerts[0].message
    assert check_alerts(store, budgets_of(settings), jan) == []  # no storm
    store.write_results([result(2, datetime(2025, 1, 6), "5")])  # 110%: crosses 80 and 100 at once
    alerts = check_alerts(store, budgets_of(settings), jan)
    assert [(a.thresholds, a.threshold_pct) for a in alerts] == [([80.0, 100.0], 100.0)]
    assert "exceeded" in alerts[0].message
    assert check_alerts(store, budgets_of(settings), jan + timedelta(days=5)) == []
    events = budget_events(store, "search-month")
    assert [(e["period_start"], e["threshold_pct"]) for e in events] == [
        (datetime(2025, 1, 1), 50.0),
        (datetime(2025, 1, 1), 80.0),
        (datetime(2025, 1, 1), 100.0),
    ]
    assert events[0]["spend_usd"] == Decimal("6") and events[0]["amount_usd"] == Decimal("10")
    # a new month starts from zero, and fires again once crossed
    assert check_alerts(store, budgets_of(settings), datetime(2025, 2, 1)) == []
    store.write_results([result(3, datetime(2025, 2, 1, 1), "9")])
    assert [a.thresholds for a in check_alerts(store, budgets_of(settings), datetime(2025, 2, 1, 2))] == [
        [50.0, 80.0]
    ]


class _Hook(BaseHTTPRequestHandler):
    status = 200
    received: list[Any] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.headers.get("Content-Type"), json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[str, type[_Hook]]]:
    handler = type("Hook", (_Hook,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def webhook_settings() -> dict[str, Any]:
    return {
        "budgets": [
            {
                "name": "proj",
                "scope": {"project": True},
                "period": "day",
                "amount_usd": 1,
                "alerts": [80],
                "webhook_env": "TEST_BUDGET_HOOK",
            }
        ]
    }


def test_webhook_receives_slack_json(
    store: Store, hook: tuple[str, type[_Hook]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = hook
    monkeypatch.setenv("TEST_BUDGET_HOOK", url)
    store.write_results([result(1, datetime(2025, 3, 1, 9), "0.9")])
    alerts = check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 10))
    assert [a.delivered for a in alerts] == [True] and alerts[0].warning is None
    assert len(handler.received) == 1
    content_type, payload = handler.received[0]
    assert content_type == "application/json" and set(payload) == {"text"}
    assert "proj" in payload["text"] and "80%" in payload["text"] and "spent $0.90 (90.0%)" in payload["text"]
    assert [e["delivered"] for e in budget_events(store)] == [True]
    assert check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 11)) == []
    assert len(handler.received) == 1


def test_webhook_server_error_is_a_warning_not_an_exception(
    store: Store, hook: tuple[str, type[_Hook]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = hook
    handler.status = 500
    monkeypatch.setenv("TEST_BUDGET_HOOK", url)
    monkeypatch.setattr(bud, "WEBHOOK_BACKOFF_S", 0.01)
    store.write_results([result(1, datetime(2025, 3, 1, 9), "2")])
    with httpx.Client() as client:
        alerts = check_alerts(
            store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 10), http_client=client
        )
    assert [a.delivered for a in alerts] == [False]
    assert alerts[0].warning is not None and "HTTP 500 (after 3 attempts)" in alerts[0].warning
    assert url not in alerts[0].warning
    assert len(handler.received) == 3  # 2 retries
    assert [e["delivered"] for e in budget_events(store)] == [False]
    assert "the next check this day sends it again" in alerts[0].warning


def test_failed_delivery_is_retried_by_the_next_check_then_marked_delivered(
    store: Store, hook: tuple[str, type[_Hook]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = hook
    handler.status = 503
    monkeypatch.setenv("TEST_BUDGET_HOOK", url)
    monkeypatch.setattr(bud, "WEBHOOK_BACKOFF_S", 0.01)
    store.write_results([result(1, datetime(2025, 3, 1, 9), "0.9")])
    alerts = check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 10))
    assert [a.delivered for a in alerts] == [False] and len(handler.received) == 3
    # still failing: the next check tries once more (one attempt, not three), and keeps it undelivered
    alerts = check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 11))
    assert [(a.thresholds, a.delivered) for a in alerts] == [([80.0], False)]
    assert "HTTP 503 (after 1 attempt)" in (alerts[0].warning or "")
    assert len(handler.received) == 4
    assert [e["delivered"] for e in budget_events(store)] == [False]
    # the webhook is back: the alert goes out once, and is marked delivered
    handler.status = 200
    alerts = check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 12))
    assert [(a.thresholds, a.delivered, a.warning) for a in alerts] == [([80.0], True, None)]
    assert len(handler.received) == 5 and "80%" in handler.received[-1][1]["text"]
    events = budget_events(store)
    assert [(e["threshold_pct"], e["delivered"]) for e in events] == [(80.0, True)]
    assert events[0]["fired_at"] == datetime(2025, 3, 1, 10)  # when it was first crossed
    assert check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 13)) == []
    assert len(handler.received) == 5


def test_undelivered_alerts_are_not_retried_after_their_period(
    store: Store, hook: tuple[str, type[_Hook]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = hook
    handler.status = 500
    monkeypatch.setenv("TEST_BUDGET_HOOK", url)
    monkeypatch.setattr(bud, "WEBHOOK_RETRIES", 0)
    store.write_results([result(1, datetime(2025, 3, 1, 9), "0.9")])
    assert [
        a.delivered for a in check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 10))
    ] == [False]
    handler.status = 200
    assert (
        check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 2, 10)) == []
    )  # a new day, no spend
    assert len(handler.received) == 1
    assert [e["delivered"] for e in budget_events(store)] == [False]


def test_undelivered_and_new_thresholds_go_out_in_one_message(
    store: Store, hook: tuple[str, type[_Hook]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = hook
    handler.status = 500
    monkeypatch.setenv("TEST_BUDGET_HOOK", url)
    monkeypatch.setattr(bud, "WEBHOOK_RETRIES", 0)
    settings = webhook_settings()
    settings["budgets"][0]["alerts"] = [50, 100]
    store.write_results([result(1, datetime(2025, 3, 1, 9), "0.6")])
    assert [a.thresholds for a in check_alerts(store, budgets_of(settings), datetime(2025, 3, 1, 10))] == [
        [50.0]
    ]
    handler.status = 200
    store.write_results([result(2, datetime(2025, 3, 1, 11), "0.6")])
    alerts = check_alerts(store, budgets_of(settings), datetime(2025, 3, 1, 12))
    assert [(a.thresholds, a.delivered) for a in alerts] == [([50.0, 100.0], True)]
    assert len(handler.received) == 2 and "exceeded 100%" in handler.received[-1][1]["text"]
    assert [(e["threshold_pct"], e["delivered"]) for e in budget_events(store)] == [
        (50.0, True),
        (100.0, True),
    ]


def test_a_url_that_failed_is_not_tried_again_in_the_same_check(
    store: Store, hook: tuple[str, type[_Hook]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = hook
    handler.status = 500
    monkeypatch.setenv("TEST_BUDGET_HOOK", url)
    monkeypatch.setattr(bud, "WEBHOOK_RETRIES", 0)
    settings = webhook_settings()
    settings["budgets"].append({**settings["budgets"][0], "name": "proj2"})
    store.write_results([result(1, datetime(2025, 3, 1, 9), "0.9")])
    alerts = check_alerts(store, budgets_of(settings), datetime(2025, 3, 1, 10))
    assert [(a.budget, a.delivered) for a in alerts] == [("proj", False), ("proj2", False)]
    assert len(handler.received) == 1
    assert "not tried again in this check" in (alerts[1].warning or "")
    handler.status = 200
    alerts = check_alerts(store, budgets_of(settings), datetime(2025, 3, 1, 11))
    assert [(a.budget, a.delivered) for a in alerts] == [("proj", True), ("proj2", True)]
    assert len(handler.received) == 3


def test_unset_variable_records_nothing_and_a_later_check_with_it_posts_once(
    store: Store, hook: tuple[str, type[_Hook]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = hook
    monkeypatch.delenv("TEST_BUDGET_HOOK", raising=False)
    store.write_results([result(1, datetime(2025, 3, 1, 9), "0.9")])
    # a developer's local eval without the variable: a warning each time, nothing used up
    for hour in (10, 11):
        alerts = check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, hour))
        assert [(a.thresholds, a.delivered) for a in alerts] == [([80.0], False)]
        assert "TEST_BUDGET_HOOK is not set" in (alerts[0].warning or "")
    assert budget_events(store) == [] and handler.received == []
    # CI, with the variable: posted once, then never again this period
    monkeypatch.setenv("TEST_BUDGET_HOOK", url)
    alerts = check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 12))
    assert [(a.thresholds, a.delivered, a.warning) for a in alerts] == [([80.0], True, None)]
    assert len(handler.received) == 1
    assert [(e["threshold_pct"], e["delivered"]) for e in budget_events(store)] == [(80.0, True)]
    assert check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 13)) == []
    monkeypatch.delenv("TEST_BUDGET_HOOK")
    assert (
        check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 14)) == []
    )  # delivered: no warning
    assert len(handler.received) == 1


def test_budgets_without_a_webhook_are_recorded_and_reported_once(store: Store) -> None:
    settings = webhook_settings()
    del settings["budgets"][0]["webhook_env"]
    store.write_results([result(1, datetime(2025, 3, 1, 9), "0.9")])
    alerts = check_alerts(store, budgets_of(settings), datetime(2025, 3, 1, 10))
    assert [(a.thresholds, a.delivered, a.warning) for a in alerts] == [([80.0], None, None)]
    assert [e["delivered"] for e in budget_events(store)] == [None]
    assert check_alerts(store, budgets_of(settings), datetime(2025, 3, 1, 11)) == []


def test_webhook_connection_refused_and_unset_variable(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("TEST_BUDGET_HOOK", f"http://127.0.0.1:{port}/hook")
    monkeypatch.setattr(bud, "WEBHOOK_BACKOFF_S", 0.01)
    store.write_results([result(1, datetime(2025, 3, 1, 9), "2")])
    alerts = check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 1, 10))
    assert [a.delivered for a in alerts] == [False]
    assert alerts[0].warning is not None and "ConnectError" in alerts[0].warning
    monkeypatch.delenv("TEST_BUDGET_HOOK")
    alerts = check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 2, 10))
    assert alerts == []  # nothing spent on March 2nd
    store.write_results([result(2, datetime(2025, 3, 2, 9), "2")])
    alerts = check_alerts(store, budgets_of(webhook_settings()), datetime(2025, 3, 2, 10))
    assert alerts[0].delivered is False and "TEST_BUDGET_HOOK is not set" in (alerts[0].warning or "")
