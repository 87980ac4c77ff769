"""Markdown tables shared by the renderers."""

from __future__ import annotations

from collections.abc import Collection, Sequence


def markdown_table(head: Sequence[str], body: Sequence[Sequence[str]], *, left: Collection[str] = ()) -> str:
    """A Markdown table: columns whose heading is in `left` are left-aligned, the others (numbers) right.

    A "|" in a cell is escaped."""
    sep = ["---" if h in left else "---:" for h in head]
    rows = [head, sep, *body]
    return "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows)
