"""One eval run end to end: resolve models and keys, open the store, execute, record status and provenance."""

from __future__ import annotations

import asyncio
import os
import secrets as pysecrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from llmopsctl import __version__
from llmopsctl.core.assertions import Assertion
from llmopsctl.core.definitions import ModelConfig, Suite
from llmopsctl.core.format import money
from llmopsctl.core.records import RunRecord
from llmopsctl.core.secrets import secret_env_values
from llmopsctl.cost.estimate import CostEstimate
from llmopsctl.engine.execute import Executor
from llmopsctl.engine.limits import ModelLimits
from llmopsctl.engine.model_runtime import ModelRuntime
from llmopsctl.engine.options import RunOptions
from llmopsctl.engine.plan import Filters, Plan, plan_suite
from llmopsctl.engine.progress import Progress
from llmopsctl.errors import ConfigError, CostCapExceeded, UsageError
from llmopsctl.project.model import Project
from llmopsctl.providers.base import ModelSpec
from llmopsctl.providers.replay import Cassette
from llmopsctl.store import Store

KEYED_PROVIDERS = {"openai": "https://api.openai.com", "anthropic": "https://api.anthropic.com"}
CI_VARS = {
    "GITHUB_ACTIONS": "github-actions",
    "GITLAB_CI": "gitlab-ci",
    "BUILDKITE": "buildkite",
    "CIRCLECI": "circleci",
    "JENKINS_URL": "jenkins",
    "TF_BUILD": "azure-pipelines",
}


@dataclass
class RunRequest:
    suite: Suite
    filters: Filters = field(default_factory=Filters)
    concurrency: int | None = None
    use_cache: bool = True
    record: bool = False
    replay: bool = False
    resume: str | None = None  # run id
    max_cost: Decimal | None = None  # USD; the suite's `max_cost` applies when unset
    environment: str | None = None  # e.g. dev, staging, ci: recorded with the results


@dataclass
class RunOutcome:
    run_id: str
    suite: str
    status: str
    progress: Progress
    planned: int
    skipped: int = 0  # already done before a resume


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%d-%H%M%S}-{pysecrets.token_hex(3)}"


def detect_ci() -> str | None:
    for var, name in CI_VARS.items():
        if os.environ.get(var):
            return name
    return "ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else None


def cassette_path(project: Project, suite: str) -> Path:
    return project.root / ".llmops" / "cassettes" / f"{suite}.jsonl"


def _spec(project: Project, model: ModelConfig, *, replay: Cassette | None) -> ModelSpec:
    options = dict(model.options)
    options.setdefault("root", str(project.root))
    timeout = model.timeout_s or project.settings.defaults.timeout_s
    if replay is not None or model.provider == "replay":
        cassette = replay or Cassette(project.root / str(options.get("cassette", "")))
        options["cassette"] = str(cassette.path)
        options["_cassette"] = cassette
        return ModelSpec(
            model.name, "replay", model.model, None, None, dict(model.params), {}, timeout, options
        )
    api_key = None
    env_name = model.api_key_env
    if env_name:
        api_key = os.environ.get(env_name)
        if not api_key:
            raise ConfigError(
                f"model {model.name!r} needs the environment variable {env_name} (its API key), "
                "which is not set",
                hint=f"export {env_name}=..., or run offline with --replay or another --model",
            )
        if not (api_key.isascii() and api_key.isprintable()) or any(c.isspace() for c in api_key):
            # It could not go into a header, and the errors saying so would quote it in an escaped form
            # that redaction does not recognise. The message never shows the value.
            raise ConfigError(
                f"the environment variable {env_name} (the API key of model {model.name!r}) contains "
                "spaces, line breaks or non-ASCII characters",
                hint=f"set {env_name} again to the key alone (a file with Windows line ends adds a \\r)",
            )
    elif model.provider in KEYED_PROVIDERS and not model.base_url:
        raise ConfigError(
            f"model {model.name!r} calls {KEYED_PROVIDERS[model.provider]} but names no api_key_env",
            hint="add `api_key_env: OPENAI_API_KEY` (the NAME of the variable) to the model file",
        )
    return ModelSpec(
        model.name,
        model.provider,
        model.model,
        model.base_url,
        api_key,
        dict(model.params),
        dict(model.headers),
        timeout,
        options,
    )


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


