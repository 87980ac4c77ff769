"""Turn each file's checked YAML into the typed records of `llmopsctl.core`, once, at load time."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.core.definitions import Limits, Message, ModelConfig, PriceAs, Pricing, Prompt, Suite
from llmopsctl.core.durations import parse_duration
from llmopsctl.core.hashing import answer_hash
from llmopsctl.core.settings import (
    DEFAULT_ALERTS,
    DEFAULT_DB,
    DEFAULT_OUTPUT_CHARS,
    BaselineSettings,
    Budget,
    Defaults,
    Environment,
    GateThresholds,
    Retention,
    Settings,
    Team,
)

Raw = Mapping[str, Any]


def _map(raw: Raw, key: str) -> dict[str, Any]:
    value = raw.get(key)
    return dict(value) if isinstance(value, Mapping) else {}


def names(raw: Raw, key: str) -> tuple[str, ...]:
    value = raw.get(key)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def text(raw: Raw, key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else str(value)


def _number(raw: Raw, key: str) -> float | None:
    value = raw.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(raw: Raw, key: str) -> int | None:
    value = raw.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def assertions(raw: Any) -> tuple[Assertion, ...]:
    """The assertions of an `assert:` list; entries that are not mappings are left out."""
    if not raw or not isinstance(raw, list):
        return ()
    return tuple(Assertion.from_mapping(a) for a in raw if type(a) is dict or isinstance(a, Mapping))


def settings(path: Path | None, raw: Raw) -> Settings:
    if not raw:
        return Settings(path=path)
    return Settings(
        path=path,
        project=text(raw, "project"),
        db=str(raw.get("db") or DEFAULT_DB),
        defaults=_defaults(_map(raw, "defaults")),
        teams=_teams(raw.get("teams")),
        budgets=budgets(raw.get("budgets")),
        environments={
            str(name): Environment(
                str(name), text(env, "description"), {str(k): str(v) for k, v in _map(env, "models").items()}
            )
            for name, env in _map(raw, "environments").items()
            if isinstance(env, Mapping)
        },
        retention=_retention(_map(raw, "retention")),
        gate=GateThresholds.from_mapping(_map(raw, "gate")),
        baseline=_baseline(_map(raw, "baseline")),
    )


def _baseline(raw: Raw) -> BaselineSettings:
    chars = _int(raw, "output_chars")
    return BaselineSettings(DEFAULT_OUTPUT_CHARS if chars is None else chars)


def _teams(raw: Any) -> tuple[Team, ...] | None:
    if not isinstance(raw, list):
        return None
    return tuple(
        Team(str(t.get("name")), tuple(map(str, t.get("owners") or ())), text(t, "description"))
        for t in raw
        if isinstance(t, Mapping)
    )


def _duration(raw: Raw, key: str) -> int | None:
    return parse_duration(raw[key]) if key in raw else None


def _retention(raw: Raw) -> Retention:
    def written(key: str) -> str | None:
        value = raw.get(key)
        return f"{value}s" if isinstance(value, int) else text(raw, key)

    return Retention(
        results_s=_duration(raw, "results"),
        cache_s=_duration(raw, "cache"),
        results=written("results"),
        cache=written("cache"),
    )


def _defaults(raw: Raw) -> Defaults:
    base = Defaults()
    return Defaults(
        concurrency=int(raw.get("concurrency", base.concurrency)),
        timeout_s=float(raw.get("timeout_s", base.timeout_s)),
        retries=int(raw.get("retries", base.retries)),
        cache_ttl_s=parse_duration(raw["cache_ttl"]) if "cache_ttl" in raw else base.cache_ttl_s,
        repeat=int(raw.get("repeat", base.repeat)),
        seed=int(raw.get("seed", base.seed)),
        backoff_s=float(raw.get("backoff_s", base.backoff_s)),
    )


def budgets(raw: Any) -> tuple[Budget, ...]:
    """The budgets of llmops.yaml; names made unique by a #N suffix."""
    out: list[Budget] = []
    seen: dict[str, int] = {}
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, Mapping):
            continue
        scope, target = _scope(item.get("scope"))
        period = str(item.get("period", "month"))
        name = str(item.get("name") or (f"{scope}-{target}-{period}" if target else f"project-{period}"))
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}#{seen[name]}"
        alerts = item.get("alerts")
        out.append(
            Budget(
                name=name,
                scope=scope,
                target=target,
                period=period,
                amount=Decimal(str(item.get("amount_usd", 0))),
                alerts=tuple(sorted({float(a) for a in alerts})) if alerts is not None else DEFAULT_ALERTS,
                webhook_env=text(item, "webhook_env"),
            )
        )
    return tuple(out)


