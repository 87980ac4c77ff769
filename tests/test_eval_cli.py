"""`llmopsctl eval` as a user meets it: configuration errors, filters, offline providers, and the
process-level behaviour (kill -9 and --resume, Ctrl-C, a second process on the same database)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import llmopsctl
from eval_helpers import (
    FLAT_PRICED,
    KEY,
    KEY_ENV,
    MakeProject,
    ModelDef,
    StartServer,
    cli,
    db_path,
    eval_json,
    only_run,
    query,
    results,
)
from fake_llm_server import FakeLLMServer

# --- 3. and 12.: configuration errors --------------------------------------------------------------------


def test_missing_api_key_exits_2_naming_the_variable_before_any_request(
    eval_project: MakeProject, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV)
    root = eval_project(server, cases=3)
    result = cli("-C", root, "eval")
    assert result.exit_code == 2
    assert KEY_ENV in result.stderr and "not set" in result.stderr and "Traceback" not in result.output
    assert server.count() == 0
    assert query(db_path(root), "SELECT * FROM runs") == []


def test_a_broken_project_file_is_listed_with_its_position(
    eval_project: MakeProject, server: FakeLLMServer
) -> None:
    broken = "messages:\n  - role: user\n    content: [unclosed\n"
    root = eval_project(server, files={"prompts/ask.yaml": broken})
    result = cli("-C", root, "eval")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "prompts/ask.yaml:4:1:" in result.stderr and "YAML" in result.stderr

    root = eval_project(server, files={"suites/smoke.yaml": "prompts: [ask]\nmodels: []\n"})
    result = cli("-C", root, "eval")
    assert result.exit_code == 2 and "the project has 2 problem(s)" in result.stderr
    lines = result.stderr.splitlines()
    assert any(ln.startswith("suites/smoke.yaml:1:1:") and "datasets" in ln for ln in lines)
    assert any(ln.startswith("suites/smoke.yaml:2:9:") and "$.models" in ln for ln in lines)
    assert server.count() == 0


@pytest.mark.timeout(30)
def test_a_provider_bug_fails_its_cases_without_hanging_the_run(
    eval_project: MakeProject, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmopsctl.providers.openai import OpenAIProvider

    def buggy(self: OpenAIProvider, data: dict[str, object]) -> None:
        raise KeyError("choices")  # not a ProviderError: a bug in the provider (or a plugin)

    # More cases than the work queue holds and one worker: a worker dying on it left the run waiting forever.
    monkeypatch.setattr(OpenAIProvider, "parse_response", buggy)
    root = eval_project(server, cases=300, models=[FLAT_PRICED])
    data = eval_json(root, "-j", "1", code=1)
    assert (data["cases"], data["errors"]) == (300, 300)
    rows = results(root, data["run_id"])
    assert len(rows) == 300 and all(r["error"] == "openai model 'priced': KeyError: 'choices'" for r in rows)
    assert all(r["attempts"] == 1 for r in rows)  # not retried


@pytest.mark.parametrize("bad", ["\r", "\n", " ", "é"])
def test_an_api_key_that_cannot_be_sent_is_refused_without_showing_it(
    eval_project: MakeProject, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY + bad)  # e.g. read from a file with Windows line ends
    root = eval_project(server, cases=2)
    result = cli("-C", root, "eval")
    assert result.exit_code == 2 and KEY_ENV in result.stderr and "Traceback" not in result.output
    assert KEY.removeprefix("sk-") not in result.output and server.count() == 0


@pytest.mark.timeout(30)
def test_an_engine_crash_stops_the_run_with_an_error_instead_of_hanging(
    eval_project: MakeProject, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmopsctl.engine.execute import Executor

    async def crash(self: Executor, prep: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Executor, "_call", crash)  # the one worker dies at once; 300 items fill the queue
    root = eval_project(server, cases=300, models=[FLAT_PRICED])
    result = cli("-C", root, "eval", "-j", "1", "-q")
    assert result.exit_code == 3 and "RuntimeError: disk on fire" in result.stderr
    run = only_run(root)
    assert run["status"] == "aborted"


# --- 9. filters --------------------------------------------------------------------------------------


def test_prompt_model_case_and_tag_filters(eval_project: MakeProject, server: FakeLLMServer) -> None:
    root = eval_project(server, cases=6, prompts=("ask", "ask2"))

    def picked(*args: str) -> set[tuple[str, str, str]]:
        data = eval_json(root, *args)
        rows = results(root, data["run_id"])
        assert data["cases"] == len(rows)
        return {(r["prompt_name"], r["model_name"], r["case_id"]) for r in rows}

    assert len(picked()) == 24
    assert picked("--prompt", "ask", "--model", "priced") == {
        ("ask", "priced", f"q00{i}") for i in range(1, 7)
    }
    assert {c for _, _, c in picked("--case", "q00[12]", "-m", "un*")} == {"q001", "q002"}
    assert len(picked("--case", "q00[12]", "-m", "un*")) == 4  # 2 cases x 2 prompts
    assert {c for _, _, c in picked("--tag", "even")} == {"q002", "q004", "q006"}

    unknown = cli("-C", root, "eval", "--prompt", "nope")
    assert unknown.exit_code == 2 and "no prompt matching nope" in unknown.stderr


def test_sample_is_seeded(eval_project: MakeProject, server: FakeLLMServer) -> None:
    root = eval_project(server, cases=12, models=[FLAT_PRICED])

    def sample(seed: int) -> list[str]:
        data = eval_json(root, "--sample", "4", "--seed", str(seed))
        return [r["case_id"] for r in results(root, data["run_id"])]

    first = sample(7)
    assert len(first) == 4 and sample(7) == first
    assert any(sample(seed) != first for seed in (1, 2, 3))


# --- 11. offline providers ------------------------------------------------------------------------------

APP = """\
def answer(vars, case_id):
    if case_id == "q002":
        raise ValueError("no answer for q002")
    return vars["word"]{suffix}
