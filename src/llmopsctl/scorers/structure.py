"""Assertions on the structure of the output: JSON, JSON Schema, JSON paths, tool calls."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.core.suggest import did_you_mean
from llmopsctl.scorers import jsonpath
from llmopsctl.scorers.base import CheckEnv, Problem, Score, ScoreContext, ScorerError, is_template, shorten
from llmopsctl.scorers.checking import Where, given_option, literal
from llmopsctl.scorers.declaration import AssertionType


def extract_json(text: str) -> Any:
    """Parse the output as JSON, tolerating a Markdown code fence around it. Raises ValueError."""
    stripped = text.strip()
    if stripped.startswith("```"):
        lines = stripped.splitlines()
        if len(lines) >= 2 and lines[-1].strip() == "```":
            stripped = "\n".join(lines[1:-1])
    return json.loads(stripped)


def _parsed(ctx: ScoreContext) -> tuple[Any, Score | None]:
    """(document, None), or (None, a failing Score) when the output is not JSON."""
    try:
        return extract_json(ctx.output), None
    except (ValueError, RecursionError) as exc:
        return None, Score.of(False, f"output is not valid JSON: {shorten(str(exc))}")


def is_json(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    _, failure = _parsed(ctx)
    return failure or Score.of(True, "output is valid JSON")


# -- JSON Schema ------------------------------------------------------------------------------------


def load_schema(value: Any, root: str | Path | None) -> Any:
    """An inline schema (dict/bool, or JSON text), or a .json/.yaml schema file relative to `root`."""
    if isinstance(value, (dict, bool)):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ScorerError("needs a JSON Schema in `value`: inline, or the path of a schema file")
    text = value.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ScorerError(f"the inline schema is not valid JSON: {exc}") from None
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (Path(root) if root else Path.cwd()) / path
    if not path.is_file():
        raise ScorerError(f"schema file not found: {text} (paths are relative to the project root)")
    # lazy: only a schema file written in YAML needs the parser
    import yaml

    try:
        raw = path.read_text(encoding="utf-8")
        return yaml.safe_load(raw) if path.suffix.lower() in (".yaml", ".yml") else json.loads(raw)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ScorerError(f"cannot read schema file {text}: {shorten(str(exc), 200)}") from None


def schema_validator(schema: Any) -> Any:
    """A jsonschema validator for the schema's `$schema` draft (default 2020-12); ScorerError if invalid."""
    # lazy: jsonschema is slow to import; only json-schema and tool-call assertions need it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    if not isinstance(schema, (dict, bool)):
        raise ScorerError(f"a JSON Schema is an object or a boolean, not {type(schema).__name__}")
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        where = jsonpath_of(exc.absolute_path)
        raise ScorerError(f"invalid JSON Schema at {where}: {shorten(exc.message, 200)}") from None
    return cls(schema)


