"""Cost report and monthly review numbers on a small hand-made database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llmopsctl.core.records import JudgeCallRecord, ResultRecord
from llmopsctl.cost.report import cost_report, parse_dims
from llmopsctl.cost.review import monthly_review, parse_month
from llmopsctl.errors import StoreError, UsageError
from llmopsctl.project.records import settings
from llmopsctl.report.cost_report import render_csv, render_json, render_markdown
from llmopsctl.report.cost_review import review_json, review_markdown
from llmopsctl.store import Store
from llmopsctl.store.costs import COST_TABLE_COLUMNS, aggregate_calls, write_judge_calls

D = Decimal


def res(key: str, at: datetime, **over: Any) -> ResultRecord:
    row: dict[str, Any] = {
        "run_id": "run1",
        "item_key": key,
        "suite": "s1",
        "prompt_name": "p1",
        "model_name": "m1",
        "output": "answer",
        "input_tokens": 0,
        "output_tokens": 0,
        "cached": False,
        "passed": True,
        "team": "A",
        "owner": "ann",
        "environment": "ci",
        "created_at": at,
    }
    row.update(over)
    return ResultRecord(**row)


def fill(store: Store) -> None:
    store.write_results(
        [
            res(
                "r1",
                datetime(2025, 3, 5, 10),
                input_tokens=1000,
                cached_input_tokens=200,
                output_tokens=100,
                reasoning_tokens=20,
                cost_usd=D("0.01"),
                cost_nominal_usd=D("0.01"),
            ),
            res(
                "r2",
                datetime(2025, 3, 6),
                model_name="m2",
                cached=True,
                input_tokens=500,
                output_tokens=50,
                cost_usd=D(0),
                cost_nominal_usd=D("0.02"),
            ),
            res(
                "r3",
                datetime(2025, 3, 10),
                team="B",
                owner="bob",
                prompt_name="p2",
                input_tokens=300,
                output_tokens=30,
                cost_usd=None,
                cost_nominal_usd=None,
                passed=False,
            ),
            # a provider error: no answer, so not a call
            res(
                "r4",
                datetime(2025, 3, 11),
                team="B",
                output=None,
                input_tokens=None,
                output_tokens=None,
                passed=None,
                error="HTTP 500",
                error_kind="provider",
            ),
            res(
                "r5",
                datetime(2025, 2, 20),
                cost_usd=D("0.05"),
                cost_nominal_usd=D("0.05"),
                input_tokens=10,
                cache_write_tokens=4,
                output_tokens=1,
            ),
        ]
    )
    write_judge_calls(
        store,
        [
            JudgeCallRecord(
                result_id="run1/r1",
                model_name="judge",
                input_tokens=400,
                output_tokens=10,
                cost_usd=D("0.002"),
                cost_nominal_usd=D("0.002"),
                created_at=datetime(2025, 3, 5, 10),
            ),
            JudgeCallRecord(
                result_id="run1/r3",
                model_name="judge",
                team="C",
                input_tokens=200,
                output_tokens=5,
                cost_usd=D("0.003"),
                cost_nominal_usd=D("0.003"),
                created_at=datetime(2025, 3, 10),
            ),
        ],
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "r.duckdb") as s:
        fill(s)
        yield s


MARCH = {"since": datetime(2025, 3, 1), "until": datetime(2025, 4, 1)}


def test_totals_for_march(store: Store) -> None:
    report = cost_report(store, **MARCH)
    t = report.totals
    assert report.rows and report.rows[0]["calls"] == 5  # without --by: one row, the totals
    assert t["spend"] == D("0.015") and isinstance(t["spend"], Decimal)
    assert (t["calls"], t["unknown_cost"], t["cached_calls"]) == (5, 1, 1)
    assert t["cache_hit_rate"] == pytest.approx(0.2)
    # tokens of calls made: the cached answer (r2) adds none
    assert (t["input_tokens"], t["cached_input_tokens"], t["cache_write_tokens"]) == (1900, 200, 0)
    assert (t["output_tokens"], t["reasoning_tokens"]) == (145, 20)
    assert t["cache_savings"] == D("0.02")
    assert (t["eval_spend"], t["passed"], t["cost_per_pass"]) == (D("0.01"), 2, D("0.005"))


def test_by_team_with_judge_calls_taking_their_result_team(store: Store) -> None:
    rows = cost_report(store, by=["team"], **MARCH).rows
    assert [(r["team"], r["spend"], r["calls"], r["unknown_cost"]) for r in rows] == [
        ("A", D("0.012"), 3, 0),
        ("C", D("0.003"), 1, 0),
        ("B", None, 1, 1),  # only an unknown cost: spend unknown, listed last
    ]


def test_by_source_and_model_and_two_dimensions(store: Store) -> None:
    rows = cost_report(store, by=["source"], **MARCH).rows
    assert [(r["source"], r["spend"], r["calls"]) for r in rows] == [
        ("eval", D("0.01"), 3),
        ("judge", D("0.005"), 2),
    ]
    assert rows[1]["cost_per_pass"] is None  # judge calls pass nothing
    rows = cost_report(store, by=["model"], **MARCH).rows
    assert [(r["model"], r["spend"]) for r in rows] == [
        ("m1", D("0.01")),
        ("judge", D("0.005")),
        ("m2", D(0)),
    ]
    rows = cost_report(store, by=["owner", "environment"], **MARCH).rows
    assert {(r["owner"], r["environment"]): r["calls"] for r in rows} == {("ann", "ci"): 3, ("bob", "ci"): 2}


def test_periods_and_date_range(store: Store) -> None:
    rows = cost_report(store, period="month").rows
    assert [(r["period_start"], r["spend"], r["calls"]) for r in rows] == [
        (datetime(2025, 2, 1), D("0.05"), 1),
        (datetime(2025, 3, 1), D("0.015"), 5),
    ]
    assert rows[0]["cache_write_tokens"] == 4
    weeks = cost_report(store, period="week", since=datetime(2025, 3, 1)).rows
    assert [w["period_start"] for w in weeks] == [datetime(2025, 3, 3), datetime(2025, 3, 10)]  # Mondays
    days = aggregate_calls(
        store, by=["team"], period="day", since=datetime(2025, 3, 10), until=datetime(2025, 3, 11)
    )
    assert [(d["period_start"], d["team"], d["calls"]) for d in days] == [
        (datetime(2025, 3, 10), "C", 1),
        (datetime(2025, 3, 10), "B", 1),
    ]
    assert cost_report(store, since=datetime(2030, 1, 1)).totals["calls"] == 0


def test_bad_dimensions_and_periods() -> None:
    assert parse_dims("team, Model,team") == ["team", "model"]
    assert parse_dims(None) == []
    with pytest.raises(UsageError, match="unknown dimension"):
        parse_dims("team,colour")


def test_unknown_dimension_never_reaches_sql(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown cost dimension"):
        aggregate_calls(store, by=["team; DROP TABLE results"])
    with pytest.raises(StoreError, match="unknown period"):
        aggregate_calls(store, period="year")


def test_renderers(store: Store) -> None:
    report = cost_report(store, by=["team"], **MARCH)
    md = render_markdown(report)
    assert md.startswith("| team | spend | calls |")
    assert "| A | $0.012 | 3 |" in md and "| total |" in md
    assert "unknown cost for 1 calls" in md
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert [(r["team"], r["spend"]) for r in rows] == [("A", "0.012"), ("C", "0.003"), ("B", "")]
    doc = json.loads(render_json(report))
    assert doc["totals"]["spend"] == "0.015" and doc["totals"]["cost_per_pass"] == "0.005"
    assert doc["rows"][2]["spend"] is None and doc["by"] == ["team"]
    assert doc["since"] == "2025-03-01T00:00:00"


SETTINGS: dict[str, Any] = {
    "teams": [{"name": "A"}, {"name": "D"}],
    "budgets": [
        {"name": "a-month", "scope": {"team": "A"}, "period": "month", "amount_usd": 0.024},
        {"name": "proj", "scope": {"project": True}, "period": "month", "amount_usd": 1},
        {"name": "a-day", "scope": {"team": "A"}, "period": "day", "amount_usd": 5},
    ],
}


def test_monthly_review(store: Store) -> None:
    review = monthly_review(store, settings(None, SETTINGS), parse_month("2025-03"))
    assert (review["month"], review["previous_month"]) == ("2025-03", "2025-02")
    assert review["totals"]["spend"] == D("0.015") and review["previous"]["spend"] == D("0.05")
    assert review["change"]["change"] == D("-0.035") and review["change"]["change_pct"] == pytest.approx(-70)
    teams = {t["team"]: t for t in review["teams"]}
    assert list(teams) == ["A", "C", "B", "D"]
    assert teams["A"]["budget"] == D("0.024") and teams["A"]["budget_pct"] == pytest.approx(50)
    assert teams["A"]["previous"] == D("0.05") and teams["B"]["unknown_cost"] == 1
    assert teams["D"]["spend"] == 0 and teams["D"]["budget"] is None
    assert [p["prompt"] for p in review["prompts"]] == ["p1", "p2"]
    assert review["prompts"][0]["spend"] == D("0.012")
    assert [m["model"] for m in review["models"]] == ["m1", "judge", "m2"]
    assert review["totals"]["cost_per_pass"] == D("0.005") and review["previous"]["cost_per_pass"] == D(
        "0.05"
    )
    md = review_markdown(review)
    assert md.startswith("# LLM cost review 2025-03")
    assert "**Spend:** $0.015 (-$0.035 (-70.0%) against 2025-02: $0.05)" in md
    assert "project budget $1.00, 1.5% used" in md
    assert "| A | $0.012 | $0.024 | 50.0% | $0.05 | -$0.038 (-76.0%) |" in md
    assert "cost per passing case: $0.005 ($0.05 in 2025-02, -90.0%)" in md
    assert "unknown-cost calls: 1 (0 in 2025-02)" in md
    assert "| B | $0 (+1 of unknown cost) | - | - | $0 | ±$0 |" in md
    assert "cache savings: $0.02 ($0 in 2025-02)" in md
    doc = json.loads(review_json(review))
    assert doc["totals"]["spend"] == "0.015" and doc["teams"][0]["budget"] == "0.024"


def test_parse_month() -> None:
    assert parse_month("2024-12") == datetime(2024, 12, 1)
    with pytest.raises(UsageError):
        parse_month("2024-13")
    with pytest.raises(UsageError):
        parse_month("March")


def test_january_review_compares_with_december(store: Store) -> None:
    store.write_results([res("d1", datetime(2024, 12, 31, 23, 59), cost_usd=D("1"))])
    store.write_results([res("j1", datetime(2025, 1, 1), cost_usd=D("3"))])
    review = monthly_review(store, settings(None, {}), datetime(2025, 1, 15))
    assert review["previous_month"] == "2024-12"
    assert (review["totals"]["spend"], review["previous"]["spend"]) == (D("3"), D("1"))
    assert review["change"]["change_pct"] == pytest.approx(200)


def test_cost_column_lists_match_the_schema(store: Store) -> None:
    for table, columns in COST_TABLE_COLUMNS.items():
        _, rows = store.query(f"DESCRIBE {table}")
        assert {r[0]: r[1].replace(" ", "") for r in rows} == {
            c: t.replace(" ", "") for c, t in columns.items()
        }


def test_judge_call_defaults_and_unknown_keys(store: Store) -> None:
    write_judge_calls(
        store, [JudgeCallRecord(result_id="run1/r1", model_name="j"), JudgeCallRecord(result_id="run1/r1")]
    )
    _, rows = store.query(
        "SELECT id, run_id, created_at IS NOT NULL FROM judge_calls "
        "WHERE model_name IS NULL OR model_name = 'j' ORDER BY id"
    )
    assert rows == [("run1/r1/judge/0", "run1", True), ("run1/r1/judge/1", "run1", True)]
    with pytest.raises(TypeError, match="colour"):  # a judge call record has only the table's columns
        write_judge_calls(store, [JudgeCallRecord(result_id="x/y", colour="red")])  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="result_id"):
        write_judge_calls(store, [JudgeCallRecord(model_name="j")])  # type: ignore[call-arg]
    with pytest.raises(StoreError, match="needs an id or a result_id"):
        write_judge_calls(store, [JudgeCallRecord(result_id="", model_name="j")])


@pytest.fixture
def replays(store: Store) -> dict[str, Any]:
    """Two replayed answers, and the replayed judge call of one, added to `store` in March; returns
    March's report totals from before they were."""
    before = cost_report(store, **MARCH).totals
    store.write_results(
        [
            res(
                f"replay{n}",
                datetime(2025, 3, 12),
                source="replay",
                input_tokens=5000,
                output_tokens=500,
                cost_usd=D(0),  # nothing spent
                cost_nominal_usd=D("0.5"),  # the list price
            )
            for n in range(2)
        ]
    )
    write_judge_calls(  # the replayed answer's judge, replayed too
        store,
        [
            JudgeCallRecord(
                result_id="run1/replay0",
                model_name="judge",
                input_tokens=900,
                output_tokens=9,
                cost_usd=D(0),
                cost_nominal_usd=D("0.009"),
                created_at=datetime(2025, 3, 12),
            )
        ],
    )
    return before


