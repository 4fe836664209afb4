"""Dialect upserts with a version guard: the only SQL that writes episode changes and alerts.

PostgreSQL and SQLite share the ``INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE`` form; the
``WHERE stored.version < incoming.version`` guard makes a replayed or out-of-order change a
no-op inside the database, so two sinks racing on one row can never move it backwards.

Each statement is compiled once per table and dialect and sent with DBAPI ``executemany``
(psycopg 3 pipelines it: one round trip per batch, no re-parsing of a long multi-row VALUES
text). The DBAPI row count after an upsert counts only rows inserted or updated, so a
guarded-out conflict is not counted as written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

_Prepared = tuple[str, SQLCompiler, dict[str, Callable[[Any], Any] | None]]
_prepared: dict[tuple[str, str, str], _Prepared] = {}


def _insert(dialect: Dialect, table: Table) -> Any:
    match dialect.name:
        case "postgresql":
            return postgresql.insert(table)
        case "sqlite":
            return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for dialect {dialect.name}")


def _statement(dialect: Dialect, table: Table, mode: str) -> Any:
    keys = [c.name for c in table.primary_key.columns]
    stmt = _insert(dialect, table)
    if mode == "insert_new":
        return stmt.on_conflict_do_nothing(index_elements=keys)
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
        where=table.c.version < stmt.excluded.version,
    )


def _prepare(dialect: Dialect, table: Table, mode: str) -> _Prepared:
    key = (dialect.name, table.name, mode)
    if key not in _prepared:
        compiled = _statement(dialect, table, mode).compile(dialect=dialect)
        # The same conversions SQLAlchemy applies on execute (UTC timestamps, JSON).
        processors = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        _prepared[key] = (str(compiled), compiled, processors)
    return _prepared[key]


def _executemany(conn: Connection, table: Table, mode: str, rows: Sequence[dict[str, Any]]) -> int:
    if not rows:
        return 0
    sql, compiled, processors = _prepare(conn.dialect, table, mode)

    def params(row: dict[str, Any]) -> Any:
        values = compiled.construct_params(row)
        done = {k: (p(v) if (p := processors.get(k)) else v) for k, v in values.items()}
        if compiled.positional:
            return tuple(done[name] for name in compiled.positiontup or ())
        return done

    result = conn.execution_options(preserve_rowcount=True).exec_driver_sql(
        sql, [params(r) for r in rows]
    )
    return max(0, result.rowcount)


def upsert_versioned(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert or replace rows by primary key where the incoming version is newer; count writes.

    ``rows`` must hold at most one row per key (the store keeps the newest of a batch): one
    PostgreSQL statement may not update the same row twice.
    """
    return _executemany(conn, table, "upsert_versioned", rows)


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows whose primary key is not stored yet (immutable facts such as alerts)."""
    return _executemany(conn, table, "insert_new", rows)
