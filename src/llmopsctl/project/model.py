"""Typed views of the project's files, built after they load and pass their schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmopsctl.project.diagnostics import Diagnostic
from llmopsctl.project.yamlsource import Source

DEFAULT_DB = ".llmops/llmops.duckdb"
KINDS = ("prompt", "model", "dataset", "suite")
KIND_DIRS = {"prompt": "prompts", "model": "models", "dataset": "datasets", "suite": "suites"}
SETTINGS_FILE = "llmops.yaml"


@dataclass
class Defaults:
    concurrency: int = 8
    timeout_s: float = 60.0
    retries: int = 3
    cache_ttl_s: int | None = 7 * 86400  # None: never expires
    repeat: int = 1
    seed: int = 0


@dataclass
class Settings:
    path: Path | None
    data: dict[str, Any]
    db: str = DEFAULT_DB
    defaults: Defaults = field(default_factory=Defaults)


@dataclass
class Prompt:
    name: str
    path: Path
    data: dict[str, Any]
    hash: str

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.data.get("messages", []))

    @property
    def team(self) -> str | None:
        return self.data.get("team")

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.data.get("params") or {})


@dataclass
class ModelConfig:
    name: str
    path: Path
    data: dict[str, Any]
    hash: str

    @property
    def provider(self) -> str:
        return str(self.data["provider"])

    @property
    def model(self) -> str:
        return str(self.data["model"])

    @property
    def api_key_env(self) -> str | None:
        return self.data.get("api_key_env")

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.data.get("params") or {})

    @property
    def pricing(self) -> dict[str, float] | None:
        return self.data.get("pricing")

    @property
    def limits(self) -> dict[str, Any]:
        return dict(self.data.get("limits") or {})


@dataclass(slots=True)
class Case:
    id: str
    vars: dict[str, Any]
    expected: Any = None
    asserts: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    threshold: float | None = None
    index: int = 0  # position in the dataset, for error messages

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "vars": self.vars}
        if self.expected is not None:
            out["expected"] = self.expected
        if self.asserts:
            out["assert"] = self.asserts
        if self.tags:
            out["tags"] = self.tags
        if self.metadata:
            out["metadata"] = self.metadata
        if self.threshold is not None:
            out["threshold"] = self.threshold
        return out


@dataclass
class Dataset:
    name: str
    path: Path
    cases: list[Case]
    hash: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Suite:
    name: str
    path: Path
    data: dict[str, Any]
    hash: str

    @property
    def prompts(self) -> list[str]:
        return list(self.data.get("prompts", []))

    @property
    def models(self) -> list[str]:
        return list(self.data.get("models", []))

    @property
    def datasets(self) -> list[str]:
        return list(self.data.get("datasets", []))

    @property
    def asserts(self) -> list[dict[str, Any]]:
        return list(self.data.get("assert") or [])

    @property
    def repeat(self) -> int | None:
        return self.data.get("repeat")

    @property
    def threshold(self) -> float | None:
        return self.data.get("threshold")

    @property
    def gate(self) -> dict[str, Any]:
        return dict(self.data.get("gate") or {})


@dataclass
class LoadedFile:
    """One project file after parsing: its kind, name, data and where things are in it."""

    kind: str  # llmops | prompt | model | dataset | suite
    name: str
    path: Path
    rel: str
    # None when the file could not be parsed, or once dropped (load_project(keep_sources=False)). A dataset's
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

    @property
    def db_path(self) -> Path:
        db = Path(self.settings.db)
        return db if db.is_absolute() else self.root / db

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)
