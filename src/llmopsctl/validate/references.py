"""Checks across files: references, template variables against datasets, assertions, models and teams."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.core.cases import Dataset
from llmopsctl.core.definitions import ModelConfig, Prompt, Suite
from llmopsctl.core.diagnostics import Diagnostic, JsonPath, format_json_path
from llmopsctl.core.suggest import did_you_mean
from llmopsctl.project.model import LoadedFile, Project
from llmopsctl.project.templating import TemplateProblem, variables_of
from llmopsctl.providers.registry import provider_names
from llmopsctl.scorers.base import CheckEnv, ScorerError
from llmopsctl.scorers.registry import resolve
from llmopsctl.userfunc import MODEL_ARGUMENTS, static_problem
from llmopsctl.validate.settings import settings_problems
from llmopsctl.validate.variables import quick_fit, variables_validator

MAX_CASE_ERRORS = 20  # per (dataset, prompt) pairing; the rest are summed up in one line


class _Ctx:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.present = project.present
        self.out: list[Diagnostic] = []

    def file(self, path: Path) -> LoadedFile | None:
        return self.project.files.get(self.project.rel(path))

    def add(
        self,
        path: Path,
        at: JsonPath,
        message: str,
        code: str,
        *,
        key: bool = False,
        related: tuple[str, ...] = (),
    ) -> None:
        loaded = self.file(path)
        pos = loaded.source.locate(at, key=key) if loaded and loaded.source else None
        line, col = (pos.line, pos.col) if pos else (1, 1)
        self.out.append(
            Diagnostic(self.project.rel(path), line, col, message, format_json_path(at), code, related)
        )


def run_checks(project: Project) -> list[Diagnostic]:
    """Every problem between the project's files (each file alone was checked as it loaded)."""
    ctx = _Ctx(project)
    variables = {name: _prompt_variables(ctx, prompt) for name, prompt in project.prompts.items()}
    _check_suites(ctx, variables)
    _check_assertions(ctx)
    _check_models(ctx)
    _check_teams(ctx)
    if project.settings.path is not None:
        for at, message, key in settings_problems(project):
            ctx.add(project.settings.path, at, message, "reference", key=key)
    return ctx.out


def _prompt_variables(ctx: _Ctx, prompt: Prompt) -> set[str] | None:
    """Variables the prompt's templates use; None when a template does not parse (reported here)."""
    names: set[str] = set()
    ok = True
    for i, message in enumerate(prompt.messages):
        try:
            names |= variables_of(message.content)
        except TemplateProblem as exc:
            ok = False
            _template_problems(ctx, prompt.path, ("messages", i, "content"), exc)
    return names if ok else None


def _template_problems(ctx: _Ctx, path: Path, at: JsonPath, exc: TemplateProblem) -> None:
    """Each problem of the template at `at` in the file, on its own line of the file."""
    loaded = ctx.file(path)
    start = loaded.source.value_line_offset(at) if loaded and loaded.source else 1
    for message, lineno in exc.problems:
        ctx.out.append(
            Diagnostic(
                ctx.project.rel(path), start + lineno - 1, 1, message, format_json_path(at), "template"
            )
        )


def _check_suites(ctx: _Ctx, variables: dict[str, set[str] | None]) -> None:
    project = ctx.project
    for suite in project.suites.values():
        references = {"prompt": suite.prompts, "model": suite.models, "dataset": suite.datasets}
        for kind, names in references.items():
            for i, name in enumerate(names):
                if name not in ctx.present[kind]:
                    hint = did_you_mean(name, sorted(ctx.present[kind]))
                    where = (
                        f"{kind}s/{name}.yaml" if kind != "dataset" else f"datasets/{name}.yaml|.jsonl|.csv"
                    )
                    ctx.add(
                        suite.path,
                        (kind + "s", i),
                        f"unknown {kind} {name!r} (no {where}){hint}",
                        "reference",
                    )
        for prompt_name in suite.prompts:
            prompt = project.prompts.get(prompt_name)
            used = variables.get(prompt_name)
            if prompt is None or used is None:
                continue
            for dataset_name in suite.datasets:
                dataset = project.datasets.get(dataset_name)
                if dataset is not None:
                    _check_pairing(ctx, suite.name, prompt, used, dataset)


