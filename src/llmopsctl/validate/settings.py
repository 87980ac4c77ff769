"""Checks of llmops.yaml against the rest of the project: the models its environments call."""

from __future__ import annotations

from llmopsctl.core.diagnostics import JsonPath
from llmopsctl.core.suggest import did_you_mean
from llmopsctl.project.model import Project

Problem = tuple[JsonPath, str, bool]  # (where in llmops.yaml, message, whether it is about the key there)


def settings_problems(project: Project) -> list[Problem]:
    """Every name llmops.yaml uses that the project does not define."""
    return _environment_problems(project)


def _environment_problems(project: Project) -> list[Problem]:
    """An environment's `models` maps a model of models/ to another model of models/."""
    models = sorted(project.present.get("model", set()))
    out: list[Problem] = []
    for env in project.settings.environments.values():
        for name, replacement in env.models.items():
            at: JsonPath = ("environments", env.name, "models", name)
            what = f"environment {env.name!r}"
            if name not in models:
                out.append((at, _unknown_model(name, models, f"{what} replaces"), True))
            if replacement not in models:
                out.append((at, _unknown_model(replacement, models, f"{what} calls"), False))
    return out


def _unknown_model(name: str, models: list[str], what: str) -> str:
    return f"{what} unknown model {name!r} (no models/{name}.yaml){did_you_mean(name, models)}"
