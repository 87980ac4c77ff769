"""Shared fixtures: a freshly scaffolded quickstart project and a CLI runner for end-to-end tests; the
environment, fake servers and project writer of the eval end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from eval_helpers import KEY, KEY_ENV, MakeProject, StartServer, write_project
from fake_llm_server import FakeLLMServer
from llmopsctl.cli.app import app

Cli = Callable[..., Result]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Invoke `llmopsctl ARGS...` in-process; returns typer's Result (exit_code, stdout, stderr).

    `-C DIR` makes the app chdir, so the working directory is restored after the test.
    """
    monkeypatch.chdir(os.getcwd())
    runner = CliRunner()

    def invoke(*args: str | Path) -> Result:
        return runner.invoke(app, [str(a) for a in args])

    return invoke


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project made by `llmopsctl init` (the quickstart template) in a fresh directory."""
    from llmopsctl.project.scaffold import scaffold

    root = tmp_path / "proj"
    scaffold(root, "quickstart")
    return root


@pytest.fixture
def validate(cli: Cli, project: Path) -> Callable[..., Result]:
    """Run `llmopsctl -C PROJECT validate ARGS...`."""

    def run(*args: str | Path) -> Result:
        return cli("-C", project, "validate", *args)

    return run


def problem_lines(result: Result) -> list[str]:
    """The diagnostics `validate` printed, one `path:line:col: message ($.json.path)` a line."""
    return [line for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture
def eval_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """For end-to-end eval tests: work in tmp_path (-C changes the working directory; this restores it
    afterwards), with the fake API key that eval_helpers' projects read set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(KEY_ENV, KEY)


@pytest.fixture
def fake_server() -> Iterator[StartServer]:
    """Start `FakeLLMServer(ARGS...)` for this test: `fake_server(faults={...})`. Each is stopped when the
    test ends, or earlier by its `stop()`."""
    started: list[FakeLLMServer] = []

    def start(*args: Any, **options: Any) -> FakeLLMServer:
        server = FakeLLMServer(*args, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def eval_project(eval_env: None, tmp_path: Path) -> MakeProject:
    """Write the eval tests' project (`eval_helpers.write_project`) at tmp_path/proj, in the eval
    environment: `eval_project(server, cases=3, models=[...])`. Its HTTP models call `server` (none for a
    project of offline models only); calling it again rewrites the same project's files."""

    def make(server: FakeLLMServer | None = None, **options: Any) -> Path:
        return write_project(tmp_path / "proj", port=server.port if server else None, **options)

    return make


@pytest.fixture
def server(fake_server: StartServer) -> FakeLLMServer:
    """The fake OpenAI-compatible server, echoing the last user message."""
    return fake_server()


@pytest.fixture
def gate_isolation(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests that run gates and evals in one process: the working directory restored after each test (the
    CLI's -C changes it), no CI or pre-push variables from the outer environment, and user code imported
    afresh (python models and scorers are imported once per process; a test that edits one must see it)."""
    from llmopsctl.providers import python as python_provider
    from llmopsctl.scorers import custom as custom_scorer

    monkeypatch.chdir(os.getcwd())
    for name in ("GITHUB_STEP_SUMMARY", "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(python_provider, "_FILE_MODULES", {})
    monkeypatch.setattr(custom_scorer, "_FILE_MODULES", {})
