"""Golden datasets and their cases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from llmopsctl.core.assertions import Assertion


class Case(NamedTuple):
    """One golden case. A named tuple: immutable like the other records, and quick to build and small to
    hold, since datasets may have hundreds of thousands of them."""

    id: str
    vars: dict[str, Any]
    expected: Any = None
    asserts: tuple[Assertion, ...] = ()
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = MappingProxyType({})
    threshold: float | None = None
    position: int = 0  # index in the dataset, for error messages


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
