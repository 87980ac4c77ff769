"""Expand suites into work items (prompt x model x case x repeat), applying the command line's filters."""

from __future__ import annotations

import fnmatch
import hashlib
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llmopsctl.core.cases import Case, Dataset
from llmopsctl.core.definitions import ModelConfig, Prompt, Suite
from llmopsctl.core.suggest import did_you_mean
from llmopsctl.errors import UsageError
from llmopsctl.project.model import Project


@dataclass(frozen=True)
class Filters:
    prompts: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    cases: tuple[str, ...] = ()  # ids or glob patterns
    tags: tuple[str, ...] = ()
    sample: int | None = None
    seed: int = 0
    shard: tuple[int, int] | None = None  # (index 1-based, count)
    repeat: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompts": list(self.prompts),
            "models": list(self.models),
            "cases": list(self.cases),
            "tags": list(self.tags),
            "sample": self.sample,
            "seed": self.seed,
            "shard": list(self.shard) if self.shard else None,
            "repeat": self.repeat,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Filters:
        shard = data.get("shard")
        return cls(
            prompts=tuple(data.get("prompts") or ()),
            models=tuple(data.get("models") or ()),
            cases=tuple(data.get("cases") or ()),
            tags=tuple(data.get("tags") or ()),
            sample=data.get("sample"),
            seed=int(data.get("seed") or 0),
            shard=(int(shard[0]), int(shard[1])) if shard else None,
            repeat=data.get("repeat"),
        )


def parse_shard(text: str) -> tuple[int, int]:
    try:
        index_text, count_text = text.split("/")
        index, count = int(index_text), int(count_text)
    except ValueError:
        raise UsageError(f"--shard {text!r}: expected I/N, e.g. 1/4") from None
    if count < 1 or not 1 <= index <= count:
        raise UsageError(f"--shard {text!r}: I must be between 1 and N")
    return index, count


@dataclass(frozen=True)
class WorkItem:
    suite: Suite
    prompt: Prompt
    model: ModelConfig
    dataset: Dataset
    case: Case
    repeat_index: int
    case_key: str = field(default="")
    item_key: str = field(default="")


def case_key(prompt: str, model: str, dataset: str, case_id: str) -> str:
    return f"{prompt}/{model}/{dataset}/{case_id}"


def _shard_of(dataset: str, case_id: str, count: int) -> int:
    digest = hashlib.sha256(f"{dataset}\x00{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select_cases(dataset: Dataset, filters: Filters) -> list[Case]:
    cases = list(dataset.cases)
    if filters.cases:
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c.id, pat) for pat in filters.cases)]
    if filters.tags:
        wanted = set(filters.tags)
        cases = [c for c in cases if wanted.intersection(c.tags)]
    if filters.shard:
        index, count = filters.shard
        cases = [c for c in cases if _shard_of(dataset.name, c.id, count) == index]
    if filters.sample is not None and filters.sample < len(cases):
        rng = random.Random(f"{filters.seed}:{dataset.name}")
        picked = set(rng.sample(range(len(cases)), filters.sample))
        cases = [c for i, c in enumerate(cases) if i in picked]
    return cases


def _pick(
    names: Sequence[str],
    wanted: tuple[str, ...],
    what: str,
    suite: str,
    also: Mapping[str, str] | None = None,
) -> list[str]:
    """The names matching a pattern of `wanted` (all when none), or whose name in `also` does."""
    if not wanted:
        return list(names)
    others = also or {}
    chosen = [
        n
        for n in names
        if any(fnmatch.fnmatchcase(n, w) or fnmatch.fnmatchcase(others.get(n, n), w) for w in wanted)
    ]
    if not chosen:
        raise UsageError(
            f"suite {suite!r} has no {what} matching {', '.join(wanted)} (it has: {', '.join(names)})"
        )
    return chosen


@dataclass
class Plan:
    suite: Suite
    prompts: list[Prompt]
    models: list[ModelConfig]
    datasets: list[tuple[Dataset, list[Case]]]
    repeat: int

    @property
    def size(self) -> int:
        cases = sum(len(cases) for _, cases in self.datasets)
        return cases * len(self.prompts) * len(self.models) * self.repeat

    def items(self) -> Iterator[WorkItem]:
        """Work items in a stable order, generated lazily (a plan may hold millions)."""
        for dataset, cases in self.datasets:
            for case in cases:
                for prompt in self.prompts:
                    for model in self.models:
                        key = case_key(prompt.name, model.name, dataset.name, case.id)
                        for r in range(self.repeat):
                            yield WorkItem(self.suite, prompt, model, dataset, case, r, key, f"{key}#{r}")


def plan_suite(
    project: Project, suite: Suite, filters: Filters, substitutes: Mapping[str, str] | None = None
) -> Plan:
    """The suite's items under `filters`; `substitutes` maps a suite's model name to the model called
    instead (an environment's `models` in llmops.yaml). --model matches either name."""
    prompts = [project.prompts[n] for n in _pick(suite.prompts, filters.prompts, "prompt", suite.name)]
    subs = substitutes or {}
    names = _pick(suite.models, filters.models, "model", suite.name, also=subs)
    models = [project.models[n] for n in dict.fromkeys(subs.get(n, n) for n in names)]
    datasets = [(project.datasets[n], select_cases(project.datasets[n], filters)) for n in suite.datasets]
    repeat = filters.repeat or suite.repeat or project.settings.defaults.repeat
    return Plan(suite, prompts, models, datasets, repeat)


def select_suites(project: Project, names: list[str]) -> list[Suite]:
    if not names:
        if not project.suites:
            raise UsageError("the project has no suites", hint="add one under suites/ (see `llmopsctl init`)")
        return list(project.suites.values())
    out = []
    for name in names:
        if name not in project.suites:
            hint = did_you_mean(name, list(project.suites))
            raise UsageError(f"unknown suite {name!r}{hint} (suites: {', '.join(project.suites) or 'none'})")
        out.append(project.suites[name])
    return out
