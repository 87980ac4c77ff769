"""Provider classes by name: built-ins and plugins share the `llmopsctl.providers` entry point group."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from llmopsctl.errors import ConfigError

ENTRY_POINT_GROUP = "llmopsctl.providers"
BUILTINS = {
    "openai": "llmopsctl.providers.openai:OpenAIProvider",
    "anthropic": "llmopsctl.providers.anthropic:AnthropicProvider",
    "ollama": "llmopsctl.providers.ollama:OllamaProvider",
    "python": "llmopsctl.providers.python:PythonProvider",
    "echo": "llmopsctl.providers.echo:EchoProvider",
    "replay": "llmopsctl.providers.replay:ReplayProvider",
}


@cache
def _targets() -> dict[str, str]:
    # lazy: reading the installed distributions' metadata is slow; only a model's provider needs it
    from importlib.metadata import entry_points

    found = dict(BUILTINS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found and found[ep.name] != ep.value:  # (this package lists its built-ins too)
            dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist is not None else "an unknown distribution"
            raise ConfigError(
                f"the provider plugin {ep.name} = {ep.value!r} (from {dist}) has the name of "
                f"{'a built-in provider' if ep.name in BUILTINS else 'another plugin'} ({found[ep.name]})",
                hint=f"rename the plugin's entry point (group {ENTRY_POINT_GROUP!r}) or uninstall it",
            )
        found[ep.name] = ep.value
    return found


def provider_names() -> list[str]:
    return sorted(_targets())


def provider_class(name: str) -> Any:
    target = _targets().get(name)
    if target is None:
        raise ConfigError(f"unknown provider {name!r} (known: {', '.join(provider_names())})")
    module_name, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load provider {name!r} from {target}: {exc}") from None
