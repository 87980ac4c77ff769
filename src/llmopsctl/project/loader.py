"""Find a project's files, parse them, check them against their schemas and build the typed Project."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from llmopsctl.core.cases import Dataset
from llmopsctl.core.diagnostics import Diagnostic
from llmopsctl.core.hashing import content_hash
from llmopsctl.core.secrets import find_secrets
from llmopsctl.core.settings import Settings
from llmopsctl.errors import ProjectNotFound
from llmopsctl.project import records
from llmopsctl.project.datasets import DATASET_SUFFIXES, build_cases, parse_dataset_text
from llmopsctl.project.model import KIND_DIRS, SETTINGS_FILE, LoadedFile, Project
from llmopsctl.project.schemacheck import schema_diagnostics
from llmopsctl.project.yamlsource import Source, SourceError, load_yaml_text, read_text

YAML_SUFFIXES = (".yaml", ".yml")
SUFFIXES = {
    "prompt": YAML_SUFFIXES,
    "model": YAML_SUFFIXES,
    "suite": YAML_SUFFIXES,
    "dataset": DATASET_SUFFIXES,
}


def find_root(start: Path) -> Path:
    """The nearest directory at or above `start` holding llmops.yaml."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / SETTINGS_FILE).is_file():
            return directory
    raise ProjectNotFound(
        f"no {SETTINGS_FILE} in {start} or any parent directory",
        hint="run `llmopsctl init` to create a project, or pass -C DIR",
    )


def discover(root: Path) -> tuple[dict[str, list[Path]], list[Diagnostic]]:
    """Project files by kind, in a stable order; directories named like files become diagnostics."""
    found: dict[str, list[Path]] = {kind: [] for kind in KIND_DIRS}
    diags: list[Diagnostic] = []
    for kind, dirname in KIND_DIRS.items():
        directory = root / dirname
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            diags.append(Diagnostic(dirname, 0, 0, f"cannot list directory: {exc.strerror}", code="io"))
            continue
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.lower().endswith(SUFFIXES[kind]):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                diags.append(
                    Diagnostic(f"{dirname}/{entry.name}", 0, 0, "is a directory, expected a file", code="io")
                )
                continue
            found[kind].append(path)
    return found, diags


def kind_of(root: Path, path: Path) -> str | None:
    """Which kind of project file `path` is (None when it is not one)."""
    try:
        rel = path.resolve().relative_to(root) if path.is_absolute() else path
    except ValueError:
        return None
    parts = rel.parts
    if parts == (SETTINGS_FILE,):
        return "llmops"
    for kind, dirname in KIND_DIRS.items():
        if len(parts) == 2 and parts[0] == dirname and parts[1].lower().endswith(SUFFIXES[kind]):
            return kind
    return None


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.diags: list[Diagnostic] = []
        self.files: dict[str, LoadedFile] = {}

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def parse(self, kind: str, path: Path) -> LoadedFile:
        rel = self.rel(path)
        name = path.stem
        try:
            text = read_text(path)
            self.scan_secrets(rel, text)
            source = (
                parse_dataset_text(text, path.suffix.lower()) if kind == "dataset" else load_yaml_text(text)
            )
        except SourceError as exc:
            self.diags.append(Diagnostic(rel, exc.line, exc.col, exc.message, code="yaml"))
            loaded = LoadedFile(kind, name, path, rel, None, ok=False)
        else:
            loaded = LoadedFile(kind, name, path, rel, source)
            if source.data is None:
                self.diags.append(Diagnostic(rel, 1, 1, "file is empty", code="schema"))
                loaded.ok = False
            else:
                loaded.ok = self._check_schema(loaded, source)
        self.files[rel] = loaded
        return loaded

    def scan_secrets(self, rel: str, text: str) -> None:
        for line, col, what in find_secrets(text):
            self.diags.append(
                Diagnostic(
                    rel,
                    line,
                    col,
                    f"this looks like {what}: never commit secrets; read them from an environment variable",
                    code="secret",
                )
            )

    def _check_schema(self, loaded: LoadedFile, source: Source) -> bool:
        data = source.data
        if loaded.kind == "dataset" and isinstance(data, dict) and isinstance(data.get("cases"), list):
            data = {**data, "cases": []}  # cases are checked one by one, fast, in build_cases
        diags = schema_diagnostics(loaded.kind, data, source, loaded.rel)
        if loaded.kind == "model" and isinstance(data, dict) and "api_key" in data:
            pos = source.locate(("api_key",), key=True)
            diags = [d for d in diags if d.json_path != "$.api_key"]
            diags.append(
                Diagnostic(
                    loaded.rel,
                    pos.line,
                    pos.col,
                    "API keys must not be written in files: put the key in an environment variable "
                    "and name that variable in `api_key_env`",
                    "$.api_key",
                    "secret",
                )
            )
        name = data.get("name") if isinstance(data, dict) else None
        if isinstance(name, str) and name != loaded.name:
            pos = source.locate(("name",))
            diags.append(
                Diagnostic(
                    loaded.rel,
                    pos.line,
                    pos.col,
                    f"name {name!r} does not match the file name {loaded.name!r}",
                    "$.name",
                    "name",
                )
            )
        self.diags.extend(diags)
        return not diags


