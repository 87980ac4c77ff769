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

from llmopsctl import __version__, gitio
from llmopsctl.core.definitions import ModelConfig, Suite
from llmopsctl.core.records import RunRecord
from llmopsctl.core.secrets import redact, secret_env_values
from llmopsctl.cost.estimate import CostEstimate
from llmopsctl.engine.cap import refuse_over_cap, refuse_unpriced
from llmopsctl.engine.environments import model_substitutes, run_environment
from llmopsctl.engine.execute import Executor
from llmopsctl.engine.limits import ModelLimits
from llmopsctl.engine.model_runtime import ModelRuntime
from llmopsctl.engine.options import RunOptions
from llmopsctl.engine.plan import Filters, Plan, WorkItem, plan_suite
from llmopsctl.engine.progress import Progress
from llmopsctl.engine.provenance import judge_models, run_hashes
from llmopsctl.engine.resume import Resume
from llmopsctl.errors import ConfigError, LlmopsError, UsageError
from llmopsctl.project.model import Project
from llmopsctl.providers.base import PROVIDER_MEMBERS, ModelSpec, Provider
from llmopsctl.providers.registry import provider_class
from llmopsctl.providers.replay import Cassette, ReplayProvider
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
    resume: Resume | None = None  # the run to finish (find_resume); the same suite
    max_cost: Decimal | None = None  # USD; the suite's `max_cost` applies when unset
    allow_unpriced: bool = False  # a cost cap with calls of unpriced models: cap only the priced ones
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


def _spec(project: Project, model: ModelConfig, *, replay: bool) -> ModelSpec:
    """What the model's provider is built from; `replay`: a replay of the model (no key, no network)."""
    options = dict(model.options)
    timeout = model.timeout_s or project.settings.defaults.timeout_s
    if replay or model.provider == "replay":
        return ModelSpec(
            name=model.name,
            provider="replay",
            model=model.model,
            params=dict(model.params),
            timeout_s=timeout,
            options=options,
            root=project.root,
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
        name=model.name,
        provider=model.provider,
        model=model.model,
        base_url=model.base_url,
        api_key=api_key,
        params=dict(model.params),
        headers=dict(model.headers),
        timeout_s=timeout,
        options=options,
        root=project.root,
    )


def build_runtimes(
    project: Project, plan: Plan, replay: Cassette | None
) -> tuple[dict[str, ModelRuntime], list[str]]:
    """Providers for the plan's models and the judges its assertions use, every key checked and every
    provider prepared first; `replay`: the cassette every model answers from (`eval --replay`).

    Preparing is when a python model's function is imported: one that cannot be loaded (or any provider
    whose `prepare` fails) is a configuration error (ConfigError) naming the model file, before any case.
    """
    models = {m.name: m for m in plan.models}
    for name in sorted(judge_models(plan.suite, plan)):
        if name not in project.models:
            raise ConfigError(
                f"suite {plan.suite.name!r} grades with model {name!r}, which is not in models/"
            )
        models.setdefault(name, project.models[name])
    specs = {name: (m, _spec(project, m, replay=replay is not None)) for name, m in models.items()}
    runtimes: dict[str, ModelRuntime] = {}
    # Keys of the run's models, and values of any variable named like a secret (a python model may read
    # OPENAI_API_KEY itself and put it in an error message).
    secrets = [s.api_key for _, s in specs.values() if s.api_key] + secret_env_values()
    for name, (model, spec) in specs.items():
        provider = _provider(spec, replay)
        _prepare(provider, project.rel(model.path), secrets)
        limits = model.limits
        runtimes[name] = ModelRuntime(
            provider=provider,
            limits=ModelLimits(limits.concurrency, limits.rpm, limits.tpm),
            retries=model.retries if model.retries is not None else project.settings.defaults.retries,
            timeout_s=spec.timeout_s,
            pricing=model.pricing,
            price_as=model.price_as,
            # A replayed model keeps its model file's base_url, which prices it (see cost.pricing).
            base_url=spec.base_url if replay is None else model.base_url,
            cache=provider.cacheable,
            replayed=spec.provider == "replay",
            provider_name=model.provider,  # replayed answers are priced like the recorded ones
            model_id=model.model,
            price_version=model.hash,
            params=dict(model.params),
        )
    return runtimes, secrets


def _provider(spec: ModelSpec, replay: Cassette | None) -> Provider:
    """The provider of `spec`: a replay of the run's cassette, else the registry's class for it."""
    if replay is not None:
        return ReplayProvider(spec, cassette=replay)
    provider = provider_class(spec.provider)(spec)
    if not isinstance(provider, Provider):
        cls = type(provider)
        missing = [name for name in PROVIDER_MEMBERS if not hasattr(provider, name)]
        raise ConfigError(
            f"provider {spec.provider!r} ({cls.__module__}.{cls.__qualname__}) lacks "
            f"{', '.join(missing)} of the provider protocol",
            hint="derive the class from llmopsctl.providers.base.BaseProvider, which gives the defaults",
        )
    return provider


def _prepare(provider: Provider, where: str, secrets: list[str]) -> None:
    """`provider.prepare()`, its failure a ConfigError naming the model file `where`, secrets redacted
    (what a python model's import raised may quote a key the module read)."""
    try:
        provider.prepare()
    except Exception as exc:
        if isinstance(exc, LlmopsError):
            message, hint = exc.message, exc.hint
        else:  # a bug in a plugin's prepare
            spec = provider.spec
            message = f"{spec.provider} model {spec.name!r}: prepare() raised {type(exc).__name__}: {exc}"
            hint = None
        raise ConfigError(
            redact(f"{where}: {message}", secrets), hint=redact(hint or f"fix {where}", secrets)
        ) from exc


