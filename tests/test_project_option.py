"""A project in a subfolder (a monorepo): `--project DIR` after any command's name and $LLMOPSCTL_PROJECT
find it without leaving the working directory; `init` puts the workflow and the pre-commit configuration at
the repository's top, naming the project's directory; the hooks' file patterns are not anchored at the top,
and init's hooks are the published ones (.pre-commit-hooks.yaml) and the README's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from conftest import Cli
from gate_helpers import commit, init_repo
from llmopsctl.cli.app import app

CHECKOUT = Path(__file__).resolve().parents[1]
SPEC = "llmopsctl==0.1.0"
SUB = "services/triage"


@pytest.fixture
def monorepo(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with the quickstart project in services/triage; the working directory is its top."""
    top = tmp_path / "mono"
    commit(init_repo(top), "empty")
    monkeypatch.chdir(top)
    result = cli("init", SUB, "--install-spec", SPEC)
    assert result.exit_code == 0, result.output
    return top


def test_init_in_a_subfolder_puts_the_repository_files_at_the_top(cli: Cli, tmp_path: Path) -> None:
    top = tmp_path / "mono"
    commit(init_repo(top), "empty")
    result = cli("init", top / SUB, "--install-spec", SPEC)
    assert result.exit_code == 0, result.output
    assert "created  ../../.github/workflows/llmops.yml" in result.stdout.splitlines()
    assert "created  ../../.pre-commit-config.yaml" in result.stdout.splitlines()
    assert "created  llmops.yaml" in result.stdout.splitlines()
    assert f"the project is {SUB}/ in the git repository at {top.resolve()}" in result.stdout
    assert (top / SUB / "llmops.yaml").is_file() and (top / SUB / ".llmops" / ".gitignore").is_file()
    assert not (top / SUB / ".github").exists() and not (top / SUB / ".pre-commit-config.yaml").exists()
    hooks = _init_hooks(top)
    assert [h["args"] for h in hooks] == [["--project", SUB]] * 2
    workflow = yaml.safe_load((top / ".github" / "workflows" / "llmops.yml").read_text())
    assert workflow["env"]["LLMOPSCTL_PROJECT"] == SUB


def test_init_keeps_the_repository_pre_commit_config_and_says_what_to_add(cli: Cli, tmp_path: Path) -> None:
    top = tmp_path / "mono"
    init_repo(top)
    (top / ".pre-commit-config.yaml").write_text("repos: []\n")
    result = cli("init", top / SUB, "--install-spec", SPEC)
    assert result.exit_code == 0, result.output
    assert "kept     ../../.pre-commit-config.yaml (exists; --force replaces it)" in result.stdout
    assert "add the llmopsctl-validate and llmopsctl-gate hooks to it" in result.stdout
    assert (top / ".pre-commit-config.yaml").read_text() == "repos: []\n"


