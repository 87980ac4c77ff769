"""`llmopsctl cost report|budget|review|price` through the CLI, on a quickstart project with known rows."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner, Result

from llmopsctl.cli.app import _Group
from llmopsctl.cli.cost import cost_app, parse_when
from llmopsctl.core.records import ResultRecord
from llmopsctl.errors import UsageError
from llmopsctl.store import Store
from llmopsctl.store.costs import budget_events

NOW = datetime.now(timezone.utc).replace(tzinfo=None)

# `llmopsctl cost ...` as app.py will register it, with the same error-to-exit-code mapping.
app = typer.Typer(cls=_Group, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(cost_app, name="cost")


@pytest.fixture
def proj(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings = yaml.safe_load((project / "llmops.yaml").read_text())
    settings["budgets"] = [
        {
            "name": "support-month",
            "scope": {"team": "support-ai"},
            "period": "month",
            "amount_usd": 1,
            "alerts": [50, 100],
        },
        {"name": "project-day", "scope": {"project": True}, "period": "day", "amount_usd": 100},
    ]
    (project / "llmops.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    monkeypatch.chdir(project)
    return project


def cost(*args: str) -> Result:
    return CliRunner().invoke(app, ["cost", *args])


def write(root: Path, rows: list[ResultRecord]) -> None:
    with Store.open(root / ".llmops" / "llmops.duckdb") as store:
        store.write_results(rows)


def row(key: str, cost_usd: str | None, at: datetime = NOW, **over: Any) -> ResultRecord:
    out: dict[str, Any] = {
        "run_id": "run1",
        "item_key": key,
        "suite": "triage",
        "prompt_name": "classify",
        "model_name": "gpt-4o-mini",
        "output": "billing",
        "input_tokens": 100,
        "output_tokens": 2,
        "cost_usd": Decimal(cost_usd) if cost_usd is not None else None,
        "cost_nominal_usd": Decimal(cost_usd) if cost_usd is not None else None,
        "cached": False,
        "passed": True,
        "team": "support-ai",
        "created_at": at,
    }
    out.update(over)
    return ResultRecord(**out)


def test_report_formats(proj: Path) -> None:
    write(proj, [row("a", "0.25"), row("b", None, model_name="keyword-baseline", team=None)])
    result = cost("report", "--by", "team,model", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [(r["team"], r["model"], r["spend"]) for r in doc["rows"]] == [
        ("support-ai", "gpt-4o-mini", "0.25"),
        (None, "keyword-baseline", None),
    ]
    assert doc["totals"]["unknown_cost"] == 1
    result = cost("report", "--by", "team", "--format", "md")
    assert result.exit_code == 0 and "| support-ai | $0.25 |" in result.stdout
    assert "unknown cost for 1 calls" in result.stdout
    result = cost("report", "--format", "csv", "--period", "month")
    assert result.exit_code == 0 and result.stdout.startswith("period_start,spend,calls")
    result = cost("report", "--by", "model")
    assert (
        result.exit_code == 0
        and "gpt-4o-mini" in result.stdout
        and "unknown cost for 1 calls" in result.stdout
    )
    result = cost("report", "--since", "2000-01-01", "--until", "2000-01-31")
    assert result.exit_code == 0 and "no calls in this range" in result.stdout


def test_report_replayed_answers_and_passes_of_unknown_cost(proj: Path) -> None:
    write(
        proj,
        [
            row("a", "0.5"),
            row("b", "0.5", passed=False),
            row("c", None, model_name="keyword-baseline"),  # a pass of unknown cost
            row("r", "0", source="replay", cost_nominal_usd=Decimal("0.5"), input_tokens=9000),
        ],
    )
    result = cost("report")
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "replayed" in out and "$1.00" in out  # $1 / the one pass of known cost
    assert "cost per passing case leaves out 1 passing case of unknown cost" in out
    assert "1 replayed answer (eval --replay, source replay) not counted in calls, tokens or spend" in out
    doc = json.loads(cost("report", "--by", "source", "--format", "json").stdout)
    assert [(r["source"], r["calls"], r["replayed"], r["input_tokens"]) for r in doc["rows"]] == [
        ("eval", 3, 0, 300),
        ("replay", 0, 1, 0),
    ]
    assert doc["totals"]["cost_per_pass"] == "1"
    help_text = " ".join(cost("report", "--help").stdout.split())
    assert "replayed" in help_text and "passes of calls of unknown cost are left out" in help_text


def test_report_usage_errors(proj: Path) -> None:
    write(proj, [])
    assert cost("report", "--by", "colour").exit_code == 2
    assert cost("report", "--since", "last tuesday").exit_code == 2
    assert cost("report", "--period", "year").exit_code == 2


def test_budget_exit_codes_and_notify(proj: Path) -> None:
    write(proj, [row("a", "0.6")])
    result = cost("budget", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = {b["budget"]: b for b in json.loads(result.stdout)}
    assert doc["support-month"]["spend_usd"] == "0.6" and doc["support-month"]["alerts_crossed"] == [50.0]
    assert doc["project-day"]["exceeded"] is False
    result = cost("budget", "--notify")
    assert result.exit_code == 0 and "support-month" in result.stdout and "alert 50%" in result.stdout
    assert "reached 50% of $1.00" in result.stderr
    assert "reached" not in cost("budget", "--notify").stderr  # recorded once
    write(proj, [row("b", "0.6")])
    result = cost("budget")
    assert result.exit_code == 1 and "EXCEEDED" in result.stdout
    assert "1 budget(s) exceeded: support-month" in result.stderr
    with Store.open(proj / ".llmops" / "llmops.duckdb", read_only=True) as store:
        assert [e["threshold_pct"] for e in budget_events(store)] == [50.0]
    # the same spend judged as of a moment in another month is within budget
    assert cost("budget", "--at", "2001-01-15").exit_code == 0


def test_budget_without_budgets_is_a_config_error(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    write(project, [])
    result = cost("budget")
    assert result.exit_code == 2 and "defines no budgets" in result.stderr


def test_review_markdown_and_json(proj: Path) -> None:
    write(proj, [row("a", "0.5", at=datetime(2025, 3, 3)), row("b", "0.2", at=datetime(2025, 2, 3))])
    result = cost("review", "--month", "2025-03")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# LLM cost review 2025-03 · support-triage\n")  # llmops.yaml `project`
    assert "| support-ai | $0.50 | $1.00 | 50.0% | $0.20 | +$0.30 (+150.0%) |" in result.stdout
    doc = json.loads(cost("review", "--month", "2025-03", "--format", "json").stdout)
    assert doc["totals"]["spend"] == "0.5" and doc["previous"]["spend"] == "0.2"
    assert doc["project"] == "support-triage"
    assert cost("review", "--month", "03/2025").exit_code == 2


def test_price_of_a_project_model_and_of_a_catalogue_id(proj: Path) -> None:
    result = cost("price", "gpt-4o-mini")
    assert result.exit_code == 0, result.output
    assert "models/gpt-4o-mini.yaml" in result.stdout and "model file's `pricing`" in result.stdout
    assert "$0.075 / M tokens" in result.stdout
    doc = json.loads(cost("price", "gpt-4o-mini", "--format", "json").stdout)
    assert doc["source"] == "override" and doc["per_million_usd"]["input"] == "0.15"
    doc = json.loads(
        cost("price", "o3", "--provider", "openai", "--at", "2025-01-01", "--format", "json").stdout
    )
    assert doc["source"] == "genai-prices" and doc["per_million_usd"]["input"] == "10"


def test_price_of_an_unknown_model_exits_1_saying_why(proj: Path) -> None:
    result = cost("price", "keyword-baseline")  # a python model of the project
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(
        "error: no known price for model keyword-baseline (models/keyword-baseline.yaml)"
    )
    assert "python models have no catalogue price" in result.stderr and "`price_as:" in result.stderr
    typo = cost("price", "gpt-4o-mnii")
    assert typo.exit_code == 1 and "Traceback" not in typo.output
    assert "no known price for 'gpt-4o-mnii': the catalogue has no model matching" in typo.stderr
    assert "did you mean 'gpt-4o-mini'?" in typo.stderr  # the project's model of that name
    as_json = cost("price", "no-such-model", "--provider", "openai", "--format", "json")
    assert as_json.exit_code == 1
    doc = json.loads(as_json.stdout)
    assert (
        doc["per_million_usd"] is None
        and doc["reason"] == "the catalogue has no model 'no-such-model' of openai"
    )


def test_price_of_a_model_priced_as_a_catalogue_model(proj: Path) -> None:
    (proj / "models" / "gateway.yaml").write_text(
        "provider: openai\nmodel: gpt-4o-mini\nbase_url: http://127.0.0.1:9/v1\napi_key_env: OPENAI_API_KEY\n"
        "price_as: {provider: openai, model: gpt-4o-mini}\n"
    )
    result = cost("price", "gateway")
    assert result.exit_code == 0, result.output
    assert "genai-prices" in result.stdout and "(the model file's `price_as`)" in result.stdout
    assert "$0.15 / M tokens" in result.stdout


def test_price_outside_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cost("price", "claude-3-5-haiku-latest")
    assert result.exit_code == 0 and "anthropic" in result.stdout and "$0.8 / M tokens" in result.stdout


def test_parse_when() -> None:
    assert parse_when("2025-03-31", "--until", end=True) == datetime(2025, 4, 1)
    assert parse_when("2025-03-31", "--since") == datetime(2025, 3, 31)
    assert parse_when("2025-03-31T10:00:00+02:00", "--at") == datetime(2025, 3, 31, 8)
    assert parse_when("2025-03-31T10:00:00Z", "--at") == datetime(2025, 3, 31, 10)
    assert parse_when(None, "--at") is None
    with pytest.raises(UsageError):
        parse_when("tomorrow", "--at")
