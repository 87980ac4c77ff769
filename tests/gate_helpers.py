"""Helpers for the baseline/diff/gate tests: a small offline project in a real git repository.

The project's "model" is Python code in `app/models.py` (provider `python`), so every answer is known:
a case `cNN` has `vars.text` = a word and `expected` = the word in capitals plus a full stop, e.g.
`apple` -> `APPLE.`. `good` answers every case right; the other functions get known cases wrong.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import git
from typer.testing import CliRunner, Result

WORDS = ("apple", "banana", "cherry", "date", "elder", "fig", "grape", "hazel", "iris", "juniper")
CASE_IDS = tuple(f"c{i:02d}" for i in range(1, len(WORDS) + 1))

MODELS_PY = '''\
"""Offline test "models": each returns the case's word in capitals plus a full stop, or gets cases wrong."""

import threading
import time

WRONG = {"c03", "c07"}  # the cases `worse` gets wrong
_calls: dict[str, int] = {}
_lock = threading.Lock()


def _right(vars):
    return vars["text"].upper() + "."


def good(vars):
    return _right(vars)


def worse(vars, case_id):
    return "nope" if case_id in WRONG else _right(vars)


def _nth_call(case_id):
    with _lock:
        _calls[case_id] = _calls.get(case_id, 0) + 1
        return _calls[case_id]


def noisy(vars, case_id):
    # c05 fails exactly one call in three: with `repeat: 3` one repeat of each run fails.
    if case_id == "c05" and _nth_call(case_id) % 3 == 1:
        return "nope"
    return _right(vars)


def dropped(vars, case_id):
    return "nope" if case_id == "c05" else _right(vars)


def no_stop_one(vars, case_id):
    # Right answer without its full stop on one case: half the score there, still a pass at threshold 0.5.
    return vars["text"].upper() if case_id == "c01" else _right(vars)


def no_stop_all(vars):
    return vars["text"].upper()


