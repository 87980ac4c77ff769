"""Check data against a kind's JSON Schema; each failure becomes a positioned, readable message."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from llmopsctl.core.diagnostics import Diagnostic, JsonPath, format_json_path
from llmopsctl.core.suggest import did_you_mean
from llmopsctl.project.schemas import load_schema
from llmopsctl.project.yamlsource import Source

if TYPE_CHECKING:
    from jsonschema import ValidationError

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@cache
def _validator(kind: str) -> Any:
    # lazy: jsonschema is slow to import; `--help` and `--version` do not need it
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(kind))


def _describe_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _leaf_errors(error: ValidationError) -> Iterator[ValidationError]:
    """For oneOf/anyOf, report the branch that got furthest rather than 'is not valid under any'."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        # lazy: jsonschema is slow to import; `--help` and `--version` do not need it
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        if best is not None:
            yield best
            return
    yield error


def schema_diagnostics(
    kind: str, data: Any, source: Source | None, rel: str, base: JsonPath = ()
) -> list[Diagnostic]:
    """Every schema problem in `data` (a file, or one case when base points into a dataset)."""
    out: list[Diagnostic] = []
    for top in _validator(kind).iter_errors(data):
        for error in _leaf_errors(top):
            out.extend(_convert(error, source, rel, base))
    return out


def _convert(error: ValidationError, source: Source | None, rel: str, base: JsonPath) -> Iterator[Diagnostic]:
    path: JsonPath = base + tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}

    def diag(message: str, at: JsonPath, key: bool = False) -> Diagnostic:
        pos = source.locate(at, key=key) if source else None
        line, col = (pos.line, pos.col) if pos else (1, 1)
        return Diagnostic(rel, line, col, message, format_json_path(at), "schema")

    validator = error.validator
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        known = list(schema.get("properties", {}))
        for key in error.instance:
            if key not in known:
                where = f" in {format_json_path(path)}" if path else ""
                yield diag(f"unknown key {key!r}{where}{did_you_mean(key, known)}", (*path, key), key=True)
        return
    if validator == "required":
        missing = [
            k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance
        ]
        for key in missing:
            yield diag(f"missing required key {key!r}", path)
        return
    if validator == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        want = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        yield diag(f"expected {want}, got {_describe_type(error.instance)}", path)
        return
    if validator == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        yield diag(
            f"{error.instance!r} is not one of: {options}"
            + did_you_mean(error.instance, error.validator_value),
            path,
        )
        return
    if validator == "const":
        yield diag(f"must be {error.validator_value!r}, got {error.instance!r}", path)
        return
    if validator == "pattern" and isinstance(error.instance, str):
        yield diag(_pattern_message(error.instance, str(error.validator_value), path), path)
        return
    if validator in ("minItems", "minLength") and not error.instance:
        yield diag("must not be empty", path)
        return
    if validator == "not" and error.validator_value == {} and path:
        # a key reserved for a later feature (see `unsupported` in tools/build_schemas.py)
        yield diag(f"{path[-1]!r} is {schema.get('description', 'not supported')}", path, key=True)
        return
    if validator == "uniqueItems":
        yield diag("has duplicate entries", path)
        return
    yield diag(error.message, path)


def _pattern_message(value: str, pattern: str, path: JsonPath) -> str:
    field = str(path[-1]) if path else ""
    if field.endswith("_env"):
        return f"{value!r} is not an environment variable name (letters, digits and _)"
    if field == "base_url":
        return f"{value!r} is not an http(s) URL"
    if pattern.startswith("^[A-Za-z0-9]"):
        return (
            f"{value!r} is not a valid name (letters, digits, '_', '.', '-'; starting with a letter or digit)"
        )
    if "never" in pattern:
        return f"{value!r} is not a duration (e.g. 3600, 30s, 15m, 12h, 7d, 2w, never)"
    return f"{value!r} does not match {pattern}"
