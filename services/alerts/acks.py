"""Acknowledgements from people: one path for the API, the one-tap link, PagerDuty and the CLI.

Each acknowledgement goes to ``cordwatch.alert-acks`` (the pathway folds it and stops the
escalation, as before) and is stored on the alert row (``acknowledged_at``/``acknowledged_by``,
the first one wins) for the timeline and the audit. Who acknowledged is a person's name: it is
stored, never logged.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import structlog
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from models.events import AlertAcknowledged
from models.tables import AlertRow

log = structlog.get_logger(__name__)
_ALERTS = AlertRow.__table__  # type: ignore[attr-defined]


class UnknownAlertError(LookupError):
    """No stored alert has this id (the sink has not written it, or it never existed)."""


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class AlertBrief:
    """What an acknowledgement page shows about an alert (no patient identity)."""

    alert_id: str
    alert_type: str
    priority: str
    summary: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None


@dataclass(frozen=True)
class AckTarget:
    """The stored alert an acknowledgement names: who to key it by, and what the metrics read."""

    alert_id: str
    patient_id: str
    at: datetime
    priority: str
    facility: str | None


@dataclass(frozen=True)
class AckResult:
    """The stored acknowledgement; ``first`` is False when someone had acknowledged already."""

    alert_id: str
    acknowledged_by: str
    acknowledged_at: datetime
    first: bool


def ack_event(
    *, alert_id: str, patient_id: str, by: str, at: datetime, via: str
) -> AlertAcknowledged:
    """The cordwatch.alert-acks event; its id is derived, so a retried publish is one event."""
    digest = hashlib.sha256(f"ack/1\n{alert_id}\n{by}\n{at.isoformat()}".encode()).hexdigest()
    return AlertAcknowledged(
        event_type="alert_acknowledged",
        event_id=f"ack-{digest[:40]}",
        occurred_at=at,
        patient_id=patient_id,
        source=f"cordwatch-{via}",
        alert_id=alert_id,
        acknowledged_by=by,
    )


class AckStore:
    """Alert rows read and acknowledged (sync SQLAlchemy; callers run it off the loop)."""

    def __init__(self, *, engine: Engine) -> None:
        self._engine = engine

    def target(self, alert_id: str) -> AckTarget | None:
        """The alert's patient id, time, priority and facility, or None."""
        c = _ALERTS.c
        query = select(c.alert_id, c.patient_id, c.at, c.priority, c.facility).where(
            c.alert_id == alert_id
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)  # SQLite: naive
        return AckTarget(
            str(row.alert_id), str(row.patient_id), at, str(row.priority), row.facility
        )

    def brief(self, alert_id: str) -> AlertBrief | None:
        """What the one-tap page shows."""
        c = _ALERTS.c
        query = select(
            c.alert_id, c.alert_type, c.priority, c.summary, c.acknowledged_at, c.acknowledged_by
        ).where(c.alert_id == alert_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else AlertBrief(*row)

    def record(self, alert_id: str, *, by: str, at: datetime) -> AckResult:
        """Store the first acknowledgement; later ones return the stored one."""
        c = _ALERTS.c
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(_ALERTS)
                .where(c.alert_id == alert_id, c.acknowledged_at.is_(None))
                .values(acknowledged_at=at, acknowledged_by=by)
            ).rowcount
            row = conn.execute(
                select(c.acknowledged_at, c.acknowledged_by).where(c.alert_id == alert_id)
            ).one()
        return AckResult(alert_id, str(row[1]), row[0], bool(changed))


@dataclass
class Acknowledger:
    """Publish then store: the pathway hears of it even if the store write fails afterwards."""

    store: AckStore
    publish: Callable[[AlertAcknowledged], Awaitable[None]]
    clock: Clock
    # Called once per alert, on its first acknowledgement (time-to-acknowledge metrics).
    observe: Callable[[AckTarget, AckResult, str], None] = lambda _t, _r, _via: None

    async def acknowledge(self, alert_id: str, *, by: str, via: str) -> AckResult:
        """Acknowledge ``alert_id`` as ``by``; UnknownAlertError when no such alert is stored."""
        target = await asyncio.to_thread(self.store.target, alert_id)
        if target is None:
            raise UnknownAlertError(alert_id)
        now = self.clock.now()
        await self.publish(
            ack_event(alert_id=alert_id, patient_id=target.patient_id, by=by, at=now, via=via)
        )
        result = await asyncio.to_thread(self.store.record, alert_id, by=by, at=now)
        log.info("alert.acknowledged", alert_id=alert_id, via=via, first=result.first)
        if result.first:
            self.observe(target, result, via)
        return result