def _check_pairing(ctx: _Ctx, suite: str, prompt: Prompt, used: set[str], dataset: Dataset) -> None:
    schema = dict(prompt.variables) if prompt.variables is not None else None
    validator = variables_validator(schema) if schema is not None else None
    fits = quick_fit(schema) if validator is not None else None
    related = (ctx.project.rel(prompt.path),)
    errors = 0
    for case in dataset.cases:
        if ((fits is not None and fits(case.vars)) or validator is None) and used.issubset(case.vars):
            continue  # the common case: nothing to report, decided without jsonschema
        problems: list[tuple[JsonPath, str]] = []
        missing = sorted(used - set(case.vars))
        if missing:
            names = ", ".join(repr(m) for m in missing)
            plural = "s" if len(missing) > 1 else ""
            problems.append(
                (
                    ("cases", case.position, "vars"),
                    f"case {case.id!r} lacks variable{plural} {names} used by prompt {prompt.name!r} "
                    f"(suite {suite!r})",
                )
            )
        if validator is not None:
            for err in validator.iter_errors(case.vars):
                at: JsonPath = ("cases", case.position, "vars", *err.absolute_path)
                problems.append(
                    (
                        at,
                        f"case {case.id!r} does not fit the variables of prompt {prompt.name!r}: "
                        f"{err.message}",
                    )
                )
        for at, message in problems:
            errors += 1
            if errors <= MAX_CASE_ERRORS:
                ctx.add(dataset.path, at, message, "variables", related=related)
    if errors > MAX_CASE_ERRORS:
        ctx.add(
            dataset.path,
            (),
            f"... and {errors - MAX_CASE_ERRORS} more case problems with prompt {prompt.name!r}",
            "variables",
            related=related,
        )


def _iter_assertions(project: Project) -> Iterator[tuple[Path, JsonPath, Assertion, Any, bool]]:
    """(file, path, assertion, expected, from_suite) for every assertion written in the project."""
    for suite in project.suites.values():
        for i, assertion in enumerate(suite.asserts):
            yield suite.path, ("assert", i), assertion, None, True
    for dataset in project.datasets.values():
        for case in dataset.cases:
            for i, assertion in enumerate(case.asserts):
                yield dataset.path, ("cases", case.position, "assert", i), assertion, case.expected, False


def _check_assertions(ctx: _Ctx) -> None:
    env = _check_env(ctx)
    for path, at, assertion, expected, from_suite in _iter_assertions(ctx.project):
        type_name = assertion.type
        try:
            spec, _ = resolve(type_name)
        except ScorerError as exc:
            ctx.add(path, (*at, "type"), str(exc), "assertion")
            continue
        if spec.needs_value and assertion.value is None and expected is None and not from_suite:
            ctx.add(path, at, f"{type_name!r} needs a `value`, or an `expected` on the case", "assertion")
        problem = _value_template_problem(assertion.value)
        if problem is not None:
            _template_problems(ctx, path, (*at, "value"), problem)
            continue  # the type's check would judge the template's text
        for where, message in _assertion_problems(spec, assertion, env):
            ctx.add(path, (*at, *where), message, "assertion")
    for suite in ctx.project.suites.values():
        needing = [a for a in suite.asserts if _needs_expected(a)]
        if not needing:
            continue
        for dataset_name in suite.datasets:
            dataset = ctx.project.datasets.get(dataset_name)
            for case in dataset.cases if dataset else []:
                if case.expected is None:
                    kinds = ", ".join(sorted({a.type for a in needing}))
                    ctx.add(
                        dataset.path,  # type: ignore[union-attr]
                        ("cases", case.position),
                        f"case {case.id!r} has no `expected`, which suite {suite.name!r} compares with "
                        f"({kinds})",
                        "assertion",
                        related=(ctx.project.rel(suite.path),),
                    )
                    break


