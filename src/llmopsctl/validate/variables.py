"""A `variables` schema as a validator, and a fast check that dataset vars certainly fit a simple one."""

from __future__ import annotations

import operator
from typing import Any


def variables_validator(schema: dict[str, Any]) -> Any:
    # lazy: jsonschema is slow to import; most variables schemas are checked without it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError:
        return None
    return Draft202012Validator(schema)


# A quick check for the usual `variables` schema: an object whose properties have simple keywords. It may say
# no to vars that are valid (jsonschema then decides, finding nothing), never yes to invalid ones: jsonschema
# still makes every message. Types compare exactly, so bool is never a number and 1.0 goes to jsonschema.
_EXACT_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
    "array": (list,),
    "object": (dict,),
}
# Keywords that never make a value invalid (`format` is only an annotation: the validator above has no
# format checker).
_ANNOTATIONS = frozenset(
    ("title", "description", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly")
) | {"format"}
_TOP_KEYWORDS = _ANNOTATIONS | {"$schema", "type", "properties", "required", "additionalProperties"}
_PROPERTY_KEYWORDS = _ANNOTATIONS | {
    "type",
    "enum",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
}


def quick_fit(schema: Any) -> Any:
    """A function vars -> True when they certainly fit `schema`; None when the schema is not simple enough.

    `schema` has passed `check_schema`, so its keywords have the right shapes.
    """
    if not isinstance(schema, dict) or not _TOP_KEYWORDS.issuperset(schema):
        return None
    kind = schema.get("type", "object")
    if "object" not in ([kind] if isinstance(kind, str) else kind):
        return None
    tests: list[tuple[str, Any]] = []
    for name, sub in (schema.get("properties") or {}).items():
        test = _quick_value_test(sub)
        if test is None:
            return None
        tests.append((name, test))
    required = tuple(schema.get("required") or ())
    extra = schema.get("additionalProperties", True)
    if not isinstance(extra, bool):
        return None
    known = None if extra else frozenset(schema.get("properties") or {})

    def fits(vars_: dict[str, Any]) -> bool:
        if known is not None and not known.issuperset(vars_):
            return False
        for name in required:
            if name not in vars_:
                return False
        return all(test(vars_[name]) for name, test in tests if name in vars_)

    return fits


def _quick_value_test(schema: Any) -> Any:
    """A function value -> True when it certainly fits the property schema; None when not simple enough."""
    if schema is True:
        return lambda value: True
    if not isinstance(schema, dict) or not _PROPERTY_KEYWORDS.issuperset(schema):
        return None
    kind = schema.get("type")
    types: tuple[type, ...] | None = None
    if kind is not None:
        names = [kind] if isinstance(kind, str) else list(kind)
        types = tuple(t for name in names for t in _EXACT_TYPES[name])
    enum = schema.get("enum")
    if enum is not None and not all(type(option) is str for option in enum):
        return None
    options = frozenset(enum) if enum is not None else None
    min_len, max_len = schema.get("minLength"), schema.get("maxLength")
    bounds = [
        (schema[key], compare)
        for key, compare in (
            ("minimum", operator.ge),
            ("maximum", operator.le),
            ("exclusiveMinimum", operator.gt),
            ("exclusiveMaximum", operator.lt),
        )
        if key in schema
    ]

    def test(value: Any) -> bool:
        cls = type(value)
        if types is not None and cls not in types:
            return False
        if cls is str:
            if min_len is not None and len(value) < min_len:
                return False
            if max_len is not None and len(value) > max_len:
                return False
        elif options is not None:
            return False
        elif cls is int or cls is float:
            if not all(compare(value, bound) for bound, compare in bounds):
                return False
        elif types is None and cls not in (bool, type(None), list, dict):
            return False  # something JSON does not make: let jsonschema judge it
        return options is None or value in options

    return test
