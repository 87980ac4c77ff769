"""What `llmopsctl retention apply` deleted, as lines of text."""

from __future__ import annotations

from llmopsctl.core.settings import Retention
from llmopsctl.store.retention import RetentionOutcome


def render_retention(outcome: RetentionOutcome, retention: Retention, *, dry_run: bool) -> list[str]:
    verb = "would delete" if dry_run else "deleted"
    lines: list[str] = []
    if outcome.runs_before is not None:
        runs = outcome.runs
        rows = (
            f"{sum(r.results for r in runs)} results, {sum(r.scores for r in runs)} scores, "
            f"{sum(r.judge_calls for r in runs)} judge calls"
        )
        lines.append(
            f"runs started before {outcome.runs_before:%Y-%m-%d %H:%M} UTC (retention.results "
            f"{retention.results}): {verb} {len(runs)} ({rows})"
        )
        lines += [f"  {r.run_id}  {r.suite}  {r.status}  started {r.started_at:%Y-%m-%d %H:%M}" for r in runs]
    if outcome.cache_before is not None:
        lines.append(
            f"cached responses made before {outcome.cache_before:%Y-%m-%d %H:%M} UTC (retention.cache "
            f"{retention.cache}): {verb} {outcome.cache_entries}"
        )
    return lines
