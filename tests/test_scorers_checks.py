"""Static checks of assertions (`AssertionType.check`) and how `llmopsctl validate` reports them."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from conftest import problem_lines
from llmopsctl.core.assertions import Assertion
from llmopsctl.scorers.base import CheckEnv, ScorerError
from llmopsctl.scorers.registry import BUILTINS, resolve

ROOT = Path(__file__).resolve().parent.parent


def problems(assertion: dict[str, Any], env: CheckEnv | None = None) -> list[tuple[tuple[Any, ...], str]]:
    spec, _ = resolve(assertion["type"])
    return spec.problems(Assertion.from_mapping(assertion), env or CheckEnv())


CLEAN = [
    {"type": "equals", "value": {"a": 1}},
    {"type": "contains", "value": "{{ expected }}"},
    {"type": "contains-all", "value": ["a", "b"]},
    {"type": "contains-any", "value": "single"},
    {"type": "regex", "value": "^a+$", "config": {"flags": "im"}},
    {"type": "regex", "value": "{{ pattern }}("},  # a template: judged at run time
    {"type": "word-count", "config": {"min": 1, "max": 5}},
    {"type": "length", "value": 10},
    {"type": "length", "value": {"max": 10}},
    {"type": "levenshtein", "threshold": 3},
    {"type": "similarity-ratio", "threshold": 0.9},
    {"type": "is-json"},
    {"type": "json-schema", "value": {"type": "object"}},
    {"type": "json-path", "value": {"path": "$.a[0]", "equals": 1}},
    {"type": "json-path", "value": "$.items[*].id"},
    {"type": "json-path", "config": {"path": "$['a b']", "contains": "x"}},
    {"type": "is-valid-tool-call", "value": [{"type": "function", "function": {"name": "f"}}]},
    {"type": "is-valid-tool-call"},
    {"type": "rouge-l", "threshold": 0},
    {"type": "bleu", "config": {"threshold": 1}},
    {"type": "latency", "value": 2000},
    {"type": "cost", "threshold": 0.01},
    {"type": "finish-reason", "value": ["stop", "length"]},
    {"type": "llm-judge", "value": "is polite", "config": {"model": "judge"}},
    {"type": "llm-judge", "config": {"model": "judge", "rubric": "is polite"}},
    {"type": "llm-judge", "value": "is polite, 0-10", "config": {"model": "judge", "scale": 10}},
    {"type": "factuality", "config": {"model": "judge", "scores": {"A": 0.5}}},
    {"type": "answer-relevance", "config": {"model": "judge"}},
    {"type": "similar", "config": {"model": "embedder"}, "threshold": 0.75},
    {"type": "python", "value": "evals/checks.py:score"},
    {"type": "python", "config": {"function": "evals.checks:score"}},
    {"type": "python", "value": "some_installed_package.mod:fn"},
    {"type": "assert-set", "value": [{"type": "contains", "value": "a"}, {"type": "is-json", "weight": 0}]},
]


@pytest.fixture
def env(tmp_path: Path) -> CheckEnv:
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "checks.py").write_text("import os\n\ndef score(output):\n    return True\n")
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "ok.json").write_text('{"type": "object"}')
    (tmp_path / "schemas" / "bad.yaml").write_text("type: 12\n")
    return CheckEnv(root=tmp_path, models=frozenset({"judge", "embedder", "gpt-4o-mini"}))


@pytest.mark.parametrize("assertion", CLEAN, ids=lambda a: str(a["type"]))
def test_clean_assertions_have_no_problems(assertion: dict[str, Any], env: CheckEnv) -> None:
    assert problems(assertion, env) == []


BAD: list[tuple[dict[str, Any], list[tuple[tuple[Any, ...], str]]]] = [
    (
        {"type": "contains", "value": ["a", "b"]},
        [
            (
                ("value",),
                "`value` must be a string, not a list; for several strings use contains-all or contains-any",
            )
        ],
    ),
    (
        {"type": "contains-all", "value": {"a": 1}},
        [(("value",), "`value` must be a non-empty list of strings")],
    ),
    ({"type": "contains-any", "value": ["a", ["b"]]}, [(("value", 1), "each item must be a string")]),
    (
        {"type": "regex", "value": "([a-z"},
        [(("value",), "invalid regular expression '([a-z': unterminated character set at position 1")],
    ),
    (
        {"type": "regex", "value": "a", "config": {"flags": "iq"}},
        [(("config", "flags"), "unknown regex flag 'q' (known: i, m, s, x)")],
    ),
    ({"type": "word-count"}, [((), "needs `min` and/or `max` (in `config`), or a number `value`")]),
    (
        {"type": "word-count", "config": {"min": 10, "max": 5}},
        [(("config", "min"), "`min` (10) is greater than `max` (5)")],
    ),
    ({"type": "length", "value": {"max": -1}}, [(("value", "max"), "`max` must be >= 0, got -1")]),
    (
        {"type": "length", "value": "many"},
        [(("value",), "`value` must be a number, got 'many' (or a mapping with `min` and/or `max`)")],
    ),
    (
        {"type": "levenshtein", "threshold": -2},
        [(("threshold",), "`threshold` (the maximum edit distance) must be >= 0, got -2")],
    ),
    ({"type": "f1", "threshold": 1.5}, [(("threshold",), "`threshold` must be from 0 to 1, got 1.5")]),
    (
        {"type": "rouge-l", "config": {"threshold": "high"}},
        [(("config", "threshold"), "`threshold` must be a number, got 'high'")],
    ),
    (
        {"type": "json-schema", "value": {"type": "objekt"}},
        [(("value",), "invalid JSON Schema at $.type: 'objekt' is not valid under any of the given schemas")],
    ),
    ({"type": "json-schema"}, [((), "needs a JSON Schema: `value` (inline, or the path of a schema file)")]),
    (
        {"type": "json-schema", "value": "schemas/missing.json"},
        [
            (
                ("value",),
                "schema file not found: schemas/missing.json (paths are relative to the project root)",
            )
        ],
    ),
    (
        {"type": "json-schema", "value": "schemas/bad.yaml"},
        [(("value",), "invalid JSON Schema at $.type: 12 is not valid under any of the given schemas")],
    ),
    (
        {"type": "json-path", "value": {"path": "$..a"}},
        [(("value", "path"), "bad JSON path: recursive descent '..' is not supported (at column 2)")],
    ),
    (
        {"type": "json-path", "value": "a.b"},
        [(("value",), "bad JSON path: a JSON path starts with '$' (got 'a.b')")],
    ),
    (
        {"type": "json-path", "config": {"equals": 1}},
        [((), "needs a `path` such as $.answer or $.items[0].id")],
    ),
    (
        {"type": "json-path", "value": {"path": "$.a", "equals": 1, "contains": 1}},
        [(("value",), "give `equals` or `contains`, not both")],
    ),
    (
        {"type": "is-valid-tool-call", "value": [{"type": "function"}]},
        [(("value",), "tool definition 0 has no function name")],
    ),
    (
        {"type": "is-valid-tool-call", "value": [{"name": "f", "parameters": {"type": "thing"}}]},
        [
            (
                ("value",),
                "tool 'f': invalid JSON Schema at $.type: 'thing' is not valid under any of the given "
                "schemas",
            )
        ],
    ),
    ({"type": "latency"}, [((), "needs the maximum: `value` or `threshold`")]),
    ({"type": "cost", "value": -1}, [(("value",), "`value` must be >= 0, got -1")]),
    (
        {"type": "finish-reason"},
        [((), "needs a `value`: the expected finish reason (e.g. stop) or a list of them")],
    ),
    (
        {"type": "llm-judge"},
        [
            ((), "needs a rubric: `value` (or `config.rubric`) saying what a good output is"),
            ((), "needs the judge model: `config.model`, the name of a models/<name>.yaml"),
        ],
    ),
    (
        {"type": "llm-judge", "value": "polite", "config": {"model": "gpt-4o-mni"}},
        [
            (
                ("config", "model"),
                "unknown judge model 'gpt-4o-mni' (no models/gpt-4o-mni.yaml); did you mean 'gpt-4o-mini'?",
            )
        ],
    ),
    (
        {"type": "answer-relevance", "config": {"model": "judge", "scale": "ten"}},
        [
            (
                ("config", "scale"),
                "`config.scale` must be a positive number (e.g. 10 for scores 0-10), got 'ten'",
            )
        ],
    ),
    (
        {"type": "factuality", "config": {"model": "judge", "scores": {"Z": 1}}},
        [(("config", "scores"), "`config.scores`: 'Z': 1 is not a letter A-E with a score 0..1")],
    ),
    (
        {"type": "similar", "config": {"model": 3}},
        [(("config", "model"), "the embedding model must be a model name (models/<name>.yaml)")],
    ),
    (
        {"type": "answer-relevance", "threshold": 2, "config": {"model": "judge"}},
        [(("threshold",), "`threshold` must be from 0 to 1, got 2")],
    ),
    (
        {"type": "python"},
        [((), "needs the function: `value` or `config.function`, `module:function` or `file.py:function`")],
    ),
    (
        {"type": "python", "value": "evals/checks.py"},
        [(("value",), "'evals/checks.py' is not `module:function` or `path/to/file.py:function`")],
    ),
    (
        {"type": "python", "value": "evals/checks.py:scroe"},
        [(("value",), "evals/checks.py defines no function 'scroe'")],
    ),
    (
        {"type": "python", "config": {"function": "evals.checks:nope"}},
        [(("config", "function"), "evals.checks defines no function 'nope'")],
    ),
    (
        {"type": "python", "value": "evals/other.py:f"},
        [(("value",), "evals/other.py does not exist (paths are relative to the project root)")],
    ),
    ({"type": "assert-set", "value": []}, [(("value",), "`value` must be a non-empty list of assertions")]),
    (
        {
            "type": "assert-set",
            "value": [{"type": "containz"}, {"value": 1}, {"type": "regex", "value": "(", "weight": -1}],
        },
        [
            (("value", 0, "type"), "unknown assertion type 'containz'; did you mean 'contains'?"),
            (("value", 1), "each assertion of the set needs a `type`"),
            (("value", 2, "weight"), "`weight` must be a number >= 0, got -1"),
            (
                ("value", 2, "value"),
                "invalid regular expression '(': missing ), unterminated subpattern at position 0",
            ),
        ],
    ),
]


@pytest.mark.parametrize(
    ("assertion", "expected"), BAD, ids=lambda a: str(a.get("type")) if isinstance(a, dict) else ""
)
def test_bad_assertions_are_reported(assertion: dict[str, Any], expected: list[Any], env: CheckEnv) -> None:
    assert problems(assertion, env) == expected


def test_without_project_knowledge_file_and_model_checks_are_skipped() -> None:
    assert problems({"type": "python", "value": "evals/none.py:f"}) == []
    assert problems({"type": "json-schema", "value": "schemas/none.json"}) == []
    assert problems({"type": "similar", "config": {"model": "anything"}}) == []


def test_unknown_type_suggests_a_name() -> None:
    with pytest.raises(
        ScorerError, match=re.escape("unknown assertion type 'rouge'; did you mean 'rouge-l'?")
    ):
        resolve("rouge")


def test_schema_lists_every_builtin_type() -> None:
    spec = importlib.util.spec_from_file_location("build_schemas", ROOT / "tools" / "build_schemas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert list(BUILTINS) == module.ASSERTION_TYPES
    shipped = json.loads((ROOT / "src/llmopsctl/project/schemas/suite.schema.json").read_text())
    type_schema = shipped["$defs"]["assertion"]["properties"]["type"]
    assert type_schema["type"] == "string" and type_schema["examples"] == list(BUILTINS)
    assert shipped["$defs"]["assertion"]["properties"]["config"]["type"] == "object"


# -- end to end: `llmopsctl validate` -----------------------------------------------------------------

DATASET = """\
cases:
  - id: a
    vars: {ticket: x}
    expected: billing
    assert:
      - type: llm-judge
        value: Is it polite?
        config: {model: gpt-4o-mni}
      - type: json-path
        value: {path: "$..id"}
      - type: word-count
        config: {min: 9, max: 3}
      - type: python
        value: evals/keyword_baseline.py:clasify
      - type: f1
        threshold: 1.5
      - type: plugin-type-that-does-not-exist
