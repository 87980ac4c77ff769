"""The results database (DuckDB). The only package of llmopsctl that imports duckdb, and only lazily."""

from llmopsctl.store.store import Store

__all__ = ["Store"]
