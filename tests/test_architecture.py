"""The layering holds: import-linter's contracts (pyproject.toml) and the rules it cannot express."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "llmopsctl"
MAX_FUNCTION_LINES = 60


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "templates" in path.relative_to(PACKAGE).parts:
            continue  # starter projects' code, not the tool's
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def _local_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    seen: set[int] = set()
    for function in _functions(tree):
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in seen:
                seen.add(id(node))
                yield node


def _imported(node: ast.Import | ast.ImportFrom) -> str:
    return node.module or "" if isinstance(node, ast.ImportFrom) else node.names[0].name


def _explained(lines: list[str], node: ast.stmt) -> bool:
    """A comment on the import's line, or just above it or above the imports right before it, says why."""
    if "#" in lines[node.lineno - 1]:
        return True
    index = node.lineno - 2
    while index >= 0 and lines[index].strip().startswith(("import ", "from ")):
        index -= 1
    return index >= 0 and lines[index].strip().startswith("#")


def test_import_linter_contracts_hold() -> None:
    """Upward imports and cycles between packages fail (the contracts are in pyproject.toml)."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed (make dev installs it)")
    done = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-4000:]


def test_no_function_local_imports_of_our_own_code_outside_cli() -> None:
    """Outside cli/ (where they keep `--help` fast), importing our code inside a function hides a cycle."""
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno} imports {_imported(node)}"
        for path, tree in _modules()
        if path.relative_to(PACKAGE).parts[0] != "cli"
        for node in _local_imports(tree)
        if _imported(node).split(".")[0] == "llmopsctl" or (isinstance(node, ast.ImportFrom) and node.level)
    ]
    assert found == []


def test_lazy_third_party_imports_say_why() -> None:
    """A library imported inside a function (to keep start-up fast) carries a comment saying why."""
    missing = []
    for path, tree in _modules():
        if path.relative_to(PACKAGE).parts[0] == "cli":
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in _local_imports(tree):
            if _imported(node).split(".")[0] != "llmopsctl" and not _explained(lines, node):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {_imported(node)}")
    assert missing == []


def test_functions_are_short() -> None:
    """No function body over 60 lines (a typer command's option declarations are not counted)."""
    long = []
    for path, tree in _modules():
        for function in _functions(tree):
            body_start = function.body[0].lineno
            length = (function.end_lineno or body_start) - body_start + 1
            if length > MAX_FUNCTION_LINES:
                long.append(f"{path.relative_to(ROOT)}:{function.lineno} {function.name} ({length} lines)")
    assert long == []