"""
SUITE = """\
prompts: [ticket-triage]
models: [keyword-baseline]
datasets: [support-tickets]
assert:
  - type: factuality
  - type: json-schema
    value: {type: objekt}
  - type: similar
    value: billing
    config: {model: keyword-baseline, threshold: 0.5}
"""


def test_validate_reports_assertion_problems_at_file_line(
    validate: Callable[..., Result], project: Path
) -> None:
    (project / "datasets" / "checked.yaml").write_text(DATASET)
    (project / "suites" / "checked.yaml").write_text(SUITE)
    result = validate()
    assert result.exit_code == 1, result.output
    assert problem_lines(result) == [
        "datasets/checked.yaml:8:25: unknown judge model 'gpt-4o-mni' (no models/gpt-4o-mni.yaml); "
        "did you mean 'gpt-4o-mini'? ($.cases[0].assert[0].config.model)",
        "datasets/checked.yaml:10:23: bad JSON path: recursive descent '..' is not supported (at column 2) "
        "($.cases[0].assert[1].value.path)",
        "datasets/checked.yaml:12:23: `min` (9) is greater than `max` (3) ($.cases[0].assert[2].config.min)",
        "datasets/checked.yaml:14:16: evals/keyword_baseline.py defines no function 'clasify' "
        "($.cases[0].assert[3].value)",
        "datasets/checked.yaml:16:20: `threshold` must be from 0 to 1, got 1.5 "
        "($.cases[0].assert[4].threshold)",
        "datasets/checked.yaml:17:15: unknown assertion type 'plugin-type-that-does-not-exist' "
        "($.cases[0].assert[5].type)",
        "suites/checked.yaml:5:5: needs the judge model: `config.model`, the name of a models/<name>.yaml "
        "($.assert[0])",
        "suites/checked.yaml:7:12: invalid JSON Schema at $.type: 'objekt' is not valid under any of the "
        "given schemas ($.assert[1].value)",
    ]


def test_an_assert_set_member_may_write_its_threshold_as_a_numeric_string() -> None:
    member = {"type": "rouge-l", "value": "x", "threshold": "0.3"}
    assert problems({"type": "assert-set", "value": [member]}) == []
    assert Assertion.from_mapping(member).threshold == 0.3
    bad = {"type": "assert-set", "value": [{**member, "threshold": "high"}]}
    assert problems(bad) == [(("value", 0, "threshold"), "`threshold` must be a number, got 'high'")]