def _scope(raw: Any) -> tuple[str, str | None]:
    if isinstance(raw, Mapping):
        for key in ("team", "prompt", "suite"):
            if raw.get(key) is not None:
                return key, str(raw[key])
    return "project", None


def prompt(name: str, path: Path, digest: str, raw: Raw) -> Prompt:
    return Prompt(
        name=name,
        path=path,
        hash=digest,
        answer_hash=answer_hash("prompt", raw),
        messages=tuple(
            Message(str(m.get("role", "")), str(m.get("content", "")), text(m, "name"))
            for m in raw.get("messages") or ()
            if isinstance(m, Mapping)
        ),
        description=text(raw, "description"),
        owner=text(raw, "owner"),
        team=text(raw, "team"),
        tags=names(raw, "tags"),
        version=text(raw, "version"),
        variables=_map(raw, "variables") if isinstance(raw.get("variables"), Mapping) else None,
        params=_map(raw, "params"),
        tools=tuple(t for t in raw.get("tools") or () if isinstance(t, Mapping)),
    )


def model(name: str, path: Path, digest: str, raw: Raw) -> ModelConfig:
    pricing = raw.get("pricing")
    price_as = _map(raw, "price_as")
    limits = _map(raw, "limits")
    return ModelConfig(
        name=name,
        path=path,
        hash=digest,
        answer_hash=answer_hash("model", raw),
        provider=str(raw["provider"]),
        model=str(raw["model"]),
        description=text(raw, "description"),
        base_url=text(raw, "base_url"),
        api_key_env=text(raw, "api_key_env"),
        headers={str(k): str(v) for k, v in _map(raw, "headers").items()},
        options=_map(raw, "options"),
        params=_map(raw, "params"),
        pricing=Pricing.from_mapping(pricing) if isinstance(pricing, Mapping) and pricing else None,
        price_as=PriceAs(str(price_as["provider"]), str(price_as["model"]))
        if price_as.get("provider") and price_as.get("model")
        else None,
        limits=Limits(_int(limits, "concurrency"), _number(limits, "rpm"), _number(limits, "tpm")),
        timeout_s=_number(raw, "timeout_s") or None,
        retries=_int(raw, "retries"),
    )


def suite(name: str, path: Path, digest: str, raw: Raw) -> Suite:
    max_cost = raw.get("max_cost")
    return Suite(
        name=name,
        path=path,
        hash=digest,
        answer_hash=answer_hash("suite", raw),
        prompts=names(raw, "prompts"),
        models=names(raw, "models"),
        datasets=names(raw, "datasets"),
        asserts=assertions(raw.get("assert")),
        threshold=_number(raw, "threshold"),
        repeat=_int(raw, "repeat") or None,
        concurrency=_int(raw, "concurrency") or None,
        max_cost=Decimal(str(max_cost)) if max_cost is not None else None,
        gate=GateThresholds.from_mapping(_map(raw, "gate")),
        description=text(raw, "description"),
        owner=text(raw, "owner"),
        team=text(raw, "team"),
        tags=names(raw, "tags"),
    )
