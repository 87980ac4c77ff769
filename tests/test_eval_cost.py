"""Cost governance end to end through `llmopsctl eval` and the fake OpenAI-compatible server: the cost cap
(refusal on the estimate, a stop mid-run, --resume), price provenance on results, and budget alerts posted
to a webhook at the end of an eval."""

from __future__ import annotations

import json
import socket
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from eval_helpers import (
    JUDGE,
    PRICED,
    MakeProject,
    ModelDef,
    StartServer,
    cli,
    db_path,
    eval_json,
    latest_run,
    only_run,
    query,
    results,
    run_row,
)
from fake_llm_server import FakeLLMServer, judged, verdict_json

# Each call reports 100k output tokens: $0.060015 at PRICED's prices, while max_tokens 5 keeps the
# estimate of a call near $0.000004.
HUGE_USAGE = {"prompt_tokens": 100, "completion_tokens": 100_000, "cached_tokens": 0}
CALL_COST = Decimal("0.060015")
SMALL = ModelDef("priced", pricing=PRICED.pricing, extra={"params": {"max_tokens": 5}})
JUDGED_SUITE = """\
prompts: [ask]
models: [priced]
datasets: [golden]
assert:
  - type: llm-judge
    value: The output is the word the user gave.
    config: {model: judge}
"""


@pytest.fixture
def costly(fake_server: StartServer) -> FakeLLMServer:
    return fake_server(usage=HUGE_USAGE)


# --- the cost cap -------------------------------------------------------------------------------------


def test_a_cap_below_the_estimate_refuses_to_start_and_sends_nothing(
    eval_project: MakeProject, server: FakeLLMServer
) -> None:
    root = eval_project(server, cases=20, models=[PRICED])
    result = cli("-C", root, "eval", "-q", "--max-cost", "0.000001")
    assert result.exit_code == 1, result.output
    err = " ".join(result.stderr.split())  # rich wraps long lines
    assert "the run would cost about $0.00" in err and "over its cap of $0.000001" in err
    # How the estimate was made, once: tokens from prompt characters, max_tokens (defaulted), whose prices.
    assert err.count("estimated $") == 1 and "for 20 of 20 calls" in err and "(prompt characters / 4)" in err
    assert "256 where unset" in err and "priced (its model file's pricing)" in err
    assert "pricing " not in err  # no file hash: the model is named
    assert "Traceback" not in result.output and server.count() == 0
    run = only_run(root)
    assert run["status"] == "aborted" and run["note"] == "cost cap: estimate over the cap, nothing sent"
    assert results(root) == []


def test_spend_reaching_the_cap_mid_run_stops_it_and_resume_finishes_the_rest(
    eval_project: MakeProject, costly: FakeLLMServer
) -> None:
    root = eval_project(costly, cases=10, models=[SMALL])
    result = cli("-C", root, "eval", "-q", "-j", "1", "--max-cost", "0.1")
    assert result.exit_code == 1, result.output
    err = " ".join(result.stderr.split())
    assert "cost cap $0.10 reached, $0.12003 spent" in err
    run = only_run(root)
    assert f"finish with `llmopsctl eval --resume {run['id']} --max-cost USD`" in err  # the real run id
    assert run["status"] == "aborted" and run["note"] == "cost cap $0.10 reached, $0.12003 spent"
    # The call that crossed the cap is kept, and nothing was sent after it.
    done = results(root, run["id"])
    assert costly.count() == len(done) == 2
    assert all(r["error"] is None and r["cost_usd"] == CALL_COST for r in done)

    # A resume whose estimate is over its cap sends nothing and leaves the run as it was.
    refused = cli("-C", root, "eval", "-q", "--resume", run["id"], "--max-cost", "0.00000001")
    refusal = " ".join(refused.stderr.split())
    assert refused.exit_code == 1 and "over its cap of $0.00000001" in refusal
    assert f"`llmopsctl eval --resume {run['id']} --max-cost USD`" in refusal
    assert costly.count() == 2 and run_row(root, run["id"])["status"] == "aborted"

    resumed = eval_json(root, "--resume", run["id"], "--max-cost", "10", "-j", "1")
    assert resumed["run_id"] == run["id"] and resumed["cases"] == 8
    rows = results(root, run["id"])
    assert costly.count() == len(rows) == 10  # exactly the rest: no case twice
    assert sorted(r["case_id"] for r in rows) == [f"q{i:03d}" for i in range(1, 11)]
    finished = run_row(root, run["id"])
    assert finished["status"] == "complete" and finished["note"] is None


