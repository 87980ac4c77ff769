"""Which SQL `llmopsctl sql` may run: one read-only statement, checked by DuckDB's own parser."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from llmopsctl.errors import StoreError
from llmopsctl.store.queries import first_line

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

READ_ONLY_KEYWORDS = ("SELECT", "WITH", "DESCRIBE", "DESC", "SHOW", "PRAGMA", "SUMMARIZE", "EXPLAIN")
# duckdb also parses these as SELECT statements: `FROM t`, `VALUES (1)`, `TABLE t`, `(SELECT 1)`.
ALSO_SELECT = ("FROM", "VALUES", "TABLE", "(")
_LEADING_NOISE = re.compile(r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*", re.DOTALL)
EXPLAIN_PREFIX = re.compile(r"\AEXPLAIN(?:\s+(?:ANALY[SZ]E))?\b", re.IGNORECASE)


def strip_leading_comments(sql: str) -> str:
    return sql[_LEADING_NOISE.match(sql).end() :]  # type: ignore[union-attr]  # the pattern always matches


def first_keyword(sql: str) -> str:
    text = strip_leading_comments(sql)
    if text.startswith("("):
        return "("
    match = re.match(r"[A-Za-z_]+", text)
    return match.group(0).upper() if match else ""


def not_read_only(sql: str) -> StoreError:
    allowed = "/".join(k for k in READ_ONLY_KEYWORDS if k != "DESC")
    shown = " ".join(strip_leading_comments(sql).split())[:60]
    return StoreError(
        f"only a single read-only {allowed} statement can be run, not: {shown}",
        hint="the results database is changed only by llmopsctl commands",
    )


def check_read_only(con: DuckDBPyConnection, sql: str) -> None:
    # lazy: importing duckdb takes a while; commands that never open the database skip it
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(first_line(exc)) from None
    if not statements:
        raise StoreError("the query is empty")
    if len(statements) > 1:
        raise StoreError("only one statement can be run at a time")
    kind = statements[0].type
    keyword = first_keyword(sql)
    if keyword not in READ_ONLY_KEYWORDS and keyword not in ALSO_SELECT:
        raise not_read_only(sql)
    if kind == duckdb.StatementType.EXPLAIN:
        inner = EXPLAIN_PREFIX.sub("", strip_leading_comments(sql), count=1)
        check_read_only(con, inner)
    elif kind not in (duckdb.StatementType.SELECT, duckdb.StatementType.PRAGMA):
        raise not_read_only(sql)
