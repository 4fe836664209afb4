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

from models.alerting import DeliveryOutcome, OpenEpisode, Silence, SilenceScope
from models.outputs import Alert, EpisodeStatus, TimerKind, TimerStatus
from models.tables import (
    AlertRow,
    DeliveryAttemptRow,
    EpisodeRow,
    SilenceRow,
    TimerRow,
    alert_values,
)
from services.alerts.delivery import Attempt
from services.store.store import StoreUnavailableError
from services.store.upsert import insert_new

_ATTEMPTS = DeliveryAttemptRow.__table__  # type: ignore[attr-defined]
_SILENCES = SilenceRow.__table__  # type: ignore[attr-defined]
_ALERTS = AlertRow.__table__  # type: ignore[attr-defined]
_EPISODES = EpisodeRow.__table__  # type: ignore[attr-defined]
_TIMERS = TimerRow.__table__  # type: ignore[attr-defined]
_UNFINISHED = (TimerStatus.PENDING.value, TimerStatus.BREACHED.value)


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

    async def acknowledged(self, alert_ids: Sequence[str]) -> set[str]:
        """The ids among these whose alert someone acknowledged."""
        return await asyncio.to_thread(self._acknowledged, list(alert_ids))

    def _acknowledged(self, alert_ids: list[str]) -> set[str]:
        c = _ALERTS.c
        query = select(c.alert_id).where(c.alert_id.in_(alert_ids), c.acknowledged_at.is_not(None))
        with self._engine.connect() as conn:
            return {str(r[0]) for r in conn.execute(query)}

    async def note_alert(self, alert: Alert) -> None:
        """Store an alert notify raised itself (a silence notice), once; the sink never sees it."""
        await asyncio.to_thread(self._note_alert, alert)

    def _note_alert(self, alert: Alert) -> None:
        try:
            with self._engine.begin() as conn:
                insert_new(conn, _ALERTS, [alert_values(alert)])
        except DBAPIError as exc:
            raise StoreUnavailableError(type(exc).__name__) from None

    async def open_episodes(
        self, *, episode_ids: Sequence[str], patient_ids: Sequence[str]
    ) -> list[OpenEpisode]:
        """Open episodes among these ids or of these patients, with their unfinished timers."""
        return await asyncio.to_thread(self._open_episodes, list(episode_ids), list(patient_ids))

    def _open_episodes(self, episode_ids: list[str], patient_ids: list[str]) -> list[OpenEpisode]:
        e, t = _EPISODES.c, _TIMERS.c
        query = select(e.episode_id, e.patient_id, e.facility, e.priority).where(
            e.status == EpisodeStatus.OPEN.value,
            e.episode_id.in_(episode_ids) | e.patient_id.in_(patient_ids),
        )
        with self._engine.connect() as conn:
            episodes = conn.execute(query).all()
            ids = [r.episode_id for r in episodes]
            timers = conn.execute(
                select(t.episode_id, t.kind).where(t.episode_id.in_(ids), t.status.in_(_UNFINISHED))
            ).all()
        kinds: dict[str, list[TimerKind]] = {}
        for row in timers:
            kinds.setdefault(row.episode_id, []).append(TimerKind(row.kind))
        return [
            OpenEpisode(
                r.episode_id, r.patient_id, r.facility, r.priority,
                tuple(sorted(kinds.get(r.episode_id, ()))),
            )
            for r in episodes
        ]  # fmt: skip

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
