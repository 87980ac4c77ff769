"""`llmopsctl eval` end to end against a fault-injecting OpenAI-compatible server: provenance, cost,
retries, the response cache, cassettes and secret hygiene."""

from __future__ import annotations

import itertools
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import pytest

from eval_helpers import (
    KEY,
    KEY_ENV,
    PRICED,
    MakeProject,
    ModelDef,
    StartServer,
    by_case,
    cli,
    db_path,
    eval_json,
    latest_run,
    only_run,
    results,
    run_row,
)
from fake_llm_server import RESPONSE_MODEL, FakeLLMServer, last_user_message

# 60 fresh input tokens at 0.15, 40 cached at 0.075 and 20 output at 0.60, per million: exactly 0.000024
COST_PER_CALL = Decimal("0.000024")


# --- 1. the happy path --------------------------------------------------------------------------------


@pytest.fixture
def two_models(eval_project: MakeProject, server: FakeLLMServer) -> tuple[Path, dict[str, Any]]:
    """One eval of 3 cases on the `priced` and `unpriced` models: the project and the eval's JSON summary."""
    root = eval_project(server, cases=3)
    return root, eval_json(root)


def test_two_models_every_case_passes_at_the_exact_cost(two_models: tuple[Path, dict[str, Any]]) -> None:
    _, data = two_models
    assert (data["cases"], data["passed"], data["failed"], data["errors"]) == (6, 6, 0, 0)
    assert Decimal(str(data["cost_usd"])) == 3 * COST_PER_CALL  # the unpriced model adds nothing, not 0s


def test_every_result_with_provenance_and_exact_cost(two_models: tuple[Path, dict[str, Any]]) -> None:
    from llmopsctl.validate.project import load_checked_project

    root, data = two_models
    rows = results(root, data["run_id"])
    assert len(rows) == 6 and len({r["item_key"] for r in rows}) == 6
    project = load_checked_project(root)
    for row in rows:
        assert row["prompt_name"] == "ask" and row["prompt_hash"] == project.prompts["ask"].hash
        assert row["model_hash"] == project.models[row["model_name"]].hash
        assert row["dataset_name"] == "golden" and row["dataset_hash"] == project.datasets["golden"].hash
        assert row["response_model"] == RESPONSE_MODEL and row["model_id"] == f"gpt-{row['model_name']}"
        assert row["response_id"].startswith("chatcmpl-") and row["finish_reason"] == "stop"
        # OpenAI's prompt_tokens include the cached ones: input 100 of which 40 cached
        assert (row["input_tokens"], row["cached_input_tokens"], row["output_tokens"]) == (100, 40, 20)
        assert row["output"] == f"w-{row['case_id']}" and row["passed"] is True and row["error"] is None
        assert row["attempts"] == 1 and row["cached"] is False and row["request_hash"]
        if row["model_name"] == "priced":
            assert isinstance(row["cost_usd"], Decimal) and row["cost_usd"] == COST_PER_CALL
        else:
            assert row["cost_usd"] is None  # unknown, never 0
    assert len({r["response_id"] for r in rows}) == 6


def test_the_run_records_its_plan_status_and_content_hashes(two_models: tuple[Path, dict[str, Any]]) -> None:
    from llmopsctl.project.loader import load_project

    root, data = two_models
    project = load_project(root)
    run = only_run(root)
    assert run["id"] == data["run_id"] and run["status"] == "complete" and run["planned"] == 6
    assert (run["git_sha"], run["git_branch"], run["git_dirty"]) == (None, None, None)  # not a git repo
    hashes = json.loads(run["hashes"])
    assert hashes["prompts"] == {"ask": project.prompts["ask"].hash}
    assert set(hashes["models"]) == {"priced", "unpriced"}


def test_each_case_is_one_authenticated_chat_request(
    two_models: tuple[Path, dict[str, Any]], server: FakeLLMServer
) -> None:
    assert server.count() == 6
    for request in server.requests:
        assert request.path == "/v1/chat/completions"
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert request.json["model"] in ("gpt-priced", "gpt-unpriced")
        assert [m["role"] for m in request.json["messages"]] == ["system", "user"]


def test_the_text_report_shows_an_unknown_cost_as_a_question_mark(
    two_models: tuple[Path, dict[str, Any]],
) -> None:
    # the unpriced model's cost is "?", the priced one's a dollar amount
    root, _ = two_models
    text = cli("-C", root, "eval", "--no-cache")
    assert text.exit_code == 0, text.output
    lines = {ln.split("│")[2].strip(): ln for ln in text.stdout.splitlines() if ln.count("│") > 3}
    assert "?" in lines["unpriced"].split("│")[8] and "$" in lines["priced"].split("│")[8]


