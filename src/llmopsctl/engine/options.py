"""A run's options: what the executor and the judge calls need to know about the run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from llmopsctl.providers.replay import Cassette
from llmopsctl.store.cache import CacheEntry


@dataclass
class RunOptions:
    """How a run goes; the runner works each out from the command line, the suite and llmops.yaml."""

    concurrency: int
    cache_ttl_s: int | None  # None: cached answers never expire
    backoff_s: float  # the first retry's delay
    use_cache: bool = True
    cassette: Cassette | None = None  # record into this cassette when set
    secrets: list[str] = field(default_factory=list)
    max_cost: Decimal | None = None  # stop sending once the run's spend (graded and judge calls) reaches it
    root: str | None = None  # the project root, for scorers that read files of the repository
    fresh: bool = False  # a new run, not a resume: its results are new rows (written with plain INSERTs)
    environment: str | None = None  # recorded with every result (cost reports group by it)

    def cache_entry(self, key: str, value: dict[str, Any]) -> CacheEntry:
        """A response cache entry made now, expiring after the run's cache TTL."""
        now = datetime.now(timezone.utc)
        expires = now + timedelta(seconds=self.cache_ttl_s) if self.cache_ttl_s is not None else None
        return key, value, now, expires
