"""Run references as commands take them: a run id, or `latest` for the newest run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmopsctl.errors import UsageError

if TYPE_CHECKING:
    from llmopsctl.store.store import Store

LATEST = "latest"


def resolve_run_ref(store: Store, ref: str) -> str:
    """The run id `ref` names: `latest` is the run started last (any suite, any status); anything else is
    taken as a run id, for the caller to look up."""
    if ref != LATEST:
        return ref
    runs = store.list_runs(limit=1)
    if not runs:
        raise UsageError("no runs yet, so no `latest` run", hint="start one with `llmopsctl eval`")
    return str(runs[0]["id"])
