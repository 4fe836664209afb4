"""The date functions the audit needs, compiled per dialect; every other clause is shared SQL.

SQLite has no interval type and no ``date_trunc``; PostgreSQL has no ``strftime``. The audit
query is written once in SQLAlchemy Core and only these leaves differ. Periods are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

PERIODS = ("day", "week", "month")


class epoch_seconds(FunctionElement[int]):  # noqa: N801  (SQL function spelling)
    """Whole seconds since 1970-01-01 UTC of a timestamp column."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


class period_key(FunctionElement[int]):  # noqa: N801
    """Epoch seconds of the start of the UTC day, ISO week (Monday) or month holding a timestamp.

    An integer, not a label: the audit groups and sorts on it, and integers compare far faster
    than text. ``period_label`` turns it back into ``YYYY-MM`` or ``YYYY-MM-DD``.
    """

    type = BigInteger()
    inherit_cache = True
    name = "period_key"

    def __init__(self, column: ColumnElement[Any], by: str) -> None:
        if by not in PERIODS:
            raise ValueError(f"period must be one of {PERIODS}, not {by!r}")
        self.by = by
        super().__init__(column)


def period_label(key: int, by: str) -> str:
    """``YYYY-MM`` for a month, ``YYYY-MM-DD`` (the Monday, for a week) otherwise."""
    start = datetime.fromtimestamp(key, UTC)
    return f"{start:%Y-%m}" if by == "month" else f"{start:%Y-%m-%d}"


def _arg(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as UTC text by models.tables.UtcDateTime; '%s' truncates the fraction.
    return f"CAST(strftime('%s', {_arg(element, compiler, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_pg(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # date_part returns float8; EXTRACT returns numeric since PostgreSQL 14, several times slower.
    return f"CAST(FLOOR(date_part('epoch', {_arg(element, compiler, **kw)})) AS BIGINT)"


_SQLITE_PERIOD = {
    "day": "'start of day'",
    # 'weekday 0' moves forward to Sunday (or stays on it); six days back is that week's Monday.
    "week": "'weekday 0', '-6 days', 'start of day'",
    "month": "'start of month'",
}


@compiles(period_key, "sqlite")
def _period_sqlite(element: period_key, compiler: SQLCompiler, **kw: Any) -> str:
    x = _arg(element, compiler, **kw)
    return f"CAST(strftime('%s', {x}, {_SQLITE_PERIOD[element.by]}) AS INTEGER)"


@compiles(period_key, "postgresql")
def _period_pg(element: period_key, compiler: SQLCompiler, **kw: Any) -> str:
    x = _arg(element, compiler, **kw)
    return f"CAST(date_part('epoch', date_trunc('{element.by}', {x} AT TIME ZONE 'UTC')) AS BIGINT)"