def jsonpath_of(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def schema_errors(validator: Any, document: Any, limit: int = 3) -> list[str]:
    # lazy: jsonschema is slow to import; only a failing output needs its error ranking
    from jsonschema.exceptions import relevance

    errors = sorted(validator.iter_errors(document), key=relevance)
    return [f"{jsonpath_of(e.absolute_path)}: {shorten(e.message, 120)}" for e in errors[:limit]] + (
        [f"... {len(errors) - limit} more"] if len(errors) > limit else []
    )


def json_schema(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """The output parses as JSON and validates against the schema in `value` (inline or a file path)."""
    validator = schema_validator(load_schema(value if value is not None else config.get("schema"), ctx.root))
    document, failure = _parsed(ctx)
    if failure:
        return failure
    problems = schema_errors(validator, document)
    if problems:
        return Score.of(False, "output does not match the schema: " + "; ".join(problems))
    return Score.of(True, "output matches the schema")


# -- JSON path --------------------------------------------------------------------------------------


def same_json(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true != 1 (bools are not numbers in JSON)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _equal(found: Any, want: Any) -> bool:
    if same_json(found, want):
        return True
    # a templated `value` renders to text: "42" matches 42, "true" matches true
    return isinstance(want, str) and not isinstance(found, str) and json.dumps(found) == want


def _contains(found: Any, want: Any) -> bool:
    if isinstance(found, str):
        return str(want) in found
    if isinstance(found, list):
        return any(_equal(item, want) for item in found)
    if isinstance(found, dict):
        return str(want) in found
    return False


def json_path_spec(value: Any, config: Mapping[str, Any]) -> dict[str, Any]:
    """{path, equals?|contains?} from a dict `value` over `config`; a string `value` is the path alone."""
    if isinstance(value, str):
        return {**config, "path": value}
    if isinstance(value, dict):
        return {**config, **value}
    if value is not None:
        raise ScorerError("`value` must be {path, equals} or {path, contains} (or a path string)")
    return dict(config)


def json_path(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    spec = json_path_spec(value, config)
    path = spec.get("path")
    if not isinstance(path, str):
        raise ScorerError("needs a `path` such as $.answer or $.items[0].id")
    try:
        steps = jsonpath.parse(path)
    except jsonpath.JsonPathError as exc:
        raise ScorerError(str(exc)) from None
    document, failure = _parsed(ctx)
    if failure:
        return failure
    matches = jsonpath.find(document, steps)
    if not matches:
        return Score.of(False, f"nothing at {path}")
    found = matches[0] if jsonpath.is_definite(steps) else matches
    shown = shorten(json.dumps(found, ensure_ascii=False), 60)
    if "equals" in spec:
        ok = _equal(found, spec["equals"])
        return Score.of(
            ok, f"{path} is {shown}" + ("" if ok else f", not {shorten(repr(spec['equals']), 60)}")
        )
    if "contains" in spec:
        ok = _contains(found, spec["contains"])
        verb = "contains" if ok else "does not contain"
        return Score.of(ok, f"{path} ({shown}) {verb} {shorten(repr(spec['contains']), 60)}")
    return Score.of(True, f"{path} exists ({shown})")


# -- tool calls -------------------------------------------------------------------------------------


def declared_tools(tools: Any) -> dict[str, Any]:
    """{name: parameters schema} from OpenAI tool definitions (also bare {name, parameters} and
    Anthropic's {name, input_schema}). ScorerError when they are malformed."""
    if not isinstance(tools, list):
        raise ScorerError("tool definitions must be a list (OpenAI `tools`)")
    out: dict[str, Any] = {}
    for i, tool in enumerate(tools):
        fn = tool.get("function", tool) if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise ScorerError(f"tool definition {i} has no function name")
        params = fn.get("parameters", fn.get("input_schema", {"type": "object"}))
        out[fn["name"]] = params
    return out


def _calls(ctx: ScoreContext) -> list[Any]:
    raw = ctx.metadata.get("tool_calls")
    if raw is None:
        raw = extract_json(ctx.output)  # ValueError when the output is not JSON
    if isinstance(raw, dict):
        raw = raw.get("tool_calls", [raw])
    if not isinstance(raw, list):
        raise ValueError("expected a list of tool calls")
    return raw


def _call_problem(call: Any, tools: dict[str, Any], validators: dict[str, Any]) -> tuple[str, str | None]:
    """(tool name, problem or None) for one OpenAI tool call (or {name, arguments} / {name, input})."""
    fn = call.get("function", call) if isinstance(call, dict) else None
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
        return "?", "a tool call without a function name"
    name = fn["name"]
    if name not in tools:
        return name, f"unknown tool {name!r}{did_you_mean(name, sorted(tools))}"
    args = fn.get("arguments", fn.get("input", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except ValueError as exc:
            return name, f"{name}: arguments are not valid JSON ({shorten(str(exc), 60)})"
    if name not in validators:
        validators[name] = schema_validator(tools[name])
    problems = schema_errors(validators[name], args, limit=2)
    return name, f"{name}: " + "; ".join(problems) if problems else None


def is_valid_tool_call(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    """Every tool call (ctx.metadata["tool_calls"], else the output as JSON) names a declared tool
    (`value`, else ctx.metadata["tools"]) and its arguments validate against that tool's `parameters`.
    The score is the fraction of valid calls."""
    declared = value if value is not None else config.get("tools", ctx.metadata.get("tools"))
    if declared is None:
        raise ScorerError(
            "needs the tool definitions: `value` (a list of OpenAI tools) or the request's tools"
        )
    tools = declared_tools(declared)
    try:
        calls = _calls(ctx)
    except (ValueError, RecursionError) as exc:
        return Score.of(False, f"output is not tool-call JSON: {shorten(str(exc))}")
    if not calls:
        return Score.of(False, "no tool calls")
    validators: dict[str, Any] = {}
    results = [_call_problem(call, tools, validators) for call in calls]
    problems = [problem for _, problem in results if problem]
    valid = len(calls) - len(problems)
    if problems:
        return Score(
            valid / len(calls), False, f"{len(problems)} of {len(calls)} calls invalid: {problems[0]}"
        )
    names = ", ".join(name for name, _ in results)
    return Score(
        1.0, True, f"{len(calls)} valid tool call{'s' if len(calls) > 1 else ''} ({shorten(names, 60)})"
    )


# -- static checks ----------------------------------------------------------------------------------


def check_json_schema(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """The schema (inline, or a file when the project root is known) is a valid JSON Schema."""
    value = assertion.value
    where: Where = ("value",)
    if value is None:
        value, where = assertion.config.get("schema"), ("config", "schema")
    if value is None:
        return [((), "needs a JSON Schema: `value` (inline, or the path of a schema file)")]
    if is_template(value):
        return []
    is_file = isinstance(value, str) and not value.strip().startswith("{")
    if is_file and env.root is None:
        return []
    try:
        schema_validator(load_schema(value, env.root))
    except ScorerError as exc:
        return [(where, str(exc))]
    return []


def check_json_path(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """A `path` in the supported JSONPath subset, with `equals` or `contains` (not both)."""
    value = assertion.value
    if is_template(value):
        return []
    try:
        spec = json_path_spec(value, assertion.config)
    except ScorerError as exc:
        return [(("value",), str(exc))]
    where: Where = (
        ("value",) if isinstance(value, str) else (given_option(assertion, "path") or ((), None))[0]
    )
    path = spec.get("path")
    if path is None:
        return [((), "needs a `path` such as $.answer or $.items[0].id")]
    if not isinstance(path, str):
        return [(where, "`path` must be a string such as $.answer")]
    problems: list[Problem] = []
    if not is_template(path):
        try:
            jsonpath.parse(path)
        except jsonpath.JsonPathError as exc:
            problems.append((where, f"bad JSON path: {exc}"))
    if "equals" in spec and "contains" in spec:
        problems.append((where[:-1] if where else (), "give `equals` or `contains`, not both"))
    return problems


def check_tools(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """Literal tool definitions are well formed and their parameters are valid JSON Schemas."""
    known, value = literal(assertion)
    if not known:
        return []
    try:
        tools = declared_tools(value)
        for name, schema in tools.items():
            try:
                schema_validator(schema)
            except ScorerError as exc:
                raise ScorerError(f"tool {name!r}: {exc}") from None
    except ScorerError as exc:
        return [(("value",), str(exc))]
    return []


TYPES = (
    AssertionType("is-json", is_json, needs_value=False),
    AssertionType("json-schema", json_schema, needs_value=False, check=check_json_schema),
    AssertionType("json-path", json_path, needs_value=False, check=check_json_path),
    AssertionType("is-valid-tool-call", is_valid_tool_call, needs_value=False, check=check_tools),
)
