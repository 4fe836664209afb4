"""The store applies batches idempotently: a replay changes nothing, an older version never
overwrites a newer one, one batch is one transaction, and errors carry no patient data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.engine import Engine

from models.outputs import Alert, AlertType, DetectionRecorded, DetectionSnapshot, Priority
from models.tables import (
    AlertRow,
    EpisodeRow,
    TimerRow,
    alert_values,
    change_row,
    change_values,
    row_values,
)
from services.store import Store, StoreError, StoreUnavailableError, make_engine
from tests.integration.store.dataset import (
    BREACHED,
    MET,
    PENDING,
    E,
    S,
    episode,
    known_dataset,
    timer,
)

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)
TABLES = ("episodes", "timers", "alerts", "detections", "score_snapshots", "care_events")


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"select * from {t}")))) for t in TABLES}


def _alert(alert_id: str = "A1", **kw: Any) -> Alert:
    base: dict[str, Any] = dict(
        alert_id=alert_id, alert_type=AlertType.TIMER_BREACHED, priority=Priority.CRITICAL,
        episode_id="E1", patient_id="MRN-E1", facility="NORTH", timer=S, due=T0, at=T0,
        summary="Steroids overdue: T7 ESCC 2",
    )  # fmt: skip
    return Alert(**{**base, **kw})


def test_replaying_the_same_batch_twice_changes_nothing(store: Store) -> None:
    batch = known_dataset()
    first = store.apply(changes=batch, alerts=[_alert()])
    assert first.written == first.received == len(batch) + 1
    before = _dump(store.engine)
    again = store.apply(changes=batch, alerts=[_alert()])
    assert again.written == 0
    assert again.dropped == len(batch) + 1
    assert _dump(store.engine) == before


def test_an_older_version_never_overwrites_a_newer_one(store: Store) -> None:
    newer = timer("E1", S, T0, facility="N", status=MET, met_after=timedelta(hours=2), version=5)
    older = timer("E1", S, T0, facility="N", status=PENDING, version=4)
    assert store.apply(changes=[newer]).written == 1
    assert store.apply(changes=[older]).written == 0
    with store.engine.connect() as conn:
        row = conn.execute(select(TimerRow.__table__)).one()
    assert (row.version, row.status) == (5, "met")
    assert row.met_at == T0 + timedelta(hours=2)


def test_a_newer_version_replaces_the_stored_row(store: Store) -> None:
    store.apply(changes=[timer("E1", S, T0, facility="N", status=PENDING, version=2)])
    result = store.apply(changes=[timer("E1", S, T0, facility="N", status=BREACHED, version=3)])
    assert result.written == 1
    with store.engine.connect() as conn:
        row = conn.execute(select(TimerRow.__table__)).one()
    assert (row.version, row.status) == (3, "breached")


def test_within_one_batch_the_newest_version_wins_whatever_the_order(store: Store) -> None:
    v3 = timer("E1", E, T0, facility="N", status=MET, met_after=timedelta(hours=9), version=3)
    v2 = timer("E1", E, T0, facility="N", status=PENDING, version=2)
    result = store.apply(changes=[v3, v2, v2])
    assert (result.received, result.written) == (3, 1)
    with store.engine.connect() as conn:
        assert conn.execute(select(TimerRow.__table__.c.status)).scalar_one() == "met"


def test_one_batch_is_one_transaction(store: Store) -> None:
    def crash_after_writing() -> None:
        with store.transaction() as tx:
            assert tx.apply_changes([episode("E1", T0, facility="N")]).written == 1
            raise RuntimeError("the sink crashed before the commit")

    with pytest.raises(RuntimeError):
        crash_after_writing()
    with store.engine.connect() as conn:
        assert conn.execute(select(EpisodeRow.__table__)).all() == []


def test_timestamps_keep_the_instant_across_offsets(store: Store) -> None:
    local = datetime(2026, 1, 5, 11, tzinfo=timezone(timedelta(hours=1)))
    store.apply(changes=[episode("E1", local, facility="N")])
    with store.engine.connect() as conn:
        stored = conn.execute(select(EpisodeRow.__table__.c.suspected_at)).scalar_one()
    assert stored == T0
    assert stored.tzinfo is not None


def test_alert_is_recorded_once_and_delivery_facts_survive_a_replay(store: Store) -> None:
    assert store.apply(alerts=[_alert(), _alert()]).written == 1
    alerts = AlertRow.__table__
    with store.engine.begin() as conn:
        conn.execute(update(alerts).values(delivery_status="delivered", acknowledged_by="dr-x"))
    assert store.apply(alerts=[_alert(summary="changed text")]).written == 0
    with store.engine.connect() as conn:
        row = conn.execute(select(alerts)).one()
    assert (row.delivery_status, row.acknowledged_by, row.summary) == (
        "delivered", "dr-x", "Steroids overdue: T7 ESCC 2",
    )  # fmt: skip


def test_detection_keeps_result_and_evidence(store: Store) -> None:
    evidence = [{"field": "escc_grade", "rule": "bilsky", "sentence": "Grade 2.", "start": 0,
                 "end": 8, "section": "impression"}]  # fmt: skip
    change = DetectionRecorded(
        change_id="d", patient_id="MRN-E1", facility="N", episode_id="E1", version=1, at=T0,
        detection=DetectionSnapshot(
            detection_id="D1", accession="ACC1", report_status="final", event_id="ev1",
            occurred_at=T0, modality="MR", exam="MR whole spine",
            result={"suspected_mescc": True, "escc_grade": "2", "evidence": evidence},
        ),
    )  # fmt: skip
    store.apply(changes=[change])
    with store.engine.connect() as conn:
        sql = "select accession, version, result, evidence from detections"
        row = conn.execute(text(sql)).one()
    # Raw SQL: PostgreSQL's driver decodes JSON, SQLite hands back the text.
    result = row.result if isinstance(row.result, dict) else json.loads(row.result)
    stored_evidence = row.evidence if isinstance(row.evidence, list) else json.loads(row.evidence)
    assert (row.accession, row.version, result["escc_grade"]) == ("ACC1", 1, "2")
    assert stored_evidence == evidence


def test_a_failed_batch_names_the_cause_but_no_patient_data(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("drop table timers"))
    change = timer("E1", S, T0, facility="N", status=PENDING)
    with pytest.raises(StoreError) as info:
        store.apply(changes=[change])
    assert "MRN-E1" not in str(info.value)
    # `from None`: the driver's exception (which may quote row values) is not chained.
    assert info.value.__suppress_context__


def test_row_repr_leaves_the_patient_id_out() -> None:
    row = EpisodeRow(
        episode_id="E1", patient_id="MRN-SECRET", version=1, changed_at=T0, status="open",
        suspected_at=T0, opened_by_accession="A", priority="high",
    )  # fmt: skip
    assert "MRN-SECRET" not in repr(row)
    assert row.patient_id == "MRN-SECRET"


def test_an_unreachable_database_is_reported_as_retryable() -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2")
    with pytest.raises(StoreUnavailableError):
        Store(engine=engine).apply(changes=[episode("E1", T0, facility="N")])
    engine.dispose()


async def test_apply_async_writes_the_batch(store: Store) -> None:
    result = await store.apply_async(changes=[episode("E1", T0, facility="N")])
    assert result.written == 1


def test_converters_fill_every_column_of_their_table() -> None:
    for change in known_dataset():
        table, values = change_values(change)
        assert set(values) == {c.name for c in table.columns}, table.name
        assert row_values(change_row(change)) == values
    alert_cols = {c.name for c in AlertRow.__table__.columns}
    assert set(alert_values(_alert())) == alert_cols


def test_same_record_id_in_two_care_families_is_two_rows(store: Store) -> None:
    from models.outputs import CareEventRecorded, CareEventSnapshot, CareKind

    def care(kind: CareKind, detail: str) -> CareEventRecorded:
        return CareEventRecorded(
            change_id=f"c-{kind}", patient_id="MRN-E1", facility="N", episode_id="E1",
            version=1, at=T0,
            care_event=CareEventSnapshot(
                record_id="42", kind=kind, occurred_at=T0, status="completed", detail=detail
            ),
        )  # fmt: skip

    result = store.apply(
        changes=[care(CareKind.MEDICATION, "dexamethasone"), care(CareKind.PROCEDURE, "sbrt")]
    )
    assert result.written == 2
    with store.engine.connect() as conn:
        assert conn.execute(text("select count(*) from care_events")).scalar_one() == 2