def test_a_suite_max_cost_caps_the_run_like_the_option(
    eval_project: MakeProject, costly: FakeLLMServer
) -> None:
    root = eval_project(costly, cases=6, models=[SMALL], suite_extra="max_cost: 0.1\n")
    result = cli("-C", root, "eval", "-q", "-j", "1")
    assert result.exit_code == 1 and "cost cap $0.10 reached" in " ".join(result.stderr.split())
    run = only_run(root)
    assert run["status"] == "aborted" and run["note"].startswith("cost cap")
    assert costly.count() == len(results(root)) == 2
    # --max-cost overrides the suite's cap, on a resume too.
    eval_json(root, "--resume", run["id"], "--max-cost", "1", "-j", "1")
    assert costly.count() == len(results(root)) == 6

    # The suite's cap refuses a run whose estimate is over it, as --max-cost does.
    extra = "max_cost: 0.0000001\n"
    root = eval_project(costly, cases=6, models=[PRICED], suite_extra=extra)
    before = costly.count()
    result = cli("-C", root, "eval", "-q", "--no-cache")
    assert result.exit_code == 1 and "over its cap of $0.0000001" in " ".join(result.stderr.split())
    assert costly.count() == before


def test_cached_answers_do_not_count_toward_the_cap(eval_project: MakeProject, costly: FakeLLMServer) -> None:
    root = eval_project(costly, cases=10, models=[SMALL])
    eval_json(root, "--case", "q00[1-4]", "-j", "1")  # $0.24 spent, and 4 answers cached
    assert costly.count() == 4
    result = cli("-C", root, "eval", "-q", "-j", "1", "--max-cost", "0.1")
    assert result.exit_code == 1
    run = latest_run(root)
    rows = results(root, run["id"])
    cached = [r for r in rows if r["cached"]]
    # The 4 cached answers cost nothing (their list price is kept as nominal cost); 2 new calls reach $0.1.
    assert len(cached) == 4 and all(r["cost_usd"] == 0 for r in cached)
    assert all(r["cost_nominal_usd"] == CALL_COST for r in cached)
    assert len(rows) == 6 and costly.count() == 6


def test_the_run_that_spends_its_cap_on_its_last_call_is_complete(
    eval_project: MakeProject, costly: FakeLLMServer
) -> None:
    root = eval_project(costly, cases=2, models=[SMALL])
    data = eval_json(root, "-j", "1", "--max-cost", "0.1")  # $0.12 spent, but nothing was left to send
    assert data["cases"] == 2 and data["runs"][0]["status"] == "complete"
    assert only_run(root)["note"] is None


def test_judge_calls_of_cached_answers_stop_at_the_cap(
    eval_project: MakeProject, fake_server: StartServer
) -> None:
    # The graded answers all come from the cache (free, so the estimate is $0), but a new rubric makes
    # every judge call new, at $0.2 each: the cap must stop them too, not only the graded calls.
    suite = JUDGED_SUITE.replace("prompts: [ask]", "prompts: [ask]\nconcurrency: 1")
    server = fake_server(judged(lambda _: verdict_json(1.0)), usage=HUGE_USAGE)
    files = {"suites/smoke.yaml": suite}
    root = eval_project(server, cases=6, models=[SMALL, JUDGE], files=files)
    eval_json(root, "--max-cost", "100")
    assert server.judge_count() == 6
    files = {"suites/smoke.yaml": suite.replace("the word", "exactly the word")}
    eval_project(server, cases=6, models=[SMALL, JUDGE], files=files)
    result = cli("-C", root, "eval", "-q", "--max-cost", "0.3")
    assert result.exit_code == 1 and "cost cap $0.30 reached" in " ".join(result.stderr.split())
    assert server.judge_count() == 6 + 2
    run = latest_run(root)
    assert len(results(root, run["id"])) == 2
    eval_json(root, "--resume", run["id"], "--max-cost", "100")
    assert server.judge_count() == 6 + 6 and len(results(root, run["id"])) == 6


