"""Copy a shipped project template into a directory, never overwriting without `force`."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from llmopsctl.errors import UsageError
from llmopsctl.project.schemas import KINDS, schema_text

TEMPLATES_PACKAGE = "llmopsctl.templates"
SCHEMA_DIR = ".llmops/schemas"


@dataclass
class ScaffoldResult:
    created: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def templates() -> list[str]:
    base = resources.files(TEMPLATES_PACKAGE)
    return sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def _walk(node: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    out: list[tuple[str, Traversable]] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__":
            continue
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            out.extend(_walk(child, rel + "/"))
        else:
            out.append((rel, child))
    return out


def scaffold(directory: Path, template: str, *, force: bool = False) -> ScaffoldResult:
    available = templates()
    if template not in available:
        raise UsageError(f"unknown template {template!r} (available: {', '.join(available)})")
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a directory")
    files = _walk(resources.files(TEMPLATES_PACKAGE).joinpath(template))
    # The schemas go next to the files so editors validate offline (yaml-language-server lines point here).
    payload: list[tuple[str, bytes]] = [
        (rel.replace("dot-", ".", 1) if rel.startswith("dot-") else rel, node.read_bytes())
        for rel, node in files
    ]
    payload += [(f"{SCHEMA_DIR}/{kind}.schema.json", schema_text(kind).encode()) for kind in KINDS]
    result = ScaffoldResult()
    for rel, data in payload:
        target = directory / rel
        existed = target.exists()
        if existed and not force:
            result.skipped.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        (result.overwritten if existed else result.created).append(rel)
    return result