def build_runtimes(
    project: Project, plan: Plan, replay: Cassette | None
) -> tuple[dict[str, ModelRuntime], list[str]]:
    """Providers for the plan's models and the judges its assertions use; every key is checked first.

    A python model's function is imported here, before any case runs: one that cannot be loaded is a
    configuration error (ConfigError), not an error on every case.
    """
    from llmopsctl.core.secrets import redact
    from llmopsctl.errors import ProviderError
    from llmopsctl.providers.python import PythonProvider
    from llmopsctl.providers.registry import provider_class

    models = {m.name: m for m in plan.models}
    for name in sorted(judge_models(plan.suite, plan)):
        if name not in project.models:
            raise ConfigError(
                f"suite {plan.suite.name!r} grades with model {name!r}, which is not in models/"
            )
        models.setdefault(name, project.models[name])
    specs = {name: (m, _spec(project, m, replay=replay)) for name, m in models.items()}
    runtimes: dict[str, ModelRuntime] = {}
    # Keys of the run's models, and values of any variable named like a secret (a python model may read
    # OPENAI_API_KEY itself and put it in an error message).
    secrets = [s.api_key for _, s in specs.values() if s.api_key] + secret_env_values()
    for name, (model, spec) in specs.items():
        provider = provider_class(spec.provider)(spec)
        if isinstance(provider, PythonProvider):
            try:
                provider.load()
            except ProviderError as exc:
                where = project.rel(model.path)
                raise ConfigError(  # what the import raised may quote a key the module read
                    redact(f"{where}: {exc.message}", secrets), hint=exc.hint or f"fix `model:` in {where}"
                ) from exc
        limits = model.limits
        runtimes[name] = ModelRuntime(
            provider=provider,
            limits=ModelLimits(limits.concurrency, limits.rpm, limits.tpm),
            retries=model.retries if model.retries is not None else project.settings.defaults.retries,
            timeout_s=spec.timeout_s,
            pricing=model.pricing,
            # A replayed model keeps its model file's base_url, which prices it (see cost.pricing).
            base_url=spec.base_url if replay is None else model.base_url,
            cache=getattr(provider, "cacheable", True),
            replayed=spec.provider == "replay",
            provider_name=model.provider,  # replayed answers are priced like the recorded ones
            model_id=model.model,
            price_version=model.hash,
            params=dict(model.params),
        )
    return runtimes, secrets