def test_a_cap_refuses_to_start_when_models_have_no_price_unless_allowed(
    eval_project: MakeProject, fake_server: StartServer
) -> None:
    server = fake_server(judged(lambda _: verdict_json(1.0)))
    unpriced_judge = ModelDef("judge", model="gpt-judge")
    root = eval_project(
        server,
        cases=3,
        models=[PRICED, ModelDef("unpriced"), unpriced_judge],
        files={"suites/smoke.yaml": JUDGED_SUITE.replace("[priced]", "[priced, unpriced]")},
    )
    refused = cli("-C", root, "eval", "-q", "--max-cost", "5")
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    err = " ".join(refused.stderr.split())
    assert "the cost cap of $5.00 cannot hold: 9 of the 12 calls to make go to models without a price" in err
    assert "(judge, unpriced)" in err and "models/judge.yaml, models/unpriced.yaml" in err
    assert "`price_as: {provider: openai, model: gpt-4o-mini}`" in err and "--allow-unpriced" in err
    assert server.count() == 0 and query(db_path(root), "SELECT * FROM runs") == []
    allowed = eval_json(root, "--max-cost", "5", "--allow-unpriced")
    assert allowed["cases"] == 6 and server.count() == 12


def test_a_model_behind_a_gateway_priced_as_a_catalogue_model_is_capped(
    eval_project: MakeProject, costly: FakeLLMServer
) -> None:
    # The fake server stands for a gateway in front of OpenAI: the catalogue cannot know what it
    # charges, so the model file says which catalogue model it is billed as.
    gateway = ModelDef(
        "gateway",
        model="gpt-4o-mini",
        extra={"params": {"max_tokens": 5}, "price_as": {"provider": "openai", "model": "gpt-4o-mini"}},
    )
    root = eval_project(costly, cases=4, models=[gateway])
    result = cli("-C", root, "eval", "-q", "-j", "1", "--max-cost", "0.1")
    assert result.exit_code == 1, result.output
    err = " ".join(result.stderr.split())
    assert "at prices of gateway (genai-prices" in err and "openai / gpt-4o-mini)" in err
    rows = results(root)
    # 100 input and 100,000 output tokens at gpt-4o-mini's $0.15 and $0.60 per million: $0.060015 a call
    assert all(r["price_source"] == "genai-prices" and r["cost_usd"] == CALL_COST for r in rows)
    assert len(rows) == 2 and "cost cap $0.10 reached" in err


def test_the_run_shows_eval_and_judge_spend_and_their_total(
    eval_project: MakeProject, fake_server: StartServer
) -> None:
    # 3 graded calls at $0.000024 and 3 judge calls at $0.00014 (the judge's spend is 6x the graded calls')
    server = fake_server(judged(lambda _: verdict_json(1.0)))
    root = eval_project(server, cases=3, models=[PRICED, JUDGE], files={"suites/smoke.yaml": JUDGED_SUITE})
    data = eval_json(root)
    (run,) = data["runs"]
    assert (run["eval_cost_usd"], run["judge_cost_usd"], run["cost_usd"]) == (
        "0.000072",
        "0.00042",
        "0.000492",
    )
    assert (run["judge_calls"], run["judge_unknown_cost"], run["unknown_cost"]) == (3, 0, 0)
    assert (data["eval_cost_usd"], data["judge_cost_usd"], data["cost_usd"]) == (
        "0.000072",
        "0.00042",
        "0.000492",
    )
    text = cli("-C", root, "eval", "-q", "--no-cache")
    assert text.exit_code == 0, text.output
    assert "cost $0.000492: eval $0.000072, 3 judge calls $0.00042" in " ".join(text.stdout.split())


