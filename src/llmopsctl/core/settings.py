"""Project settings (llmops.yaml): defaults, teams, budgets, environments, retention, gate thresholds and
baselines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULT_DB = ".llmops/llmops.duckdb"
DEFAULT_ALERTS = (100.0,)


@dataclass(frozen=True)
class Defaults:
    """Run defaults; a suite, a model file or the command line may override each."""

    concurrency: int = 8
    timeout_s: float = 60.0
    retries: int = 3
    cache_ttl_s: int | None = 7 * 86400  # None: never expires
    repeat: int = 1
    seed: int = 0
    backoff_s: float = 0.5  # the first retry's delay; doubles each retry, with jitter


@dataclass(frozen=True)
class Team:
    name: str
    owners: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Budget:
    """A spending limit over a period (UTC) for the whole project or one team, prompt or suite."""

    name: str  # unique within the project (a repeated name gets a #N suffix)
    scope: str  # team | prompt | suite | project
    target: str | None  # the team/prompt/suite name; None for project
    period: str  # day | week | month
    amount: Decimal
    alerts: tuple[float, ...] = DEFAULT_ALERTS  # percent of amount
    webhook_env: str | None = None  # NAME of the variable holding a Slack-compatible webhook URL

    @property
    def scope_label(self) -> str:
        return "project" if self.target is None else f"{self.scope} {self.target}"


@dataclass(frozen=True)
class Environment:
    """A place runs are made in (dev, ci, ...): recorded with each result; `models` maps a suite's model
    name to the model called instead in this environment."""

    name: str
    description: str | None = None
    models: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Retention:
    """How long stored data is kept, in seconds (None: forever); `retention apply` deletes what is older.

    The written forms (e.g. `90d`) are kept for messages."""

    results_s: int | None = None
    cache_s: int | None = None
    results: str | None = None
    cache: str | None = None

    @property
    def empty(self) -> bool:
        return self.results_s is None and self.cache_s is None


@dataclass(frozen=True)
class GateThresholds:
    """What a gate fails on. None: not checked. Layers merge with `merged` (later layers win)."""

    min_pass_rate: float | None = None
    max_regressions: int | None = None
    max_score_drop: float | None = None
    significance: float | None = None
    max_cost_increase_pct: float | None = None
    max_p95_latency_ms: float | None = None
    allow_flaky: bool | None = None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> GateThresholds:
        """Thresholds from a `gate:` mapping (schema-checked); unknown keys are left out."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (raw or {}).items() if k in names and v is not None})

    def to_dict(self) -> dict[str, Any]:
        """The thresholds that are set, by name."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @property
    def empty(self) -> bool:
        return not self.to_dict()

    def merged(self, *layers: GateThresholds) -> GateThresholds:
        """These thresholds overlaid by each layer in turn (a threshold set in a later layer wins)."""
        out = self.to_dict()
        for layer in layers:
            out.update(layer.to_dict())
        return GateThresholds(**out)


DEFAULT_OUTPUT_CHARS = 500


@dataclass(frozen=True)
class BaselineSettings:
    """How baseline files are written."""

    output_chars: int = DEFAULT_OUTPUT_CHARS  # how much of each case's output they keep (0: none)


@dataclass(frozen=True)
class Settings:
    path: Path | None  # None when the project has no readable llmops.yaml
    project: str | None = None
    db: str = DEFAULT_DB
    defaults: Defaults = field(default_factory=Defaults)
    teams: tuple[Team, ...] | None = None  # None: llmops.yaml declares no teams (any name goes)
    budgets: tuple[Budget, ...] = ()
    environments: Mapping[str, Environment] = field(default_factory=dict)
    retention: Retention = field(default_factory=Retention)
    gate: GateThresholds = field(default_factory=GateThresholds)
    baseline: BaselineSettings = field(default_factory=BaselineSettings)
