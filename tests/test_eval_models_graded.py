"""Model-graded and semantic assertions end to end: `llmopsctl eval` against the fake OpenAI-compatible
server, whose judge answers and embeddings decide the verdicts. Judge calls go through the engine: priced
apart from the graded call in `judge_calls`, cached, recorded and replayed."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from eval_helpers import (
    JUDGE,
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
    judge_calls,
    query,
    results,
)
from fake_llm_server import FakeLLMServer, choice_json, judged, verdict_json

GRADED = PRICED  # the graded model
EMBEDDER = ModelDef("embedder", model="text-embedding-3-small", pricing={"input": 0.02, "output": 0})
# The fake server's usage per chat call: 100 input tokens (40 of them cached), 20 output tokens.
GRADED_COST = Decimal("0.000024")  # (60 * 0.15 + 40 * 0.075 + 20 * 0.60) / 1e6
JUDGE_COST = Decimal("0.00014")  # (100 * 1.0 + 20 * 2.0) / 1e6: no cached_input price, input applies
EMBED_COST = Decimal("0.00000032")  # 2 texts x 8 tokens x 0.02 / 1e6


GradedProject = Callable[..., Path]


def suite(asserts: str, extra: str = "") -> dict[str, str]:
    body = "prompts: [ask]\nmodels: [priced]\ndatasets: [golden]\nassert:\n"
    return {"suites/smoke.yaml": body + textwrap.indent(textwrap.dedent(asserts), "  ") + extra}


LLM_JUDGE = """\
- type: llm-judge
  value: The output is exactly the word the user gave.
  config: {model: judge}
"""


def grades(text: str) -> str:
    """The fake judge: q001 is good, q002 bad, q003 gets an unreadable verdict every time."""
    if "w-q001" in text:
        return verdict_json(0.9, "repeats the word")
    if "w-q002" in text:
        return verdict_json(0.2, "adds nothing, misses the point")
    return "Looks fine to me, I would say it is good."


@pytest.fixture
def server(fake_server: StartServer) -> FakeLLMServer:
    return fake_server(judged(grades))


@pytest.fixture
def graded_project(eval_project: MakeProject) -> GradedProject:
    """`graded_project(server, asserts, cases=3, extra="")`: the graded model, the judge and the embedder
    calling `server`, and a suite asserting `asserts` (YAML list items) on the graded model's answers."""

    def make(server: FakeLLMServer, asserts: str, *, cases: Any = 3, extra: str = "") -> Path:
        models = [GRADED, JUDGE, EMBEDDER]
        return eval_project(server, cases=cases, models=models, files=suite(asserts, extra))

    return make


# --- llm-judge --------------------------------------------------------------------------------------


@pytest.fixture
def judged_run(graded_project: GradedProject, server: FakeLLMServer) -> tuple[Path, dict[str, Any]]:
    """One eval graded by `llm-judge` (see `grades`): the project and the eval's JSON summary."""
    root = graded_project(server, LLM_JUDGE)
    data = eval_json(root, code=1)  # q003's unreadable verdict is an error: the run is incomplete
    return root, data


def test_llm_judge_verdicts_pass_and_fail_cases_with_their_reasons(
    judged_run: tuple[Path, dict[str, Any]],
) -> None:
    root, data = judged_run
    assert (data["cases"], data["passed"], data["failed"], data["errors"]) == (3, 1, 1, 1)
    rows = by_case(results(root, data["run_id"]))
    assert rows["q001"]["passed"] is True and rows["q001"]["score"] == pytest.approx(0.9)
    assert rows["q002"]["passed"] is False and rows["q002"]["error"] is None
    scores = query(db_path(root), "SELECT * FROM scores WHERE result_id = ?", rows["q001"]["id"])
    assert scores[0]["scorer"] == "llm-judge" and "repeats the word" in scores[0]["reason"]


def test_an_unreadable_verdict_is_asked_for_twice_then_an_error_of_the_case(
    judged_run: tuple[Path, dict[str, Any]],
) -> None:
    root, data = judged_run
    bad = by_case(results(root, data["run_id"]))["q003"]
    assert bad["passed"] is None and bad["error_kind"] == "scorer"
    assert "judge model 'judge' gave no readable verdict of its own, twice" in bad["error"]
    assert "Looks fine to me" in bad["error"]  # the reply is quoted, shortened
    calls = judge_calls(root, data["run_id"])
    assert [c["result_id"] for c in calls].count(bad["id"]) == 2


def test_a_judge_that_repeats_its_instructions_back_never_passes(
    graded_project: GradedProject, fake_server: StartServer
) -> None:
    # Small local judges often copy the format they were shown; this one echoes everything it is sent.
    server = fake_server(judged(lambda text: text))
    root = graded_project(server, LLM_JUDGE, cases=2)
    data = eval_json(root, code=1)
    assert (data["passed"], data["failed"], data["errors"]) == (0, 0, 2)
    for row in results(root, data["run_id"]):
        assert row["passed"] is None and row["error_kind"] == "scorer"
        assert "gave no readable verdict of its own, twice" in row["error"]
    assert server.judge_count() == 4  # each asked once more, with the stricter instruction