def test_git_provenance_of_a_run(eval_project: MakeProject, server: FakeLLMServer) -> None:
    git = pytest.importorskip("git")
    root = eval_project(server, cases=2, models=[PRICED])
    (root / ".gitignore").write_text(".llmops/\n")
    repo = git.Repo.init(root)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.com")
    repo.git.add(A=True)
    repo.index.commit("project")

    clean = eval_json(root)
    run = run_row(root, clean["run_id"])
    assert run["git_sha"] == repo.head.commit.hexsha
    assert run["git_branch"] == repo.active_branch.name
    assert run["git_dirty"] is False

    (root / "notes.txt").write_text("uncommitted\n")
    dirty = eval_json(root)
    run = run_row(root, dirty["run_id"])
    assert run["git_sha"] == repo.head.commit.hexsha and run["git_dirty"] is True
    repo.close()


# --- 2. reliability -----------------------------------------------------------------------------------


def test_faults_are_retried_and_a_case_failing_every_attempt_is_one_error_row(
    eval_project: MakeProject, fake_server: StartServer
) -> None:
    faults = {
        "w-q002": ["429"],
        "w-q003": ["500"],
        "w-q004": ["hang"],  # past the 0.5 s client timeout
        "w-q005": ["malformed"],
        "w-q006": ["drop"],
        "w-q007": "503",  # every attempt
        "w-q009": "400",  # not worth retrying
    }
    server = fake_server({"w-q008": "a wrong answer"}, faults)
    root = eval_project(server, cases=9, models=[PRICED])
    data = eval_json(root, code=1)
    counts = {c: server.count(f"w-{c}") for c in ("q001", "q002", "q007", "q009")}
    assert (data["cases"], data["passed"], data["failed"], data["errors"]) == (9, 6, 1, 2)

    rows = results(root, data["run_id"])
    assert len(rows) == 9 and len({r["item_key"] for r in rows}) == 9  # nothing lost, nothing twice
    cases = by_case(rows)
    assert cases["q001"]["attempts"] == 1
    for cid in ("q002", "q003", "q004", "q005", "q006"):
        assert cases[cid]["attempts"] == 2 and cases[cid]["error"] is None, cid
        assert cases[cid]["passed"] is True and cases[cid]["output"] == f"w-{cid}"
    gave_up = cases["q007"]
    assert gave_up["error_kind"] == "provider" and gave_up["attempts"] == 3 and gave_up["passed"] is None
    assert "HTTP 503" in gave_up["error"] and "gave up after 3 attempts" in gave_up["error"]
    assert "priced" in gave_up["error"] and gave_up["output"] is None and gave_up["cost_usd"] is None
    rejected = cases["q009"]
    assert (
        rejected["attempts"] == 1 and "HTTP 400" in rejected["error"] and rejected["error_kind"] == "provider"
    )
    wrong = cases["q008"]  # a failed assertion is not an error
    assert wrong["error"] is None and wrong["passed"] is False
    assert counts == {"q001": 1, "q002": 2, "q007": 3, "q009": 1}
    run = only_run(root)
    assert run["status"] == "incomplete"

    # the errors are what --resume retries; the server has recovered by now
    server.faults.clear()
    before = server.count()
    resumed = eval_json(root, "--resume", data["run_id"])
    assert server.count() - before == 2 and resumed["cases"] == 2 and resumed["errors"] == 0
    rows = results(root, data["run_id"])
    assert len(rows) == 9 and not any(r["error"] for r in rows)
    assert sum(1 for r in rows if r["passed"] is False) == 1
    run = only_run(root)
    assert run["status"] == "complete"


def test_model_concurrency_limit_is_respected(eval_project: MakeProject, fake_server: StartServer) -> None:
    limited = ModelDef("priced", pricing=PRICED.pricing, extra={"limits": {"concurrency": 2}})
    server = fake_server(delay_s=0.03)
    root = eval_project(server, cases=12, models=[limited])
    eval_json(root, "-j", "8")
    assert server.max_in_flight == 2  # reached, never passed


