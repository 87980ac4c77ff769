"""Prompt templates: Jinja2 in its sandbox with StrictUndefined, so a missing variable is an error, not ''."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from llmopsctl.errors import ConfigError

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment


class TemplateProblem(Exception):
    def __init__(self, message: str, lineno: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.lineno = lineno


@cache
def environment() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters["tojson"] = _tojson
    return env


def _tojson(value: Any, indent: int | None = None) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=True)


def variables_of(text: str) -> set[str]:
    """Names a template reads from its context; raises TemplateProblem on a syntax error."""
    from jinja2 import TemplateSyntaxError, meta

    env = environment()
    try:
        ast = env.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}", exc.lineno or 1) from None
    return set(meta.find_undeclared_variables(ast)) - set(env.globals)


@cache
def _compiled(text: str) -> Template:
    return environment().from_string(text)


def render(text: str, context: dict[str, Any], *, what: str = "template") -> str:
    """Render one template; a missing variable or a runtime error is a ConfigError naming `what`."""
    from jinja2 import TemplateError

    try:
        return _compiled(text).render(**context)
    except TemplateError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    except Exception as exc:  # arbitrary errors inside the sandbox (e.g. ZeroDivisionError)
        raise ConfigError(f"{what}: {type(exc).__name__}: {exc}") from None


def render_messages(
    messages: list[dict[str, str]], variables: dict[str, Any], *, what: str
) -> list[dict[str, str]]:
    out = []
    for i, message in enumerate(messages):
        content = render(message["content"], variables, what=f"{what} message {i + 1}")
        rendered = {"role": message["role"], "content": content}
        if "name" in message:
            rendered["name"] = message["name"]
        out.append(rendered)
    return out
