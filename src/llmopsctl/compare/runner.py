"""`diff` end to end: pick the sides and compare them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from llmopsctl.compare.diff import DiffResult, diff
from llmopsctl.compare.sources import base_caseset, head_casesets
from llmopsctl.project.model import Project
from llmopsctl.store import Store


@dataclass(frozen=True)
class DiffRequest:
    suites: Sequence[str] = ()  # default: every suite with a run
    base: str = "baseline"  # `baseline` (the working tree's file), a git ref or a run id
    head: str | None = None  # a run id; default: each suite's latest run
    pairs: Mapping[str, str] = field(default_factory=dict)  # renamed prompts or models, OLD -> NEW


def run_diff(project: Project, store: Store, request: DiffRequest) -> list[DiffResult]:
    """Compare each head run with its base, case by case."""
    heads = head_casesets(project, store, request.suites, request.head)
    return [
        diff(base_caseset(project.root, store, head.suite, request.base), head, pairs=dict(request.pairs))
        for head in heads
    ]
