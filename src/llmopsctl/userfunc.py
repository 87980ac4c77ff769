"""Load the user's own function, named `module:function` or `path/to/file.py:function`.

Shared by the `python` provider and the `python` scorer, which call it themselves. The project root is put
on `sys.path` so project modules import; a file path is relative to it. `function` may be dotted
(`module:Class.method`). `accepted` tells which of the keyword arguments a caller offers the function
declares (all, if it takes `**kwargs`): it is called with those only.

A function that cannot be loaded raises UserFuncError, which says which check failed and what it was
about; each caller words the message and raises its own error type (ProviderError, ScorerError).
`static_problem` finds what is certainly wrong with a reference without running the user's code (for
`validate`).
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.machinery
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

# The keyword arguments the `python` provider offers a model function (here, so `validate` checks them
# without importing the provider and its HTTP client).
MODEL_ARGUMENTS = ("vars", "messages", "params", "case_id", "metadata")


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


# --- checks without running the user's code (validate) ----------------------------------------------------


def static_problem(
    root: Path, module_ref: str, attr: str, *, offered: tuple[str, ...] | None = None
) -> str | None:
    """What is certainly wrong with `module_ref:attr`, found without running the user's code; None if nothing.

    A file (relative to `root`) must exist, compile, and bind the first part of `attr` at module level. A
    dotted module is looked for in `root` and on sys.path without importing it; one of the project's (under
    `root`) is then checked like a file, an installed one is not read. With `offered`, a plain top-level
    function must not require a parameter outside it (as `accepted` would find once it is imported).
    Where a file binds names in ways that cannot be read statically (conditionally, `import *`, a
    module `__getattr__`), the name is not checked.
    """
    if is_file_ref(module_ref):
        path = Path(module_ref).expanduser()
        path = path if path.is_absolute() else root / path
        if not path.exists():
            return f"{module_ref} does not exist (paths are relative to the project root)"
        if not path.is_file():
            return f"{module_ref} is not a file"
    else:
        found = _find_module(root, module_ref)
        if found is False:
            return (
                f"cannot find module {module_ref!r} (looked in the project root and the installed packages)"
            )
        if found is None:
            return None  # installed, or not certain: only importing it would tell
        path = found
    try:
        source = path.read_bytes()
        tree = ast.parse(source, filename=str(path))
        compile(tree, str(path), "exec", dont_inherit=True)  # the errors ast.parse leaves to the compiler
    except SyntaxError as exc:
        detail = f": {exc.msg}" if exc.msg else ""
        return f"{module_ref}: syntax error at line {exc.lineno or 1}{detail}"
    except (OSError, ValueError):
        return None  # unreadable, or null bytes: importing it reports that
    name = attr.split(".")[0]
    bound = _module_bindings(tree)
    if bound is None:
        return None
    if name not in bound:
        return f"{module_ref} defines no function {name!r}"
    if offered is not None and "." not in attr:
        node = bound[name]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.decorator_list:
            required = _required_parameter(node.args, offered)
            if required is not None:
                return (
                    f"{module_ref}: function {name!r} requires parameter {required!r}, which llmopsctl "
                    f"does not pass (its parameters may only be among {', '.join(offered)}, or **kwargs)"
                )
    return None


def _find_module(root: Path, name: str) -> Path | Literal[False] | None:
    """The project's source file of module `name`; False when it is certainly not found; None otherwise
    (installed, built in, or not a plain source file). Finding runs no code: parents are not imported."""
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts):
        return False
    top = parts[0]
    if top in sys.modules or top in sys.builtin_module_names:
        return None  # importing it gives that module, wherever it came from
    try:
        if importlib.machinery.FrozenImporter.find_spec(top) is not None:
            return None
        # The project root comes first on sys.path when the function is loaded.
        spec = importlib.machinery.PathFinder.find_spec(top, [str(root), *sys.path])
        if spec is None:
            # Not here; but validate may run apart from where eval runs (pre-commit's own virtualenv has
            # none of the project's packages), so an unknown top-level module is not certainly missing.
            return None
    except (ImportError, ValueError, OSError):
        return None
    for i in range(1, len(parts)):
        if not _under(root, spec):
            return None  # installed: its packages may extend their own path when imported
        locations = spec.submodule_search_locations
        if locations is None:
            return False  # a plain module has no submodules
        try:
            spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: i + 1]), list(locations))
        except (ImportError, ValueError, OSError):
            return None
        if spec is None:
            return False
    origin = spec.origin
    if not _under(root, spec) or not origin or not origin.endswith(".py"):
        return None
    return Path(origin)


def _under(root: Path, spec: importlib.machinery.ModuleSpec) -> bool:
    places = [spec.origin] if spec.origin else list(spec.submodule_search_locations or [])
    resolved = root.resolve()
    return any(place and Path(place).resolve().is_relative_to(resolved) for place in places)


def _module_bindings(tree: ast.Module) -> dict[str, ast.stmt] | None:
    """Names the module binds at top level, each to the statement that binds it last; None when the
    module may bind names this cannot see."""
    names: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names[(alias.asname or alias.name).split(".")[0]] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names[sub.id] = node
        elif not isinstance(node, (ast.Expr, ast.Pass)):
            return None  # conditional definitions and the like: do not guess
    if "__getattr__" in names:
        return None
    return names


def _required_parameter(args: ast.arguments, offered: tuple[str, ...]) -> str | None:
    """The first parameter `accepted` would find required: not passed by keyword among `offered`, and
    without a default."""
    positional = [*args.posonlyargs, *args.args]
    first_default = len(positional) - len(args.defaults)
    for i, arg in enumerate(positional):
        by_keyword = i >= len(args.posonlyargs)
        if by_keyword and arg.arg in offered:
            continue
        if i < first_default:
            return arg.arg
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if arg.arg not in offered and default is None:
            return arg.arg
    return None