def test_the_estimate_counts_judge_calls_at_the_judges_prices(
    eval_project: MakeProject, fake_server: StartServer
) -> None:
    server = fake_server(judged(lambda _: verdict_json(1.0)))
    root = eval_project(server, cases=4, models=[SMALL, JUDGE], files={"suites/smoke.yaml": JUDGED_SUITE})
    result = cli("-C", root, "eval", "-q", "--max-cost", "1")
    assert result.exit_code == 0, result.output
    err = " ".join(result.stderr.split())
    assert "for 8 of 8 calls (4 graded, 4 judge)" in err
    assert "at prices of priced (its model file's pricing), judge (its model file's pricing)" in err
    # The graded calls alone (5 output tokens each) are far under this cap; their judges' are not.
    server.clear()
    refused = cli("-C", root, "eval", "-q", "--no-cache", "--max-cost", "0.0001")
    assert refused.exit_code == 1 and server.count() == 0
    assert "(4 graded, 4 judge)" in " ".join(refused.stderr.split())
    # Answers in the cache are free, and so are their judge calls (the same answer, the same request).
    cached = cli("-C", root, "eval", "-q", "--max-cost", "0.0001")
    assert cached.exit_code == 0 and "estimated $0 for 0 calls" in " ".join(cached.stderr.split())


def test_cached_answers_of_an_unpriced_model_spend_nothing_but_keep_an_unknown_price(
    eval_project: MakeProject, server: FakeLLMServer
) -> None:
    suite = (
        "prompts: [ask]\nmodels: [priced, unpriced]\ndatasets: [golden]\n"
        "assert:\n  - type: cost\n    value: 0.001\n"
    )
    root = eval_project(server, cases=2, files={"suites/smoke.yaml": suite})
    first = eval_json(root, code=0)
    again = eval_json(root)
    assert again["runs"][0]["cached"] == 4
    for run_id in (first["run_id"], again["run_id"]):
        rows = {r["model_name"]: r for r in results(root, run_id) if r["case_id"] == "q001"}
        unpriced, priced = rows["unpriced"], rows["priced"]
        assert unpriced["cost_nominal_usd"] is None and unpriced["price_source"] is None
        assert priced["cost_nominal_usd"] == Decimal("0.000024")
        # The `cost` assertion reads the list price, so its verdict does not depend on the cache.
        (verdict,) = query(db_path(root), "SELECT * FROM scores WHERE result_id = ?", unpriced["id"])
        assert verdict["passed"] is False and verdict["reason"] == "cost unknown"
        (verdict,) = query(db_path(root), "SELECT * FROM scores WHERE result_id = ?", priced["id"])
        assert verdict["passed"] is True and verdict["reason"] == "cost $0.000024 <= $0.001"
    cached = {r["model_name"]: r for r in results(root, again["run_id"])}
    assert cached["unpriced"]["cost_usd"] == 0  # a cached answer spends nothing


# --- price provenance ---------------------------------------------------------------------------------

PROMPT = """\
team: search
owner: alice@example.com
messages:
  - role: system
    content: Repeat the word you are given and nothing else.
  - role: user
    content: "{{ word }}"
"""


