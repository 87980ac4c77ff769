"""Checks of llmops.yaml against the rest of the project: what its budgets are for, the models its
environments call."""

from __future__ import annotations

from llmopsctl.core.diagnostics import JsonPath
from llmopsctl.core.suggest import did_you_mean
from llmopsctl.project.model import Project

Problem = tuple[JsonPath, str, bool]  # (where in llmops.yaml, message, whether it is about the key there)


def settings_problems(project: Project) -> list[Problem]:
    """Every name llmops.yaml uses that the project does not define."""
    return _budget_problems(project) + _environment_problems(project)


def _budget_problems(project: Project) -> list[Problem]:
    """A budget's team, prompt or suite exists: a budget for nothing would report 0% forever."""
    teams = _known_teams(project)
    out: list[Problem] = []
    for i, budget in enumerate(project.settings.budgets):
        target = budget.target
        if target is None:
            continue
        at: JsonPath = ("budgets", i, "scope", budget.scope)
        if budget.scope == "team":
            if teams is not None and target not in teams:
                where = "teams in llmops.yaml" if project.settings.teams is not None else _TEAMS_USED
                hint = did_you_mean(target, sorted(teams))
                out.append(
                    (at, f"budget {budget.name!r} is for unknown team {target!r}{hint} ({where})", False)
                )
            continue
        names = sorted(project.present.get(budget.scope, set()))
        if target not in names:
            hint = did_you_mean(target, names)
            message = (
                f"budget {budget.name!r} is for unknown {budget.scope} {target!r} "
                f"(no {budget.scope}s/{target}.yaml){hint}"
            )
            out.append((at, message, False))
    return out


_TEAMS_USED = "llmops.yaml declares no `teams`, and no prompt or suite has this `team`"


def _known_teams(project: Project) -> set[str] | None:
    """The teams llmops.yaml declares, else those the prompts and suites name; None when that cannot be
    known (only some files were loaded: `validate FILE...`)."""
    declared = project.settings.teams
    if declared is not None:
        return {team.name for team in declared}
    if project.focus is not None:
        return None
    teams = {prompt.team for prompt in project.prompts.values()}
    teams |= {suite.team for suite in project.suites.values()}
    return {team for team in teams if team is not None}


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