"""


def test_python_and_echo_providers_offline(
    eval_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    import llmopsctl.providers.python as python_provider

    monkeypatch.delenv(KEY_ENV)
    models = [ModelDef("app", provider="python", model="app.py:answer"), ModelDef("echo", provider="echo")]
    root = eval_project(cases=4, models=models, files={"app.py": APP.format(suffix="")})
    data = eval_json(root, code=1)
    assert (data["cases"], data["passed"], data["failed"], data["errors"]) == (8, 7, 0, 1)
    assert data["cost_usd"] is None  # no pricing: unknown, not 0
    rows = results(root, data["run_id"])
    (error,) = [r for r in rows if r["error"]]
    assert error["model_name"] == "app" and error["case_id"] == "q002" and error["error_kind"] == "provider"
    assert "ValueError: no answer for q002" in error["error"]
    assert all(r["output"] == f"w-{r['case_id']}" for r in rows if not r["error"])

    # The user's code changes: the next run must call it again, not answer from the cache.
    (root / "app.py").write_text(APP.format(suffix=".upper()"))
    monkeypatch.setattr(python_provider, "_FILE_MODULES", {})  # as in a new process
    again = eval_json(root, "--model", "app", code=1)
    rows = results(root, again["run_id"])
    assert again["runs"][0]["cached"] == 0 and again["failed"] == 3
    assert {r["output"] for r in rows if not r["error"]} == {"W-Q001", "W-Q003", "W-Q004"}


# --- 7. and 8.: processes ----------------------------------------------------------------------------


def spawn(root: Path, *args: str) -> subprocess.Popen[bytes]:
    src = str(Path(llmopsctl.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p))
    cmd = [sys.executable, "-m", "llmopsctl", "-C", str(root), "eval", *args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def slow_server(fake_server: StartServer) -> FakeLLMServer:
    return fake_server(delay_s=0.05)


@pytest.mark.timeout(60)
def test_kill_9_then_resume_finishes_every_case_exactly_once(
    eval_project: MakeProject, slow_server: FakeLLMServer
) -> None:
    root = eval_project(slow_server, cases=200, models=[FLAT_PRICED])
    proc = spawn(root, "-j", "2", "-q")
    try:
        # Results are written at least every second; 60 calls at 2 x 50 ms take 1.5 s.
        wait_for(lambda: slow_server.count() >= 60 or proc.poll() is not None, "60 calls")
    finally:
        proc.kill()
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    run = only_run(root)
    assert run["status"] == "running"
    committed = len(results(root))
    assert 0 < committed < 200

    slow_server.delay_s = 0
    data = eval_json(root, "--resume", run["id"])
    assert data["run_id"] == run["id"] and data["cases"] == 200 - committed and data["errors"] == 0
    rows = results(root)
    assert sorted(r["case_id"] for r in rows) == [f"q{i:03d}" for i in range(1, 201)]  # each once
    assert all(r["run_id"] == run["id"] and r["error"] is None for r in rows)
    run = only_run(root)
    assert run["status"] == "complete"


@pytest.mark.timeout(60)
def test_ctrl_c_saves_the_results_so_far_and_exits_130(
    eval_project: MakeProject, slow_server: FakeLLMServer
) -> None:
    root = eval_project(slow_server, cases=200, models=[FLAT_PRICED])
    proc = spawn(root, "-j", "2")
    try:
        wait_for(lambda: slow_server.count() >= 10 or proc.poll() is not None, "10 calls")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr.decode()
    run = only_run(root)
    assert run["status"] == "interrupted"
    text = stderr.decode()
    assert "interrupted" in text and f"--resume {run['id']}" in text and "Traceback" not in text
    saved = results(root)
    assert 0 < len(saved) <= slow_server.count() and len({r["item_key"] for r in saved}) == len(saved)


@pytest.mark.timeout(60)
def test_a_second_process_is_told_the_database_is_in_use(
    eval_project: MakeProject, slow_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmopsctl.store import Store

    # The second process waits for the lock this long (5 s by default) before it gives up.
    monkeypatch.setitem(Store.open.__func__.__kwdefaults__, "lock_timeout_s", 0.3)  # type: ignore[attr-defined]
    root = eval_project(slow_server, cases=200, models=[FLAT_PRICED])
    holder = spawn(root, "-j", "2", "-q")
    try:
        wait_for(lambda: slow_server.count() >= 1 or holder.poll() is not None, "the first process")
        assert holder.poll() is None
        second = cli("-C", root, "eval")
        reader = cli("-C", root, "runs", "list")
    finally:
        holder.kill()
        holder.wait(10)
    for result in (second, reader):
        assert result.exit_code == 2, result.output
        assert "in use" in result.stderr and "Traceback" not in result.output


def test_python_provider_file_imports_its_sibling_modules(eval_project: MakeProject) -> None:
    # the provider runs a file relative to the project root, with its own directory importable
    helper = textwrap.dedent(
        """\
        from helper_words import shout

        def answer(vars):
            return shout(vars["word"])
        """
    )
    files = {"pkg/app.py": helper, "pkg/helper_words.py": "def shout(word):\n    return word\n"}
    models = [ModelDef("app", provider="python", model="pkg/app.py:answer")]
    root = eval_project(cases=2, models=models, files=files)
    data = eval_json(root)
    assert (data["passed"], data["errors"]) == (2, 0)
