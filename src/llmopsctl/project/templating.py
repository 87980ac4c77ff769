"""Prompt templates: Jinja2 in its sandbox with StrictUndefined, so a missing variable is an error, not ''.

Rendering is on every case's path, so the common shapes skip Jinja's machinery with the same output:
text with no Jinja syntax is its own output, and a template made only of text and `{{ name }}` is
joined directly (Jinja would output `str(value)` for each name). `render_cached` also remembers outputs
by the values of the variables a template reads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from llmopsctl.core.definitions import Message
from llmopsctl.core.suggest import did_you_mean
from llmopsctl.errors import ConfigError

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment


class TemplateProblem(Exception):
    """What is wrong with a template (the first problem), and `problems`: every problem found, as
    (message, line in the template)."""

    def __init__(self, message: str, lineno: int = 1, problems: list[tuple[str, int]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.lineno = lineno
        self.problems = problems or [(message, lineno)]


@cache
def environment() -> SandboxedEnvironment:
    # lazy: plain templates render without Jinja2 (see the fast paths above)
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters["tojson"] = _tojson
    return env


def _tojson(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=True)


def variables_of(text: str) -> set[str]:
    """Names a template reads from its context; raises TemplateProblem on a syntax error or an unknown
    filter or test (which Jinja only finds when it compiles the template)."""
    # lazy: plain templates render without Jinja2 (see the fast paths above)
    from jinja2 import TemplateSyntaxError, meta, nodes

    env = environment()
    try:
        ast = env.parse(text)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}", exc.lineno or 1) from None
    unknown: list[tuple[str, int]] = []
    for node in ast.find_all((nodes.Filter, nodes.Test)):
        kind, known = ("filter", env.filters) if isinstance(node, nodes.Filter) else ("test", env.tests)
        if node.name not in known:
            hint = did_you_mean(node.name, sorted(known))
            unknown.append((f"unknown {kind} {node.name!r}{hint}", node.lineno or 1))
    if unknown:
        raise TemplateProblem(*unknown[0], problems=unknown)
    try:
        return set(meta.find_undeclared_variables(ast)) - set(env.globals)
    except TemplateSyntaxError as exc:  # anything else found while compiling
        raise TemplateProblem(f"template error: {exc.message}", exc.lineno or 1) from None


@cache
def _compiled(text: str) -> Template:
    return environment().from_string(text)


def is_plain(text: str) -> bool:
    """No Jinja syntax: the text renders as itself (Jinja would only make its CR LF and CR line ends LF)."""
    return "{{" not in text and "{%" not in text and "{#" not in text and "\r" not in text


# A template of text and `{{ name }}` only, as pieces: text (str), or a variable's name (a 1-tuple).
Pieces = tuple[str | tuple[str], ...]


@lru_cache(maxsize=1024)
def _pieces(text: str) -> Pieces | None:
    """The pieces of a template made only of text and plain `{{ name }}` outputs; None for any other."""
    # lazy: plain templates render without Jinja2 (see the fast paths above)
    from jinja2 import TemplateSyntaxError, nodes

    try:
        ast = environment().parse(text)
    except TemplateSyntaxError:
        return None
    out: list[str | tuple[str]] = []
    for node in ast.body:
        if not isinstance(node, nodes.Output):
            return None
        for child in node.nodes:
            if type(child) is nodes.TemplateData:
                out.append(child.data)
            elif type(child) is nodes.Name and child.ctx == "load" and child.name != "self":  # a reference
                out.append((child.name,))
            else:
                return None
    return tuple(out)


def render(text: str, context: dict[str, Any], *, what: str = "template") -> str:
    """Render one template; a missing variable or a runtime error is a ConfigError naming `what`."""
    if is_plain(text):
        return text
    pieces = _pieces(text)
    if pieces is not None:
        try:
            return "".join(p if type(p) is str else str(context[p[0]]) for p in pieces)
        except Exception:  # a missing variable, or a value whose str() fails: Jinja reports it
            pass
    # lazy: plain templates render without Jinja2 (see the fast paths above)
    from jinja2 import TemplateError

    try:
        return _compiled(text).render(**context)
    except TemplateError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    except Exception as exc:  # arbitrary errors inside the sandbox (e.g. ZeroDivisionError)
        raise ConfigError(f"{what}: {type(exc).__name__}: {exc}") from None


def render_messages(
    messages: Sequence[Message], variables: dict[str, Any], *, what: str
) -> list[dict[str, str]]:
    """The prompt's messages with the case's variables filled in, as the chat APIs take them."""
    out = []
    for i, message in enumerate(messages):
        content = render(message.content, variables, what=f"{what} message {i + 1}")
        rendered = {"role": message.role, "content": content}
        if message.name is not None:
            rendered["name"] = message.name
        out.append(rendered)
    return out


# --- remembering outputs -----------------------------------------------------------------------------

_MISSING = object()
_SIMPLE = (str, int, bool, type(None))
_rendered: dict[tuple[Any, ...], str] = {}
_RENDERED_MAX = 4096


class _Unfrozen(Exception):
    pass


def _freeze(value: Any) -> Any:
    """A hashable key equal only for values a template outputs the same way (1, 1.0 and True differ)."""
    kind = type(value)
    if kind in _SIMPLE:
        return (kind, value)
    if kind is float:
        return (kind, repr(value))  # 0.0 == -0.0, but they print differently
    if kind is dict:
        return (kind, tuple((_freeze(k), _freeze(v)) for k, v in value.items()))
    if kind is list or kind is tuple:
        return (kind, tuple(_freeze(v) for v in value))
    raise _Unfrozen


@lru_cache(maxsize=1024)
def _reads(text: str) -> tuple[str, ...] | None:
    """The variables a template reads, when its output depends on their values alone (no calls, no
    globals, no `random` filter); None when it may not, or does not parse."""
    # lazy: plain templates render without Jinja2 (see the fast paths above)
    from jinja2 import TemplateSyntaxError, meta, nodes

    env = environment()
    try:
        ast = env.parse(text)
    except TemplateSyntaxError:
        return None
    for node in ast.find_all((nodes.Call, nodes.Filter, nodes.Extends, nodes.Include, nodes.Import)):
        if not isinstance(node, nodes.Filter) or node.name == "random":
            return None
    names = meta.find_undeclared_variables(ast)
    if names & set(env.globals):
        return None
    return tuple(sorted(names))


def render_cached(text: str, context: dict[str, Any], *, what: str = "template") -> str:
    """`render`, with the output remembered by the template and the values of the variables it reads
    (for assertion values, rendered once per case with mostly the same values). Errors are not kept."""
    if is_plain(text):
        return text
    names = _reads(text)
    key: tuple[Any, ...] | None = None
    if names is not None:
        try:
            key = (text, *(_freeze(context.get(name, _MISSING)) for name in names))
        except _Unfrozen:  # a value of another type, or a missing variable (an error, rendered below)
            key = None
        else:
            hit = _rendered.get(key)
            if hit is not None:
                return hit
    out = render(text, context, what=what)
    if key is not None:
        if len(_rendered) >= _RENDERED_MAX:
            _rendered.clear()
        _rendered[key] = out
    return out
