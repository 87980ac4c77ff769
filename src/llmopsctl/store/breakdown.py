"""A run's results broken down by the tags of their cases (results.tags)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmopsctl.store.store import Store

# A result counts once under each tag of its case; passed and failed are of the results scored (no error).
_BY_TAG_SQL = """
SELECT tag, count(*) AS results,
    count(*) FILTER (WHERE error IS NULL AND passed IS NOT FALSE) AS passed,
    count(*) FILTER (WHERE error IS NULL AND passed = false) AS failed,
    count(*) FILTER (WHERE error IS NOT NULL) AS errors
FROM (SELECT unnest(tags) AS tag, passed, error FROM results WHERE run_id = ?)
GROUP BY tag ORDER BY tag
"""


def pass_rates_by_tag(store: Store, run_id: str) -> list[dict[str, Any]]:
    """Per tag of the run's cases: results, passed, failed and errors (untagged cases are left out)."""
    with store._guard("reading results by tag") as con:
        cur = con.execute(_BY_TAG_SQL, [run_id])
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
