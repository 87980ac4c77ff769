"""`python`: the user's own function scores the output.

`value` (or `config.function`) is `module:function` or `path/to/file.py:function`, relative to the project
root (which is put on sys.path, so project modules import). The function gets, as keyword arguments, those
it declares among `output`, `expected`, `vars`, `metadata` and `config` (one taking `**kwargs` gets all). It
returns a bool, a number in [0, 1] (passing at `threshold`, default 0.5) or {score, passed, reason}; it may
be `async def`. Sync functions run in a worker thread, bounded by `config.timeout_s` (default 60). An
exception it raises becomes a ScorerError carrying its message.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from llmopsctl import userfunc
from llmopsctl.core.assertions import Assertion
from llmopsctl.scorers.base import (
    CheckEnv,
    Problem,
    Score,
    ScoreContext,
    ScorerError,
    coerce,
    get_threshold,
    is_template,
    shorten,
    to_number,
)
from llmopsctl.scorers.checking import Where, threshold_problems
from llmopsctl.scorers.declaration import AssertionType
from llmopsctl.userfunc import UserFuncError

ARGUMENTS = ("output", "expected", "vars", "metadata", "config")
_FILE_MODULES: dict[tuple[str, int], ModuleType] = {}  # (resolved path, mtime_ns) -> module


def function_ref(value: Any, config: Mapping[str, Any]) -> str:
    ref = value if value is not None else config.get("function")
    if not isinstance(ref, str) or not ref.strip():
        raise ScorerError(
            "needs the function: `value` or `config.function`, `module:function` or `file.py:function`"
        )
    module_ref, sep, attr = ref.strip().rpartition(":")
    if not sep or not module_ref.strip() or not attr.strip():
        raise ScorerError(f"{ref!r} is not `module:function` or `path/to/file.py:function`")
    return ref.strip()


def load_function(ref: str, root: str | Path | None) -> Callable[..., Any]:
    module_ref, _, attr = ref.rpartition(":")
    base = Path(root).resolve() if root else Path.cwd()
    try:
        return userfunc.load(
            base, module_ref, attr, _FILE_MODULES, prefix="_llmopsctl_scorer_", track_edits=True
        )
    except UserFuncError as exc:
        if exc.problem == "no file":
            message = f"file not found: {module_ref} (paths are relative to the project root {base})"
        elif exc.problem == "not a module":
            message = f"cannot load {module_ref} as a Python module"
        elif exc.problem in ("import raised", "no module"):
            error = exc.error
            what = module_ref if exc.path is not None else repr(module_ref)
            message = f"importing {what} raised {type(error).__name__}: {shorten(str(error), 200)}"
        elif exc.problem == "no attribute":
            message = f"{module_ref} has no function {attr!r}"
        else:  # "not callable"
            message = f"{ref} is a {type(exc.value).__name__}, not a function"
        raise ScorerError(message) from None


def accepted(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The ARGUMENTS `fn` takes by keyword (all with **kwargs); ScorerError for other required ones."""
    try:
        return userfunc.accepted(fn, ARGUMENTS)
    except UserFuncError as exc:
        raise ScorerError(
            f"the function requires parameter {exc.name!r}; it may only take {', '.join(ARGUMENTS)}"
        ) from None


async def python(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
    import asyncio  # here, not at the top: `validate` imports this module and never runs a scorer

    ref = function_ref(value, config)
    threshold = get_threshold(config, 0.5)
    timeout = to_number(config.get("timeout_s", 60), "`timeout_s`")
    fn = load_function(ref, ctx.root)
    offered = {
        "output": ctx.output,
        "expected": ctx.expected,
        "vars": dict(ctx.vars),
        "metadata": dict(ctx.metadata),
        "config": dict(config),
    }
    kwargs = {name: offered[name] for name in accepted(fn)}
    try:
        if inspect.iscoroutinefunction(fn):
            result = await asyncio.wait_for(fn(**kwargs), timeout)
        else:
            result = await asyncio.wait_for(asyncio.to_thread(fn, **kwargs), timeout)
            if inspect.isawaitable(result):
                result = await asyncio.wait_for(result, timeout)
    except asyncio.TimeoutError:
        raise ScorerError(f"{ref} did not return within {timeout:g} s") from None
    except ScorerError:
        raise
    except Exception as exc:
        raise ScorerError(f"{ref} raised {type(exc).__name__}: {exc}") from None
    try:
        return coerce(result, threshold=threshold)
    except ScorerError as exc:
        raise ScorerError(f"{ref}: {exc}") from None


def check_python(assertion: Assertion, env: CheckEnv) -> list[Problem]:
    """The function reference is well formed and, in a project, names a function its file defines."""
    value = assertion.value
    config = assertion.config
    where: Where = ("value",) if value is not None else ("config", "function")
    if is_template(value):
        return []
    try:
        ref = function_ref(value, config)
    except ScorerError as exc:
        return [(where if value is not None or "function" in config else (), str(exc))]
    problems = threshold_problems(assertion, 0, 1)
    if env.root is None:
        return problems
    module_ref, _, attr = ref.rpartition(":")
    problem = userfunc.static_problem(env.root, module_ref, attr)
    if problem is not None:
        problems.append((where, problem))
    return problems


TYPES = (AssertionType("python", python, needs_value=False, check=check_python),)
