"""The access log adapter: append one record per patient-level read or action, and query it.

Written before the response leaves (on the request's worker thread): a read the log could not
record is refused with a 503, so no PHI is ever served unaudited. Rows are never updated.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from models.access import AccessAction, AccessOutcome, AccessRecord
from models.tables import AccessRecordRow
from services.store.store import StoreError

ACCESS: Table = AccessRecordRow.__table__  # type: ignore[attr-defined]


def new_access_id() -> str:
    """A random id: access records are facts about people, not derived from any input."""
    return uuid.uuid4().hex


class AccessLog:
    """Append and read the access log over one engine (sync; callers run it off the loop)."""

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine

    def record(self, entry: AccessRecord) -> None:
        """Append ``entry`` in its own transaction; StoreError when it cannot be stored."""
        self.record_many([entry])

    def record_many(self, entries: Sequence[AccessRecord]) -> None:
        """Append several entries in one transaction."""
        if not entries:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(ACCESS), [e.model_dump(mode="python") for e in entries])
        except SQLAlchemyError as exc:
            raise StoreError(f"access log not written: {type(exc).__name__}") from None

    def query(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        user: str | None = None,
        target_id: str | None = None,
        action: AccessAction | None = None,
        limit: int = 1000,
    ) -> list[AccessRecord]:
        """Records in [since, until), newest first, filtered; at most ``limit``."""
        c = ACCESS.c
        conditions: list[Any] = []
        if since is not None:
            conditions.append(c.at >= since)
        if until is not None:
            conditions.append(c.at < until)
        if user is not None:
            conditions.append(c.user_name == user)
        if target_id is not None:
            conditions.append(c.target_id == target_id)
        if action is not None:
            conditions.append(c.action == action.value)
        stmt = select(ACCESS).where(*conditions).order_by(c.at.desc(), c.access_id).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [
            AccessRecord(**{**row, "action": AccessAction(row["action"]),
                            "outcome": AccessOutcome(row["outcome"])})
            for row in rows
        ]  # fmt: skip
