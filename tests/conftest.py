"""Shared fixtures: a freshly scaffolded quickstart project and a CLI runner for end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

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
