"""`llmopsctl init`: the quickstart template, end to end through the CLI."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import Cli
from llmopsctl import __version__
from llmopsctl.project.schemas import KINDS
from llmopsctl.project.templating import render
from llmopsctl.scorers.text import compile_regex

SRC = Path(__file__).resolve().parent.parent / "src"

TEMPLATE_FILES = [
    ".github/workflows/llmops.yml",
    ".gitignore",
    ".llmops/.gitignore",
    ".pre-commit-config.yaml",
    "datasets/support-tickets.yaml",
    "evals/keyword_baseline.py",
    "llmops.yaml",
    "models/gpt-4o-mini.yaml",
    "models/keyword-baseline.yaml",
    "prompts/ticket-triage.yaml",
    "suites/triage.yaml",
]
SCHEMA_FILES = [f".llmops/schemas/{kind}.schema.json" for kind in KINDS]
CATEGORIES = {"billing", "technical", "account", "shipping", "other"}


def test_init_creates_the_project_and_says_what_next(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "new"
    result = cli("init", target)
    assert result.exit_code == 0, result.output
    created = [line.split(None, 1)[1] for line in result.stdout.splitlines() if line.startswith("created ")]
    assert sorted(created) == sorted(TEMPLATE_FILES + SCHEMA_FILES)
    for rel in created:
        assert (target / rel).is_file(), rel
    assert not any(p.name.startswith("dot-") for p in target.rglob("*"))
    assert not list(target.rglob("__pycache__"))
    assert (
        result.stdout.rstrip().splitlines()[-1]
        == f"next: llmopsctl -C {target} validate && llmopsctl -C {target} eval"
    )


def test_init_here_suggests_plain_commands(cli: Cli, tmp_path: Path) -> None:
    result = cli("-C", tmp_path, "init")
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().splitlines()[-1] == "next: llmopsctl validate && llmopsctl eval"
    assert (tmp_path / "llmops.yaml").is_file()


def test_second_init_keeps_files_and_force_replaces_them(cli: Cli, tmp_path: Path) -> None:
    assert cli("-C", tmp_path, "init").exit_code == 0
    prompt = tmp_path / "prompts" / "ticket-triage.yaml"
    prompt.write_text("# my edits\n" + prompt.read_text())

    again = cli("-C", tmp_path, "init")
    assert again.exit_code == 0, again.output
    assert "created" not in again.stdout
    assert "kept     prompts/ticket-triage.yaml (exists; --force replaces it)" in again.stdout.splitlines()
    kept = [line for line in again.stdout.splitlines() if line.startswith("kept ")]
    assert len(kept) == len(TEMPLATE_FILES + SCHEMA_FILES)
    assert prompt.read_text().startswith("# my edits\n")

    forced = cli("-C", tmp_path, "init", "--force")
    assert forced.exit_code == 0, forced.output
    assert "replaced prompts/ticket-triage.yaml" in forced.stdout.splitlines()
    assert "kept" not in forced.stdout
    assert not prompt.read_text().startswith("# my edits")


def test_init_into_a_file_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = cli("init", tmp_path / "file")
    assert result.exit_code == 2
    assert "exists and is not a directory" in result.stderr


def test_unknown_template_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", tmp_path, "--template", "nope")
    assert result.exit_code == 2
    assert "unknown template 'nope' (available: quickstart)" in result.stderr


def test_initialised_project_validates(cli: Cli, tmp_path: Path) -> None:
    assert cli("-C", tmp_path, "init").exit_code == 0
    result = cli("-C", tmp_path, "validate")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert re.fullmatch(
        r"ok: 6 files valid \(1 prompts, 2 models, 1 datasets \(20 cases\), 1 suites\) in \d+ ms", lines[0]
    ), lines[0]


def test_every_yaml_file_points_at_its_schema(project: Path) -> None:
    kinds = {"prompts": "prompt", "models": "model", "datasets": "dataset", "suites": "suite"}
    yaml_files = [project / "llmops.yaml", *(project / d / f for d in kinds for f in _names(project / d))]
    assert len(yaml_files) == 6
    for path in yaml_files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, f"{path}: {first}"
        kind = "llmops" if path.name == "llmops.yaml" else kinds[path.parent.name]
        assert match.group(1).endswith(f".llmops/schemas/{kind}.schema.json")
        schema = (path.parent / match.group(1)).resolve()
        assert schema == (project / ".llmops" / "schemas" / f"{kind}.schema.json").resolve()
        assert json.loads(schema.read_text())["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_quickstart_content(project: Path) -> None:
    settings = yaml.safe_load((project / "llmops.yaml").read_text())
    assert settings["version"] == 1
    assert settings["db"] == ".llmops/llmops.duckdb"
    assert settings["defaults"] == {"concurrency": 8, "timeout_s": 30, "retries": 3, "cache_ttl": "7d"}
    assert [t["name"] for t in settings["teams"]] == ["support-ai"]
    assert "# budgets:" in (project / "llmops.yaml").read_text()

    prompt = yaml.safe_load((project / "prompts" / "ticket-triage.yaml").read_text())
    assert prompt["team"] == "support-ai"
    assert prompt["variables"]["required"] == ["ticket"]
    assert [m["role"] for m in prompt["messages"]] == ["system", "user"]
    assert all(c in prompt["messages"][0]["content"] for c in CATEGORIES)
    assert prompt["messages"][1]["content"] == "Ticket: {{ ticket }}"

    gpt = yaml.safe_load((project / "models" / "gpt-4o-mini.yaml").read_text())
    assert gpt["api_key_env"] == "OPENAI_API_KEY"
    assert gpt["params"] == {"temperature": 0, "max_tokens": 5}
    assert gpt["pricing"] == {"input": 0.15, "output": 0.60, "cached_input": 0.075}

    suite = yaml.safe_load((project / "suites" / "triage.yaml").read_text())
    assert suite["models"] == ["keyword-baseline"]
    assert suite["gate"] == {"min_pass_rate": 0.7, "max_regressions": 0, "significance": 0.05}

    assert "__pycache__/" in (project / ".gitignore").read_text().splitlines()
    ignored = (project / ".llmops" / ".gitignore").read_text().splitlines()
    assert {"*.duckdb", "*.duckdb.wal", "*.duckdb.tmp/"} <= set(ignored)


def test_dataset_is_a_realistic_golden_set(project: Path) -> None:
    cases = yaml.safe_load((project / "datasets" / "support-tickets.yaml").read_text())["cases"]
    assert len(cases) == 20
    assert len({c["id"] for c in cases}) == 20
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c["id"]) for c in cases)
    assert {c["expected"] for c in cases} == CATEGORIES
    assert all(c["expected"] in c["tags"] for c in cases)
    assert any("edge-case" in c["tags"] for c in cases)


def test_the_suite_assertion_accepts_only_the_expected_category() -> None:
    suite = yaml.safe_load((SRC / "llmopsctl/templates/quickstart/suites/triage.yaml").read_text())
    [assertion] = suite["assert"]
    assert assertion["type"] == "regex"
    assert assertion["metric"] == "accuracy"
    pattern = compile_regex(render(assertion["value"], {"expected": "billing"}), assertion["config"])
    for output in ("billing", "Billing", " billing.\n", "**BILLING**"):
        assert pattern.search(output), output
    for output in ("shipping", "billing or account", "Category: billing"):
        assert not pattern.search(output), output


def test_keyword_baseline_is_decent_but_imperfect(project: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "quickstart_baseline", project / "evals" / "keyword_baseline.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cases = yaml.safe_load((project / "datasets" / "support-tickets.yaml").read_text())["cases"]
    answers = [module.classify(case["vars"], []) for case in cases]
    assert set(answers) <= CATEGORIES
    right = sum(answer == case["expected"] for answer, case in zip(answers, cases, strict=True))
    assert 14 <= right <= 17


def test_ci_workflow_gates_pull_requests(project: Path) -> None:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "llmops.yml").read_text())
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as true
    steps = workflow["jobs"]["gate"]["steps"]
    assert steps[0] == {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}}
    runs = [s.get("run") for s in steps if s.get("name") in ("Install llmopsctl", "Validate")]
    assert runs == ['pip install "$LLMOPSCTL_INSTALL"', "llmopsctl validate"]
    gate = next(s for s in steps if s.get("name") == "Gate")
    assert (
        'llmopsctl gate --base "origin/${GITHUB_BASE_REF}" --changed-since "origin/${GITHUB_BASE_REF}"'
        in gate["run"]
    )
    assert '--junit "$LLMOPS_OUT/junit.xml"' in gate["run"]
    assert gate["env"] == {"OPENAI_API_KEY": "${{ secrets.OPENAI_API_KEY }}"}
    assert steps[-1]["uses"] == "actions/upload-artifact@v4"


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_subprocess(flag: str) -> None:
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "llmopsctl", flag], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"llmopsctl {__version__}\n"


def test_missing_directory_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("-C", tmp_path / "missing-dir", "validate")
    assert result.exit_code == 2
    assert "no such directory" in result.stderr


def test_validate_outside_a_project_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("-C", tmp_path, "validate")
    assert result.exit_code == 2
    assert "no llmops.yaml" in result.stderr
    assert "llmopsctl init" in result.stderr


def test_schema_prints_json_schema(cli: Cli) -> None:
    result = cli("schema", "prompt")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "messages" in schema["properties"]


def test_schema_unknown_kind(cli: Cli) -> None:
    result = cli("schema", "nope")
    assert result.exit_code == 2
    assert "unknown kind 'nope'" in result.stderr
    assert "prompt" in result.stderr  # lists the kinds
    close = cli("schema", "promt")
    assert close.exit_code == 2
    assert "did you mean 'prompt'?" in close.stderr
