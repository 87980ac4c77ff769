"""Call the user's own Python function as the "model": an app, a RAG pipeline, an agent.

`spec.model` is `module:function` or `path/to/file.py:function` (relative to `options.root`, else the
project root, else the current directory); `function` may be dotted (`module:Class.method`). The project
root is put on `sys.path` so project modules import. The callable is imported once per provider, by
`prepare` before any case runs, and cached.

The function gets the keyword arguments it declares among `vars`, `messages` (list of dicts), `params`
(model file's params overlaid by the request's), `case_id` and `metadata`; one taking `**kwargs` gets all.
Sync functions run in a worker thread (`asyncio.to_thread`), async ones are awaited; either is bounded by
`spec.timeout_s` (a timeout is transient, like an HTTP one).

It returns a `str` (the output), or a dict with `output` (str, required) and optional `usage` (Usage field
names, or OpenAI-style `prompt_tokens`/`completion_tokens`), `metadata`, `model`, `finish_reason` and
`response_id`, or a ChatResponse. It may raise `llmopsctl.errors.ProviderError` itself (e.g. with
`transient=True` to be retried); any other exception becomes a non-transient ProviderError.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from llmopsctl import userfunc
from llmopsctl.core.chat import ChatRequest, ChatResponse
from llmopsctl.core.usage import Usage
from llmopsctl.errors import ProviderError
from llmopsctl.providers.base import BaseProvider, ModelSpec
from llmopsctl.providers.http import merged_params, truncate
from llmopsctl.userfunc import UserFuncError

ARGUMENTS = userfunc.MODEL_ARGUMENTS
_USAGE_FIELDS = frozenset(Usage().to_dict())
_FILE_MODULES: dict[str, ModuleType] = {}  # resolved file path -> module, shared by all instances


class PythonProvider(BaseProvider):
    cacheable = False  # answered locally: never from the response cache

    def __init__(self, spec: ModelSpec, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(spec)
        self.target = spec.model
        self._fn: Callable[..., Any] | None = None
        self._accepts: frozenset[str] = frozenset()
        self._is_async = False
        self._load_error: ProviderError | None = None

    # -- loading ---------------------------------------------------------------------------------------

    def _fail(self, message: str, hint: str) -> ProviderError:
        return ProviderError(f"python model {self.spec.name!r}: {message}", transient=False, hint=hint)

    def prepare(self) -> None:
        """Import and check the user's function before any case runs (a failure raises ProviderError)."""
        self.load()

    def load(self) -> Callable[..., Any]:
        """Import and check the callable once; a failure is cached and raised again on every call."""
        if self._fn is not None:
            return self._fn
        if self._load_error is not None:
            raise self._load_error
        try:
            fn = self._import()
            self._accepts = self._check_signature(fn)
        except ProviderError as exc:
            self._load_error = exc
            raise
        self._is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)  # noqa: B004 - an object with an `async def __call__`
        )
        self._fn = fn
        return fn

    def _root(self) -> Path:
        root = self.spec.options.get("root") or self.spec.root
        return Path(str(root)).expanduser().resolve() if root else Path.cwd()

    def _import(self) -> Callable[..., Any]:
        fix = "set `model:` to `package.module:function` or `path/to/file.py:function`"
        module_ref, sep, attr_path = self.target.rpartition(":")
        if not sep or not module_ref.strip() or not attr_path.strip():
            raise self._fail(f"model {self.target!r} is not of the form module:function", fix)
        module_ref, attr_path = module_ref.strip(), attr_path.strip()
        root = self._root()
        try:
            return userfunc.load(
                root, module_ref, attr_path, _FILE_MODULES, prefix="_llmopsctl_user_", track_edits=False
            )
        except UserFuncError as exc:
            failure = self._load_failure(exc, root, module_ref, attr_path, fix)
            raise failure from (None if exc.problem == "no module" else exc.error)

    def _load_failure(
        self, exc: UserFuncError, root: Path, module_ref: str, attr_path: str, fix: str
    ) -> ProviderError:
        error = exc.error
        if exc.problem == "no module":
            return self._fail(
                f"cannot find module {module_ref!r} (looked in the project root {root} and on sys.path)",
                f"{fix}; a module path is dotted and relative to the project root",
            )
        if exc.problem == "import raised":
            missing = (error.name or "") if isinstance(error, ModuleNotFoundError) else ""
            install = f"install the missing package {missing!r} in this environment" if missing else ""
            if exc.path is not None:  # a file
                return self._fail(
                    f"importing {module_ref} raised {type(error).__name__}: {truncate(str(error))}",
                    install or f"fix the error in {exc.path}",
                )
            if isinstance(error, ModuleNotFoundError):
                return self._fail(f"importing {module_ref!r} failed: {error}", install or fix)
            return self._fail(
                f"importing {module_ref!r} raised {type(error).__name__}: {truncate(str(error))}",
                f"fix the error in module {module_ref!r}",
            )
        if exc.problem == "no file":
            return self._fail(
                f"file not found: {exc.path} (paths are relative to the project root {root})", fix
            )
        if exc.problem == "not a module":
            return self._fail(f"cannot load {exc.path} as a Python module", "give a .py file")
        if exc.problem == "not callable":
            return self._fail(
                f"{self.target} is a {type(exc.value).__name__}, not a function",
                "point `model:` at a function",
            )
        public = sorted(  # "no attribute"
            name for name, value in vars(exc.module).items() if callable(value) and not name.startswith("_")
        )
        where = module_ref if userfunc.is_file_ref(module_ref) else f"module {module_ref!r}"
        return self._fail(
            f"{where} has no attribute {attr_path!r}",
            f"define `{attr_path}` there, or fix the name after ':' in `model:` "
            f"(callables found: {', '.join(public[:20]) or 'none'})",
        )

    def _check_signature(self, fn: Callable[..., Any]) -> frozenset[str]:
        try:
            return frozenset(userfunc.accepted(fn, ARGUMENTS))
        except UserFuncError as exc:
            raise self._fail(
                f"{self.target} requires parameter {exc.name!r}, which llmopsctl does not pass",
                f"its parameters may only be among {', '.join(ARGUMENTS)} (or **kwargs); "
                "give the others default values",
            ) from None

    # -- calling ---------------------------------------------------------------------------------------

    def arguments(self, request: ChatRequest) -> dict[str, Any]:
        offered: dict[str, Any] = {
            "vars": dict(request.vars),
            "messages": [dict(m) for m in request.messages],
            "params": merged_params(self.spec, request),
            "case_id": request.case_id,
            "metadata": dict(request.metadata),
        }
        return {k: v for k, v in offered.items() if k in self._accepts}

    async def complete(self, request: ChatRequest) -> ChatResponse:
        fn = self.load()
        kwargs = self.arguments(request)
        try:
            result = await asyncio.wait_for(self._call(fn, kwargs), timeout=self.spec.timeout_s)
        except ProviderError:
            raise
        except asyncio.TimeoutError:
            raise ProviderError(
                f"{self.target} timed out after {self.spec.timeout_s:g}s", transient=True
            ) from None
        except Exception as exc:
            raise ProviderError(
                self._scrub(f"{self.target} raised {type(exc).__name__}: {truncate(str(exc))}"),
                transient=False,
            ) from exc
        return self.to_response(result)

    async def _call(self, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        result = await fn(**kwargs) if self._is_async else await asyncio.to_thread(fn, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    def _scrub(self, text: str) -> str:
        key = self.spec.api_key
        return text.replace(key, "[REDACTED]") if key and len(key) >= 4 else text

    def to_response(self, result: Any) -> ChatResponse:
        if isinstance(result, ChatResponse):
            return result
        if isinstance(result, str):
            return ChatResponse(output=result)
        if not isinstance(result, dict):
            raise ProviderError(
                f"{self.target} returned {type(result).__name__}; return a str, "
                "or a dict with an 'output' string",
                transient=False,
            )
        output = result.get("output")
        if not isinstance(output, str):
            got = "no 'output' key" if "output" not in result else f"'output' of type {type(output).__name__}"
            raise ProviderError(
                f"{self.target} returned a dict with {got}; its 'output' must be a str", transient=False
            )
        metadata = result.get("metadata")
        model, finish, rid = result.get("model"), result.get("finish_reason"), result.get("response_id")
        return ChatResponse(
            output=output,
            usage=_usage(result.get("usage")),
            response_model=model if isinstance(model, str) else None,
            finish_reason=finish if isinstance(finish, str) else None,
            response_id=rid if isinstance(rid, str) else None,
            metadata=dict(metadata) if isinstance(metadata, dict) else {},
        )


def _usage(raw: Any) -> Usage:
    if isinstance(raw, Usage):
        return raw
    if not isinstance(raw, dict):
        return Usage()
    usage = Usage.from_dict({k: v for k, v in raw.items() if k in _USAGE_FIELDS})
    fallback = Usage.from_dict(
        {"input_tokens": raw.get("prompt_tokens"), "output_tokens": raw.get("completion_tokens")}
    )
    if usage.input_tokens is None:
        usage.input_tokens = fallback.input_tokens
    if usage.output_tokens is None:
        usage.output_tokens = fallback.output_tokens
    return usage