def test_results_carry_where_their_price_came_from(
    eval_project: MakeProject, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmopsctl.cost import pricing

    models = [PRICED, ModelDef("catalogue", model="gpt-4o-mini"), ModelDef("unpriced")]
    files = {"prompts/ask.yaml": PROMPT}  # with team and owner
    root = eval_project(server, cases=2, models=models, files=files)
    # A catalogue model id behind a base_url the catalogue does not know (this local server) is not
    # guessed at (see cost.pricing): its price is unknown. Make the catalogue take this URL for OpenAI's.
    url = server.base_url
    assert isinstance(pricing._lookup("openai", "gpt-4o-mini", url), str)  # why unknown, not a price
    openai = pricing._lookup("openai", "gpt-4o-mini", "https://api.openai.com/v1")
    monkeypatch.setitem(pricing._LOOKUPS, ("openai", url, "gpt-4o-mini"), openai)

    data = eval_json(root)
    rows = {r["model_name"]: r for r in results(root, data["run_id"]) if r["case_id"] == "q001"}
    assert rows["priced"]["price_source"] == "override"
    assert rows["priced"]["price_version"] == rows["priced"]["model_hash"]
    assert rows["priced"]["cost_usd"] == Decimal("0.000024")
    catalogue = rows["catalogue"]
    assert catalogue["price_source"] == "genai-prices"
    assert catalogue["price_version"].startswith("genai-prices ")
    assert catalogue["cost_usd"] == Decimal("0.000024")  # gpt-4o-mini: 0.15 / 0.075 cached / 0.60
    unknown = rows["unpriced"]
    assert unknown["price_source"] is None and unknown["price_version"] is None
    assert unknown["cost_usd"] is None and unknown["cost_nominal_usd"] is None
    assert all((r["team"], r["owner"]) == ("search", "alice@example.com") for r in rows.values())

    # Cached: nothing spent again; the list price is kept as nominal cost (unknown stays unknown).
    again = eval_json(root)
    for row in results(root, again["run_id"]):
        assert row["cached"] and row["cost_usd"] == 0 and row["team"] == "search"
        nominal = None if row["model_name"] == "unpriced" else Decimal("0.000024")
        assert row["cost_nominal_usd"] == nominal
        assert row["price_source"] == rows[row["model_name"]]["price_source"]


def test_replayed_answers_are_priced_as_recorded(eval_project: MakeProject, server: FakeLLMServer) -> None:
    # gpt-4o-mini behind a local server has no catalogue price (see test_results_carry_...): its
    # replayed answers must not be priced as if it were OpenAI's API.
    models = [PRICED, ModelDef("catalogue", model="gpt-4o-mini")]
    root = eval_project(server, cases=1, models=models)
    recorded = {r["model_name"]: r for r in results(root, eval_json(root, "--record")["run_id"])}
    replayed = {r["model_name"]: r for r in results(root, eval_json(root, "--replay")["run_id"])}
    for name in ("priced", "catalogue"):
        keys = ("price_source", "price_version")
        assert [replayed[name][k] for k in keys] == [recorded[name][k] for k in keys]
        # Nothing is spent on a replay; what the call would cost stays in the nominal cost.
        assert replayed[name]["cost_usd"] == 0
        assert replayed[name]["cost_nominal_usd"] == recorded[name]["cost_usd"]
        assert (recorded[name]["source"], replayed[name]["source"]) == ("eval", "replay")
    assert replayed["catalogue"]["cost_nominal_usd"] is None


def test_cost_report_keeps_replayed_answers_out_of_calls_and_tokens(
    eval_project: MakeProject, server: FakeLLMServer
) -> None:
    root = eval_project(server, cases=2, models=[PRICED])
    eval_json(root, "--record")
    report = cli("-C", root, "cost", "report", "--format", "json")
    assert report.exit_code == 0, report.output
    live = json.loads(report.stdout)["totals"]
    assert live["calls"] == 2 and live["replayed"] == 0
    for _ in range(2):
        eval_json(root, "--replay")
    report = cli("-C", root, "cost", "report", "--format", "json")
    totals = json.loads(report.stdout)["totals"]
    for key in ("calls", "spend", "input_tokens", "output_tokens", "passed", "cost_per_pass"):
        assert totals[key] == live[key], key
    assert totals["replayed"] == 4
    report = cli("-C", root, "cost", "report", "--by", "source", "--format", "json")
    by_source = {row["source"]: row for row in json.loads(report.stdout)["rows"]}
    assert set(by_source) == {"eval", "replay"}
    assert (by_source["replay"]["calls"], by_source["replay"]["replayed"]) == (0, 4)
    table = cli("-C", root, "cost", "report", "--by", "source")
    assert table.exit_code == 0 and "4 replayed answers" in " ".join(table.stdout.split())


# --- budget alerts --------------------------------------------------------------------------------------


class Webhook:
    """A local HTTP server recording the JSON bodies POSTed to it, answering `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[Any] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                hook.posts.append(json.loads(raw))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.daemon = True

    def __enter__(self) -> Webhook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/budget"


BUDGETS = """\
teams:
  - name: search
    owners: [alice@example.com]
budgets:
  - name: search-monthly
    scope: {team: search}
    period: month
    amount_usd: 0.0001
    alerts: [50, 100]
    webhook_env: BUDGET_HOOK
"""


def budget_project(eval_project: MakeProject, server: FakeLLMServer) -> Path:
    files = {"prompts/ask.yaml": PROMPT, "suites/smoke.yaml": JUDGED_SUITE}
    return eval_project(server, cases=3, models=[PRICED, JUDGE], settings=BUDGETS, files=files)


def test_budget_alert_posted_once_when_an_eval_crosses_it(
    eval_project: MakeProject, fake_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_server(judged(lambda _: verdict_json(1.0)))
    with Webhook() as hook:
        monkeypatch.setenv("BUDGET_HOOK", hook.url)
        root = budget_project(eval_project, server)
        # 3 graded calls at $0.000024 and 3 judge calls at $0.00014: $0.000492, over 100% of $0.0001.
        result = cli("-C", root, "eval", "-q")
        assert result.exit_code == 0, result.output
        err = " ".join(result.stderr.split())
        assert "budget alert: llmopsctl budget search-monthly (team search, month" in err
        assert "exceeded 100% of $0.0001: spent $0.000492" in err
        assert len(hook.posts) == 1 and set(hook.posts[0]) == {"text"}  # one Slack-style message
        assert "search-monthly" in hook.posts[0]["text"] and "100%" in hook.posts[0]["text"]
        events = query(db_path(root), "SELECT * FROM budget_events ORDER BY threshold_pct")
        assert [(e["threshold_pct"], e["delivered"]) for e in events] == [(50.0, True), (100.0, True)]

        # Once per threshold per period: a second eval (more spend) posts nothing.
        result = cli("-C", root, "eval", "-q", "--no-cache")
        assert result.exit_code == 0 and "budget alert" not in result.stderr
        assert len(hook.posts) == 1

    budget = cli("-C", root, "cost", "budget")
    assert budget.exit_code == 1 and "search-monthly" in budget.output and "EXCEEDED" in budget.output
    report = cli("-C", root, "cost", "report", "--by", "source", "--format", "json")
    assert report.exit_code == 0, report.output
    doc = json.loads(report.stdout)
    by_source = {row["source"]: row for row in doc["rows"]}
    assert set(by_source) == {"eval", "judge"}
    assert by_source["eval"]["calls"] == 6 and by_source["judge"]["calls"] == 6
    assert Decimal(str(by_source["judge"]["spend"])) == Decimal("0.00084")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("failure", ["500", "refused"])
def test_a_failing_webhook_is_a_warning_and_the_eval_still_passes(
    eval_project: MakeProject, fake_server: StartServer, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    import llmopsctl.cost.budgets as budgets

    monkeypatch.setattr(budgets, "WEBHOOK_BACKOFF_S", 0.01)
    server = fake_server(judged(lambda _: verdict_json(1.0)))
    with Webhook(status=500) as hook:
        url = hook.url if failure == "500" else f"http://127.0.0.1:{free_port()}/hooks"
        monkeypatch.setenv("BUDGET_HOOK", url)
        root = budget_project(eval_project, server)
        result = cli("-C", root, "eval", "-q")
    assert result.exit_code == 0, result.output
    err = " ".join(result.stderr.split())
    assert "budget alert: llmopsctl budget search-monthly" in err
    assert "warning: budget alert 'search-monthly' not delivered to $BUDGET_HOOK" in err
    assert ("HTTP 500 (after 3 attempts)" in err) == (failure == "500")
    assert url not in err  # the webhook URL is usually a secret
    assert len(hook.posts) == (3 if failure == "500" else 0)
    events = query(db_path(root), "SELECT delivered FROM budget_events")
    assert events and all(e["delivered"] is False for e in events)
