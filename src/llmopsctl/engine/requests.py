"""Work items made ready to send: messages rendered, params merged, and the request hash the cache uses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from llmopsctl.core.hashing import content_hash
from llmopsctl.engine.model_runtime import ModelRuntime
from llmopsctl.engine.plan import WorkItem
from llmopsctl.errors import ConfigError
from llmopsctl.project.templating import render_messages


@dataclass
class PreparedRequest:
    item: WorkItem
    messages: list[dict[str, str]] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    request_hash: str | None = None
    error: str | None = None


class RequestPreparer:
    """Prepares the items of one run; what depends only on the (prompt, model) pair is worked out once."""

    def __init__(self, runtimes: dict[str, ModelRuntime]) -> None:
        self.runtimes = runtimes
        # (prompt name, model name) -> (params, the request identity without its messages)
        self._pairs: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}

    def prepare(self, item: WorkItem) -> PreparedRequest:
        prep = PreparedRequest(item)
        prompt = item.prompt
        try:
            prep.messages = render_messages(
                prompt.messages, item.case.vars, what=f"prompt {prompt.name!r}, case {item.case.id!r}"
            )
        except ConfigError as exc:
            prep.error = str(exc)
            return prep
        pair = self._pairs.get((prompt.name, item.model.name))
        if pair is None:
            pair = self._pairs[(prompt.name, item.model.name)] = self._pair(item)
        params, base = pair
        prep.params = dict(params)  # a copy per item, as before: a provider may keep what it is given
        identity = {**base, "messages": prep.messages, "params": params}
        if item.repeat_index:  # each repeat is a sample of its own, cached apart (repeat 0 keeps a plain key)
            identity["repeat"] = item.repeat_index
        prep.request_hash = content_hash(identity, 32)
        return prep

    def _pair(self, item: WorkItem) -> tuple[dict[str, Any], dict[str, Any]]:
        params = {**item.prompt.params, **item.model.params}
        runtime = self.runtimes[item.model.name]
        base = {"provider": item.model.provider, "base_url": runtime.base_url, "model": item.model.model}
        return params, base


def chunks(items: Iterable[WorkItem], size: int) -> Iterator[list[WorkItem]]:
    chunk: list[WorkItem] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
