"""The audit store adapter: applies batches of episode changes and alerts idempotently.

The store owns the transaction (one per batch, ``with store.transaction() as tx``); callers add
work to ``tx`` and never commit. A batch may hold several versions of one entity: only the newest
is sent to the database, and the database keeps whichever is newer, the stored or the incoming.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlmodel import SQLModel

from models.outputs import Alert, EpisodeChange
from models.tables import AlertRow, alert_values, change_values
from services.store.upsert import insert_new, upsert_versioned


class StoreError(Exception):
    """A batch could not be written; the message names the cause, never the data."""


class StoreUnavailableError(StoreError):
    """The database could not be reached or dropped the connection: retry the batch later."""


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What a batch did: rows written, and changes dropped as duplicate or stale."""

    received: int
    written: int

    @property
    def dropped(self) -> int:
        """Changes that changed nothing: replays, stale versions, older duplicates in the batch."""
        return self.received - self.written

    def __add__(self, other: ApplyResult) -> ApplyResult:
        return ApplyResult(self.received + other.received, self.written + other.written)


class StoreTransaction:
    """One open database transaction; helpers write through it and never commit."""

    def __init__(self, *, connection: Connection) -> None:
        self.connection = connection

    def apply_changes(self, changes: Iterable[EpisodeChange]) -> ApplyResult:
        """Upsert each changed entity by id, keeping the newest version."""
        received = 0
        newest: dict[tuple[str, tuple[Any, ...]], tuple[Table, dict[str, Any]]] = {}
        for change in changes:
            received += 1
            table, values = change_values(change)
            key = (table.name, tuple(values[c.name] for c in table.primary_key.columns))
            held = newest.get(key)
            if held is None or held[1]["version"] < values["version"]:
                newest[key] = (table, values)
        by_table: dict[str, tuple[Table, list[dict[str, Any]]]] = {}
        for table, values in newest.values():
            by_table.setdefault(table.name, (table, []))[1].append(values)
        written = sum(
            upsert_versioned(self.connection, table, rows) for table, rows in by_table.values()
        )
        return ApplyResult(received, written)

    def apply_alerts(self, alerts: Iterable[Alert]) -> ApplyResult:
        """Record alerts once per alert_id; delivery fields already stored are left alone."""
        rows: dict[str, dict[str, Any]] = {}
        received = 0
        for alert in alerts:
            received += 1
            rows.setdefault(alert.alert_id, alert_values(alert))
        table: Table = AlertRow.__table__  # type: ignore[attr-defined]
        return ApplyResult(received, insert_new(self.connection, table, list(rows.values())))


class Store:
    """Audit store over one SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[StoreTransaction]:
        """Open one transaction: commit when the block ends, roll back if it raises."""
        try:
            with self.engine.begin() as conn:
                yield StoreTransaction(connection=conn)
        except OperationalError as exc:
            raise StoreUnavailableError(_cause(exc)) from None
        except DBAPIError as exc:
            raise StoreError(_cause(exc)) from None
        except SQLAlchemyError as exc:
            raise StoreError(type(exc).__name__) from None

    def apply(
        self, *, changes: Iterable[EpisodeChange] = (), alerts: Iterable[Alert] = ()
    ) -> ApplyResult:
        """Write one batch of changes and alerts in a single transaction."""
        with self.transaction() as tx:
            return tx.apply_changes(changes) + tx.apply_alerts(alerts)

    async def apply_async(
        self, *, changes: Iterable[EpisodeChange] = (), alerts: Iterable[Alert] = ()
    ) -> ApplyResult:
        """``apply`` on a worker thread, so a Faust agent's event loop never blocks on SQL."""
        changes, alerts = list(changes), list(alerts)
        return await asyncio.to_thread(self.apply, changes=changes, alerts=alerts)

    def create_all(self) -> None:
        """Create the tables without migrations; for throwaway databases (benchmarks) only."""
        SQLModel.metadata.create_all(self.engine)


def _cause(exc: DBAPIError) -> str:
    # The driver's class and SQLSTATE say what went wrong; its message may quote row values.
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    return f"{type(orig).__name__}{f' ({code})' if code else ''}"
