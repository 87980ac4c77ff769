"""The GitHub workflow `init` writes, its steps run as a runner runs them (bash, the workflow's env, the
step's `${{ }}` values given here): the key check that skips pull requests from forks, the gate with its
reports, the results database collected for `runs merge`, and the pull request comment."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import git
import pytest

from ci_helpers import find_step, load_workflow, run_step
from conftest import Cli
from gate_helpers import commit, init_repo, ok, run

SPEC = "llmopsctl==0.1.0"
WORKFLOW = ".github/workflows/llmops.yml"
WITHHELD = "github.event.pull_request.head.repo.full_name != github.repository"
BIN = str(Path(sys.executable).parent)  # where this environment's `llmopsctl` is


def runner_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "LLMOPSCTL_", "OPENAI"))}
    env["PATH"] = f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    return {**env, **extra}


def scaffold(cli: Cli, root: Path, *, models: dict[str, str] | None = None) -> dict[str, Any]:
    """`init` at root (after writing extra model files); returns the workflow."""
    for name, text in (models or {}).items():
        (root / "models").mkdir(parents=True, exist_ok=True)
        (root / "models" / f"{name}.yaml").write_text(text)
    result = cli("init", root, "--install-spec", SPEC)
    assert result.exit_code == 0, result.output
    return load_workflow(root / WORKFLOW)


# --- its shape ----------------------------------------------------------------------------------------------


def test_permissions_are_the_least_each_job_needs(cli: Cli, tmp_path: Path) -> None:
    workflow = scaffold(cli, tmp_path / "p")
    assert workflow["permissions"] == {"contents": "read"}
    assert "permissions" not in workflow["jobs"]["gate"]
    assert workflow["jobs"]["comment"]["permissions"] == {"pull-requests": "write"}
    assert list(workflow["on"]) == ["pull_request"]


def test_every_key_the_models_name_is_wired_from_its_secret(cli: Cli, tmp_path: Path) -> None:
    claude = "provider: anthropic\nmodel: claude-x\napi_key_env: ANTHROPIC_API_KEY\n"
    odd = "provider: openai\nmodel: m\napi_key_env: 'not a name; rm -rf /'\n"  # never reaches the workflow
    workflow = scaffold(cli, tmp_path / "p", models={"claude": claude, "odd": odd})
    wired = {
        "ANTHROPIC_API_KEY": "${{ secrets.ANTHROPIC_API_KEY }}",
        "OPENAI_API_KEY": "${{ secrets.OPENAI_API_KEY }}",
    }
    keys = find_step(workflow, "gate", "keys")
    assert keys["env"] == {
        "SECRETS_WITHHELD": f"${{{{ {WITHHELD} }}}}",
        "KEY_NAMES": "ANTHROPIC_API_KEY OPENAI_API_KEY",
        **wired,
    }
    assert find_step(workflow, "gate", "Gate")["env"] == wired
    for name in ("Install llmopsctl", "Validate"):
        assert "env" not in find_step(workflow, "gate", name)  # keys reach the gate only
    assert "rm -rf" not in (tmp_path / "p" / WORKFLOW).read_text()


def test_a_project_of_offline_models_wires_no_key(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "p"
    assert cli("init", root, "--install-spec", SPEC).exit_code == 0
    (root / "models" / "gpt-4o-mini.yaml").write_text("provider: echo\nmodel: echo\n")
    (root / WORKFLOW).unlink()
    workflow = scaffold(cli, root)
    assert find_step(workflow, "gate", "keys")["env"] == {
        "SECRETS_WITHHELD": f"${{{{ {WITHHELD} }}}}",
        "KEY_NAMES": "",
    }
    assert "env" not in find_step(workflow, "gate", "Gate")
    check = run_step(workflow, "gate", "keys", cwd=root, env=runner_env(), expressions={WITHHELD: "true"})
    assert (check.returncode, check.outputs) == (0, {"gate": "run"})


# --- the key check: forks are skipped with a notice ---------------------------------------------------------


@pytest.mark.parametrize(
    ("withheld", "key", "gate", "says"),
    [
        ("true", "", "skip", "::notice title=llmops gate skipped::Pull requests from forks get no secrets"),
        ("false", "", "run", "::warning title=llmops::These repository secrets are not set: OPENAI_API_KEY."),
        ("false", "sk-test", "run", ""),
        ("true", "sk-test", "run", ""),
    ],
    ids=["fork", "same repo, no secret", "same repo", "fork with the secret"],
)
def test_the_key_check(cli: Cli, tmp_path: Path, withheld: str, key: str, gate: str, says: str) -> None:
    workflow = scaffold(cli, tmp_path / "p")
    expressions = {WITHHELD: withheld, "secrets.OPENAI_API_KEY": key}
    check = run_step(workflow, "gate", "keys", cwd=tmp_path / "p", env=runner_env(), expressions=expressions)
    assert check.returncode == 0, check.stderr
    assert check.outputs == {"gate": gate}
    if says:
        assert says in check.stdout
    else:
        assert "::" not in check.stdout
    assert ("did not run" in check.summary) == (gate == "skip")
    assert "sk-test" not in check.stdout + check.stderr + check.summary
    for name in ("Restore the results database", "Gate", "Save the results database", "Upload the results"):
        assert "steps.keys.outputs.gate == 'run'" in find_step(workflow, "gate", name)["if"]


# --- the gate, its reports and the database for `runs merge` ------------------------------------------------


@pytest.fixture
def pull_request(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, Any]]:
    """A clone with `origin/main` holding the project and its baseline, on a branch that tags the prompt
    (an edit that could change answers, so the suite is gated, and does not): the gate runs the suite and
    passes. Returns the clone and its workflow."""
    monkeypatch.chdir(tmp_path)
    origin = tmp_path / "origin"
    repo = init_repo(origin)
    scaffold(cli, origin)
    ok(run(origin, "eval", "-q"))
    ok(run(origin, "baseline", "update"))
    commit(repo, "project and baseline")
    clone = tmp_path / "clone"
    cloned = git.Repo.clone_from(str(origin), str(clone))
    cloned.git.checkout("-b", "reword")
    prompt = clone / "prompts" / "ticket-triage.yaml"
    prompt.write_text(prompt.read_text().replace("tags: [triage, classification]", "tags: [triage, routing]"))
    cloned.git.commit("-am", "reword", "--no-verify", author="T <t@example.com>")
    return clone, load_workflow(clone / WORKFLOW)


def gate_step(clone: Path, workflow: dict[str, Any], **extra: str) -> Any:
    env = runner_env(**{"GITHUB_BASE_REF": "main", **extra})
    return run_step(workflow, "gate", "Gate", cwd=clone, env=env, expressions={"secrets.OPENAI_API_KEY": ""})


def test_the_gate_step_writes_its_reports_and_the_database_reaches_cost_report(
    cli: Cli, pull_request: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    clone, workflow = pull_request
    gate = gate_step(clone, workflow)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    out = clone / "llmops-results"
    report = (out / "report.md").read_text()
    assert report == gate.summary and "triage" in report
    assert "<testsuite" in (out / "junit.xml").read_text()

    collect = run_step(workflow, "gate", "Collect the results", cwd=clone, env=runner_env())
    assert collect.returncode == 0, collect.stderr
    assert (out / "llmops.duckdb").is_file()
    cached = find_step(workflow, "gate", "Save the results database")["with"]["path"]
    assert cached == "${{ env.LLMOPS_DB }}" and workflow["env"]["LLMOPS_DB"] == ".llmops/llmops.duckdb"
    assert find_step(workflow, "gate", "Upload the results")["with"]["path"] == "${{ env.LLMOPS_OUT }}"

    # A teammate brings CI's runs and spend into their own database.
    local = tmp_path / "local"
    scaffold(cli, local)
    merged = ok(run(local, "runs", "merge", out / "llmops.duckdb")).stdout
    assert ": 1 runs, 20 results" in merged  # the pull request's run (a cached database brings older ones)
    runs = json.loads(ok(run(local, "runs", "list", "--format", "json")).stdout)
    assert [r["suite"] for r in runs] == ["triage"]
    assert ok(run(local, "cost", "report")).exit_code == 0


def test_a_failing_gate_keeps_its_report_and_fails_the_step(
    pull_request: tuple[Path, dict[str, Any]],
) -> None:
    clone, workflow = pull_request
    model = clone / "evals" / "keyword_baseline.py"
    model.write_text(model.read_text().replace('return "other"', 'return "billing"'))  # worse on "other"
    gate = gate_step(clone, workflow)
    assert gate.returncode == 1, gate.stdout + gate.stderr
    report = (clone / "llmops-results" / "report.md").read_text()
    assert report == gate.summary and "triage" in report


def test_a_pull_request_that_touches_no_suite_says_there_was_nothing_to_gate(
    pull_request: tuple[Path, dict[str, Any]],
) -> None:
    clone, workflow = pull_request
    repo = git.Repo(clone)
    repo.git.reset("--hard", "origin/main")
    (clone / "NOTES.md").write_text("notes\n")
    gate = gate_step(clone, workflow)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "nothing to gate" in (clone / "llmops-results" / "report.md").read_text()


def test_a_gate_that_stops_early_says_so(pull_request: tuple[Path, dict[str, Any]]) -> None:
    clone, workflow = pull_request
    gate = gate_step(clone, workflow, GITHUB_BASE_REF="no-such-branch")
    assert gate.returncode == 2, gate.stdout + gate.stderr
    assert "stopped with exit code 2" in (clone / "llmops-results" / "report.md").read_text()


def test_the_gate_step_works_for_a_project_in_a_subfolder(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    top = tmp_path / "mono"
    repo = init_repo(top)
    (top / "app.py").write_text("print('hi')\n")
    assert cli("init", top / "services" / "triage", "--install-spec", SPEC).exit_code == 0
    ok(run(top, "eval", "-q", "--project", "services/triage"))
    ok(run(top, "baseline", "update", "--project", "services/triage"))
    commit(repo, "init")
    repo.git.update_ref("refs/remotes/origin/main", "HEAD")
    repo.git.checkout("-b", "change")
    prompt = top / "services" / "triage" / "prompts" / "ticket-triage.yaml"
    prompt.write_text(prompt.read_text().replace("tags: [triage, classification]", "tags: [triage, routing]"))
    commit(repo, "change")
    workflow = load_workflow(top / WORKFLOW)
    assert workflow["env"]["LLMOPS_DB"] == "services/triage/.llmops/llmops.duckdb"
    validate = run_step(workflow, "gate", "Validate", cwd=top, env=runner_env())
    assert validate.returncode == 0, validate.stdout + validate.stderr
    gate = gate_step(top, workflow)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "triage" in (top / "llmops-results" / "report.md").read_text()
    assert (top / "llmops-results" / "junit.xml").is_file()
    collect = run_step(workflow, "gate", "Collect the results", cwd=top, env=runner_env())
    assert collect.returncode == 0
    assert (top / "llmops-results" / "llmops.duckdb").is_file()


# --- the pull request comment -------------------------------------------------------------------------------

FAKE_GH = """#!/usr/bin/env bash
# Stands in for the GitHub CLI: records each call; `gh api .../comments` answers with $FAKE_GH_COMMENT_ID.
printf '%s\\n' "$*" >> "$FAKE_GH_LOG"
case "$1 $2" in
  "api repos/"*) if [[ "$2" == */comments ]]; then echo "$FAKE_GH_COMMENT_ID"; fi ;;
