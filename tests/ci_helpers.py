"""Helpers for the tests of what `init` writes for CI and pre-commit: a git snapshot of this checkout
(what the generated files can install llmopsctl from, offline), and running a generated workflow's steps
the way a GitHub runner does (bash, the workflow's and the step's env, `$GITHUB_OUTPUT`), with its `${{ }}`
expressions given by the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gate_helpers import commit, init_repo

CHECKOUT = Path(__file__).resolve().parents[1]
SNAPSHOT = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "src")
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def snapshot_repo(root: Path) -> str:
    """A git repository at `root` holding this checkout's package as it is on disk (new, uncommitted
    modules included); returns its commit."""
    root.mkdir(parents=True, exist_ok=True)
    for name in SNAPSHOT:
        source = CHECKOUT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        elif source.is_file():
            shutil.copy2(source, root / name)
    return commit(init_repo(root), "snapshot of the checkout")


def git_requirement(root: Path, sha: str) -> str:
    """A pip requirement installing llmopsctl from the snapshot repository at `root`, at `sha` (with the host
    `localhost`: pip before 24 rejects a VCS URL with no host)."""
    return f"llmopsctl @ git+file://localhost{root.resolve().as_posix()}@{sha}"


def load_workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as true
    return data


def find_step(workflow: Mapping[str, Any], job: str, name: str) -> dict[str, Any]:
    steps = workflow["jobs"][job]["steps"]
    found = [s for s in steps if s.get("name") == name or s.get("id") == name]
    assert len(found) == 1, f"no single step {name!r} in job {job!r}: {[s.get('name') for s in steps]}"
    return dict(found[0])


def substitute(text: str, expressions: Mapping[str, str]) -> str:
    """`text` with each `${{ EXPR }}` replaced by `expressions[EXPR]` (a test names every one it expects)."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert expression in expressions, f"the test gives no value for ${{{{ {expression} }}}}"
        return expressions[expression]

    return _EXPRESSION.sub(value, text)


@dataclass
class StepRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


def run_step(
    workflow: Mapping[str, Any],
    job: str,
    name: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    expressions: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> StepRun:
    """Run a step's `run` script as a GitHub runner does: `bash -e` (`-eo pipefail` with `shell: bash`),
    the workflow's env under the job's under the step's, and files for `$GITHUB_OUTPUT` and the summary."""
    step = find_step(workflow, job, name)
    assert "run" in step, f"step {name!r} runs no script"
    given = dict(expressions or {})
    merged = {**workflow.get("env", {}), **workflow["jobs"][job].get("env", {}), **step.get("env", {})}
    scratch = cwd.parent / f".runner-{re.sub(r'[^a-z0-9]+', '-', name.lower())}"
    scratch.mkdir(exist_ok=True)
    output, summary = scratch / "output", scratch / "summary"
    output.write_text(""), summary.write_text("")
    script = scratch / "script.sh"
    script.write_text(substitute(step["run"], given))
    full_env = {
        **env,
        **{key: substitute(str(value), given) for key, value in merged.items()},
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_ACTIONS": "true",
    }
    shell = (
        ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
        if step.get("shell") == "bash"
        else ["bash", "-e"]
    )
    done = subprocess.run(
        [*shell, str(script)], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return StepRun(done.returncode, done.stdout, done.stderr, outputs, summary.read_text())


def fresh_venv(root: Path) -> Path:
    """A new virtual environment with nothing installed; returns its bin directory."""
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=300)
    return root / "bin"


def base_env() -> dict[str, str]:
    """The environment a step starts from: this one without our source tree on the path or git's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT", "LLMOPSCTL_"))}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env