def test_judge_calls_go_through_the_engine_priced_apart_from_the_graded_call(
    judged_run: tuple[Path, dict[str, Any]], server: FakeLLMServer
) -> None:
    root, data = judged_run
    rows = by_case(results(root, data["run_id"]))
    # The graded call's cost is its own; the judge's calls are rows of their own, at the judge's price.
    assert all(r["cost_usd"] == GRADED_COST and not r["cached"] for r in rows.values())
    calls = judge_calls(root, data["run_id"])
    assert server.judge_count() == len(calls) == 4  # q001, q002, and q003 asked twice
    for call in calls:
        assert (call["model_name"], call["model_id"], call["cached"]) == ("judge", "gpt-judge", False)
        assert (call["input_tokens"], call["output_tokens"], call["cached_input_tokens"]) == (100, 20, 40)
        assert call["cost_usd"] == call["cost_nominal_usd"] == JUDGE_COST
        assert call["price_source"] == "override" and call["price_version"]


def test_judge_answers_are_cached_like_graded_ones(
    judged_run: tuple[Path, dict[str, Any]], server: FakeLLMServer
) -> None:
    # Again: the graded calls and the judge's come from the cache, at no cost; same verdicts.
    root, first = judged_run
    before = server.count()
    again = eval_json(root, code=1)
    assert server.count() == before
    assert (again["passed"], again["failed"], again["errors"]) == (1, 1, 1)
    calls = judge_calls(root, again["run_id"])
    assert len(calls) == 4 and all(c["cached"] and c["cost_usd"] == 0 for c in calls)
    assert all(c["cost_nominal_usd"] == JUDGE_COST for c in calls)
    # ... each with the latency of the call that was cached, not 0
    original = {c["id"].split("/", 1)[1]: c["latency_ms"] for c in judge_calls(root, first["run_id"])}
    assert {c["id"].split("/", 1)[1]: c["latency_ms"] for c in calls} == pytest.approx(original, abs=0.05)
    assert all(c["latency_ms"] > 0 and c["queue_ms"] is None for c in calls)
    assert all(r["cached"] and r["cost_usd"] == 0 for r in results(root, again["run_id"]))


