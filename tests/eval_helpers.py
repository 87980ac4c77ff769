"""Helpers for end-to-end tests of `llmopsctl eval` and the commands that read its results: a project
writer whose models call the fake server (`fake_llm_server`), the model definitions the tests share, and
in-process CLI calls with readers of the results database. The fixtures (`eval_env`, `server`,
`fake_server`, `eval_project`) are in conftest.py.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from typer.testing import CliRunner, Result

if TYPE_CHECKING:
    from fake_llm_server import FakeLLMServer

# The conftest fixtures' factories: `eval_project(server, **write_project options)`, `fake_server(...)`.
MakeProject = Callable[..., Path]
StartServer = Callable[..., "FakeLLMServer"]

# --- a small project using the server -----------------------------------------------------------------

KEY_ENV = "TEST_LLM_KEY"


@dataclass
class ModelDef:
    name: str
    provider: str = "openai"
    model: str = ""  # the provider's model id; default gpt-<name>
    pricing: dict[str, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# `priced` at the fake server's usage (100 input tokens, 40 of them cached, 20 output): $0.000024 a call.
PRICED = ModelDef("priced", pricing={"input": 0.15, "output": 0.60, "cached_input": 0.075})
FLAT_PRICED = ModelDef("priced", pricing={"input": 1.0, "output": 2.0})  # round prices, no cached input price
JUDGE = ModelDef("judge", model="gpt-judge", pricing={"input": 1.0, "output": 2.0})


def case_ids(n: int) -> list[str]:
    return [f"q{i:03d}" for i in range(1, n + 1)]


def default_cases(n: int) -> list[dict[str, Any]]:
    """Cases q001..qNNN asking to repeat a word; even ones tagged `even`. Echoing passes them."""
    return [
        {
            "id": cid,
            "vars": {"word": f"w-{cid}"},
            "expected": f"w-{cid}",
            "tags": ["even" if i % 2 == 0 else "odd"],
        }
        for i, cid in enumerate(case_ids(n), start=1)
    ]


def write_project(
    root: Path,
    *,
    port: int | None = None,
    cases: int | list[dict[str, Any]] = 4,
    models: Sequence[ModelDef] | None = None,
    prompts: Sequence[str] = ("ask",),
    settings: str = "",
    suite_extra: str = "",
    files: Mapping[str, str] | None = None,
) -> Path:
    """Write llmops.yaml, prompts/<prompts>.yaml, models/*, datasets/golden.jsonl and suites/smoke.yaml.

    By default two openai models against http://127.0.0.1:PORT/v1 with api_key_env TEST_LLM_KEY:
    `priced` (pricing input 0.15, output 0.60, cached_input 0.075 per million) and `unpriced`.
    Asserts: the output equals the case's `expected`. `files` adds or replaces files (relative paths).
    """
    root.mkdir(parents=True, exist_ok=True)
    if models is None:
        models = [PRICED, ModelDef("unpriced")]
    case_list = default_cases(cases) if isinstance(cases, int) else cases
    text: dict[str, str] = {
        "llmops.yaml": textwrap.dedent(
            """\
            version: 1
            project: e2e
            defaults:
              concurrency: 4
              timeout_s: 0.5
              retries: 2
              backoff_s: 0.01
            """
        )
        + settings,
        "datasets/golden.jsonl": "".join(json.dumps(c, sort_keys=True) + "\n" for c in case_list),
        "suites/smoke.yaml": textwrap.dedent(
            f"""\
            prompts: [{", ".join(prompts)}]
            models: [{", ".join(m.name for m in models)}]
            datasets: [golden]
            assert:
              - type: equals
            """
        )
        + suite_extra,
    }
    for name in prompts:
        text[f"prompts/{name}.yaml"] = textwrap.dedent(
            f"""\
            messages:
              - role: system
                content: Repeat the word you are given and nothing else. ({name})
              - role: user
                content: "{{{{ word }}}}"
            """
        )
    for m in models:
        body: dict[str, Any] = {"provider": m.provider, "model": m.model or f"gpt-{m.name}"}
        if m.provider in ("openai", "anthropic", "ollama"):
            body["base_url"] = f"http://127.0.0.1:{port}/v1"
            body["api_key_env"] = KEY_ENV
            body["timeout_s"] = 0.5
        if m.pricing is not None:
            body["pricing"] = m.pricing
        body.update(m.extra)
        text[f"models/{m.name}.yaml"] = json.dumps(body, indent=2) + "\n"  # JSON is YAML
    text.update(files or {})
    for rel, content in text.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


# --- running the CLI and reading the results ----------------------------------------------------------

KEY = "sk-e2e-Zq8uVb3T7mXw1pL5kN9rA2cY6dF4"  # a distinctive fake API key, searched for in every output


def cli(*args: str | Path) -> Result:
    """`llmopsctl ARGS...` in-process (callers restore the working directory that -C changes)."""
    from llmopsctl.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args])


def eval_json(root: Path, *args: str | Path, code: int = 0) -> dict[str, Any]:
    """`llmopsctl -C ROOT eval --json ARGS...`, asserting its exit code; the JSON summary."""
    result = cli("-C", root, "eval", "--json", "-q", *args)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def db_path(root: Path) -> Path:
    return root / ".llmops" / "llmops.duckdb"


def query(db: Path, sql: str, *params: Any) -> list[dict[str, Any]]:
    """Rows of a read-only query, as dicts (the database must not be held by another process)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        cursor = con.execute(sql, list(params))
        names = [d[0] for d in cursor.description or []]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def results(root: Path, run_id: str | None = None, db: Path | None = None) -> list[dict[str, Any]]:
    where, params = ("WHERE run_id = ?", [run_id]) if run_id else ("", [])
    return query(db or db_path(root), f"SELECT * FROM results {where} ORDER BY item_key", *params)


def by_case(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["case_id"]: r for r in rows}


def only_run(root: Path) -> dict[str, Any]:
    """The runs table's one row (asserting there is exactly one)."""
    (row,) = query(db_path(root), "SELECT * FROM runs")
    return row


def run_row(root: Path, run_id: str) -> dict[str, Any]:
    (row,) = query(db_path(root), "SELECT * FROM runs WHERE id = ?", run_id)
    return row


def latest_run(root: Path) -> dict[str, Any]:
    return query(db_path(root), "SELECT * FROM runs ORDER BY started_at DESC LIMIT 1")[0]


def judge_calls(root: Path, run_id: str) -> list[dict[str, Any]]:
    return query(db_path(root), "SELECT * FROM judge_calls WHERE run_id = ? ORDER BY id", run_id)
