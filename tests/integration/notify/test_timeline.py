"""Deliveries and acknowledgements appear on the episode timeline, on both dialects."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from models.alerting import DeliveryOutcome
from models.outputs import Alert, AlertType, Priority
from models.routing import Channel
from services.alerts.acks import AckStore
from services.alerts.delivery import Attempt
from services.audit.episodes import episode_public
from services.store import Store
from services.store.deliveries import DeliveryStore
from tests.integration.store.dataset import known_dataset


async def test_pages_and_the_acknowledgement_are_on_the_timeline(migrated: Engine) -> None:
    store = Store(engine=migrated)
    store.apply(changes=known_dataset())
    with migrated.connect() as conn:
        episode = episode_public(conn, "E1")
    assert episode is not None
    at, facility = episode.suspected_at, episode.facility
    alert = Alert(
        alert_id="al-1",
        alert_type=AlertType.MESCC_SUSPECTED,
        priority=Priority.CRITICAL,
        episode_id="E1",
        patient_id="P1",
        facility=facility,
        at=at,
        summary="Suspected MESCC T8",
    )
    store.apply(alerts=[alert])

    def attempt(n: int, outcome: DeliveryOutcome, seconds: int) -> Attempt:
        return Attempt(
            "d-1",
            "al-1",
            "E1",
            facility,
            "night",
            Channel.WEBHOOK,
            1,
            False,
            n,
            outcome,
            "http_503" if outcome == DeliveryOutcome.FAILED else None,
            at + timedelta(seconds=seconds),
            at,
            Priority.CRITICAL,
        )

    await DeliveryStore(engine=migrated).record(
        [attempt(1, DeliveryOutcome.FAILED, 1), attempt(2, DeliveryOutcome.DELIVERED, 2)]
    )
    AckStore(engine=migrated).record("al-1", by="Dr Ack", at=at + timedelta(minutes=3))
    with migrated.connect() as conn:
        episode = episode_public(conn, "E1")
    assert episode is not None
    mine = [
        (e.what, e.detail)
        for e in episode.timeline
        if isinstance(e.detail, dict) and e.detail.get("alert_id") == "al-1"
    ]
    whats = [w for w, _ in mine]
    assert whats == ["alert:mescc_suspected", "page:failed", "page:delivered", "acknowledged"]
    assert mine[1][1]["reason"] == "http_503"
    assert mine[2][1]["receiver"] == "night"
    assert mine[3][1]["by"] == "Dr Ack"
    assert mine[0][1]["acknowledged_at"] is not None