def test_init_outside_git_keeps_everything_in_the_directory(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", tmp_path / "p", "--install-spec", SPEC)
    assert result.exit_code == 0, result.output
    assert "git repository" not in result.stdout
    assert [h["args"] for h in _init_hooks(tmp_path / "p")] == [["--project", "."]] * 2


def test_init_creates_the_project_named_by_the_environment(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LLMOPSCTL_PROJECT", "from-env")
    assert cli("init", "--install-spec", SPEC).exit_code == 0
    assert (tmp_path / "from-env" / "llmops.yaml").is_file()


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--project", SUB],
        ["validate", "--format", "json", "--project", SUB],
        ["eval", "-q", "--project", SUB],
        ["runs", "list", "--project", SUB],
        ["sql", "SELECT 1 AS one", "--project", SUB],
        ["cost", "report", "--project", SUB],
        ["baseline", "update", "--project", SUB],
        ["gate", "--base", "baseline", "--project", SUB],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_commands_take_the_project_after_their_name(cli: Cli, monorepo: Path, args: list[str]) -> None:
    if args[0] in ("runs", "sql", "cost", "baseline", "gate"):
        assert cli("eval", "-q", "--project", SUB).exit_code == 0
    if args[0] == "gate":
        assert cli("baseline", "update", "--project", SUB).exit_code == 0
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert Path.cwd() == monorepo  # the working directory stays: unlike -C


def test_the_environment_names_the_project_and_the_option_wins(
    cli: Cli, monorepo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMOPSCTL_PROJECT", SUB)
    assert cli("eval", "-q").exit_code == 0
    assert (monorepo / SUB / ".llmops" / "llmops.duckdb").is_file()
    assert not (monorepo / ".llmops").exists()

    monkeypatch.setenv("LLMOPSCTL_PROJECT", "nowhere")
    bad = cli("validate")
    assert bad.exit_code == 2
    assert "LLMOPSCTL_PROJECT nowhere: no such directory" in bad.stderr
    assert cli("validate", "--project", SUB).exit_code == 0


def test_a_project_option_applies_to_one_invocation_only(cli: Cli, monorepo: Path) -> None:
    assert cli("validate", "--project", SUB).exit_code == 0
    again = cli("validate")
    assert again.exit_code == 2
    assert "no llmops.yaml" in again.stderr


def test_project_is_relative_to_the_directory_given_with_C(cli: Cli, monorepo: Path, tmp_path: Path) -> None:
    result = cli("-C", monorepo / "services", "validate", "--project", "triage")
    assert result.exit_code == 0, result.output


def test_a_project_without_llmops_yaml_is_a_clear_error(cli: Cli, monorepo: Path) -> None:
    result = cli("validate", "--project", "services")
    assert result.exit_code == 2
    assert "--project services: no llmops.yaml there" in result.stderr
    missing = cli("runs", "list", "--project", "nope")
    assert missing.exit_code == 2
    assert "--project nope: no such directory" in missing.stderr
    assert "Traceback" not in result.output + missing.output


def test_init_and_schema_take_no_project(cli: Cli, tmp_path: Path) -> None:
    for args in (["init", tmp_path / "p", "--project", "x"], ["schema", "prompt", "--project", "x"]):
        result = cli(*args)
        assert result.exit_code == 2
        assert "No such option: --project" in result.output


def test_every_command_on_a_project_lists_the_option() -> None:
    def leaves(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
        out = []
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                out += leaves(command, f"{prefix}{name} ")
            else:
                out.append((f"{prefix}{name}", command))
        return out

    commands = leaves(typer.main.get_command(app))
    assert len(commands) > 15
    for name, command in commands:
        has = any("--project" in getattr(p, "opts", []) for p in command.params)
        assert has == (name not in ("init", "schema")), name


def test_validate_shows_paths_from_the_working_directory(cli: Cli, monorepo: Path) -> None:
    prompt = monorepo / SUB / "prompts" / "ticket-triage.yaml"
    prompt.write_text(prompt.read_text().replace("role: system", "role: robot", 1))
    # As pre-commit calls it: from the top, with the staged files' paths from the top.
    result = cli("validate", "--project", SUB, f"{SUB}/prompts/ticket-triage.yaml", "README-not-ours.md")
    assert result.exit_code == 2, result.output  # a file that does not exist
    result = cli("validate", "--project", SUB, f"{SUB}/prompts/ticket-triage.yaml")
    assert result.exit_code == 1, result.output
    assert re.search(
        rf"^{SUB}/prompts/ticket-triage\.yaml:\d+:\d+: 'robot' is not one of", result.stdout, re.M
    )
    data = json.loads(cli("validate", "--format", "json", "--project", SUB).stdout)
    assert {e["path"] for e in data["errors"]} == {f"{SUB}/prompts/ticket-triage.yaml"}
    inside = cli("-C", monorepo / SUB, "validate")
    assert re.search(r"^prompts/ticket-triage\.yaml:\d+:\d+: ", inside.stdout, re.M)


def test_validate_ignores_files_of_other_projects(cli: Cli, monorepo: Path) -> None:
    other = monorepo / "other" / "prompts" / "x.yaml"
    other.parent.mkdir(parents=True)
    other.write_text("not: [a prompt\n")
    result = cli("validate", "--project", SUB, "other/prompts/x.yaml", f"{SUB}/llmops.yaml")
    assert result.exit_code == 0, result.output


# --- one hook setup: init's configuration, .pre-commit-hooks.yaml and the README ----------------------------

SHARED_KEYS = (
    "id",
    "name",
    "entry",
    "language",
    "files",
    "stages",
    "pass_filenames",
    "always_run",
    "require_serial",
)


def _init_hooks(top: Path) -> list[dict[str, Any]]:
    [repo] = yaml.safe_load((top / ".pre-commit-config.yaml").read_text())["repos"]
    assert repo["repo"] == "local"
    return list(repo["hooks"])


def _readme_config() -> dict[str, Any]:
    text = (CHECKOUT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    [block] = [b for b in blocks if "llmopsctl-validate" in b]
    data = yaml.safe_load(block)
    assert isinstance(data, dict)
    return data


def test_init_hooks_are_the_published_hooks(cli: Cli, tmp_path: Path) -> None:
    assert cli("init", tmp_path / "p", "--install-spec", SPEC).exit_code == 0
    published = yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text())
    mine = _init_hooks(tmp_path / "p")
    assert [h["id"] for h in mine] == [h["id"] for h in published] == ["llmopsctl-validate", "llmopsctl-gate"]
    for hook, spec in zip(mine, published, strict=True):
        assert {k: hook.get(k) for k in SHARED_KEYS} == {k: spec.get(k) for k in SHARED_KEYS}
        assert hook["additional_dependencies"] == [SPEC]
    config = yaml.safe_load((tmp_path / "p" / ".pre-commit-config.yaml").read_text())
    assert config["default_install_hook_types"] == ["pre-commit", "pre-push"]

    readme = _readme_config()
    assert readme["default_install_hook_types"] == ["pre-commit", "pre-push"]
    [repo] = readme["repos"]
    assert [h["id"] for h in repo["hooks"]] == [h["id"] for h in mine]
    assert [h["args"][:2] for h in repo["hooks"]] == [["--project", "."]] * 2


def test_the_validate_hook_files_pattern_finds_project_files_in_any_folder() -> None:
    [validate] = [
        h for h in yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text()) if "files" in h
    ]
    files = re.compile(validate["files"])
    for path in (
        "llmops.yaml",
        "prompts/a.yaml",
        "datasets/x.jsonl",
        "suites/s.yml",
        "models/m.yaml",
        f"{SUB}/llmops.yaml",
        f"{SUB}/prompts/a.yaml",
        f"{SUB}/datasets/golden.csv",
    ):
        assert files.search(path), path
    for path in (
        "README.md",
        "evals/keyword_baseline.py",
        f"{SUB}/evals/x.py",
        "prompts/deeper/a.yaml",
        "myllmops.yaml",
    ):
        assert not files.search(path), path