def test_latency_excludes_the_wait_for_a_models_concurrency_slot(
    eval_project: MakeProject, fake_server: StartServer
) -> None:
    delay_ms, n = 100.0, 8
    limited = ModelDef("priced", pricing=PRICED.pricing, extra={"limits": {"concurrency": 1}})
    server = fake_server(delay_s=delay_ms / 1000)
    root = eval_project(server, cases=n, models=[limited])
    data = eval_json(root, "-j", "8")
    assert server.max_in_flight == 1
    rows = results(root, data["run_id"])
    latency = [r["latency_ms"] for r in rows]
    queued = sorted(r["queue_ms"] for r in rows)
    assert all(x >= delay_ms * 0.9 for x in latency)  # each call waits for the server's delay
    # The calls went one at a time, so their own latencies add up to about the span of the requests the
    # server saw (with room for the client's overhead); with the queue counted in they add up to n(n+1)/2.
    arrivals = sorted(r.at for r in server.requests)
    span_ms = (arrivals[-1] - arrivals[0]) * 1000
    assert sum(latency) <= span_ms + max(latency) + n * delay_ms / 2
    # ... and the wait is queue time: the last call in line waited for the n - 1 calls before it.
    assert queued[-1] >= (n - 1) * delay_ms * 0.9 and queued[0] >= 0


def test_recovered_faults_complete_the_run_and_retry_after_is_honoured(
    eval_project: MakeProject, fake_server: StartServer
) -> None:
    server = fake_server(faults={"w-q001": ["429-1"], "w-q002": ["503", "drop"]})
    root = eval_project(server, cases=3, models=[PRICED])
    data = eval_json(root)
    first, second = (r.at for r in server.requests if "w-q001" in r.text)
    assert (data["passed"], data["errors"]) == (3, 0)
    assert second - first >= 0.9  # Retry-After: 1
    cases = by_case(results(root, data["run_id"]))
    assert (cases["q001"]["attempts"], cases["q002"]["attempts"], cases["q003"]["attempts"]) == (2, 3, 1)
    run = only_run(root)
    assert run["status"] == "complete"


# --- 4. the response cache -----------------------------------------------------------------------------


@pytest.fixture
def cached(eval_project: MakeProject, server: FakeLLMServer) -> tuple[Path, dict[str, Any]]:
    """A project of 3 cases on the `priced` model after one eval, which cached its 3 answers: the project
    and that eval's JSON summary."""
    root = eval_project(server, cases=3, models=[PRICED])
    return root, eval_json(root)


def test_a_second_run_is_answered_from_the_cache_at_no_cost(
    cached: tuple[Path, dict[str, Any]], server: FakeLLMServer
) -> None:
    root, first = cached
    assert server.count() == 3

    again = eval_json(root)
    assert server.count() == 3 and again["runs"][0]["cached"] == 3 and again["passed"] == 3
    assert again["cost_usd"] == "0"
    rows = results(root, again["run_id"])
    assert all(r["cached"] and r["cost_usd"] == 0 and r["attempts"] == 0 for r in rows)
    assert all(r["cost_nominal_usd"] == COST_PER_CALL for r in rows)  # what it would have cost
    before = by_case(results(root, first["run_id"]))
    assert all(r["output"] == before[r["case_id"]]["output"] for r in rows)
    assert all(r["response_id"] == before[r["case_id"]]["response_id"] for r in rows)


def test_no_cache_calls_the_model_again_and_refreshes_the_entries(
    cached: tuple[Path, dict[str, Any]], server: FakeLLMServer
) -> None:
    root, _ = cached
    fresh = eval_json(root, "--no-cache")
    assert server.count() == 6 and fresh["runs"][0]["cached"] == 0
    assert not any(r["cached"] for r in results(root, fresh["run_id"]))

    stats = cli("-C", root, "cache", "stats")  # one entry per request still, not one per call
    assert stats.exit_code == 0 and "3 cached responses: 3 live, 0 expired" in stats.stdout


def test_expired_entries_are_asked_again_and_refreshed(
    cached: tuple[Path, dict[str, Any]], server: FakeLLMServer
) -> None:
    root, _ = cached
    expire_all(root)  # the cache's clock moves on
    assert "0 live, 3 expired" in cli("-C", root, "cache", "stats").stdout
    expired = eval_json(root)
    assert server.count() == 6 and expired["runs"][0]["cached"] == 0
    assert "3 cached responses: 3 live, 0 expired" in cli("-C", root, "cache", "stats").stdout  # refreshed


def test_cache_clear_expired_removes_the_expired_entries(
    cached: tuple[Path, dict[str, Any]], server: FakeLLMServer
) -> None:
    root, _ = cached
    expire_all(root)
    cleared = cli("-C", root, "cache", "clear", "--expired")
    assert cleared.exit_code == 0 and "removed 3 cached responses" in cleared.stdout
    assert "0 cached responses" in cli("-C", root, "cache", "stats").stdout
    eval_json(root)
    assert server.count() == 6


