"""The worklist's read model on SQLite and PostgreSQL: order, content, silences, poll stamp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from models.alerting import Silence, SilenceScope
from services.alerts.acks import AckStore
from services.store.deliveries import DeliveryStore
from services.worklist.queries import stamp, worklist
from tests.streams.worklist_data import deliver, seed

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def test_open_episodes_soonest_deadline_first_with_everything_the_page_shows(
    migrated: Engine,
) -> None:
    data = seed(migrated, now=NOW, patients=3)
    first = data.alerts[0]
    deliver(migrated, first, receiver="mscc-coordinator", at=NOW - timedelta(minutes=5))
    episode_of = {a.patient_id: a.episode_id for a in data.alerts}
    DeliveryStore(engine=migrated).add_silence(Silence(
        silence_id="sil-1", scope=SilenceScope.EPISODE, target=episode_of["MRN-W0001"],
        reason="transferred", author="Dr S", created_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(hours=3),
    ))  # fmt: skip
    with migrated.connect() as conn:
        before = stamp(conn, now=NOW)
        wl = worklist(conn, now=NOW)
    assert [e.patient_id for e in wl.episodes] == ["MRN-W0002", "MRN-W0001", "MRN-W0000"]
    top = wl.episodes[0]
    assert top.next_due == NOW - timedelta(hours=2, minutes=30) + timedelta(hours=24)
    assert [(t.kind, t.status) for t in top.timers] == [
        ("steroids", "pending"), ("surgical_evaluation", "pending")]  # fmt: skip
    assert (top.escc_grade, top.levels, top.sins_min, top.sins_max) == ("3", ("T9",), 1, 16)
    assert any("Epidural tumour at T9" in ev.sentence for ev in top.evidence)
    assert top.advice
    assert top.report == "ACC-00002 (MR whole spine)"
    shown = {a.alert_id: a for e in wl.episodes for a in e.alerts}
    assert set(shown) == {a.alert_id for a in data.alerts}
    assert [(d.receiver, d.outcome) for d in shown[first.alert_id].deliveries] == [
        ("mscc-coordinator", "delivered")]  # fmt: skip
    assert all(not a.deliveries for i, a in shown.items() if i != first.alert_id)
    silenced = next(e for e in wl.episodes if e.patient_id == "MRN-W0001")
    assert [(s.author, s.reason) for s in silenced.silences] == [("Dr S", "transferred")]
    assert all(not e.silences for e in wl.episodes if e.patient_id != "MRN-W0001")
    AckStore(engine=migrated).record(first.alert_id, by="Dr A", at=NOW)
    with migrated.connect() as conn:
        after = stamp(conn, now=NOW)
        # The silence ends in 3 h: after that it is no longer shown.
        later = worklist(conn, now=NOW + timedelta(hours=4))
    assert before != after
    assert all(not e.silences for e in later.episodes)
