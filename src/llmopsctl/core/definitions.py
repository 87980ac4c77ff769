"""Prompts, model configurations and suites, as their files define them (after their schemas passed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from llmopsctl.core.assertions import Assertion
from llmopsctl.core.settings import GateThresholds

EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Message:
    role: str  # system | user | assistant | developer | tool
    content: str  # a Jinja2 template over the case's vars
    name: str | None = None


@dataclass(frozen=True)
class Prompt:
    name: str
    path: Path
    hash: str  # of the file's content, ignoring formatting and key order
    answer_hash: str  # the same without its runtime settings (core.hashing.RUNTIME_KEYS)
    messages: tuple[Message, ...]
    description: str | None = None
    owner: str | None = None
    team: str | None = None
    tags: tuple[str, ...] = ()
    version: str | None = None
    variables: Mapping[str, Any] | None = None  # JSON Schema of the case vars
    params: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    tools: tuple[Mapping[str, Any], ...] = ()  # OpenAI-style tool definitions


@dataclass(frozen=True)
class Pricing:
    """USD per million tokens; cached input and cache writes cost what input costs unless given."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Pricing:
        def price(key: str) -> Decimal | None:
            value = raw.get(key)
            return Decimal(str(value)) if value is not None else None

        return cls(
            price("input") or Decimal(0),
            price("output") or Decimal(0),
            price("cached_input"),
            price("cache_write"),
        )

    def to_dict(self) -> dict[str, Decimal]:
        out = {"input": self.input, "output": self.output}
        if self.cached_input is not None:
            out["cached_input"] = self.cached_input
        if self.cache_write is not None:
            out["cache_write"] = self.cache_write
        return out


@dataclass(frozen=True)
class PriceAs:
    """The catalogue model a model is billed as (a gateway or proxy in front of a provider's API)."""

    provider: str  # a genai-prices provider id, e.g. openai, anthropic, google
    model: str  # its model id, e.g. gpt-4o-mini


@dataclass(frozen=True)
class Limits:
    """Client-side limits of one model: calls in flight, requests and tokens per minute."""

    concurrency: int | None = None
    rpm: float | None = None
    tpm: float | None = None


@dataclass(frozen=True)
class ModelConfig:
    name: str
    path: Path
    hash: str
    answer_hash: str  # the hash without timeout_s, retries, limits and description
    provider: str  # openai | anthropic | ollama | python | echo | replay | a plugin's
    model: str  # the provider's model id; module:function for python
    description: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None  # the NAME of the variable holding the key, never the key
    headers: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    options: Mapping[str, Any] = field(default_factory=lambda: EMPTY)  # provider-specific
    params: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    pricing: Pricing | None = None
    price_as: PriceAs | None = None  # priced as this catalogue model (when `pricing` does not say)
    limits: Limits = field(default_factory=Limits)
    timeout_s: float | None = None  # None: the project default
    retries: int | None = None  # None: the project default


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    hash: str
    answer_hash: str  # the hash without concurrency, max_cost, gate and description
    prompts: tuple[str, ...]
    models: tuple[str, ...]
    datasets: tuple[str, ...]
    asserts: tuple[Assertion, ...] = ()
    threshold: float | None = None  # the weighted score a case needs (default: every assertion passes)
    repeat: int | None = None
    concurrency: int | None = None
    max_cost: Decimal | None = None  # USD cap for one run
    gate: GateThresholds = field(default_factory=GateThresholds)
    description: str | None = None
    owner: str | None = None
    team: str | None = None
    tags: tuple[str, ...] = ()


def team_and_owner(prompt: Prompt, suite: Suite) -> tuple[str | None, str | None]:
    """Who a result's cost is charged to: the prompt's team and owner, else the suite's."""
    return prompt.team or suite.team, prompt.owner or suite.owner
