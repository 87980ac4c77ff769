"""The content hashes a run records of the files it was made from, and what changed between two records.

A run's `hashes` hold, per kind, each file's hash of its whole content (provenance) and, under `answers`,
the hash that leaves out its runtime settings (core.hashing.RUNTIME_KEYS): a timeout, retries, rate limits,
a cost cap or gate thresholds. `eval --resume` compares the answer hashes, so editing runtime settings does
not stop a run from being finished; baselines and diffs name what changed with both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from llmopsctl import pysources
from llmopsctl.core.assertions import Assertion
from llmopsctl.core.definitions import ModelConfig, Suite
from llmopsctl.core.hashing import content_hash
from llmopsctl.engine.plan import Plan
from llmopsctl.project.model import Project

KINDS = (("prompts", "prompt"), ("models", "model"), ("datasets", "dataset"))
CODE = "python code of model"


def judge_models(suite: Suite, plan: Plan) -> set[str]:
    """Model names that the assertions of the plan's cases grade with (`config.model`)."""
    names: set[str] = set()

    def visit(assertions: Iterable[Assertion]) -> None:
        for assertion in assertions:
            model = assertion.config.get("model")
            if isinstance(model, str):
                names.add(model)
            if assertion.type == "assert-set":
                visit(assertion.members())

    visit(suite.asserts)
    for _, cases in plan.datasets:
        for case in cases:
            visit(case.asserts)
    return names


def _models(project: Project, plan: Plan) -> list[ModelConfig]:
    """The plan's models and the judge or embedding models its assertions use."""
    models = {m.name: m for m in plan.models}
    for name in sorted(judge_models(plan.suite, plan)):
        if name in project.models:
            models.setdefault(name, project.models[name])
    return list(models.values())


def code_hashes(project: Project, models: Iterable[ModelConfig]) -> dict[str, str]:
    """For each python model, a hash of the project's Python files it runs (its module and, followed
    statically, what that imports from the project): its code changes where its model file does not."""
    out: dict[str, str] = {}
    for model in models:
        if model.provider != "python":
            continue
        files = sorted(pysources.sources(project.root, model.model.rpartition(":")[0]))
        out[model.name] = content_hash([[project.rel(f), _file_digest(f)] for f in files])
    return out


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def run_hashes(project: Project, plan: Plan) -> dict[str, Any]:
    """What a run records of its files: {prompts, models, datasets: {name: hash}, code: {python model:
    hash of its source files}, answers: {prompts, models: {name: answer hash}, suite: answer hash}};
    `models` includes the judges."""
    models = _models(project, plan)
    return {
        "prompts": {p.name: p.hash for p in plan.prompts},
        "models": {m.name: m.hash for m in models},
        "datasets": {d.name: d.hash for d, _ in plan.datasets},
        "code": code_hashes(project, models),
        "answers": {
            "prompts": {p.name: p.answer_hash for p in plan.prompts},
            "models": {m.name: m.answer_hash for m in models},
            "suite": plan.suite.answer_hash,
        },
    }


@dataclass(frozen=True)
class FileChange:
    """A file whose hash differs between two records: kind (prompt, model, dataset, suite), name, how
    (`changed`; `runtime settings only`: its answer hash is the same; `only in the base`, `only in the
    head`: recorded on one side) and, when known, its path in the project."""

    kind: str  # prompt, model, dataset, suite, or `python code of model`
    name: str
    how: str
    path: str | None = None

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path else ""
        return f"{self.kind} {self.name}{where}" + ("" if self.how == "changed" else f": {self.how}")


def with_paths(project: Project, changes: Iterable[FileChange]) -> list[FileChange]:
    """`changes`, each with the project path of its file when the project still has it."""
    records: dict[str, Mapping[str, Any]] = {
        "prompt": project.prompts,
        "model": project.models,
        "dataset": project.datasets,
        "suite": project.suites,
    }
    out = []
    for c in changes:
        if c.kind == CODE and c.name in project.models:
            c = replace(c, path=project.models[c.name].model.rpartition(":")[0] + " and what it imports")
        elif c.name in records.get(c.kind, {}):
            c = replace(c, path=project.rel(records[c.kind][c.name].path))
        out.append(c)
    return out


def _answers(hashes: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    answers = hashes.get("answers")
    if not isinstance(answers, Mapping):
        return {}
    if kind == "suites":
        suite = answers.get("suite")
        return {"": suite} if suite else {}
    found = answers.get(kind)
    return found if isinstance(found, Mapping) else {}


def _full(hashes: Mapping[str, Any], kind: str, suite_hash: str | None) -> Mapping[str, Any] | None:
    """The record's hashes of one kind; None when it recorded none of that kind (an older record)."""
    if kind == "suites":
        return {"": suite_hash} if suite_hash else None
    found = hashes.get(kind)
    return found if isinstance(found, Mapping) else None


def file_changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    *,
    old_suite: str | None = None,
    new_suite: str | None = None,
    suite_name: str = "",
) -> list[FileChange]:
    """The files whose hashes differ between the records `old` (the base) and `new` (the head): run
    `hashes`, with the suites' own hashes apart. A record without answer hashes (an older run) tells no
    runtime-only edit from another, and a kind one record has no hashes of (python code, in older runs) is
    not compared."""
    out: list[FileChange] = []
    for kind, singular in (*KINDS, ("code", CODE), ("suites", "suite")):
        full_old, full_new = _full(old, kind, old_suite), _full(new, kind, new_suite)
        if full_old is None or full_new is None:
            continue
        answers_old, answers_new = _answers(old, kind), _answers(new, kind)
        for name in sorted(set(full_old) | set(full_new)):
            label = name or suite_name
            if name not in full_new:
                out.append(FileChange(singular, label, "only in the base"))
            elif name not in full_old:
                out.append(FileChange(singular, label, "only in the head"))
            elif full_old[name] != full_new[name]:
                same = name in answers_old and answers_old.get(name) == answers_new.get(name)
                out.append(FileChange(singular, label, "runtime settings only" if same else "changed"))
    return out


def answer_changes(
    recorded: Mapping[str, Any], now: Mapping[str, Any], *, recorded_suite: str | None, suite: Suite
) -> list[FileChange]:
    """The files of `now` (run_hashes) whose answers may differ from those `recorded` by a run: those
    present on both sides and not changed in runtime settings only. A python model's code is left out: a
    resume is how a run gets the cases its code failed on once that code is fixed."""
    changes = file_changes(
        recorded, now, old_suite=recorded_suite, new_suite=suite.hash, suite_name=suite.name
    )
    return [c for c in changes if c.how == "changed" and c.kind != CODE]