def test_replayed_answers_are_not_calls_tokens_or_spend(store: Store, replays: dict[str, Any]) -> None:
    before = replays
    t = cost_report(store, **MARCH).totals
    keys = ("spend", "calls", "input_tokens", "output_tokens", "unknown_cost", "cached_calls")
    assert {k: t[k] for k in keys} == {k: before[k] for k in keys}
    assert (t["cache_savings"], t["passed"], t["cost_per_pass"]) == (D("0.02"), 2, D("0.005"))
    assert t["replayed"] == 3 and before["replayed"] == 0


@pytest.mark.usefixtures("replays")
def test_replayed_answers_are_a_source_of_their_own(store: Store) -> None:
    rows = {r["source"]: r for r in cost_report(store, by=["source"], **MARCH).rows}
    assert list(rows) == ["eval", "judge", "replay"]
    assert (rows["replay"]["calls"], rows["replay"]["replayed"], rows["replay"]["spend"]) == (0, 3, D(0))
    assert rows["replay"]["input_tokens"] == 0 and rows["replay"]["cost_per_pass"] is None
    assert (rows["eval"]["calls"], rows["judge"]["calls"]) == (3, 2)


@pytest.mark.usefixtures("replays")
def test_the_markdown_report_counts_replayed_answers_apart(store: Store) -> None:
    md = render_markdown(cost_report(store, by=["source"], **MARCH))
    assert md.startswith("| source | spend | calls |") and "| replayed |" in md.splitlines()[0]
    assert "| replay | $0 | 0 |" in md
    assert "3 replayed answers (eval --replay, source replay) not counted in calls, tokens or spend" in md
    assert "replayed" not in render_markdown(
        cost_report(store, since=datetime(2025, 2, 1), until=MARCH["since"])
    )


