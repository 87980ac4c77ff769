"""The Provider protocol as the engine uses it: the defaults of BaseProvider, what the built-ins declare,
the replay provider's explicit cassette, and a plugin provider (registered through a dist-info's
`llmopsctl.providers` entry points) going through `llmopsctl eval`: prepared before any case, its answers
cached, its embeddings used by `similar`, closed at the end; and the errors when it cannot be."""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from eval_helpers import ModelDef, cli, db_path, eval_json, query, results, write_project
from llmopsctl.core.chat import ChatRequest, ChatResponse
from llmopsctl.core.usage import Usage
from llmopsctl.errors import ConfigError, MissingRecording, ProviderError
from llmopsctl.providers import registry
from llmopsctl.providers.anthropic import AnthropicProvider
from llmopsctl.providers.base import BaseProvider, ModelSpec, Provider
from llmopsctl.providers.echo import EchoProvider
from llmopsctl.providers.ollama import OllamaProvider
from llmopsctl.providers.openai import OpenAIProvider
from llmopsctl.providers.python import PythonProvider
from llmopsctl.providers.replay import Cassette, ReplayProvider, cassette_key, embeddings_entry

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def spec(provider: str, **kwargs: Any) -> ModelSpec:
    return ModelSpec(name=f"{provider}-test", provider=provider, model=kwargs.pop("model", "m-1"), **kwargs)


# --- the protocol and its defaults ------------------------------------------------------------------------


class Minimal(BaseProvider):
    """A provider that implements only `complete`."""

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return ChatResponse(output=request.messages[-1]["content"])


def test_base_provider_gives_every_member_but_complete() -> None:
    provider = Minimal(spec("minimal"))
    assert isinstance(provider, Provider)
    assert provider.cacheable is True and provider.supports_embeddings is False
    assert provider.prepare() is None
    request = ChatRequest(messages=({"role": "user", "content": "hi"},))
    assert run(provider.complete(request)).output == "hi"
    with pytest.raises(ProviderError, match="minimal model 'minimal-test' has no embeddings endpoint"):
        run(provider.embed(["a"]))
    assert run(provider.aclose()) is None
    with pytest.raises(NotImplementedError, match="BaseProvider does not implement complete"):
        run(BaseProvider(spec("bare")).complete(request))


@pytest.mark.parametrize(
    ("cls", "cacheable", "embeddings"),
    [
        (OpenAIProvider, True, True),
        (OllamaProvider, True, True),
        (AnthropicProvider, True, False),
        (PythonProvider, False, False),
        (EchoProvider, False, False),
    ],
)
def test_what_the_built_in_providers_declare(
    cls: type[BaseProvider], cacheable: bool, embeddings: bool
) -> None:
    provider = cls(spec("x", model="mod:fn"))
    assert (provider.cacheable, provider.supports_embeddings) == (cacheable, embeddings)


# --- the replay provider --------------------------------------------------------------------------------


def test_replay_answers_from_the_cassette_it_is_given(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path / "c.jsonl")
    messages = [{"role": "user", "content": "hi"}]
    cassette.put(cassette_key("m-1", messages, {}), "m-1", messages, {}, ChatResponse(output="hello"))
    key, inputs, params = embeddings_entry("m-1", ["hi"])
    recorded = ChatResponse(output="", usage=Usage(input_tokens=2), metadata={"embeddings": [[0.5, 0.5]]})
    cassette.put(key, "m-1", inputs, params, recorded)
    s = spec("replay", options={"temperature_note": "kept"})
    provider = ReplayProvider(s, cassette=cassette)
    assert provider.cassette is cassette and s.options == {"temperature_note": "kept"}
    assert (provider.cacheable, provider.supports_embeddings) == (False, True)
    assert run(provider.complete(ChatRequest(messages=tuple(messages)))).output == "hello"
    vectors, usage, _ = run(provider.embed(["hi"], case_id="q001"))
    assert vectors == [[0.5, 0.5]] and usage.input_tokens == 2
    missing = "no recorded embeddings for case 'q007' with model 'replay-test'"
    with pytest.raises(MissingRecording, match=missing):
        run(provider.embed(["unrecorded"], case_id="q007"))


def test_replay_reads_the_model_files_cassette_relative_to_the_project_root(tmp_path: Path) -> None:
    messages = [{"role": "user", "content": "hi"}]
    written = Cassette(tmp_path / "tapes" / "c.jsonl")
    written.put(cassette_key("m-1", messages, {}), "m-1", messages, {}, ChatResponse(output="hello"))
    written.save([])
    provider = ReplayProvider(spec("replay", options={"cassette": "tapes/c.jsonl"}, root=tmp_path))
    assert provider.cassette.path == tmp_path / "tapes" / "c.jsonl"
    assert run(provider.complete(ChatRequest(messages=tuple(messages)))).output == "hello"
    with pytest.raises(ProviderError, match=r"needs options\.cassette"):
        ReplayProvider(spec("replay", root=tmp_path))