def _settings(loaded: LoadedFile | None) -> Settings:
    if loaded is None or loaded.source is None or not loaded.ok:
        return Settings(path=loaded.path if loaded else None)
    return records.settings(loaded.path, loaded.source.data)


def load_project(root: Path, only: Iterable[Path] | None = None) -> Project:
    """Load the project at `root`: parse every file, check it against its schema and build its typed
    record. With `only`, load those files and what they are cross-checked with, and keep only the problems
    found in them (`Project.focus`). Checks across files are `llmopsctl.validate`'s."""
    root = root.resolve()
    loader = _Loader(root)
    settings_path = root / SETTINGS_FILE
    settings_file = loader.parse("llmops", settings_path) if settings_path.exists() else None
    project = Project(root=root, settings=_settings(settings_file))
    paths, odd = discover(root)
    loader.diags.extend(odd)
    selected = paths
    if only is not None:
        only = list(only)
        for path in only:
            if kind_of(root, path.resolve()) is None:
                _not_a_project_file(root, path, loader, project)
        # llmops.yaml's teams, budgets and environments concern every file: with it, all are checked
        if not any(kind_of(root, path.resolve()) == "llmops" for path in only):
            selected = _closure(root, paths, only, loader)
            project.focus = {loader.rel(p) for kind in selected for p in selected[kind]} | {SETTINGS_FILE}
            project.focus |= {loader.rel(p.resolve()) for p in only}
    for kind in ("prompt", "model", "suite", "dataset"):
        _build_kind(project, kind, selected[kind], loader)
    project.files = loader.files
    project.diagnostics = loader.diags
    project.present = {kind: {p.stem for p in found} for kind, found in paths.items()}
    return project


def _not_a_project_file(root: Path, path: Path, loader: _Loader, project: Project) -> None:
    """A path given to check that is not a project file: under prompts/, models/, datasets/ or suites/ a
    data file is a misplaced one (an error: it would not be loaded); anything else is named in a note.
    Files still get the secret scan (pre-commit passes every file it is configured to)."""
    rel = loader.rel(path.resolve())
    if path.is_file():
        try:
            loader.scan_secrets(rel, read_text(path))
        except SourceError:
            pass
    misplaced = _misplaced(root, path) if path.is_file() else None
    if misplaced is not None:
        loader.diags.append(Diagnostic(rel, 0, 0, f"not loaded: {misplaced}", code="misplaced"))
        return
    if path.is_dir():
        message = "not a project file, not checked (a directory: give its files, or no path for all)"
    else:
        message = "not a project file, not checked (beyond the scan for secrets)"
    project.notes.append(Diagnostic(rel, 0, 0, message, code="note"))


MISPLACED_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".csv")