def _priced(vars, tokens):
    return {"output": _right(vars), "usage": {"input_tokens": tokens, "output_tokens": tokens // 10}}


def cheap(vars):
    return _priced(vars, 1000)


def pricey(vars):
    return _priced(vars, 3000)


def slow(vars):
    time.sleep(0.12)
    return _right(vars)


def slow_noisy(vars, case_id):
    return noisy(vars, case_id) if case_id == "c05" else slow(vars)
'''

SETTINGS = """\
version: 1
project: gate-e2e
defaults:
  concurrency: 4
  retries: 0
"""

GITIGNORE = ".llmops/llmops.duckdb\n.llmops/llmops.duckdb.wal\n__pycache__/\n"


def dataset_yaml() -> str:
    cases = [
        {"id": cid, "vars": {"text": word}, "expected": word.upper() + "."}
        for cid, word in zip(CASE_IDS, WORDS, strict=True)
    ]
    return json.dumps({"cases": cases}, indent=1) + "\n"


def prompt_yaml(tag: str = "") -> str:
    return textwrap.dedent(
        f"""\
        messages:
          - role: system
            content: Answer with the word in capitals and a full stop.{tag}
          - role: user
            content: "{{{{ text }}}}"
        """
    )


def model_yaml(function: str, *, module: str = "app/models.py", pricing: bool = False) -> str:
    text = f"provider: python\nmodel: {module}:{function}\n"
    if pricing:
        text += "pricing:\n  input: 1.0\n  output: 2.0\n"
    return text


def suite_yaml(
    *,
    prompt: str = "ask",
    model: str = "bot",
    repeat: int = 1,
    gate: Mapping[str, Any] | None = None,
    graded: bool = False,
) -> str:
    """A suite over `items`. Plain: the output must equal `expected`. Graded: two assertions (starts with
    the word, contains a full stop) and `threshold: 0.5`, so a missing full stop halves a case's score but
    it still passes."""
    lines = [
        f"prompts: [{prompt}]",
        f"models: [{model}]",
        "datasets: [items]",
        f"repeat: {repeat}",
        "assert:",
    ]
    if graded:
        lines += [
            "  - type: starts-with",
            "    value: '{{ text | upper }}'",
            "  - type: contains",
            "    value: '.'",
            "threshold: 0.5",
        ]
    else:
        lines += ["  - type: equals"]
    if gate:
        lines.append("gate:")
        lines += [f"  {k}: {json.dumps(v)}" for k, v in gate.items()]
    return "\n".join(lines) + "\n"


def write(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def init_repo(root: Path) -> git.Repo:
    """`git init` on branch main with a committer identity of its own."""
    root.mkdir(parents=True, exist_ok=True)
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Gate Tester")
        config.set_value("user", "email", "gate@example.com")
        config.set_value("commit", "gpgsign", "false")
    return repo


def commit(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    repo.git.commit("-m", message, "--allow-empty", "--no-verify")
    return str(repo.head.commit.hexsha)


def make_project(
    root: Path,
    *,
    function: str = "good",
    suite: Mapping[str, Any] | None = None,
    extra: Mapping[str, str] | None = None,
) -> git.Repo:
    """A committed project on branch main: prompt `ask`, model `bot` (app/models.py:FUNCTION), dataset
    `items` (10 cases) and suite `main` (suite_yaml(**suite))."""
    repo = init_repo(root)
    files = {
        ".gitignore": GITIGNORE,
        "llmops.yaml": SETTINGS,
        "app/models.py": MODELS_PY,
        "prompts/ask.yaml": prompt_yaml(),
        "models/bot.yaml": model_yaml(function),
        "datasets/items.yaml": dataset_yaml(),
        "suites/main.yaml": suite_yaml(**(suite or {})),
        **(extra or {}),
    }
    write(root, files)
    commit(repo, "project")
    return repo


def run(root: Path, *args: str | Path) -> Result:
    """`llmopsctl -C ROOT ARGS...` in-process (the caller restores the working directory)."""
    from llmopsctl.cli.app import app

    return CliRunner().invoke(app, ["-C", str(root), *(str(a) for a in args)])


def ok(result: Result, code: int = 0) -> Result:
    assert result.exit_code == code, (
        f"exit {result.exit_code}, wanted {code}\n{result.stdout}\n{result.stderr}"
    )
    return result


def eval_run(root: Path, *args: str) -> str:
    """Run `eval` and return the new run's id."""
    data = json.loads(ok(run(root, "eval", "--json", "-q", *args)).stdout)
    run_id: str = data["run_id"]
    return run_id


def baseline_file(root: Path, suite: str = "main") -> Path:
    return root / ".llmops" / "baselines" / f"{suite}.json"


def make_baseline(repo: git.Repo, suite: str = "main", *eval_args: str) -> str:
    """Eval the suite, write its baseline, commit it; returns the run id."""
    root = Path(str(repo.working_tree_dir))
    run_id = eval_run(root, suite, *eval_args)
    ok(run(root, "baseline", "update", suite))
    commit(repo, f"baseline {suite}")
    return run_id


def branch(repo: git.Repo, name: str, files: Mapping[str, str], message: str = "change") -> None:
    """Create branch NAME from the current HEAD, write FILES and commit them."""
    repo.git.checkout("-b", name)
    write(Path(str(repo.working_tree_dir)), files)
    commit(repo, message)


def gate_json(result: Result) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def keys(*case_ids: str, prompt: str = "ask", model: str = "bot") -> list[str]:
    return [f"{prompt}/{model}/items/{c}" for c in case_ids]


def run_suites(root: Path) -> list[str]:
    """The suite of every run in the project's database, oldest first."""
    import duckdb

    con = duckdb.connect(str(root / ".llmops" / "llmops.duckdb"), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT suite FROM runs ORDER BY started_at").fetchall()]
    finally:
        con.close()
