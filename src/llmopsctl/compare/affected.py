"""Which suites a set of changed files can affect, through their references."""

from __future__ import annotations

from pathlib import Path

from llmopsctl.project.loader import kind_of
from llmopsctl.project.model import Project


def affected_suites(project: Project, changed: list[Path]) -> list[str]:
    changed_names: dict[str, set[str]] = {"prompt": set(), "model": set(), "dataset": set(), "suite": set()}
    changed_rel = set()
    settings_changed = False
    for path in changed:
        kind = kind_of(project.root, path)
        if kind == "llmops":
            settings_changed = True
        elif kind in changed_names:
            changed_names[kind].add(path.stem)
        try:
            changed_rel.add(path.resolve().relative_to(project.root).as_posix())
        except ValueError:
            continue
    # A python model's own code is part of the model: a change to it affects the suites using that model.
    for model in project.models.values():
        if model.provider == "python":
            module = model.model.partition(":")[0]
            candidates = {module, module.replace(".", "/") + ".py"}
            if candidates & changed_rel:
                changed_names["model"].add(model.name)
    out = []
    for suite in project.suites.values():
        if (
            settings_changed
            or suite.name in changed_names["suite"]
            or set(suite.prompts) & changed_names["prompt"]
            or set(suite.models) & changed_names["model"]
            or set(suite.datasets) & changed_names["dataset"]
        ):
            out.append(suite.name)
    return out
