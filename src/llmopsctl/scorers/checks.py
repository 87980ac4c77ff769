"""Static checks of assertions, one per built-in type (`ScorerSpec.check`), run by `llmopsctl validate`.

Each takes (assertion, env) and returns problems as (path inside the assertion, message). A `value` that
is a Jinja2 template is only known at run time and is not judged here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.scorers.base import CheckEnv, Problem, ScorerError, is_template, to_number

Where = tuple[str | int, ...]


def _config(assertion: Assertion) -> Mapping[str, Any]:
    return assertion.config


def _literal(assertion: Assertion) -> tuple[bool, Any]:
    """(known, value): a value that is absent or a template is not known statically."""
    value = assertion.value
    return value is not None and not is_template(value), value


def _option(assertion: Assertion, key: str) -> tuple[Where, Any] | None:
    """Where an option is given: in a dict `value` (wins) or in `config`."""
    value = assertion.value
    if isinstance(value, dict) and key in value:
        return ("value", key), value[key]
    config = _config(assertion)
    if key in config:
        return ("config", key), config[key]
    return None


def _threshold(assertion: Assertion, low: float, high: float | None, what: str = "") -> list[Problem]:
    problems: list[Problem] = []
    for where, raw in (
        (("threshold",), assertion.threshold),
        (("config", "threshold"), _config(assertion).get("threshold")),
    ):
        if raw is None:
            continue
        try:
            number = to_number(raw, "`threshold`")
        except ScorerError as exc:
            problems.append((where, str(exc)))
            continue
        if number < low or (high is not None and number > high):
            span = f"from {low:g} to {high:g}" if high is not None else f">= {low:g}"
            problems.append((where, f"`threshold`{what} must be {span}, got {raw!r}"))
    return problems


def check_unit_threshold(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    return _threshold(assertion, 0, 1)


def check_text(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    known, value = _literal(assertion)
    if known and isinstance(value, (list, dict)):
        hint = "; for several strings use contains-all or contains-any" if isinstance(value, list) else ""
        return [
            (
                ("value",),
                f"`value` must be a string, not a {'list' if isinstance(value, list) else 'mapping'}{hint}",
            )
        ]
    return []


def check_list(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    known, value = _literal(assertion)
    if not known or isinstance(value, str):
        return []
    if not isinstance(value, list) or not value:
        return [(("value",), "`value` must be a non-empty list of strings")]
    return [
        (("value", i), "each item must be a string")
        for i, v in enumerate(value)
        if isinstance(v, (dict, list))
    ]


def check_regex(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    from llmopsctl.scorers.text import compile_regex

    config = _config(assertion)
    try:
        compile_regex("", config)
    except ScorerError as exc:
        return [(("config", "flags"), str(exc))]
    known, value = _literal(assertion)
    if known and isinstance(value, str):
        try:
            compile_regex(value, config)
        except ScorerError as exc:
            return [(("value",), str(exc))]
    return []


def check_bounds(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    value = assertion.value
    if value is not None and not isinstance(value, dict):
        if is_template(value):
            return []
        try:
            exact = to_number(value, "`value`")
        except ScorerError as exc:
            return [(("value",), f"{exc} (or a mapping with `min` and/or `max`)")]
        return [(("value",), "`value` must be >= 0")] if exact < 0 else []
    found: dict[str, tuple[Where, float]] = {}
    problems: list[Problem] = []
    for key in ("min", "max"):
        option = _option(assertion, key)
        if option is None or option[1] is None:
            continue
        try:
            number = to_number(option[1], f"`{key}`")
        except ScorerError as exc:
            problems.append((option[0], str(exc)))
            continue
        if number < 0:
            problems.append((option[0], f"`{key}` must be >= 0, got {option[1]!r}"))
        found[key] = (option[0], number)
    if not found and not problems:
        return [((), "needs `min` and/or `max` (in `config`), or a number `value`")]
    if "min" in found and "max" in found and found["min"][1] > found["max"][1]:
        problems.append(
            (found["min"][0], f"`min` ({found['min'][1]:g}) is greater than `max` ({found['max'][1]:g})")
        )
    return problems


def check_distance(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    return _threshold(assertion, 0, None, " (the maximum edit distance)")


def check_maximum(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    value = assertion.value
    if value is None:
        if assertion.threshold is None and _config(assertion).get("threshold") is None:
            return [((), "needs the maximum: `value` or `threshold`")]
        return _threshold(assertion, 0, None)
    if is_template(value):
        return []
    try:
        number = to_number(value, "`value`")
    except ScorerError as exc:
        return [(("value",), str(exc))]
    return [(("value",), f"`value` must be >= 0, got {value!r}")] if number < 0 else []


def check_finish_reason(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    from llmopsctl.scorers.operational import finish_reasons

    value = assertion.value
    if is_template(value):
        return []
    try:
        finish_reasons(value)
    except ScorerError as exc:
        return [(("value",) if value is not None else (), str(exc))]
    return []


def check_json_schema(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    from llmopsctl.scorers.structure import load_schema, schema_validator

    value = assertion.value
    where: Where = ("value",)
    if value is None:
        value, where = _config(assertion).get("schema"), ("config", "schema")
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
    from llmopsctl.scorers import jsonpath
    from llmopsctl.scorers.structure import json_path_spec

    value = assertion.value
    if is_template(value):
        return []
    try:
        spec = json_path_spec(value, _config(assertion))
    except ScorerError as exc:
        return [(("value",), str(exc))]
    where: Where = ("value",) if isinstance(value, str) else (_option(assertion, "path") or ((), None))[0]
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
    from llmopsctl.scorers.structure import declared_tools, schema_validator

    known, value = _literal(assertion)
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


def _model(assertion: Assertion, env: CheckEnv, what: str) -> list[Problem]:
    from llmopsctl.core.suggest import did_you_mean

    model = _config(assertion).get("model")
    if model is None:
        return [((), f"needs the {what} model: `config.model`, the name of a models/<name>.yaml")]
    if not isinstance(model, str) or not model.strip():
        return [(("config", "model"), f"the {what} model must be a model name (models/<name>.yaml)")]
    if env.models is not None and model.strip() not in env.models:
        hint = did_you_mean(model, sorted(env.models))
        return [(("config", "model"), f"unknown {what} model {model!r} (no models/{model}.yaml){hint}")]
    return []


def check_model(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """Types that call a project model in `config.model` and pass at a 0..1 threshold."""
    what = "embedding" if assertion.base_type == "similar" else "judge"
    return _model(assertion, env, what) + _threshold(assertion, 0, 1)


def check_llm_judge(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    from llmopsctl.scorers.judge import rubric_of

    problems: list[Problem] = []
    value = assertion.value
    if not is_template(value):
        try:
            rubric_of(value, _config(assertion))
        except ScorerError as exc:
            problems.append((("value",) if value is not None else (), str(exc)))
    return problems + _model(assertion, env, "judge") + _threshold(assertion, 0, 1)


def check_factuality(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    from llmopsctl.scorers.judge import factuality_scores

    problems = check_model(assertion, env)
    try:
        factuality_scores(_config(assertion))
    except ScorerError as exc:
        problems.append((("config", "scores"), str(exc)))
    return problems


def check_python(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    from llmopsctl.scorers.custom import function_ref
    from llmopsctl.userfunc import static_problem

    value = assertion.value
    where: Where = ("value",) if value is not None else ("config", "function")
    if is_template(value):
        return []
    try:
        ref = function_ref(value, _config(assertion))
    except ScorerError as exc:
        return [(where if value is not None or "function" in _config(assertion) else (), str(exc))]
    problems = _threshold(assertion, 0, 1)
    if env.root is None:
        return problems
    module_ref, _, attr = ref.rpartition(":")
    problem = static_problem(env.root, module_ref, attr)
    if problem is not None:
        problems.append((where, problem))
    return problems


def check_assert_set(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    from llmopsctl.scorers.registry import resolve

    value = assertion.value
    if not isinstance(value, list) or not value:
        return [(("value",) if value is not None else (), "`value` must be a non-empty list of assertions")]
    problems = _threshold(assertion, 0, 1)
    for i, sub in enumerate(value):
        if not isinstance(sub, dict) or not isinstance(sub.get("type"), str):
            problems.append((("value", i), "each assertion of the set needs a `type`"))
            continue
        threshold = sub.get("threshold")
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
            problems.append((("value", i, "threshold"), f"`threshold` must be a number, got {threshold!r}"))
        try:
            spec, _ = resolve(sub["type"])
        except ScorerError as exc:
            problems.append((("value", i, "type"), str(exc)))
            continue
        weight = sub.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            problems.append((("value", i, "weight"), f"`weight` must be a number >= 0, got {weight!r}"))
        member = Assertion.from_mapping(sub)
        problems += [(("value", i, *where), message) for where, message in spec.problems(member, env)]
    return problems
