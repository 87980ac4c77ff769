"""Structure scorers: is-json, json-schema, json-path (and its JSONPath subset), is-valid-tool-call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmopsctl.scorers import jsonpath
from llmopsctl.scorers.base import ScorerError
from scorer_helpers import run

PERSON = {
    "type": "object",
    "required": ["name", "age"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
}


@pytest.mark.parametrize(
    ("output", "passed"),
    [
        ('{"a": 1}', True),
        ("```json\n[1, 2]\n```", True),
        ("  42 ", True),
        ('"ünïcode ✓"', True),
        ("", False),
        ("{'a': 1}", False),
        ("Sure! Here it is: {}", False),
    ],
)
def test_is_json(output: str, passed: bool) -> None:
    assert run("is-json", output).passed is passed
    assert run("not-is-json", output).passed is not passed


def test_json_schema_inline() -> None:
    assert run("json-schema", '{"name": "Ada", "age": 36}', PERSON).passed
    bad = run("json-schema", '{"name": "Ada", "age": -1}', PERSON)
    assert not bad.passed and "$.age" in bad.reason and "minimum" in bad.reason
    missing = run("json-schema", '{"name": "Ada"}', PERSON)
    assert "'age' is a required property" in missing.reason
    assert not run("json-schema", "not json", PERSON).passed
    assert run("json-schema", '{"x": 1}', json.dumps({"type": "object"})).passed  # JSON text (a template)
    assert run("json-schema", "[1]", None, {"schema": {"type": "array"}}).passed


def test_json_schema_draft_is_respected() -> None:
    draft7 = {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}]}
    assert run("json-schema", '["a", 1]', draft7).passed
    assert not run("json-schema", "[1]", draft7).passed


def test_json_schema_file(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "person.json").write_text(json.dumps(PERSON))
    (tmp_path / "schemas" / "person.yaml").write_text("type: object\nrequired: [name]\n")
    root = str(tmp_path)
    assert run("json-schema", '{"name": "A", "age": 1}', "schemas/person.json", root=root).passed
    assert not run("json-schema", '{"age": 1}', "schemas/person.yaml", root=root).passed
    with pytest.raises(ScorerError, match=r"schema file not found: schemas/nope\.json"):
        run("json-schema", "{}", "schemas/nope.json", root=root)


def test_json_schema_errors() -> None:
    with pytest.raises(ScorerError, match=r"invalid JSON Schema at \$\.type"):
        run("json-schema", "{}", {"type": "objekt"})
    with pytest.raises(ScorerError, match="needs a JSON Schema"):
        run("json-schema", "{}", None)
    with pytest.raises(ScorerError, match="not valid JSON"):
        run("json-schema", "{}", "{nope")


def test_json_schema_large_document() -> None:
    document = json.dumps([{"name": f"p{i}", "age": i} for i in range(40_000)])  # ~1 MB
    assert len(document) > 1_000_000
    assert run("json-schema", document, {"type": "array", "items": PERSON}).passed


# -- JSON path ---------------------------------------------------------------------------------------

DOC = {
    "a": {"b": [10, 20, {"c": "deep"}]},
    "items": [{"id": 1, "tags": ["x"]}, {"id": 2, "tags": []}],
    "k k": True,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", [DOC]),
        ("$.a.b[0]", [10]),
        ("$.a.b[-1].c", ["deep"]),
        ("$['a']['b'][1]", [20]),
        ('$["k k"]', [True]),
        ("$.items[*].id", [1, 2]),
        ("$.items.*.tags", [["x"], []]),
        ("$.a.b[5]", []),
        ("$.missing.x", []),
        ("$.a[0]", []),
    ],
)
def test_jsonpath_find(path: str, expected: list[Any]) -> None:
    assert jsonpath.find(DOC, jsonpath.parse(path)) == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a.b", "starts with '\\$'"),
        ("$..a", "recursive descent"),
        ("$.a[0:2]", "slices and filters are not supported"),
        ("$[?(@.a)]", "slices and filters are not supported"),
        ("$.", "expected a key after '.'"),
        ("$.a[1", "missing '\\]'"),
        ("$['a]", "unterminated quoted key"),
        ("$a", "unexpected 'a' at column 2"),
    ],
)
def test_jsonpath_syntax_errors(path: str, message: str) -> None:
    with pytest.raises(jsonpath.JsonPathError, match=message):
        jsonpath.parse(path)


def test_json_path_scorer() -> None:
    output = json.dumps(DOC)
    assert run("json-path", output, {"path": "$.a.b[0]", "equals": 10}).passed
    assert not run("json-path", output, {"path": "$.a.b[0]", "equals": 11}).passed
    assert run("json-path", output, {"path": "$.a.b[0]", "equals": "10"}).passed  # a rendered template
    assert not run("json-path", output, {"path": "$['k k']", "equals": 1}).passed  # true is not 1
    assert run("json-path", output, {"path": "$.items[*].id", "equals": [1, 2]}).passed
    assert run("json-path", output, {"path": "$.items[*].id", "contains": 2}).passed
    assert run("json-path", output, {"path": "$.a.b[2].c", "contains": "ee"}).passed
    assert run("json-path", output, {"path": "$.a", "contains": "b"}).passed  # a key of an object
    assert run("json-path", output, "$.items[1]").passed  # a bare path: it exists
    nothing = run("json-path", output, "$.nope")
    assert not nothing.passed and nothing.reason == "nothing at $.nope"
    assert run("json-path", output, None, {"path": "$.a.b[1]", "equals": 20}).passed
    assert not run("json-path", "not json", "$.a").passed
    assert run("not-json-path", output, {"path": "$.a.b[0]", "equals": 11}).passed


def test_json_path_errors() -> None:
    with pytest.raises(ScorerError, match="needs a `path`"):
        run("json-path", "{}", {"equals": 1})
    with pytest.raises(ScorerError, match="recursive descent"):
        run("json-path", "{}", "$..x")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text("abc", min_size=1), children),
    max_leaves=10,
)


@given(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True), JSON, min_size=1))
def test_jsonpath_keys_select_members(document: dict[str, Any]) -> None:
    for key, value in document.items():
        assert jsonpath.find(document, jsonpath.parse(f"$.{key}")) == [value]
        assert jsonpath.find(document, jsonpath.parse(f"$['{key}']")) == [value]
    assert jsonpath.find(document, jsonpath.parse("$.*")) == list(document.values())


# -- tool calls --------------------------------------------------------------------------------------

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
                "required": ["city"],
                "additionalProperties": False,
            },
        },
    },
    {"type": "function", "function": {"name": "now"}},
]


def call(name: str, arguments: Any) -> dict[str, Any]:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}


def test_valid_tool_calls() -> None:
    output = json.dumps([call("get_weather", {"city": "Oslo", "unit": "c"}), call("now", "")])
    score = run("is-valid-tool-call", output, TOOLS)
    assert score.passed and score.value == 1.0 and "2 valid tool calls" in score.reason
    # {"tool_calls": [...]} as a message, a single call, or the provider's metadata
    assert run("is-valid-tool-call", json.dumps({"tool_calls": [call("now", "{}")]}), TOOLS).passed
    assert run("is-valid-tool-call", json.dumps(call("now", "{}")), TOOLS).passed
    meta = {"tool_calls": [call("get_weather", {"city": "Rome"})], "tools": TOOLS}
    assert run("is-valid-tool-call", "", None, metadata=meta).passed


def test_invalid_tool_calls() -> None:
    wrong_args = run("is-valid-tool-call", json.dumps([call("get_weather", {"unit": "k"})]), TOOLS)
    assert not wrong_args.passed and "'city' is a required property" in wrong_args.reason
    unknown = run("is-valid-tool-call", json.dumps([call("get_wether", {"city": "x"})]), TOOLS)
    assert "unknown tool 'get_wether'; did you mean 'get_weather'?" in unknown.reason
    half = run("is-valid-tool-call", json.dumps([call("now", "{}"), call("get_weather", "{oops")]), TOOLS)
    assert half.value == 0.5 and not half.passed and "arguments are not valid JSON" in half.reason
    assert not run("is-valid-tool-call", "[]", TOOLS).passed
    assert not run("is-valid-tool-call", "I will call get_weather", TOOLS).passed
    assert not run("is-valid-tool-call", '"just a string"', TOOLS).passed


def test_tool_call_definition_errors() -> None:
    with pytest.raises(ScorerError, match="needs the tool definitions"):
        run("is-valid-tool-call", "[]", None)
    with pytest.raises(ScorerError, match="no function name"):
        run("is-valid-tool-call", "[]", [{"type": "function"}])
    bad_schema = [{"name": "x", "parameters": {"type": 5}}]
    with pytest.raises(ScorerError, match="invalid JSON Schema"):
        run("is-valid-tool-call", json.dumps([{"name": "x", "arguments": {}}]), bad_schema)


def test_anthropic_style_tools_and_calls() -> None:
    tools = [{"name": "add", "input_schema": {"type": "object", "required": ["a"]}}]
    assert run(
        "is-valid-tool-call", json.dumps([{"type": "tool_use", "name": "add", "input": {"a": 1}}]), tools
    ).passed
    assert not run("is-valid-tool-call", json.dumps([{"name": "add", "input": {}}]), tools).passed
