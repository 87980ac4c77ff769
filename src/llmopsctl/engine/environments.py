"""A run's environment (`eval --env`): checked against llmops.yaml, and the models it calls instead."""

from __future__ import annotations

from llmopsctl.core.definitions import Suite
from llmopsctl.core.settings import Settings
from llmopsctl.core.suggest import did_you_mean
from llmopsctl.engine.resume import Resume
from llmopsctl.errors import UsageError


def run_environment(settings: Settings, requested: str | None, resume: Resume | None) -> str | None:
    """--env, else the environment a resumed run started with; an environment llmops.yaml does not
    declare is a usage error when it declares any."""
    name = requested
    if name is None and resume is not None:
        name = resume.environment
    declared = settings.environments
    if name is not None and declared and name not in declared:
        raise UsageError(
            f"unknown environment {name!r}{did_you_mean(name, list(declared))} "
            f"(environments in llmops.yaml: {', '.join(declared)})"
        )
    return name


def model_substitutes(settings: Settings, suite: Suite, environment: str | None) -> dict[str, str]:
    """The suite's models that the environment's `models` replaces: the suite's name -> the model called."""
    declared = settings.environments.get(environment) if environment is not None else None
    if declared is None:
        return {}
    return {name: declared.models[name] for name in suite.models if declared.models.get(name, name) != name}
