"""A loaded project: the typed records of its files (see llmopsctl.core), and where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from llmopsctl.core.cases import Dataset
from llmopsctl.core.definitions import ModelConfig, Prompt, Suite
from llmopsctl.core.diagnostics import Diagnostic
from llmopsctl.core.settings import Settings
from llmopsctl.project.yamlsource import Source

KIND_DIRS = {"prompt": "prompts", "model": "models", "dataset": "datasets", "suite": "suites"}
SETTINGS_FILE = "llmops.yaml"


@dataclass
class LoadedFile:
    """One project file after parsing: its kind, name, data and where things are in it."""

    kind: str  # llmops | prompt | model | dataset | suite
    name: str
    path: Path
    rel: str
    # None when the file could not be parsed, or once dropped (Project.drop_sources). A dataset's
    # source keeps its positions but not its raw cases (they live on as Dataset.cases) nor its text.
    source: Source | None
    ok: bool = True


@dataclass
class Project:
    root: Path
    settings: Settings
    prompts: dict[str, Prompt] = field(default_factory=dict)
    models: dict[str, ModelConfig] = field(default_factory=dict)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    suites: dict[str, Suite] = field(default_factory=dict)
    files: dict[str, LoadedFile] = field(default_factory=dict)  # by relative path
    diagnostics: list[Diagnostic] = field(default_factory=list)
    present: dict[str, set[str]] = field(default_factory=dict)  # names of the files found, by kind
    focus: set[str] | None = None  # the files whose problems are reported (None: all of them)
    notes: list[Diagnostic] = field(default_factory=list)  # about paths given to check, not problems

    @property
    def db_path(self) -> Path:
        db = Path(self.settings.db)
        return db if db.is_absolute() else self.root / db

    def drop_sources(self) -> None:
        """Forget each file's parsed source (positions), keeping only the typed records: large datasets
        then take much less memory."""
        for loaded in self.files.values():
            loaded.source = None

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)
