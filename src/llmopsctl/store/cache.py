"""The response cache table of the results database, as a mixin of `Store`.

`CacheMixin` holds the `Store.cache_*` methods; it uses only the Store's `_guard` and `_transaction`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from llmopsctl.store import queries as q

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

CacheEntry = tuple[str, dict[str, Any], datetime, datetime | None]
"""(key, response, created_at, expires_at or None = never expires)"""


class CacheMixin:
    """The response cache methods of Store (mixed into it; not used on its own)."""

    if TYPE_CHECKING:

        def _guard(self, action: str) -> AbstractContextManager[DuckDBPyConnection]: ...

        def _transaction(self, action: str) -> AbstractContextManager[DuckDBPyConnection]: ...

    def cache_get(self, key: str, now: datetime) -> dict[str, Any] | None:
        """The cached response for `key`, unless missing or expired at `now`."""
        with self._guard("reading the cache") as con:
            row = con.execute(
                "SELECT response FROM cache WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)",
                [key, q.to_utc_naive(now)],
            ).fetchone()
        if row is None or row[0] is None:
            return None
        value = q.decode_row(["response"], row, ["response"])["response"]
        return value if isinstance(value, dict) else None

    def cache_get_many(self, keys: Sequence[str], now: datetime) -> dict[str, dict[str, Any]]:
        """Live cached responses for many keys in one query (the engine looks up a chunk at a time)."""
        if not keys:
            return {}
        with self._guard("reading the cache") as con:
            rows = con.execute(
                "SELECT key, response FROM cache WHERE key IN (SELECT UNNEST(?::VARCHAR[])) "
                "AND (expires_at IS NULL OR expires_at > ?)",
                [list(keys), q.to_utc_naive(now)],
            ).fetchall()
        out: dict[str, dict[str, Any]] = {}
        for key, raw in rows:
            value = q.decode_row(["response"], (raw,), ["response"])["response"]
            if isinstance(value, dict):
                out[str(key)] = value
        return out

    def cache_put_many(self, entries: Sequence[CacheEntry]) -> None:
        """Store (key, response, created_at, expires_at or None = never) entries, replacing same keys."""
        rows = q.dedupe(
            [{"key": k, "response": r, "created_at": c, "expires_at": e} for k, r, c, e in entries],
            lambda row: str(row["key"]),
        )
        if not rows:
            return
        cols = q.column_lists("cache", rows, q.CACHE_COLUMNS)
        with self._transaction("writing the cache") as con:
            con.execute(q.bulk_insert_sql("cache", q.CACHE_COLUMNS), cols)

    def cache_stats(self, now: datetime) -> dict[str, int]:
        """entries, live, expired (at `now`) and bytes (approximate size of keys and responses)."""
        with self._guard("reading the cache") as con:
            row = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE expires_at IS NULL OR expires_at > $1), "
                "count(*) FILTER (WHERE expires_at <= $1), "
                "coalesce(sum(strlen(key) + coalesce(strlen(response::VARCHAR), 0)), 0) FROM cache",
                [q.to_utc_naive(now)],
            ).fetchone()
        entries, live, expired, size = row if row else (0, 0, 0, 0)
        return {"entries": int(entries), "live": int(live), "expired": int(expired), "bytes": int(size)}

    def cache_clear(self, expired_only: bool = False, *, now: datetime | None = None) -> int:
        """Delete every cache entry, or only those expired at `now` (default: the current time)."""
        with self._transaction("clearing the cache") as con:
            if expired_only:
                when = q.to_utc_naive(now) if now is not None else q.utc_now()
                row = con.execute("DELETE FROM cache WHERE expires_at <= ?", [when]).fetchone()
            else:
                row = con.execute("DELETE FROM cache").fetchone()
        return int(row[0]) if row else 0