esac
if [[ "$*" == *body=@comment.md* ]]; then cp comment.md "$FAKE_GH_LOG.body"; fi
if [[ "$*" == *--body-file* ]]; then cp comment.md "$FAKE_GH_LOG.body"; fi
"""


@pytest.mark.parametrize("existing", ["", "987"], ids=["first comment", "updates its comment"])
def test_the_comment_step_posts_one_comment_and_then_updates_it(
    cli: Cli, tmp_path: Path, existing: str
) -> None:
    workflow = scaffold(cli, tmp_path / "p")
    job = workflow["jobs"]["comment"]
    assert "needs.gate.outputs.comment == 'true'" in job["if"]
    assert workflow["jobs"]["gate"]["outputs"]["comment"] == "${{ env.LLMOPS_PR_COMMENT }}"
    assert workflow["env"]["LLMOPS_PR_COMMENT"] == "false"  # off until the team turns it on
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert job["steps"][0] == {"uses": "actions/download-artifact@v4", "with": {"name": "llmops-results"}}
    work = tmp_path / "artifact"
    work.mkdir()
    (work / "report.md").write_text("## triage\n\npassed\n")
    fake = tmp_path / "bin" / "gh"
    fake.parent.mkdir()
    fake.write_text(FAKE_GH)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "gh.log"
    env = runner_env(
        PATH=f"{fake.parent}:/usr/bin:/bin",
        GITHUB_REPOSITORY="org/repo",
        FAKE_GH_LOG=str(log),
        FAKE_GH_COMMENT_ID=existing,
    )
    step = run_step(
        workflow,
        "comment",
        "Post the report on the pull request",
        cwd=work,
        env=env,
        expressions={"github.token": "ghs_x", "github.event.pull_request.number": "42"},
    )
    assert step.returncode == 0, step.stderr
    calls = log.read_text().splitlines()
    assert calls[0].startswith("api repos/org/repo/issues/42/comments --paginate --jq ")
    if existing:
        assert calls[1] == "api --method PATCH repos/org/repo/issues/comments/987 -F body=@comment.md"
    else:
        assert calls[1] == "pr comment 42 --repo org/repo --body-file comment.md"
    assert Path(f"{log}.body").read_text() == "<!-- llmopsctl gate report -->\n## triage\n\npassed\n"