def _misplaced(root: Path, path: Path) -> str | None:
    """Why a data file under a project directory is not loaded; None for any other path."""
    try:
        parts = path.resolve().relative_to(root).parts
    except ValueError:
        return None
    kinds = {dirname: kind for kind, dirname in KIND_DIRS.items()}
    if len(parts) < 2 or parts[0] not in kinds or not parts[-1].lower().endswith(MISPLACED_SUFFIXES):
        return None
    kind, dirname = kinds[parts[0]], parts[0]
    if len(parts) > 2:
        return f"{dirname} are read from {dirname}/<name>{SUFFIXES[kind][0]}, not from subfolders"
    *first, last = SUFFIXES[kind]
    return f"{dirname}/ holds {', '.join(first)} or {last} files"


def _build_kind(project: Project, kind: str, paths: list[Path], loader: _Loader) -> None:
    names: dict[str, LoadedFile] = {}
    for path in paths:
        loaded = loader.files.get(loader.rel(path)) or loader.parse(kind, path)
        if loaded.name in names:
            other = names[loaded.name]
            message = f"{kind} {loaded.name!r} is also defined in {other.rel}"
            loader.diags.append(Diagnostic(loaded.rel, 1, 1, message, code="name"))
            continue
        names[loaded.name] = loaded
        _build(project, loaded, loader)


def _build(project: Project, loaded: LoadedFile, loader: _Loader) -> None:
    source = loaded.source
    if source is None or not isinstance(source.data, dict):
        return
    if loaded.kind == "dataset":
        if not isinstance(source.data.get("cases"), list):
            return
        # The typed cases take over from the raw ones (and the text, which nothing reads any more): only the
        # positions (line numbers, YAML nodes) stay, for the checks' diagnostics.
        source.text = ""
        cases, digest, diags = build_cases(source, loaded.rel, consume=True)
        loader.diags.extend(diags)
        meta = {k: v for k, v in source.data.items() if k != "cases"}
        source.data = {**meta, "cases": []}
        project.datasets[loaded.name] = Dataset(
            loaded.name,
            loaded.path,
            digest,
            tuple(cases),
            description=records.text(meta, "description"),
            owner=records.text(meta, "owner"),
            team=records.text(meta, "team"),
            tags=records.names(meta, "tags"),
        )
        return
    if not loaded.ok:
        return
    data = source.data
    digest = content_hash(data)
    if loaded.kind == "prompt":
        project.prompts[loaded.name] = records.prompt(loaded.name, loaded.path, digest, data)
    elif loaded.kind == "model":
        project.models[loaded.name] = records.model(loaded.name, loaded.path, digest, data)
    elif loaded.kind == "suite":
        project.suites[loaded.name] = records.suite(loaded.name, loaded.path, digest, data)


def _closure(
    root: Path, paths: dict[str, list[Path]], only: Iterable[Path], loader: _Loader
) -> dict[str, list[Path]]:
    """The given files plus the files they are cross-checked with (through the suites that pair them)."""
    wanted: dict[str, set[str]] = {kind: set() for kind in KIND_DIRS}
    for path in only:
        kind = kind_of(root, path if path.is_absolute() else (Path.cwd() / path))
        if kind in wanted:
            wanted[kind].add(Path(path).stem)
    by_name = {kind: {p.stem: p for p in paths[kind]} for kind in paths}
    for suite_path in paths["suite"]:
        loaded = loader.parse("suite", suite_path)
        data = loaded.source.data if loaded.source and isinstance(loaded.source.data, dict) else {}
        refs = {
            k: {str(n) for n in data.get(k + "s", []) if isinstance(n, str)}
            for k in ("prompt", "model", "dataset")
        }
        touched = suite_path.stem in wanted["suite"] or any(refs[k] & wanted[k] for k in refs)
        if touched:
            wanted["suite"].add(suite_path.stem)
            for k, names in refs.items():
                wanted[k] |= names
    return {
        kind: [by_name[kind][n] for n in sorted(wanted[kind]) if n in by_name[kind]] for kind in KIND_DIRS
    }
