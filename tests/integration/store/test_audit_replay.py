"""Known answers end to end: canonical events -> the real pathway reducer (replay driver) ->
the store -> the audit. Every expected figure is worked out next to the story that causes it.

Policy (services/policy.yaml): steroids and surgical evaluation both due 24 h after suspicion;
steroids given up to 48 h before suspicion count. The detector is a stub that reads its verdict
from the report text, so the test is about timers and the audit, not about report language.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from models.detection import Detection
from models.outputs import Alert, AlertType
from services.audit import run_audit
from services.pathway.replay import read_lines, replay
from services.policy import load_policy
from services.store import Store

H = timedelta(hours=1)
_seq = iter(range(1, 10_000))


def stub_detect(text: str, *, modality: str | None = None, exam: str | None = None) -> Detection:
    """SUSPECT -> suspected ESCC 2 at T7; EXCLUDE -> explicitly no epidural disease."""
    if "SUSPECT" in text:
        return Detection(suspected_mescc=True, escc_grade="2", high_grade=True, levels=["T7"])
    return Detection(excludes_mescc="EXCLUDE" in text)


def _ev(kind: str, patient: str, facility: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"ev-{next(_seq)}", "event_type": kind, "occurred_at": at.isoformat(),
        "patient_id": patient, "facility": facility, **fields,
    }  # fmt: skip


def report(p: str, f: str, at: datetime, verdict: str, accession: str) -> dict[str, Any]:
    return _ev("imaging_report", p, f, at, accession=accession, status="final", modality="MR",
               exam="MR whole spine", text=verdict)  # fmt: skip


def steroid(p: str, f: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return _ev("medication_administration", p, f, at, administration_id=f"adm-{p}",
               medication="dexamethasone", dose_mg=16, route="oral", status="completed",
               **extra)  # fmt: skip


def consult(p: str, f: str, at: datetime, service: str) -> dict[str, Any]:
    return _ev("consult_completed", p, f, at, consult_id=f"con-{p}", service=service)


def procedure(p: str, f: str, at: datetime, name: str) -> dict[str, Any]:
    return _ev("procedure", p, f, at, procedure_id=f"proc-{p}", procedure=name,
               status="completed")  # fmt: skip


A = datetime(2026, 3, 2, 8, tzinfo=UTC)
B = datetime(2026, 3, 9, 8, tzinfo=UTC)
C = datetime(2026, 3, 16, 8, tzinfo=UTC)
D = datetime(2026, 3, 30, 8, tzinfo=UTC)
E = datetime(2026, 3, 3, 6, tzinfo=UTC)
F = datetime(2026, 3, 4, 10, tzinfo=UTC)
UNTIL = datetime(2026, 3, 30, 20, tzinfo=UTC)  # D's deadlines (31 Mar 08:00) not reached


def events() -> list[dict[str, Any]]:
    """File order is arrival order; the replay clock never runs backwards."""
    n, s = "NORTH", "SOUTH"
    lines = [
        # A: steroids 2 h (met), spinal surgeons 20 h (met), radiotherapy at 30 h.
        report("pA", n, A, "SUSPECT", "acc-A"),
        steroid("pA", n, A + 2 * H),
        # E (SOUTH): dexamethasone 3 h BEFORE the report (inside the 48 h lookback) -> 0 h.
        steroid("pE", s, E - 3 * H),
        consult("pA", n, A + 20 * H, "spine surgery"),
        report("pE", s, E, "SUSPECT", "acc-E"),
        procedure("pA", n, A + 30 * H, "radiotherapy_started"),
        consult("pE", s, E + 10 * H, "orthopaedic spine"),  # E surgical 10 h (met)
        # F (SOUTH): suspected, then a later MR rules it out: both timers cancelled.
        report("pF", s, F, "SUSPECT", "acc-F1"),
        report("pF", s, F + 10 * H, "EXCLUDE", "acc-F2"),
        # B: steroids at 30 h (met late; breach at 24 h); theatre at 48 h meets the surgical
        # evaluation late (breach at 24 h) and is the surgery interval.
        report("pB", n, B, "SUSPECT", "acc-B"),
        steroid("pB", n, B + 30 * H),
        procedure("pB", n, B + 48 * H, "decompressive_surgery"),
        # C: neurosurgery at 10 h (met). Steroids given at 4 h but recorded at 26 h: the breach
        # alert at 24 h is retracted and the timer is met on time.
        report("pC", n, C, "SUSPECT", "acc-C"),
        consult("pC", n, C + 10 * H, "neurosurgery"),
        {**steroid("pC", n, C + 4 * H), "received_at": (C + 26 * H).isoformat()},
        # D: suspected late in the month; nothing yet by UNTIL: both timers open.
        report("pD", n, D, "SUSPECT", "acc-D"),
    ]
    return lines


# (facility, measure) -> (episodes, n, median_h, p90_h, on_time, decided, breaches, retracted,
# open) for March 2026.
EXPECTED = {
    # 2, 30, 4 -> 2, 4, 30: median 4, p90 rank ceil(2.7) = 3 -> 30. A, C on time; B late.
    ("NORTH", "steroids"): (4, 3, 4.0, 30.0, 2, 3, 1, 1, 1),
    # 20, 48, 10 -> 10, 20, 48: median 20, p90 48. A, C on time; B late.
    ("NORTH", "surgical_evaluation"): (4, 3, 20.0, 48.0, 2, 3, 1, 0, 1),
    ("NORTH", "radiotherapy"): (4, 1, 30.0, 30.0, 0, 0, 0, 0, 0),
    ("NORTH", "surgery"): (4, 1, 48.0, 48.0, 0, 0, 0, 0, 0),
    # E only (F's timers were cancelled and are not decided).
    ("SOUTH", "steroids"): (2, 1, 0.0, 0.0, 1, 1, 0, 0, 0),
    ("SOUTH", "surgical_evaluation"): (2, 1, 10.0, 10.0, 1, 1, 0, 0, 0),
    ("SOUTH", "radiotherapy"): (2, 0, None, None, 0, 0, 0, 0, 0),
    ("SOUTH", "surgery"): (2, 0, None, None, 0, 0, 0, 0, 0),
}


@pytest.fixture
def replayed(store: Store) -> tuple[Store, list[Any]]:
    lines = read_lines(json.dumps(e) for e in events())
    _, outputs = replay(lines, policy=load_policy(), until=UNTIL, detector=stub_detect)
    alerts = [o for o in outputs if isinstance(o, Alert)]
    changes = [o for o in outputs if not isinstance(o, Alert)]
    # Delivered in two halves, then all over again: the sink's at-least-once redelivery.
    half = len(changes) // 2
    store.apply(changes=changes[:half], alerts=alerts)
    store.apply(changes=changes[half:])
    assert store.apply(changes=changes, alerts=alerts).written == 0
    return store, outputs


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def test_replayed_events_give_the_worked_audit_figures(
    replayed: tuple[Store, list[Any]],
) -> None:
    store, _ = replayed
    report_ = run_audit(
        engine=store.engine, since=datetime(2026, 3, 1, tzinfo=UTC),
        until=datetime(2026, 4, 1, tzinfo=UTC), by="month", as_of=UNTIL,
    )  # fmt: skip
    got = {
        (r.facility, r.measure.value): (
            r.episodes, r.n, _hours(r.median_s), _hours(r.p90_s), r.on_time, r.decided,
            r.breaches, r.retracted, r.open,
        )
        for r in report_.rows
    }  # fmt: skip
    assert {r.period for r in report_.rows} == {"2026-03"}
    assert got == EXPECTED
    late = {(b.episode_id, b.measure.value, b.late_by_s) for b in report_.breaches}
    assert {(m, s) for _, m, s in late} == {
        ("steroids", 6 * 3600),
        ("surgical_evaluation", 24 * 3600),
    }


def test_alerts_and_the_ruled_out_episode_are_stored(replayed: tuple[Store, list[Any]]) -> None:
    store, outputs = replayed
    with store.engine.connect() as conn:
        types = [r[0] for r in conn.execute(text("select alert_type from alerts"))]
        rows = conn.execute(text("select opened_by_accession, status from episodes"))
        statuses = {acc: status for acc, status in rows}
    assert types.count(AlertType.BREACH_RETRACTED.value) == 1  # C's steroids
    assert types.count(AlertType.TIMER_BREACHED.value) >= 3  # B x2, C's steroids
    assert len(types) == len({o.alert_id for o in outputs if isinstance(o, Alert)})
    assert statuses["acc-F1"] == "ruled_out"
    assert sum(1 for s in statuses.values() if s == "open") == 5
