"""`python`: the user's own function scores the output.

`value` (or `config.function`) is `module:function` or `path/to/file.py:function`, relative to the project
root (which is put on sys.path, so project modules import). The function gets, as keyword arguments, those
it declares among `output`, `expected`, `vars`, `metadata` and `config` (one taking `**kwargs` gets all). It
returns a bool, a number in [0, 1] (passing at `threshold`, default 0.5) or {score, passed, reason}; it may
be `async def`. Sync functions run in a worker thread, bounded by `config.timeout_s` (default 60). An
exception it raises becomes a ScorerError carrying its message.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from llmopsctl.scorers.base import Score, ScoreContext, ScorerError, coerce, get_threshold, shorten, to_number

ARGUMENTS = ("output", "expected", "vars", "metadata", "config")
_FILE_MODULES: dict[tuple[str, int], ModuleType] = {}  # (resolved path, mtime_ns) -> module


def function_ref(value: Any, config: dict[str, Any]) -> str:
    ref = value if value is not None else config.get("function")
    if not isinstance(ref, str) or not ref.strip():
        raise ScorerError(
            "needs the function: `value` or `config.function`, `module:function` or `file.py:function`"
        )
    module_ref, sep, attr = ref.strip().rpartition(":")
    if not sep or not module_ref.strip() or not attr.strip():
        raise ScorerError(f"{ref!r} is not `module:function` or `path/to/file.py:function`")
    return ref.strip()


def is_file_ref(module_ref: str) -> bool:
    return module_ref.endswith(".py") or "/" in module_ref or "\\" in module_ref


def _import_file(root: Path, ref: str) -> ModuleType:
    path = Path(ref).expanduser()
    path = (path if path.is_absolute() else root / path).resolve()
    if not path.is_file():
        raise ScorerError(f"file not found: {ref} (paths are relative to the project root {root})")
    key = (str(path), path.stat().st_mtime_ns)
    if key in _FILE_MODULES:
        return _FILE_MODULES[key]
    digest = hashlib.sha256(f"{key[0]}:{key[1]}".encode()).hexdigest()[:10]
    name = f"_llmopsctl_scorer_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ScorerError(f"cannot load {ref} as a Python module")
    module = importlib.util.module_from_spec(spec)
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))  # so the file can import its siblings
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise ScorerError(f"importing {ref} raised {type(exc).__name__}: {shorten(str(exc), 200)}") from None
    _FILE_MODULES[key] = module
    return module


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except (Exception, SystemExit) as exc:
        raise ScorerError(
            f"importing {name!r} raised {type(exc).__name__}: {shorten(str(exc), 200)}"
        ) from None


def load_function(ref: str, root: str | Path | None) -> Callable[..., Any]:
    module_ref, _, attr = ref.rpartition(":")
    base = Path(root).resolve() if root else Path.cwd()
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    module = _import_file(base, module_ref) if is_file_ref(module_ref) else _import_module(module_ref)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ScorerError(f"{module_ref} has no function {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ScorerError(f"{ref} is a {type(obj).__name__}, not a function")
    fn: Callable[..., Any] = obj
    return fn


def accepted(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The ARGUMENTS `fn` takes by keyword (all with **kwargs); ScorerError for other required ones."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return ARGUMENTS
    names: list[str] = []
    for param in signature.parameters.values():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            return ARGUMENTS
        by_keyword = param.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        if by_keyword and param.name in ARGUMENTS:
            names.append(param.name)
        elif param.kind is not inspect.Parameter.VAR_POSITIONAL and param.default is inspect.Parameter.empty:
            raise ScorerError(
                f"the function requires parameter {param.name!r}; it may only take {', '.join(ARGUMENTS)}"
            )
    return tuple(names)


async def python(ctx: ScoreContext, value: Any, config: dict[str, Any]) -> Score:
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
