"""`init` in an existing git repository: the results database is never committed, whatever the repository's
own .gitignore says."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from conftest import Cli
from gate_helpers import commit, init_repo, ok, run, write

SPEC = "llmopsctl==0.1.0"


def status(repo: git.Repo) -> list[str]:
    """`git status --porcelain` of every file, ignored ones included (`!! path`)."""
    return str(repo.git.status("--porcelain", "--untracked-files=all", "--ignored")).splitlines()


@pytest.fixture
def existing_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> git.Repo:
    """A repository with a history and a .gitignore of its own that knows nothing of llmopsctl (and even
    un-ignores databases)."""
    monkeypatch.chdir(tmp_path)  # -C changes the working directory; restore it afterwards
    root = tmp_path / "repo"
    repo = init_repo(root)
    write(root, {".gitignore": "node_modules/\n!*.duckdb\n", "app.py": "print('hi')\n"})
    commit(repo, "the team's code")
    return repo


def test_init_in_an_existing_repository_keeps_its_gitignore_and_ignores_the_database(
    cli: Cli, existing_repo: git.Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(str(existing_repo.working_tree_dir))
    result = cli("init", root, "--install-spec", SPEC)
    assert result.exit_code == 0, result.output
    assert "kept     .gitignore (exists; --force replaces it)" in result.stdout
    assert "created  .llmops/.gitignore" in result.stdout
    assert (root / ".gitignore").read_text() == "node_modules/\n!*.duckdb\n"

    # An eval that fails on a missing key still creates the database: it must not show up as a new file.
    suite = root / "suites" / "triage.yaml"
    suite.write_text(suite.read_text().replace("models: [keyword-baseline]", "models: [gpt-4o-mini]"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    failed = run(root, "eval", "-q")
    assert failed.exit_code == 2, failed.output
    assert "OPENAI_API_KEY" in failed.stderr
    assert (root / ".llmops" / "llmops.duckdb").is_file()
    assert not [line for line in status(existing_repo) if "duckdb" in line and not line.startswith("!!")]

    suite.write_text(suite.read_text().replace("models: [gpt-4o-mini]", "models: [keyword-baseline]"))
    ok(run(root, "eval", "-q"))
    ok(run(root, "baseline", "update"))
    lines = status(existing_repo)
    assert "!! .llmops/llmops.duckdb" in lines
    assert not [line for line in lines if "duckdb" in line and not line.startswith("!!")]

    existing_repo.git.add(A=True)
    staged = str(existing_repo.git.diff("--cached", "--name-only")).splitlines()
    assert ".llmops/.gitignore" in staged
    assert ".llmops/baselines/triage.json" in staged  # baselines, schemas and the project are committable
    assert ".llmops/schemas/suite.schema.json" in staged
    assert "suites/triage.yaml" in staged
    assert not [name for name in staged if "duckdb" in name]


def test_a_project_not_made_by_init_gets_the_llmops_gitignore_with_its_database(
    cli: Cli, existing_repo: git.Repo
) -> None:
    root = Path(str(existing_repo.working_tree_dir))
    write(
        root,
        {
            "llmops.yaml": "version: 1\n",
            "prompts/p.yaml": "messages:\n  - role: user\n    content: '{{ q }}'\n",
            "models/m.yaml": "provider: echo\nmodel: echo\n",
            "datasets/d.yaml": "cases:\n  - id: a\n    vars: {q: hi}\n    expected: hi\n",
            "suites/s.yaml": "prompts: [p]\nmodels: [m]\ndatasets: [d]\nassert:\n  - type: contains\n",
        },
    )
    ok(cli("-C", root, "eval", "-q"))
    assert (root / ".llmops" / ".gitignore").is_file()
    lines = status(existing_repo)
    assert "!! .llmops/llmops.duckdb" in lines
    assert "?? .llmops/.gitignore" in lines


def test_a_gitignore_of_the_team_under_llmops_is_left_alone(cli: Cli, existing_repo: git.Repo) -> None:
    root = Path(str(existing_repo.working_tree_dir))
    ok(cli("init", root, "--install-spec", SPEC))
    mine = "# ours\n*.duckdb\n*.duckdb.wal\n"
    (root / ".llmops" / ".gitignore").write_text(mine)
    ok(cli("-C", root, "eval", "-q"))
    assert (root / ".llmops" / ".gitignore").read_text() == mine
