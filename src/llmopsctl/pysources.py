"""The project's Python files a python model or scorer runs: its own file and, followed statically (with
ast, without running anything), every file of the project it imports, directly or not.

A module is looked for where it would be imported from: the project root (on sys.path when the function
is loaded), the directory of a file named by path (`app/models.py:fn` can import its siblings), and for
relative imports the importing file's package. Imports inside functions count, and so does
`importlib.import_module("name")` with a literal name. Modules found nowhere in those places (the standard
library, installed packages) are not followed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from llmopsctl.userfunc import is_file_ref


def entry_file(root: Path, module_ref: str) -> Path | None:
    """The file of `module_ref` (a path relative to `root`, or a dotted module under it); None if absent."""
    if is_file_ref(module_ref):
        path = Path(module_ref).expanduser()
        path = path if path.is_absolute() else root / path
        return path.resolve() if path.is_file() else None
    found = _module_files(module_ref, [root])
    return found[-1] if found else None


def sources(root: Path, module_ref: str) -> set[Path]:
    """Every file of the project that importing `module_ref` can run: its packages' __init__ files, the
    module itself and, transitively, what it imports from the project."""
    files: set[Path] = set()
    if is_file_ref(module_ref):
        entry = entry_file(root, module_ref)
        dirs = [root.resolve()] + ([entry.parent] if entry else [])
        todo = [entry] if entry else []
    else:
        dirs = [root.resolve()]
        todo = _module_files(module_ref, dirs)
    while todo:
        path = todo.pop()
        if path in files:
            continue
        files.add(path)
        todo.extend(p for p in _imported_files(path, dirs) if p not in files)
    return files


def _module_files(name: str, dirs: Iterable[Path]) -> list[Path]:
    """The files importing module `name` runs, found under `dirs`: each package's __init__.py on the way,
    then the module's own file (last)."""
    parts = name.split(".")
    if not all(part.isidentifier() for part in parts):
        return []
    out: list[Path] = []
    for directory in dirs:
        here = directory
        found: list[Path] = []
        for i, part in enumerate(parts):
            package, module = here / part, here / f"{part}.py"
            last = i == len(parts) - 1
            if (package / "__init__.py").is_file():
                found.append((package / "__init__.py").resolve())
                here = package
            elif last and module.is_file():
                found.append(module.resolve())
            elif package.is_dir():  # a namespace package
                here = package
            else:
                found = []
                break
        out += [p for p in found if p not in out]
    return out


def _imported_files(path: Path, dirs: list[Path]) -> list[Path]:
    """The project files the imports of the file at `path` name."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError, OSError):
        return []  # a file that cannot be read or parsed imports nothing we can see
    out: list[Path] = []
    for node in ast.walk(tree):
        for name, base in _imports(node, path):
            out += _module_files(name, [base] if base is not None else dirs)
    return out


def _imports(node: ast.AST, path: Path) -> list[tuple[str, Path | None]]:
    """The modules `node` imports: (dotted name, the directory it is relative to, or None: absolute)."""
    if isinstance(node, ast.Import):
        return [(alias.name, None) for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base: Path | None = None
        if node.level:
            base = path.parent
            for _ in range(node.level - 1):
                base = base.parent
        module = node.module or ""
        named = [alias.name for alias in node.names if alias.name != "*"]
        names = [f"{module}.{name}" if module else name for name in named]
        # `from package import name`: the package, and name when it is a submodule.
        return [(n, base) for n in ([module] if module else []) + names]
    if isinstance(node, ast.Call) and node.args and _is_import_call(node.func):
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return [(first.value, None)]
    return []


def _is_import_call(func: ast.expr) -> bool:
    """`import_module(...)`, `importlib.import_module(...)` or `__import__(...)`."""
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("import_module", "__import__")
