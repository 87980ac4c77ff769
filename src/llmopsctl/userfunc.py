"""Load the user's own function, named `module:function` or `path/to/file.py:function`.

Shared by the `python` provider and the `python` scorer, which call it themselves. The project root is put
on `sys.path` so project modules import; a file path is relative to it. `function` may be dotted
(`module:Class.method`). `accepted` tells which of the keyword arguments a caller offers the function
declares (all, if it takes `**kwargs`): it is called with those only.

A function that cannot be loaded raises UserFuncError, which says which check failed and what it was
about; each caller words the message and raises its own error type (ProviderError, ScorerError).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

Problem = Literal[
    "no file",
    "no module",
    "not a module",
    "import raised",
    "no attribute",
    "not callable",
    "required parameter",
]


class UserFuncError(Exception):
    """`problem` is the failed check ("no module": the named module itself, not one it imports, is not
    found). `path`: the resolved file; `error`: what importing raised; `module`: the imported module (no
    attribute); `value`: the object named (not callable); `name`: the parameter the function requires
    (required parameter)."""

    def __init__(
        self,
        problem: Problem,
        *,
        path: Path | None = None,
        error: BaseException | None = None,
        module: ModuleType | None = None,
        value: object = None,
        name: str = "",
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path = path
        self.error = error
        self.module = module
        self.value = value
        self.name = name


def is_file_ref(module_ref: str) -> bool:
    return module_ref.endswith(".py") or "/" in module_ref or "\\" in module_ref


def load(
    root: Path, module_ref: str, attr: str, modules: dict[Any, ModuleType], *, prefix: str, track_edits: bool
) -> Callable[..., Any]:
    """The callable `attr` of `module_ref` (a file path or a dotted module), with `root` on sys.path.

    Imported files are kept in `modules` (the caller's cache), keyed by path, or with `track_edits` by
    path and modification time (so an edited file is imported again); their module names start `prefix`.
    """
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    if is_file_ref(module_ref):
        module = _import_file(root, module_ref, modules, prefix=prefix, track_edits=track_edits)
    else:
        module = _import_module(module_ref)
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise UserFuncError("no attribute", module=module) from None
    if not callable(obj):
        raise UserFuncError("not callable", value=obj)
    fn: Callable[..., Any] = obj
    return fn


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        itself = missing and (name == missing or name.startswith(missing + "."))
        raise UserFuncError("no module" if itself else "import raised", error=exc) from exc
    except (Exception, SystemExit) as exc:
        raise UserFuncError("import raised", error=exc) from exc


def _import_file(
    root: Path, ref: str, modules: dict[Any, ModuleType], *, prefix: str, track_edits: bool
) -> ModuleType:
    path = Path(ref).expanduser()
    path = (path if path.is_absolute() else root / path).resolve()
    if not track_edits and str(path) in modules:
        return modules[str(path)]
    if not path.is_file():
        raise UserFuncError("no file", path=path)
    key: Any
    if track_edits:
        key = (str(path), path.stat().st_mtime_ns)
        if key in modules:
            return modules[key]
        digest = hashlib.sha256(f"{key[0]}:{key[1]}".encode()).hexdigest()[:10]
    else:
        key = str(path)
        digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    name = f"{prefix}{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserFuncError("not a module", path=path)
    module = importlib.util.module_from_spec(spec)
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))  # so the file can import its siblings
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise UserFuncError("import raised", path=path, error=exc) from exc
    modules[key] = module
    return module


def accepted(fn: Callable[..., Any], offered: tuple[str, ...]) -> tuple[str, ...]:
    """The `offered` names `fn` takes by keyword (all of them with **kwargs, or with no signature to read).

    A parameter outside `offered` with no default raises UserFuncError("required parameter").
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return offered
    names: list[str] = []
    for param in signature.parameters.values():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            return offered
        by_keyword = param.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        if by_keyword and param.name in offered:
            names.append(param.name)
        elif param.kind is not inspect.Parameter.VAR_POSITIONAL and param.default is inspect.Parameter.empty:
            raise UserFuncError("required parameter", name=param.name)
    return tuple(names)