def test_cache_clear_removes_the_live_entries(
    cached: tuple[Path, dict[str, Any]], server: FakeLLMServer
) -> None:
    root, _ = cached
    cleared = cli("-C", root, "cache", "clear")
    assert cleared.exit_code == 0 and "removed 3 cached responses" in cleared.stdout
    eval_json(root)
    assert server.count() == 6


def expire_all(root: Path) -> None:
    con = duckdb.connect(str(db_path(root)))
    con.execute("UPDATE cache SET expires_at = now()::TIMESTAMP - INTERVAL 1 DAY")
    con.close()


def test_ttl_from_llmops_yaml_expires_entries(eval_project: MakeProject, server: FakeLLMServer) -> None:
    root = eval_project(server, cases=2, models=[PRICED], settings="  cache_ttl: 0\n")
    eval_json(root)
    eval_json(root)
    assert server.count() == 4  # a zero TTL: nothing is ever reused


def test_repeats_are_separate_samples_and_cached_apart(
    eval_project: MakeProject, fake_server: StartServer
) -> None:
    counter = itertools.count()

    def varying(body: dict[str, Any]) -> str:
        return f"{last_user_message(body)}#{next(counter)}"

    server = fake_server(varying)
    root = eval_project(server, cases=2, models=[PRICED])
    first = eval_json(root, "--repeat", "3")
    assert server.count() == 6
    second = eval_json(root, "--repeat", "3")
    assert server.count() == 6 and second["runs"][0]["cached"] == 6
    one = results(root, first["run_id"])
    two = results(root, second["run_id"])
    assert len(one) == len(two) == 6
    for cid in ("q001", "q002"):
        mine = [r for r in one if r["case_id"] == cid]
        assert sorted(r["repeat_index"] for r in mine) == [0, 1, 2]
        assert len({r["output"] for r in mine}) == 3  # three samples, not one answer three times
    assert [r["output"] for r in one] == [r["output"] for r in two]


# --- 5. record and replay --------------------------------------------------------------------------------


class Recorded(NamedTuple):
    root: Path
    server: FakeLLMServer
    cassette: Path
    recorded: bytes  # the cassette as the first recording wrote it


@pytest.fixture
def recorded(eval_project: MakeProject, fake_server: StartServer) -> Recorded:
    """A project of 3 cases on two models, evaluated once with --record."""
    server = fake_server()
    root = eval_project(server, cases=3)
    eval_json(root, "--record")
    cassette = root / ".llmops" / "cassettes" / "smoke.jsonl"
    return Recorded(root, server, cassette, cassette.read_bytes())


