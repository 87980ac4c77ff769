"""The bottom layer: typed records for every configuration kind and stored record, and generic helpers.

Nothing here imports another package of llmopsctl (nor typer, rich, duckdb, httpx or git)."""