def test_python_provider_imports_the_function_in_prepare(tmp_path: Path) -> None:
    (tmp_path / "ppapp.py").write_text("def answer(vars):\n    return vars['w']\n")
    provider = PythonProvider(spec("python", model="ppapp.py:answer", root=tmp_path))
    provider.prepare()
    assert run(provider.complete(ChatRequest(messages=(), vars={"w": "ok"}))).output == "ok"
    broken = PythonProvider(spec("python", model="ppapp.py:nothing", root=tmp_path))
    with pytest.raises(ProviderError, match="has no attribute 'nothing'"):
        broken.prepare()


# --- a plugin provider through `llmopsctl eval` --------------------------------------------------------

PLUGIN_MODULE = "llmops_probe_provider"
PLUGIN_SOURCE = textwrap.dedent(
    """\
    import os

    from llmopsctl.core.usage import Usage
    from llmopsctl.errors import ProviderError
    from llmopsctl.core.chat import ChatResponse
    from llmopsctl.providers.base import BaseProvider

    EVENTS = []


    class ProbeProvider(BaseProvider):
        supports_embeddings = True

        def prepare(self):
            EVENTS.append(("prepare", self.spec.name, dict(self.spec.options), str(self.spec.root)))

        async def complete(self, request):
            EVENTS.append(("complete", request.case_id))
            usage = Usage(input_tokens=3, output_tokens=1)
            return ChatResponse(output=request.messages[-1]["content"], usage=usage, response_model="probe-1")

        async def embed(self, texts, *, case_id=""):
            EVENTS.append(("embed", case_id))
            return [[1.0, 0.0] for _ in texts], Usage(input_tokens=len(texts), output_tokens=0), "probe-e"

        async def aclose(self):
            EVENTS.append(("aclose", self.spec.name))


    class PlainProvider(BaseProvider):
        async def complete(self, request):
            return ChatResponse(output=request.messages[-1]["content"])


    class UnpreparedProvider(BaseProvider):
        def prepare(self):
            raise ProviderError("the licence server refused us", hint="renew the licence")

        async def complete(self, request):
            EVENTS.append(("complete", request.case_id))
            return ChatResponse(output="")


    class BuggyProvider(UnpreparedProvider):
        def prepare(self):
            raise RuntimeError("cannot log in with " + os.environ["PROBE_SERVICE_TOKEN"])


    class BareProvider:  # written to an older, smaller protocol: no prepare, cacheable, embeddings
        def __init__(self, spec):
            self.spec = spec

        async def complete(self, request):
            EVENTS.append(("complete", request.case_id))
            return ChatResponse(output="")

        async def aclose(self):
            pass
    """
)
ENTRY_POINTS = "[llmopsctl.providers]\n" + "".join(
    f"{name} = {PLUGIN_MODULE}:{cls}\n"
    for name, cls in [
        ("probe", "ProbeProvider"),
        ("plain", "PlainProvider"),
        ("unprepared", "UnpreparedProvider"),
        ("buggy", "BuggyProvider"),
        ("bare", "BareProvider"),
    ]
)


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """An installed plugin distribution (a module and a dist-info on sys.path); its EVENTS list."""
    site = tmp_path / "site"
    dist_info = site / "llmops_probe_provider-0.1.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: llmops-probe-provider\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(ENTRY_POINTS)
    (site / f"{PLUGIN_MODULE}.py").write_text(PLUGIN_SOURCE)
    monkeypatch.syspath_prepend(str(site))
    registry._targets.cache_clear()
    try:
        assert {"probe", "plain", "unprepared", "buggy", "bare"} <= set(registry.provider_names())
        module = __import__(PLUGIN_MODULE)
        yield module.EVENTS
    finally:
        sys.modules.pop(PLUGIN_MODULE, None)
        registry._targets.cache_clear()


SIMILAR = "  - type: similar\n    config: {model: plug}\n"


@pytest.mark.usefixtures("eval_env")
def test_a_plugin_provider_runs_end_to_end(tmp_path: Path, plugin: list[tuple[Any, ...]]) -> None:
    models = [ModelDef("plug", provider="probe", model="probe-1", extra={"options": {"flavour": "dry"}})]
    root = write_project(tmp_path / "proj", cases=2, models=models, suite_extra=SIMILAR)
    data = eval_json(root)
    assert (data["passed"], data["failed"], data["errors"]) == (2, 0, 0)
    # Prepared once, before any case, from the model file's options alone; closed at the end.
    assert plugin[0] == ("prepare", "plug", {"flavour": "dry"}, str(root))
    assert plugin[-1] == ("aclose", "plug")
    assert sorted(e for e in plugin if e[0] == "complete") == [("complete", "q001"), ("complete", "q002")]
    assert sorted(e for e in plugin if e[0] == "embed") == [("embed", "q001"), ("embed", "q002")]
    rows = results(root, data["run_id"])
    assert [(r["output"], r["cached"], r["input_tokens"]) for r in rows] == [
        ("w-q001", False, 3),
        ("w-q002", False, 3),
    ]
    # BaseProvider's default: cacheable. The second run is answered from the response cache.
    plugin.clear()
    again = eval_json(root)
    assert again["passed"] == 2
    assert [e[0] for e in plugin] == ["prepare", "aclose"]
    assert all(r["cached"] for r in results(root, again["run_id"]))