@pytest.fixture
def offline(recorded: Recorded, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The recorded project with its server gone and no API key: only the cassette can answer."""
    recorded.server.stop()
    monkeypatch.delenv(KEY_ENV)
    return recorded.root


def test_the_cassette_holds_every_answer_sorted_and_no_secret(recorded: Recorded) -> None:
    entries = [json.loads(line) for line in recorded.recorded.decode().splitlines()]
    assert len(entries) == 6
    assert all(set(e) == {"key", "model", "messages", "params", "response"} for e in entries)
    assert all(e["response"]["latency_ms"] >= 0 for e in entries)  # the call's latency, replayed with it
    assert [e["key"] for e in entries] == sorted(e["key"] for e in entries)
    assert KEY.encode() not in recorded.recorded and b"authorization" not in recorded.recorded.lower()
    assert b"bearer" not in recorded.recorded.lower() and b"127.0.0.1" not in recorded.recorded


def test_recording_again_writes_the_same_cassette(recorded: Recorded) -> None:
    root, server, cassette = recorded.root, recorded.server, recorded.cassette
    cassette.unlink()  # recording again, the answers coming from the response cache
    eval_json(root, "--record", "-j", "1")
    assert cassette.read_bytes() == recorded.recorded and server.count() == 6
    cassette.unlink()  # and from the server, in another order: the same but for the new calls' latencies
    eval_json(root, "--record", "--no-cache", "-j", "6")
    assert without_latency(cassette.read_bytes()) == without_latency(recorded.recorded)
    assert server.count() == 12


def without_latency(cassette: bytes) -> list[dict[str, Any]]:
    entries = [json.loads(line) for line in cassette.decode().splitlines()]
    for entry in entries:
        del entry["response"]["latency_ms"]
    return entries


def test_record_and_replay_exclude_each_other(recorded: Recorded) -> None:
    both = cli("-C", recorded.root, "eval", "--record", "--replay")
    assert both.exit_code == 2 and "exclude each other" in both.stderr


def test_replay_answers_offline_from_the_cassette(offline: Path) -> None:
    replayed = eval_json(offline, "--replay")
    assert (replayed["cases"], replayed["passed"], replayed["errors"]) == (6, 6, 0)
    rows = results(offline, replayed["run_id"])
    assert all(r["response_model"] == RESPONSE_MODEL and not r["cached"] for r in rows)


def test_replayed_and_cached_answers_bring_their_calls_latency_never_0(
    recorded: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cassette = recorded.root, recorded.cassette
    first = latest_run(root)["id"]
    live = {r["item_key"]: r["latency_ms"] for r in results(root, first)}
    assert all(x > 0 for x in live.values())
    cached = eval_json(root)  # from the response cache: the latency of the call that was cached
    assert {r["item_key"]: r["latency_ms"] for r in results(root, cached["run_id"])} == pytest.approx(
        live, abs=0.05
    )
    recorded.server.stop()
    monkeypatch.delenv(KEY_ENV)
    replayed = eval_json(root, "--replay")
    rows = results(root, replayed["run_id"])
    assert {r["item_key"]: r["latency_ms"] for r in rows} == pytest.approx(live, abs=0.05)
    assert all(r["source"] == "replay" and r["queue_ms"] is None for r in rows)
    diffed = cli("-C", root, "diff", "--base", first, "--head", replayed["run_id"])
    assert diffed.exit_code == 0, diffed.output
    assert "(head: 6 from a cassette)" in diffed.stdout

    # A cassette recorded before latencies were kept replays them as unknown, not as 0 ms.
    lines = [json.loads(line) for line in cassette.read_text().splitlines()]
    for entry in lines:
        del entry["response"]["latency_ms"]
    cassette.write_text("".join(json.dumps(e) + "\n" for e in lines))
    old = eval_json(root, "--replay")
    assert all(r["latency_ms"] is None for r in results(root, old["run_id"]))
    gate = cli("-C", root, "gate", "--base", first, "--replay", "--max-p95-latency-ms", "1")
    assert gate.exit_code == 0, gate.output
    assert re.search(r"p95 latency unknown, max_p95_latency_ms=1(\.0)? not checked", gate.stdout)
    assert "6 replayed or cached with no latency kept" in gate.stdout


def test_replay_names_a_case_the_cassette_has_no_answer_for(offline: Path) -> None:
    with (offline / "datasets" / "golden.jsonl").open("a") as out:
        out.write(json.dumps({"id": "q999", "vars": {"word": "new"}, "expected": "new"}) + "\n")
    missing = eval_json(offline, "--replay", "--model", "priced", code=1)
    assert (missing["passed"], missing["errors"]) == (3, 1)
    (row,) = [r for r in results(offline, missing["run_id"]) if r["error"]]
    assert row["case_id"] == "q999" and row["error_kind"] == "replay"
    assert "'q999'" in row["error"] and "eval --record" in row["error"]


# --- 6. secrets ------------------------------------------------------------------------------------------


def test_the_api_key_is_nowhere_even_when_the_server_echoes_it(
    eval_project: MakeProject, fake_server: StartServer
) -> None:
    faults = {"w-q002": "echo-auth", "w-q003": "echo-auth-400", "w-q004": ["echo-auth"]}
    server = fake_server(faults=faults)
    root = eval_project(server, cases=4, models=[PRICED])
    run = cli("-C", root, "eval", "--record")
    assert run.exit_code == 1, run.output
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    cases = by_case(results(root))
    assert "[REDACTED]" in cases["q002"]["error"] and "[REDACTED]" in cases["q003"]["error"]
    assert cases["q004"]["error"] is None and cases["q004"]["attempts"] == 2

    run_id = only_run(root)["id"]
    outputs = [run.stdout, run.stderr]
    for args in (
        ["runs", "show", run_id, "--failed"],
        ["runs", "show", run_id, "--format", "json"],
        ["runs", "list"],
        ["sql", "SELECT * FROM results", "--format", "json"],
        ["sql", "SELECT * FROM scores", "--format", "csv"],
    ):
        shown = cli("-C", root, *args)
        assert shown.exit_code == 0, shown.output
        outputs += [shown.stdout, shown.stderr]
    assert any("[REDACTED]" in out for out in outputs)
    secret_part = KEY.removeprefix("sk-")
    for out in outputs:
        assert secret_part not in out
    files = [db_path(root), db_path(root).with_suffix(".duckdb.wal"), root / ".llmops/cassettes/smoke.jsonl"]
    files += list((root / ".llmops").rglob("*"))
    for path in files:
        if path.is_file():
            assert secret_part.encode() not in path.read_bytes(), path