def run_suite(
    project: Project,
    store: Store,
    request: RunRequest,
    on_start: Callable[[str, int], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_estimate: Callable[[CostEstimate], None] | None = None,
) -> RunOutcome:
    suite = request.suite
    filters = request.filters
    run_id = request.resume
    done: set[str] = set()
    previous: dict[str, Any] | None = None
    if run_id is not None:
        previous = store.get_run(run_id)
        if previous is None:
            raise UsageError(
                f"no run {run_id!r} in {project.db_path}", hint="`llmopsctl runs list` shows the runs"
            )
        if previous["suite"] != suite.name:
            raise UsageError(f"run {run_id} is of suite {previous['suite']!r}, not {suite.name!r}")
        args = previous.get("args") or {}
        filters = Filters.from_dict(args.get("filters") or {})
        if args.get("cache") is False:  # a run started with --no-cache resumes without the cache too
            request.use_cache = False
        done = store.done_item_keys(run_id)
    plan = plan_suite(project, suite, filters)
    if previous is not None:
        _check_unchanged(previous, plan)
    cassette: Cassette | None = None
    if request.replay or request.record:
        cassette = Cassette(cassette_path(project, suite.name))
    runtimes, secrets = build_runtimes(project, plan, cassette if request.replay else None)
    defaults = project.settings.defaults
    options = RunOptions(
        concurrency=request.concurrency or suite.concurrency or defaults.concurrency,
        use_cache=request.use_cache and not request.replay,
        cache_ttl_s=defaults.cache_ttl_s,
        backoff_s=defaults.backoff_s,
        cassette=cassette if request.record else None,
        secrets=secrets,
        max_cost=_cap(request, suite),
        root=str(project.root),
        environment=_environment(project, request, previous),
        fresh=run_id is None,
    )
    created = run_id is None
    if run_id is None:
        run_id = new_run_id()
        store.create_run(_run_record(project, suite, run_id, plan, filters, request))
    todo = (item for item in plan.items() if item.item_key not in done)
    remaining = max(plan.size - len(done), 0)
    executor = Executor(run_id, store, runtimes, options, on_progress)
    if options.max_cost is not None:
        estimate = executor.estimate(item for item in plan.items() if item.item_key not in done)
        if on_estimate is not None:
            on_estimate(estimate)
        if estimate.amount > options.max_cost:
            if created:
                store.update_run(
                    run_id, status="aborted", note="cost cap: estimate over the cap, nothing sent"
                )
            raise CostCapExceeded(
                f"the run would cost about {money(estimate.amount, 'estimate')}, over its cap of "
                f"{money(options.max_cost, 'as_held')} ({estimate.explanation})",
                hint="raise --max-cost (or the suite's max_cost), or run fewer cases with --sample/--case",
            )
    if not created:  # only now: a resume refused by its cap leaves the run as it was
        store.update_run(run_id, status="running", finished_at=None)
    if on_start is not None:
        on_start(run_id, remaining)
    status = "aborted"  # unless it completes or is interrupted: an unexpected error stopped it
    note: str | None = None
    try:
        progress = asyncio.run(_execute(executor, todo, remaining, runtimes))
        if progress.stopped:
            status, note = "aborted", progress.stopped
        else:
            status = "complete" if progress.errors == 0 else "incomplete"
    except KeyboardInterrupt:
        status = "interrupted"
        executor.flush()
        raise
    finally:
        store.update_run(run_id, status=status, finished_at=datetime.now(timezone.utc), note=note)
        store.checkpoint()
        if cassette is not None and request.record:
            cassette.save(secrets)
    return RunOutcome(run_id, suite.name, status, progress, plan.size, len(done))


def _environment(project: Project, request: RunRequest, previous: dict[str, Any] | None) -> str | None:
    """The run's environment: --env, else the one a resumed run started with; checked against llmops.yaml."""
    name = request.environment
    if name is None and previous is not None:
        name = (previous.get("args") or {}).get("environment")
    declared = project.settings.environments
    if name is not None and declared and name not in declared:
        from llmopsctl.core.suggest import did_you_mean

        raise UsageError(
            f"unknown environment {name!r}{did_you_mean(name, list(declared))} "
            f"(environments in llmops.yaml: {', '.join(declared)})"
        )
    return name


def _check_unchanged(previous: dict[str, Any], plan: Plan) -> None:
    """A resumed run must use the files it started with, or its results would mix two configurations."""
    recorded = previous.get("hashes") or {}
    now = {
        "prompts": {p.name: p.hash for p in plan.prompts},
        "models": {m.name: m.hash for m in plan.models},
        "datasets": {d.name: d.hash for d, _ in plan.datasets},
    }
    changed = [
        f"{kind[:-1]} {name!r}"
        for kind, hashes in now.items()
        for name, digest in sorted(hashes.items())
        if (recorded.get(kind) or {}).get(name) not in (None, digest)
    ]
    if changed or previous.get("suite_hash") not in (None, plan.suite.hash):
        what = ", ".join(changed + (["the suite"] if previous.get("suite_hash") != plan.suite.hash else []))
        raise UsageError(
            f"cannot resume run {previous['id']}: {what} changed since it started",
            hint="start a new run with `llmopsctl eval` (or restore the files to resume this one)",
        )


def _cap(request: RunRequest, suite: Suite) -> Decimal | None:
    if request.max_cost is not None:
        return request.max_cost
    return suite.max_cost


async def _execute(executor: Executor, todo: Any, total: int, runtimes: dict[str, ModelRuntime]) -> Progress:
    try:
        return await executor.run(todo, total)
    finally:
        for runtime in runtimes.values():
            await runtime.provider.aclose()


def _run_record(
    project: Project, suite: Suite, run_id: str, plan: Plan, filters: Filters, req: RunRequest
) -> RunRecord:
    from llmopsctl import gitio

    git = gitio.state(project.root)
    return RunRecord(
        id=run_id,
        suite=suite.name,
        status="running",
        started_at=datetime.now(timezone.utc),
        git_sha=git.sha,
        git_branch=git.branch,
        git_dirty=git.dirty,
        tool_version=__version__,
        suite_hash=suite.hash,
        hashes={
            "prompts": {p.name: p.hash for p in plan.prompts},
            "models": {m.name: m.hash for m in plan.models},
            "datasets": {d.name: d.hash for d, _ in plan.datasets},
        },
        ci=detect_ci(),
        args={
            "filters": filters.to_dict(),
            "cache": req.use_cache,
            "replay": req.replay,
            "record": req.record,
            "environment": req.environment,
        },
        planned=plan.size,
    )
