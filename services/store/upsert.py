"""Dialect upserts with a version guard: the only SQL that writes episode changes and alerts.

PostgreSQL and SQLite share the ``INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE`` form; the
``WHERE stored.version < incoming.version`` guard makes a replayed or out-of-order change a
no-op inside the database, so two sinks racing on one row can never move it backwards.
Statements are compiled once per table and sent with many parameter sets; SQLAlchemy's
"insertmanyvalues" turns them into multi-row VALUES pages, so a batch is a few round trips.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert


def _insert(conn: Connection, table: Table) -> Any:
    match conn.dialect.name:
        case "postgresql":
            return postgresql.insert(table)
        case "sqlite":
            return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for dialect {conn.dialect.name}")


def upsert_versioned(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or replace rows by primary key where the incoming version is newer; count writes.

    ``rows`` must hold at most one row per key (the store keeps the newest of a batch): one
    PostgreSQL statement may not update the same row twice.
    """
    if not rows:
        return 0
    keys = [c.name for c in table.primary_key.columns]
    stmt = _insert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
        where=table.c.version < stmt.excluded.version,
    )
    return _count_returned(conn, stmt, table, rows)


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows whose primary key is not stored yet (immutable facts such as alerts)."""
    if not rows:
        return 0
    keys = [c.name for c in table.primary_key.columns]
    stmt = _insert(conn, table).on_conflict_do_nothing(index_elements=keys)
    return _count_returned(conn, stmt, table, rows)


def _count_returned(
    conn: Connection, stmt: Insert, table: Table, rows: Sequence[dict[str, Any]]
) -> int:
    # RETURNING yields only rows actually inserted or updated (a guarded-out conflict returns
    # nothing) on both dialects, where DBAPI rowcount after a multi-row upsert is not reliable.
    key = next(iter(table.primary_key.columns))
    return len(conn.execute(stmt.returning(key), list(rows)).all())
