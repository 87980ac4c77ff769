"""Copy a shipped project template into a directory, never overwriting without `force`.

Files for the whole repository (the GitHub workflow, the pre-commit configuration) go to the top of the git
repository the project is in, where GitHub and pre-commit read them, and name the project's directory from
there. Template files may hold `%%name%%` tokens, filled in from the project and the running installation:
a token alone on its line is a block of lines (none, one or several) at that line's indentation.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path, PurePosixPath

import yaml

from llmopsctl.core.settings import DEFAULT_DB
from llmopsctl.errors import UsageError
from llmopsctl.project.installation import InstallSpec, running_install
from llmopsctl.project.schemas import KINDS, schema_text

TEMPLATES_PACKAGE = "llmopsctl.templates"
SCHEMA_DIR = ".llmops/schemas"
LLMOPS_GITIGNORE = ".llmops/.gitignore"
_LLMOPS_GITIGNORE_SOURCE = "quickstart/dot-llmops/dot-gitignore"  # the one text, for every project
REPOSITORY_FILES = (".github/", ".pre-commit-config.yaml")  # read by GitHub and pre-commit at the top only
NOTE_WIDTH = 96
_TOKEN = re.compile(r"%%([a-z_]+)%%")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

Values = Mapping[str, "str | Sequence[str]"]


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


def scaffold(
    directory: Path,
    template: str,
    *,
    force: bool = False,
    install: InstallSpec | None = None,
    repo_top: Path | None = None,
) -> ScaffoldResult:
    """Write `template` into `directory`; the repository's files into `repo_top` (default: `directory`).
    Paths in the result are relative to `directory`. `install` is the llmopsctl that CI and the hooks
    install (default: the running one)."""
    available = templates()
    if template not in available:
        raise UsageError(f"unknown template {template!r} (available: {', '.join(available)})")
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a directory")
    top = repo_top if repo_top is not None else directory
    files = _walk(resources.files(TEMPLATES_PACKAGE).joinpath(template))
    # The schemas go next to the files so editors validate offline (yaml-language-server lines point here).
    payload: list[tuple[Path, bytes]] = [
        (_destination(directory, top, rel), node.read_bytes()) for rel, node in files
    ]
    payload += [
        (directory / SCHEMA_DIR / f"{kind}.schema.json", schema_text(kind).encode()) for kind in KINDS
    ]
    templated = [_TOKEN.search(data.decode("utf-8", "replace")) is not None for _, data in payload]
    result = ScaffoldResult()
    for (path, data), has_tokens in zip(payload, templated, strict=True):
        if not has_tokens:
            _write(directory, path, data, force, result)
    # Filled in once the project's own files are there (llmops.yaml may name another database).
    values = template_values(directory, top, install or running_install())
    for (path, data), has_tokens in zip(payload, templated, strict=True):
        if has_tokens:
            _write(directory, path, render(data.decode("utf-8"), values).encode("utf-8"), force, result)
    return result


def _destination(directory: Path, top: Path, rel: str) -> Path:
    rel = "/".join("." + part[4:] if part.startswith("dot-") else part for part in rel.split("/"))
    return (top if rel.startswith(REPOSITORY_FILES) else directory) / rel


def ensure_llmops_gitignore(root: Path) -> bool:
    """Write `.llmops/.gitignore` (the results database is never committed) unless there is one; True when
    written. For projects not made by `init`, when their database is first created there."""
    target = root / LLMOPS_GITIGNORE
    if target.exists():
        return False
    data = resources.files(TEMPLATES_PACKAGE).joinpath(_LLMOPS_GITIGNORE_SOURCE).read_bytes()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return True


def _write(directory: Path, target: Path, data: bytes, force: bool, result: ScaffoldResult) -> None:
    rel = Path(os.path.relpath(target, directory)).as_posix()
    existed = target.exists()
    if existed and not force:
        result.skipped.append(rel)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    (result.overwritten if existed else result.created).append(rel)


def render(text: str, values: Values) -> str:
    """Fill in `%%name%%` tokens; a token alone on its line is replaced by the block of lines it names."""
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        alone = _TOKEN.fullmatch(line.strip())
        if alone is not None and not isinstance(_value(values, alone.group(1)), str):
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(f"{indent}{item}\n" for item in _value(values, alone.group(1)))
            continue
        out.append(_TOKEN.sub(lambda m: _inline(values, m.group(1)), line))
    return "".join(out)


def _value(values: Values, name: str) -> str | Sequence[str]:
    if name not in values:
        raise KeyError(f"template token %%{name}%% has no value")
    return values[name]


def _inline(values: Values, name: str) -> str:
    value = _value(values, name)
    if not isinstance(value, str):
        raise KeyError(f"template token %%{name}%% is a block of lines: it must stand alone on its line")
    return value


def template_values(directory: Path, top: Path, install: InstallSpec) -> dict[str, str | list[str]]:
    """What the templates' tokens stand for: the llmopsctl to install (with a note when CI may not reach it),
    the project's directory from the repository's top, the results database there, and the API keys the
    project's models name (one secret each in CI)."""
    project_dir = Path(os.path.relpath(directory.resolve(), top.resolve())).as_posix()
    note = [f"# {part}" for line in install.note() for part in textwrap.wrap(line, NOTE_WIDTH)]
    keys = model_key_envs(directory)
    key_env = [f"{name}: ${{{{ secrets.{name} }}}}" for name in keys]
    return {
        "install_spec": json.dumps(install.requirement),
        "install_note": note,
        "project_dir": json.dumps(project_dir),
        "db_path": json.dumps(_db_path(directory, project_dir)),
        "key_names": json.dumps(" ".join(keys)),
        "key_env": key_env,
        "gate_env": ["env:", *(f"  {line}" for line in key_env)] if keys else [],
    }


def _db_path(directory: Path, project_dir: str) -> str:
    """The results database from the repository's top (llmops.yaml's `db`, else the default)."""
    db = DEFAULT_DB
    try:
        settings = yaml.safe_load((directory / "llmops.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        settings = None
    if isinstance(settings, dict) and isinstance(settings.get("db"), str) and settings["db"].strip():
        db = settings["db"].strip()
    if PurePosixPath(db).is_absolute():
        return db
    return os.path.normpath(PurePosixPath(project_dir) / db).replace(os.sep, "/")


def model_key_envs(directory: Path) -> list[str]:
    """The environment variables the project's model files name in `api_key_env`, sorted."""
    names: set[str] = set()
    for path in sorted((directory / "models").glob("*.y*ml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # `validate` reports it
        name = data.get("api_key_env") if isinstance(data, dict) else None
        if isinstance(name, str) and _ENV_NAME.fullmatch(name):
            names.add(name)
    return sorted(names)
