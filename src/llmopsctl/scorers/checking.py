"""Helpers of the static checks that the scorer modules declare with their types (`AssertionType.check`).

A check takes (assertion, env) and returns problems as (path inside the assertion, message). A `value`
that is a Jinja2 template is only known at run time and is not judged.
"""

from __future__ import annotations

from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.core.suggest import did_you_mean
from llmopsctl.scorers.base import CheckEnv, Problem, ScorerError, is_template, to_number

Where = tuple[str | int, ...]


def literal(assertion: Assertion) -> tuple[bool, Any]:
    """(known, value): a value that is absent or a template is not known statically."""
    value = assertion.value
    return value is not None and not is_template(value), value


def given_option(assertion: Assertion, key: str) -> tuple[Where, Any] | None:
    """Where an option is given and its value: in a dict `value` (wins) or in `config`; None: nowhere."""
    value = assertion.value
    if isinstance(value, dict) and key in value:
        return ("value", key), value[key]
    if key in assertion.config:
        return ("config", key), assertion.config[key]
    return None


def threshold_problems(assertion: Assertion, low: float, high: float | None, what: str = "") -> list[Problem]:
    """The assertion's `threshold` and `config.threshold`, each a number from `low` to `high` (None: no
    upper bound); `what` says what the threshold means in the message."""
    problems: list[Problem] = []
    for where, raw in (
        (("threshold",), assertion.threshold),
        (("config", "threshold"), assertion.config.get("threshold")),
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
    """For the types that pass at a score from 0 to 1."""
    return threshold_problems(assertion, 0, 1)


def model_problems(assertion: Assertion, env: CheckEnv, what: str) -> list[Problem]:
    """`config.model` names a model of the project (models/<name>.yaml); `what` kind of model it is."""
    model = assertion.config.get("model")
    if model is None:
        return [((), f"needs the {what} model: `config.model`, the name of a models/<name>.yaml")]
    if not isinstance(model, str) or not model.strip():
        return [(("config", "model"), f"the {what} model must be a model name (models/<name>.yaml)")]
    if env.models is not None and model.strip() not in env.models:
        hint = did_you_mean(model, sorted(env.models))
        return [(("config", "model"), f"unknown {what} model {model!r} (no models/{model}.yaml){hint}")]
    return []