@lru_cache(maxsize=1024)
def _template_problem(text: str) -> TemplateProblem | None:
    try:
        variables_of(text)
    except TemplateProblem as exc:
        return exc
    return None


def _value_template_problem(value: Any) -> TemplateProblem | None:
    """What is wrong with an assertion's `value` when it is a template (rendered for each case at run time:
    a syntax error or an unknown filter would fail every case)."""
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return _template_problem(value)
    return None


def _check_env(ctx: _Ctx) -> Any:
    """What the assertion checks may know: the project root and every model name (loaded or not)."""
    models = frozenset(ctx.present.get("model", set()) | set(ctx.project.models))
    return CheckEnv(root=ctx.project.root, models=models)


def _assertion_problems(spec: Any, assertion: Assertion, env: Any) -> list[tuple[JsonPath, str]]:
    """The type's static check (`AssertionType.check`); a check that crashes is reported, not raised."""
    try:
        found = spec.problems(assertion, env)
    except Exception as exc:
        return [((), f"could not check this {spec.name!r} assertion: {type(exc).__name__}: {exc}")]
    out: list[tuple[JsonPath, str]] = []
    for item in found:
        if isinstance(item, str):
            out.append(((), item))
        else:
            where, message = item
            out.append((tuple(where), str(message)))
    return out


def _needs_expected(assertion: Assertion) -> bool:
    try:
        spec, _ = resolve(assertion.type)
    except ScorerError:
        return False
    return spec.needs_value and assertion.value is None


def _check_models(ctx: _Ctx) -> None:
    known = provider_names()
    for model in ctx.project.models.values():
        if model.provider not in known:
            ctx.add(
                model.path,
                ("provider",),
                f"unknown provider {model.provider!r}{did_you_mean(model.provider, known)} "
                f"(known: {', '.join(sorted(known))})",
                "reference",
            )
        if model.provider == "python":
            _check_python_model(ctx, model)


def _check_python_model(ctx: _Ctx, model: ModelConfig) -> None:
    """The reference of a `provider: python` model, checked as the provider loads it but without running
    the user's code: the file exists, compiles and defines the function, or the module can be found."""
    module_ref, sep, attr = model.model.rpartition(":")
    module_ref, attr = module_ref.strip(), attr.strip()
    if not sep or not module_ref or not attr:
        ctx.add(
            model.path,
            ("model",),
            "a python model is `module:function` or `path/file.py:function`",
            "schema",
        )
        return
    root_option = model.options.get("root")
    # As the provider resolves it (a relative `options.root` is relative to the working directory).
    root = Path(str(root_option)).expanduser().resolve() if root_option else ctx.project.root
    try:
        problem = static_problem(root, module_ref, attr, offered=MODEL_ARGUMENTS)
    except Exception as exc:  # a check that crashes is reported, not raised
        problem = f"could not check {model.model!r}: {type(exc).__name__}: {exc}"
    if problem is not None:
        ctx.add(model.path, ("model",), problem, "reference")


def _check_teams(ctx: _Ctx) -> None:
    teams = ctx.project.settings.teams
    if teams is None:
        return
    names = sorted({t.name for t in teams})
    items: list[Prompt | Suite | Dataset] = [
        *ctx.project.prompts.values(),
        *ctx.project.suites.values(),
        *ctx.project.datasets.values(),
    ]
    for item in items:
        team = item.team
        if team is not None and team not in names:
            ctx.add(
                item.path,
                ("team",),
                f"unknown team {team!r}{did_you_mean(team, names)} (teams in llmops.yaml)",
                "reference",
            )
