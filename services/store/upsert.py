"""Dialect upserts with a version guard: the only SQL that writes episode changes and alerts.

PostgreSQL and SQLite share the ``INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE`` form; the
``WHERE stored.version < incoming.version`` guard makes a replayed or out-of-order change a
no-op inside the database, so two sinks racing on one row can never move it backwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert

# SQLite >= 3.32 and PostgreSQL both accept 32 766 bound parameters per statement (PostgreSQL
# allows 65 535); one statement per chunk keeps rowcount exact and round trips few.
MAX_PARAMS = 32_000


def _insert(conn: Connection, table: Table) -> Any:
    match conn.dialect.name:
        case "postgresql":
            return postgresql.insert(table)
        case "sqlite":
            return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for dialect {conn.dialect.name}")


def _chunks(rows: Sequence[dict[str, Any]], width: int) -> Iterable[Sequence[dict[str, Any]]]:
    size = max(1, MAX_PARAMS // max(1, width))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def upsert_versioned(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or replace rows by primary key where the incoming version is newer; count writes."""
    if not rows:
        return 0
    keys = [c.name for c in table.primary_key.columns]
    written = 0
    for chunk in _chunks(rows, len(table.columns)):
        stmt = _insert(conn, table).values(list(chunk))
        update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
        stmt = stmt.on_conflict_do_update(
            index_elements=keys,
            set_=update,
            where=table.c.version < stmt.excluded.version,
        )
        written += _count_returned(conn, stmt, table)
    return written


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows whose primary key is not stored yet (immutable facts such as alerts)."""
    if not rows:
        return 0
    keys = [c.name for c in table.primary_key.columns]
    written = 0
    for chunk in _chunks(rows, len(table.columns)):
        stmt = _insert(conn, table).values(list(chunk)).on_conflict_do_nothing(index_elements=keys)
        written += _count_returned(conn, stmt, table)
    return written


def _count_returned(conn: Connection, stmt: Insert, table: Table) -> int:
    # RETURNING yields only rows actually inserted or updated (a guarded-out conflict returns
    # nothing) on both dialects, where DBAPI rowcount after a multi-row upsert is not reliable.
    key = next(iter(table.primary_key.columns))
    return len(conn.execute(stmt.returning(key)).all())