def test_a_judge_model_without_its_api_key_stops_before_any_request(
    eval_project: MakeProject, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUDGE_KEY", raising=False)
    judge = ModelDef("judge", model="gpt-judge", extra={"api_key_env": "JUDGE_KEY"})
    root = eval_project(server, cases=2, models=[GRADED, judge], files=suite(LLM_JUDGE))
    result = cli("-C", root, "eval", "-q")
    assert result.exit_code == 2, result.output
    assert "JUDGE_KEY" in result.stderr and "'judge'" in result.stderr and "Traceback" not in result.output
    assert server.count() == 0


def test_factuality_and_answer_relevance(
    graded_project: GradedProject, fake_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def verdicts(text: str) -> str:
        if "[Submission]:" in text:  # factuality: same facts for q001, a disagreement for q002
            return choice_json("C" if "w-q001" in text else "D", "compared")
        return verdict_json(0.8 if "w-q001" in text else 0.3, "on topic" if "w-q001" in text else "off")

    asserts = """\
    - type: factuality
      config: {model: judge}
    - type: answer-relevance
      config: {model: judge}
    """
    server = fake_server(judged(verdicts))
    root = graded_project(server, asserts, cases=2)
    data = eval_json(root)
    assert (data["passed"], data["failed"], data["errors"]) == (1, 1, 0)
    rows = by_case(results(root, data["run_id"]))
    scores = query(
        db_path(root), "SELECT * FROM scores WHERE run_id = ? ORDER BY result_id, idx", data["run_id"]
    )
    mine = {(s["result_id"], s["scorer"]): s for s in scores}
    good, bad = rows["q001"]["id"], rows["q002"]["id"]
    assert mine[good, "factuality"]["value"] == 1.0 and mine[good, "factuality"]["passed"]
    assert "(C) same details as the reference" in mine[good, "factuality"]["reason"]
    assert mine[bad, "factuality"]["value"] == 0.0 and not mine[bad, "factuality"]["passed"]
    assert mine[good, "answer-relevance"]["value"] == pytest.approx(0.8)
    assert mine[bad, "answer-relevance"]["passed"] is False
    # The question answer-relevance sends is the rendered prompt's last user message.
    relevance = [r for r in server.requests if "<question>" in r.text]
    assert len(relevance) == 2 and any("<question>\nw-q001\n</question>" in r.text for r in relevance)
    assert len(judge_calls(root, data["run_id"])) == 4 == server.judge_count()


# --- similar: embeddings -------------------------------------------------------------------------------


def test_similar_with_embeddings_from_the_server(
    graded_project: GradedProject, fake_server: StartServer
) -> None:
    cases = [
        {"id": "q001", "vars": {"word": "alpha"}, "expected": "alpha"},
        {"id": "q002", "vars": {"word": "beta"}, "expected": "orthogonal"},
    ]

    def vector(text: str) -> list[float]:
        return [0.0, 1.0, 0.0] if "orthogonal" in text else [1.0, 0.0, 0.2]

    asserts = """\
    - type: similar
      threshold: 0.9
      config: {model: embedder}
    """
    server = fake_server(embeddings=vector)
    root = graded_project(server, asserts, cases=cases)
    data = eval_json(root)
    assert (data["passed"], data["failed"], data["errors"]) == (1, 1, 0)
    rows = by_case(results(root, data["run_id"]))
    assert rows["q001"]["score"] == pytest.approx(1.0) and rows["q001"]["passed"] is True
    assert rows["q002"]["score"] == pytest.approx(0.0) and rows["q002"]["passed"] is False
    embeds = [r for r in server.requests if r.path == "/v1/embeddings"]
    assert len(embeds) == 2 and embeds[0].json["model"] == "text-embedding-3-small"
    assert sorted(tuple(r.json["input"]) for r in embeds) == [("alpha", "alpha"), ("beta", "orthogonal")]
    assert embeds[0].headers["authorization"] == f"Bearer {KEY}"
    calls = judge_calls(root, data["run_id"])
    assert len(calls) == 2
    for call in calls:
        assert (call["model_name"], call["input_tokens"], call["output_tokens"]) == ("embedder", 16, 0)
        assert call["cost_usd"] == EMBED_COST and not call["cached"]

    again = eval_json(root)
    assert server.count(path="/v1/embeddings") == 2  # nothing new: answered from the cache
    assert (again["passed"], again["failed"]) == (1, 1)
    calls = judge_calls(root, again["run_id"])
    assert len(calls) == 2 and all(c["cached"] and c["cost_usd"] == 0 for c in calls)
    assert all(c["cost_nominal_usd"] == EMBED_COST for c in calls)


# --- record and replay ---------------------------------------------------------------------------------


def test_replay_grades_offline_with_the_recorded_judge_answers_and_embeddings(
    graded_project: GradedProject, fake_server: StartServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    both = LLM_JUDGE + "- type: similar\n  config: {model: embedder}\n"
    server = fake_server(judged(grades))
    root = graded_project(server, both, cases=2)
    cassette = root / ".llmops" / "cassettes" / "smoke.jsonl"
    recorded = eval_json(root, "--record")
    assert server.judge_count() == 2 and server.count(path="/v1/embeddings") == 2
    fresh = cassette.read_text()
    # Recording again answers everything from the cache: the cassette must come out the same.
    cassette.unlink()
    before = server.count()
    eval_json(root, "--record")
    assert server.count() == before and cassette.read_text() == fresh
    server.stop()
    # The server is gone and the key too: the cassette answers graded, judge and embedding calls alike.
    monkeypatch.delenv(KEY_ENV)
    assert fresh.count("\n") == 6 and "gpt-judge" in fresh and "text-embedding-3-small" in fresh
    assert KEY not in fresh
    replayed = eval_json(root, "--replay")
    verdicts = {r["case_id"]: (r["passed"], r["score"]) for r in results(root, recorded["run_id"])}
    again = {r["case_id"]: (r["passed"], r["score"]) for r in results(root, replayed["run_id"])}
    assert again == verdicts
    assert {c: p for c, (p, _) in again.items()} == {"q001": True, "q002": False}
    calls = judge_calls(root, replayed["run_id"])
    judged_calls = [c for c in calls if c["model_name"] == "judge"]
    # Priced as recorded (the nominal cost), but a replay spends nothing.
    assert len(calls) == 4 and all(c["cost_nominal_usd"] == JUDGE_COST for c in judged_calls)
    assert all(c["cost_usd"] == 0 for c in calls)
    # The judge's latency is the recorded call's; a cassette keeps none for embeddings: unknown, not 0.
    assert all(c["latency_ms"] > 0 for c in judged_calls)
    assert all(c["latency_ms"] is None for c in calls if c["model_name"] == "embedder")

    # A judge call missing from the cassette is named, with the case it grades.
    lines = [ln for ln in fresh.splitlines() if "gpt-judge" not in ln or "w-q002" not in ln]
    cassette.write_text("\n".join(lines) + "\n")
    data = eval_json(root, "--replay", code=1)
    (bad,) = [r for r in results(root, data["run_id"]) if r["error"]]
    assert bad["case_id"] == "q002" and bad["error_kind"] == "scorer"
    assert "no recording for case 'q002' with model 'judge'" in bad["error"]
