"""Shared fixtures: a freshly scaffolded quickstart project and a CLI runner for end-to-end tests; the
environment and fake server of the eval end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

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
    from eval_helpers import KEY, KEY_ENV

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(KEY_ENV, KEY)


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    """The fake OpenAI-compatible server, echoing the last user message."""
    with FakeLLMServer() as fake:
        yield fake
