"""Golden datasets and their cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmopsctl.core.assertions import Assertion


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    vars: dict[str, Any]
    expected: Any = None
    asserts: tuple[Assertion, ...] = ()
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    threshold: float | None = None
    index: int = 0  # position in the dataset, for error messages


@dataclass(frozen=True)
class Dataset:
    name: str
    path: Path
    hash: str  # of the cases as written
    cases: tuple[Case, ...]
    description: str | None = None
    owner: str | None = None
    team: str | None = None
    tags: tuple[str, ...] = ()
