"""Delivery attempts and silences in the audit store: what the notify worker reads and writes.

Every attempt is one row, keyed by its delivery id, number and time. The
alert row's ``delivery_*`` columns are brought up to date from the attempts, so the existing
episode views show who was paged; the sink inserts alert rows and never overwrites them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from models.alerting import DeliveryOutcome, Silence, SilenceScope
from models.tables import AlertRow, DeliveryAttemptRow, SilenceRow
from services.alerts.delivery import Attempt
from services.store.store import StoreUnavailableError
from services.store.upsert import insert_new

_ATTEMPTS = DeliveryAttemptRow.__table__  # type: ignore[attr-defined]
_SILENCES = SilenceRow.__table__  # type: ignore[attr-defined]
_ALERTS = AlertRow.__table__  # type: ignore[attr-defined]


def attempt_row(a: Attempt) -> dict[str, object]:
    """The row of one attempt."""
    return {
        # The attempt's time is part of the id: a worker restarted mid-retry counts attempts from
        # 1 again, and its attempts must not collide with (and vanish under) the earlier ones.
        "attempt_id": f"{a.delivery_id}:{a.attempt}:{int(a.at.timestamp() * 1_000_000)}",
        "delivery_id": a.delivery_id,
        "alert_id": a.alert_id,
        "episode_id": a.episode_id,
        "facility": a.facility,
        "priority": a.priority.value,
        "receiver": a.receiver,
        "channel": a.channel.value if a.channel is not None else None,
        "tier": a.tier,
        "fallback": a.fallback,
        "attempt": a.attempt,
        "outcome": a.outcome.value,
        "reason": a.reason,
        "at": a.at,
        "alert_at": a.alert_at,
        "grouped_alert_ids": list(a.grouped_alert_ids),
    }


class DeliveryStore:
    """The notify worker's store: sync SQLAlchemy run off the event loop."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine

    async def record(self, attempts: Sequence[Attempt]) -> None:
        """Store attempts (idempotent) and the alert rows' delivery columns."""
        await asyncio.to_thread(self._record, attempts)

    def _record(self, attempts: Sequence[Attempt]) -> None:
        try:
            with self._engine.begin() as conn:
                insert_new(conn, _ATTEMPTS, [attempt_row(a) for a in attempts])
                for a in attempts:
                    values: dict[str, object] = {
                        "delivery_status": a.outcome.value,
                        "delivery_attempts": _ALERTS.c.delivery_attempts + (1 if a.attempt else 0),
                    }
                    if a.outcome == DeliveryOutcome.DELIVERED:
                        values["delivered_at"] = a.at
                        values["delivery_channel"] = a.channel.value if a.channel else None
                    stmt = update(_ALERTS).where(_ALERTS.c.alert_id == a.alert_id)
                    if a.outcome != DeliveryOutcome.DELIVERED:
                        # A later failure to another receiver must not hide a delivery.
                        stmt = stmt.where(_ALERTS.c.delivered_at.is_(None))
                    conn.execute(stmt.values(**values))
        except DBAPIError as exc:
            raise StoreUnavailableError(type(exc.orig).__name__) from None

    async def delivered(self, delivery_ids: Sequence[str]) -> set[str]:
        """Which of these deliveries already reached their receiver."""
        return await asyncio.to_thread(self._delivered, delivery_ids)

    def _delivered(self, delivery_ids: Sequence[str]) -> set[str]:
        query = select(_ATTEMPTS.c.delivery_id).where(
            _ATTEMPTS.c.delivery_id.in_(list(delivery_ids)),
            _ATTEMPTS.c.outcome == DeliveryOutcome.DELIVERED.value,
        )
        with self._engine.connect() as conn:
            return {row[0] for row in conn.execute(query)}

    async def tier_of(self, alert_id: str) -> int | None:
        """The tier an alert was paged at, if it was."""
        return await asyncio.to_thread(self._tier_of, alert_id)

    def _tier_of(self, alert_id: str) -> int | None:
        query = select(_ATTEMPTS.c.tier).where(_ATTEMPTS.c.alert_id == alert_id).limit(1)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else int(row[0])

    async def silences(self, *, at: datetime) -> Sequence[Silence]:
        """Silences that may hold at ``at`` (not yet expired or ended)."""
        return await asyncio.to_thread(self._silences, at)

    def _silences(self, at: datetime) -> list[Silence]:
        query = select(_SILENCES).where(_SILENCES.c.expires_at > at)
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            Silence(
                silence_id=r["silence_id"],
                scope=SilenceScope(r["scope"]),
                target=r["target"],
                reason=r["reason"],
                author=r["author"],
                created_at=r["created_at"],
                expires_at=r["expires_at"],
                ended_at=r["ended_at"],
            )
            for r in rows
        ]

    def list_silences(self, *, at: datetime) -> list[Silence]:
        """Silences still holding at ``at``."""
        return [s for s in self._silences(at) if s.active(at)]

    def add_silence(self, silence: Silence) -> None:
        """Store a new silence (the API and CLI call this)."""
        row = {
            "silence_id": silence.silence_id,
            "scope": silence.scope.value,
            "target": silence.target,
            "reason": silence.reason,
            "author": silence.author,
            "created_at": silence.created_at,
            "expires_at": silence.expires_at,
            "ended_at": None,
            "ended_by": None,
        }
        with self._engine.begin() as conn:
            insert_new(conn, _SILENCES, [row])

    def end_silence(self, silence_id: str, *, by: str, at: datetime) -> bool:
        """End a silence early; False when there is no such silence still holding."""
        stmt = (
            update(_SILENCES)
            .where(_SILENCES.c.silence_id == silence_id, _SILENCES.c.ended_at.is_(None))
            .values(ended_at=at, ended_by=by)
        )
        with self._engine.begin() as conn:
            return bool(conn.execute(stmt).rowcount)

    def attempts(self, alert_id: str) -> list[dict[str, object]]:
        """Every stored attempt of an alert, oldest first (for the timeline and tests)."""
        query = select(_ATTEMPTS).where(_ATTEMPTS.c.alert_id == alert_id).order_by(_ATTEMPTS.c.at)
        with self._engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]