def run_suite(
    project: Project,
    store: Store,
    request: RunRequest,
    on_start: Callable[[str, int], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_estimate: Callable[[CostEstimate], None] | None = None,
) -> RunOutcome:
    suite, resume = request.suite, request.resume
    if resume is not None and resume.suite.name != suite.name:
        raise UsageError(f"run {resume.run_id} is of suite {resume.suite.name!r}, not {suite.name!r}")
    filters = resume.filters if resume is not None else request.filters
    done = store.done_item_keys(resume.run_id) if resume is not None else set()
    environment = run_environment(project.settings, request.environment, resume)
    substitutes = model_substitutes(project.settings, suite, environment)
    plan = plan_suite(project, suite, filters, substitutes)
    if resume is not None:
        resume.check_unchanged(project, plan)
    cassette: Cassette | None = None
    if request.replay or request.record:
        cassette = Cassette(cassette_path(project, suite.name))
    runtimes, secrets = build_runtimes(project, plan, cassette if request.replay else None)
    options = _options(project, request, cassette, secrets, environment)
    run_id = new_run_id() if resume is None else resume.run_id
    executor = Executor(run_id, store, runtimes, options, on_progress)
    estimate: CostEstimate | None = None
    if options.max_cost is not None:  # a cap that cannot hold refuses before anything is written
        estimate = executor.estimate(item for item in plan.items() if item.item_key not in done)
        refuse_unpriced(estimate, options.max_cost, allowed=request.allow_unpriced)
    if resume is None:
        store.create_run(_run_record(project, run_id, plan, filters, request, substitutes))
    if estimate is not None and options.max_cost is not None:
        _check_estimate(executor, estimate, options.max_cost, resumed=resume, on_estimate=on_estimate)
    if resume is not None:  # only now: a resume refused by its cap leaves the run as it was
        store.update_run(run_id, status="running", finished_at=None)
    remaining = max(plan.size - len(done), 0)
    if on_start is not None:
        on_start(run_id, remaining)
    todo = (item for item in plan.items() if item.item_key not in done)
    status, progress = _execute_run(executor, todo, remaining)
    return RunOutcome(run_id, suite.name, status, progress, plan.size, len(done))


def _options(
    project: Project,
    request: RunRequest,
    cassette: Cassette | None,
    secrets: list[str],
    environment: str | None,
) -> RunOptions:
    """The run's options from the request, the suite and llmops.yaml (and the run a resume finishes)."""
    defaults = project.settings.defaults
    resume = request.resume
    use_cache = request.use_cache and (resume is None or resume.use_cache)
    return RunOptions(
        concurrency=request.concurrency or request.suite.concurrency or defaults.concurrency,
        use_cache=use_cache and not request.replay,
        cache_ttl_s=_cache_ttl(defaults.cache_ttl_s, project.settings.retention.cache_s),
        backoff_s=defaults.backoff_s,
        cassette=cassette if request.record else None,
        secrets=secrets,
        max_cost=_cap(request, request.suite),
        root=str(project.root),
        environment=environment,
        fresh=resume is None,
    )


def _cache_ttl(ttl_s: int | None, retention_s: int | None) -> int | None:
    """How long a cached answer is served: `defaults.cache_ttl`, and never past `retention.cache`."""
    if ttl_s is None or retention_s is None:
        return retention_s if ttl_s is None else ttl_s
    return min(ttl_s, retention_s)


def _check_estimate(
    executor: Executor,
    estimate: CostEstimate,
    cap: Decimal,
    *,
    resumed: Resume | None,
    on_estimate: Callable[[CostEstimate], None] | None,
) -> None:
    """Refuse a run whose calls still to make would cost more than its cap, before sending any (the
    refusal says how it estimated); a run that goes ahead shows its estimate through `on_estimate`."""
    if estimate.amount > cap and resumed is None:
        executor.store.update_run(
            executor.run_id, status="aborted", note="cost cap: estimate over the cap, nothing sent"
        )
    refuse_over_cap(estimate, cap, resumed=resumed.run_id if resumed is not None else None)
    if on_estimate is not None:
        on_estimate(estimate)


def _execute_run(executor: Executor, todo: Iterable[WorkItem], total: int) -> tuple[str, Progress]:
    """Make the calls and record how the run ended, whatever ends it; the status and the progress."""
    store, options = executor.store, executor.options
    status = "aborted"  # unless it completes or is interrupted: an unexpected error stopped it
    note: str | None = None
    try:
        progress = asyncio.run(_execute(executor, todo, total, executor.runtimes))
        if progress.stopped:
            status, note = "aborted", progress.stopped
        else:
            status = "complete" if progress.errors == 0 else "incomplete"
    except KeyboardInterrupt:
        status = "interrupted"
        executor.flush()
        raise
    finally:
        store.update_run(executor.run_id, status=status, finished_at=datetime.now(timezone.utc), note=note)
        store.checkpoint()
        if options.cassette is not None:
            options.cassette.save(options.secrets)
    return status, progress


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
    project: Project,
    run_id: str,
    plan: Plan,
    filters: Filters,
    req: RunRequest,
    substitutes: dict[str, str],
) -> RunRecord:
    suite = plan.suite
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
        hashes=run_hashes(project, plan),
        ci=detect_ci(),
        args={
            "filters": filters.to_dict(),
            "cache": req.use_cache,
            "replay": req.replay,
            "record": req.record,
            "environment": req.environment,
            "model_substitutes": substitutes,  # the environment's models: suite's name -> model called
        },
        planned=plan.size,
    )