@pytest.mark.usefixtures("eval_env")
def test_similar_with_a_provider_without_embeddings_is_an_error_of_the_assertion(
    tmp_path: Path, plugin: list[tuple[Any, ...]]
) -> None:
    models = [ModelDef("plug", provider="plain", model="plain-1")]
    root = write_project(tmp_path / "proj", cases=2, models=models, suite_extra=SIMILAR)
    data = eval_json(root, code=1)
    assert data["errors"] == 2
    for row in results(root, data["run_id"]):
        assert row["error_kind"] == "scorer" and row["output"] == row["case_id"].replace("q", "w-q")
        assert "model 'plug' (plain) has no embeddings endpoint" in row["error"]
        assert "name an embedding model in `config.model`" in row["error"]


def eval_stops_before_any_case(root: Path) -> str:
    result = cli("-C", root, "eval")
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    db = db_path(root)
    assert not db.exists() or query(db, "SELECT * FROM runs") == []
    return result.stderr


@pytest.mark.usefixtures("eval_env")
def test_a_failing_prepare_is_a_configuration_error_before_any_case(
    tmp_path: Path, plugin: list[tuple[Any, ...]]
) -> None:
    models = [ModelDef("plug", provider="unprepared", model="u-1")]
    root = write_project(tmp_path / "proj", cases=3, models=models)
    stderr = eval_stops_before_any_case(root)
    assert "error: models/plug.yaml: the licence server refused us" in stderr
    assert "renew the licence" in stderr
    assert not [e for e in plugin if e[0] == "complete"]


@pytest.mark.usefixtures("eval_env")
def test_a_crashing_prepare_is_a_configuration_error_with_secrets_redacted(
    tmp_path: Path, plugin: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "probe-secret-value-98765"
    monkeypatch.setenv("PROBE_SERVICE_TOKEN", secret)
    models = [ModelDef("plug", provider="buggy", model="b-1")]
    root = write_project(tmp_path / "proj", cases=3, models=models)
    stderr = eval_stops_before_any_case(root)
    assert "models/plug.yaml: buggy model 'plug': prepare() raised RuntimeError: cannot log in" in stderr
    assert secret not in stderr
    assert not [e for e in plugin if e[0] == "complete"]


@pytest.mark.usefixtures("eval_env")
def test_a_replay_model_file_answers_from_its_cassette(tmp_path: Path) -> None:
    models = [ModelDef("talker", provider="echo", model="echo-1")]
    root = write_project(tmp_path / "proj", cases=2, models=models)
    eval_json(root, "--record")
    body = {"provider": "replay", "model": "echo-1", "options": {"cassette": ".llmops/cassettes/smoke.jsonl"}}
    (root / "models" / "talker.yaml").write_text(json.dumps(body) + "\n")
    data = eval_json(root)  # the working directory is not the project root: the path is the root's
    assert data["passed"] == 2
    assert {r["source"] for r in results(root, data["run_id"])} == {"replay"}


@pytest.mark.usefixtures("eval_env")
def test_a_class_lacking_members_of_the_protocol_is_a_configuration_error(
    tmp_path: Path, plugin: list[tuple[Any, ...]]
) -> None:
    models = [ModelDef("plug", provider="bare", model="b-1")]
    root = write_project(tmp_path / "proj", cases=2, models=models)
    stderr = eval_stops_before_any_case(root)
    assert (
        f"provider 'bare' ({PLUGIN_MODULE}.BareProvider) lacks cacheable, supports_embeddings, prepare, "
        "embed of the provider protocol" in stderr
    )
    assert "derive the class from llmopsctl.providers.base.BaseProvider" in stderr
    assert not [e for e in plugin if e[0] == "complete"]


def test_a_provider_plugin_named_like_a_builtin_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    dist_info = site / "shadow_provider-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: shadow-provider\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text("[llmopsctl.providers]\nopenai = shadow:Provider\n")
    monkeypatch.syspath_prepend(str(site))
    registry._targets.cache_clear()
    try:
        with pytest.raises(ConfigError) as caught:
            registry.provider_class("echo")
    finally:
        registry._targets.cache_clear()
    assert str(caught.value) == (
        "the provider plugin openai = 'shadow:Provider' (from shadow-provider 1.0) has the name of a "
        "built-in provider (llmopsctl.providers.openai:OpenAIProvider)"
    )