@pytest.mark.usefixtures("replays")
def test_json_and_csv_reports_carry_the_replayed_count(store: Store) -> None:
    report = cost_report(store, **MARCH)
    doc = json.loads(render_json(report))
    assert doc["totals"]["replayed"] == 3
    (csv_row,) = csv.DictReader(io.StringIO(render_csv(report)))
    assert csv_row["replayed"] == "3"


@pytest.mark.usefixtures("replays")
def test_the_monthly_review_counts_replayed_answers_apart(store: Store) -> None:
    review = monthly_review(store, settings(None, {}), parse_month("2025-03"))
    assert review["totals"]["calls"] == 5 and review["totals"]["replayed"] == 3
    assert [s["source"] for s in review["sources"]] == ["eval", "judge", "replay"]
    md = review_markdown(review)
    assert "| replay | $0 | 0 (+3 replayed) |" in md and "- 3 replayed answers" in md


def test_cost_per_passing_case_leaves_out_passes_of_unknown_cost(store: Store) -> None:
    # two more passes of a model without a price: they cannot be divided into the known spend
    store.write_results(
        [res(f"u{n}", datetime(2025, 3, 12), model_name="local", cost_usd=None) for n in range(2)]
    )
    report = cost_report(store, **MARCH)
    t = report.totals
    assert (t["eval_spend"], t["passed"], t["passed_unknown_cost"]) == (D("0.01"), 4, 2)
    assert t["cost_per_pass"] == D("0.005")  # $0.01 / the 2 passes of known cost, not / 4
    rows = {r["model"]: r for r in cost_report(store, by=["model"], **MARCH).rows}
    assert rows["local"]["cost_per_pass"] is None and rows["local"]["passed_unknown_cost"] == 2
    assert rows["m1"]["cost_per_pass"] == D("0.01")
    note = "leaves out 2 passing cases of unknown cost"
    assert f"cost per passing case {note}" in render_markdown(report)
    assert json.loads(render_json(report))["totals"]["passed_unknown_cost"] == 2
    md = review_markdown(monthly_review(store, settings(None, {}), parse_month("2025-03")))
    assert f"cost per passing case: $0.005 ($0.05 in 2025-02, -90.0%) — {note}" in md
    # A cached answer of a model without a price spent nothing, but what its pass costs is unknown, not $0.
    cached = res("u3", datetime(2025, 3, 12), model_name="local", cost_usd=D(0), cached=True)
    store.write_results([cached])
    rows = {r["model"]: r for r in cost_report(store, by=["model"], **MARCH).rows}
    assert rows["local"]["passed_unknown_cost"] == 3 and rows["local"]["cost_per_pass"] is None
    # without passes of unknown cost, no note
    assert "leaves out" not in render_markdown(
        cost_report(store, since=datetime(2025, 2, 1), until=MARCH["since"])
    )
