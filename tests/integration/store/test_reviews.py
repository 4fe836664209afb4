"""Review items and feedback in the audit store (issue 14), on SQLite and PostgreSQL.

The rows come from the real reducer's outputs written by the store, as the sink writes them:
the queue lists what the pathway opened, a verdict is stored once, feedback on an alert counts
in the month of the suspicion, and the audit's precision counts each flagged thing once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models.api import AuditPublic
from models.detection import Detection, Evidence
from models.events import PatientEvent, patient_event_adapter
from models.outputs import Alert, AlertType, EpisodeChange, Output, ReviewStatus
from models.state import PatientState
from models.tables import FeedbackRow
from services import ids
from services.audit import run_audit
from services.audit.render import to_json, to_table
from services.pathway import handle
from services.policy import load_policy
from services.review import store as review_store
from services.store import Store

POLICY = load_policy()
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
CUE = "Metastatic soft tissue at T10 abutting the thecal sac."


def _detect(text: str, *, modality: str | None = None, exam: str | None = None) -> Detection:
    if text == "REVIEW":
        evidence = [Evidence(field="review_needed", rule="t", sentence=CUE, start=0, end=20)]
        return Detection(review_needed=True, evidence=evidence)
    if text == "SUSPECT":
        evidence = [Evidence(field="suspected_mescc", rule="t", sentence=CUE, start=0, end=20)]
        return Detection(suspected_mescc=True, levels=["T10"], evidence=evidence)
    return Detection()


def _report(patient: str, event_id: str, at: datetime, text: str = "REVIEW") -> PatientEvent:
    return patient_event_adapter.validate_python(
        {
            "event_id": event_id, "event_type": "imaging_report", "occurred_at": at.isoformat(),
            "patient_id": patient, "facility": "RLH", "accession": f"ACC-{patient}",
            "status": "final", "modality": "MR", "exam": "MRI WHOLE SPINE", "text": text,
        }
    )  # fmt: skip


def _confirm(patient: str, at: datetime) -> PatientEvent:
    return patient_event_adapter.validate_python(
        {
            "event_id": f"confirm-{patient}", "event_type": "review_confirmed",
            "occurred_at": at.isoformat(), "patient_id": patient, "facility": "RLH",
            "review_id": ids.review_id(patient, f"ACC-{patient}", key=ids.DEVELOPMENT_ID_KEY),
            "accession": f"ACC-{patient}", "confirmed_by": "coordinator-1",
        }
    )  # fmt: skip


def _write(store: Store, outputs: list[Output]) -> None:
    changes: list[EpisodeChange] = [o for o in outputs if not isinstance(o, Alert)]
    store.apply(changes=changes, alerts=[o for o in outputs if isinstance(o, Alert)])


def _fold(
    store: Store,
    events: list[tuple[PatientEvent, datetime]],
    states: dict[str, PatientState] | None = None,
) -> list[Output]:
    states = {} if states is None else states
    every: list[Output] = []
    for event, now in events:
        state, out = handle(
            states.get(event.patient_id), event, now, policy=POLICY, detector=_detect
        )
        states[event.patient_id] = state
        _write(store, out)
        every += out
    return every


def _review_id(patient: str) -> str:
    return ids.review_id(patient, f"ACC-{patient}", key=ids.DEVELOPMENT_ID_KEY)


def test_the_queue_lists_open_items_oldest_report_first_with_their_cues(store: Store) -> None:
    _fold(store, [(_report("P2", "r2", T0 + H), T0 + H), (_report("P1", "r1", T0), T0 + 2 * H)])
    with store.engine.connect() as conn:
        items = review_store.open_reviews(conn)
        only_other = review_store.open_reviews(conn, facility="ELSEWHERE")
    assert [i.patient_id for i in items] == ["P1", "P2"]
    first = items[0]
    assert (first.review_id, first.status, first.report_at) == (_review_id("P1"), "open", T0)
    assert (first.report_event_id, first.facility, first.sentence) == ("r1", "RLH", CUE)
    assert [(c.sentence, c.start, c.end) for c in first.cues] == [(CUE, 0, 20)]
    assert only_other == []


def test_a_confirmation_projected_by_the_sink_closes_the_item_and_names_its_episode(
    store: Store,
) -> None:
    out = _fold(store, [(_report("P1", "r1", T0), T0), (_confirm("P1", T0 + 3 * H), T0 + 3 * H)])
    [suspected] = [o for o in out if isinstance(o, Alert) and o.alert_type == "mescc_suspected"]
    with store.engine.connect() as conn:
        item = review_store.review_item(conn, _review_id("P1"))
        queue = review_store.open_reviews(conn)
    assert item is not None
    assert (item.status, item.decided_by) == (ReviewStatus.CONFIRMED, "coordinator-1")
    assert item.episode_id == suspected.episode_id
    assert queue == []


def test_a_review_item_takes_one_verdict_and_a_released_one_can_be_given_again(
    store: Store,
) -> None:
    _fold(store, [(_report("P1", "r1", T0), T0)])
    rid = _review_id("P1")
    with store.transaction() as tx:
        item, verdict = review_store.claim_verdict(
            tx.connection, review_id=rid, kind="confirmed", by="a", note=None, now=T0 + H
        )
    assert (item.review_id, verdict.kind, verdict.target) == (rid, "confirmed", "review")
    with pytest.raises(review_store.AlreadyDecidedError), store.transaction() as tx:
        review_store.claim_verdict(
            tx.connection, review_id=rid, kind="not_mescc", by="b", note=None, now=T0 + 2 * H
        )
    with store.transaction() as tx:
        review_store.release_verdict(tx.connection, review_id=rid)
    with store.transaction() as tx:
        review_store.claim_verdict(
            tx.connection, review_id=rid, kind="not_mescc", by="b", note="x", now=T0 + 2 * H
        )
    with store.engine.connect() as conn:
        stored = review_store.verdict_of(conn, rid)
        assert stored is not None
        assert (stored.kind, stored.by, stored.note) == ("not_mescc", "b", "x")
        with pytest.raises(review_store.UnknownReviewError):
            review_store.claim_verdict(
                conn, review_id="nope", kind="confirmed", by="a", note=None, now=T0
            )


def test_feedback_on_an_alert_counts_in_the_month_of_the_suspicion(store: Store) -> None:
    late = datetime(2026, 4, 2, tzinfo=UTC)
    out = _fold(store, [(_report("P3", "r3", T0, "SUSPECT"), T0), (_report("P1", "r1", T0), T0)])
    [suspected] = [o for o in out if isinstance(o, Alert) and o.alert_type == "mescc_suspected"]
    [request] = [o for o in out if isinstance(o, Alert) and o.alert_type == "review_requested"]
    with store.transaction() as tx:
        on_episode = review_store.add_alert_feedback(
            tx.connection, alert_id=suspected.alert_id, kind="not_mescc", by="a",
            note="old fracture", now=late,
        )  # fmt: skip
        on_review = review_store.add_alert_feedback(
            tx.connection, alert_id=request.alert_id, kind="duplicate", by="a", note=None, now=late
        )
        with pytest.raises(review_store.UnknownAlertError):
            review_store.add_alert_feedback(
                tx.connection, alert_id="nope", kind="duplicate", by="a", note=None, now=late
            )
    assert (on_episode.episode_id, on_episode.review_id) == (suspected.episode_id, None)
    assert (on_review.episode_id, on_review.review_id) == (None, _review_id("P1"))
    with store.engine.connect() as conn:
        flagged = conn.execute(select(FeedbackRow.flagged_at)).scalars().all()  # type: ignore[call-overload]
    assert flagged == [T0, T0]


def test_the_audit_reports_precision_per_month_each_flag_counted_once(store: Store) -> None:
    march, april = T0, datetime(2026, 4, 5, 9, tzinfo=UTC)
    now = datetime(2026, 4, 10, tzinfo=UTC)
    states: dict[str, PatientState] = {}
    out = _fold(
        store,
        [
            (_report("P1", "r1", march), march),  # confirmed: right
            (_report("P2", "r2", march), march),  # dismissed as not MESCC: wrong
            (_report("P3", "r3", march, "SUSPECT"), march),  # alert: already treated: right
            (_report("P4", "r4", april, "SUSPECT"), april),  # alert: not MESCC then duplicate
        ],
        states,
    )
    with store.transaction() as tx:  # the API stores a verdict, then the pathway applies it
        review_store.claim_verdict(
            tx.connection, review_id=_review_id("P1"), kind="confirmed", by="a", note=None,
            now=now,
        )  # fmt: skip
        review_store.claim_verdict(
            tx.connection, review_id=_review_id("P2"), kind="not_mescc", by="a", note=None,
            now=now,
        )  # fmt: skip
    out += _fold(store, [(_confirm("P1", now), now)], states)
    alerts = {o.patient_id: o for o in out if isinstance(o, Alert)
              and o.alert_type == AlertType.MESCC_SUSPECTED}  # fmt: skip
    with store.transaction() as tx:
        conn = tx.connection
        # P1's episode (opened by the confirmation) is the same flagged thing as its review:
        # a later verdict on its page replaces the confirmation, it does not add to it.
        review_store.add_alert_feedback(
            conn, alert_id=alerts["P1"].alert_id, kind="already_treated_elsewhere", by="b",
            note=None, now=now + H,
        )  # fmt: skip
        review_store.add_alert_feedback(
            conn, alert_id=alerts["P3"].alert_id, kind="already_treated_elsewhere", by="a",
            note=None, now=now,
        )  # fmt: skip
        review_store.add_alert_feedback(
            conn, alert_id=alerts["P4"].alert_id, kind="not_mescc", by="a", note=None, now=now
        )
        review_store.add_alert_feedback(
            conn, alert_id=alerts["P4"].alert_id, kind="duplicate", by="b", note=None, now=now
        )
    report = run_audit(
        engine=store.engine, since=datetime(2026, 1, 1, tzinfo=UTC), until=now, by="month",
        as_of=now,
    )  # fmt: skip
    got = {(p.period, p.facility): (p.confirmed, p.not_mescc, p.duplicates, p.precision)
           for p in report.precision}  # fmt: skip
    assert got == {
        ("2026-03", "RLH"): (2, 1, 0, pytest.approx(2 / 3)),
        ("2026-04", "RLH"): (0, 1, 1, 0.0),
        ("2026-03", "(all)"): (2, 1, 0, pytest.approx(2 / 3)),
        ("2026-04", "(all)"): (0, 1, 1, 0.0),
    }
    # /api/audit parses the CLI's own JSON into its public shape: the two agree.
    public = AuditPublic.model_validate_json(to_json(report)).precision
    assert [(p.period, p.facility, p.precision_pct) for p in public] == [
        ("2026-03", "RLH", 66.7), ("2026-04", "RLH", 0.0),
        ("2026-03", "(all)", 66.7), ("2026-04", "(all)", 0.0),
    ]  # fmt: skip
    table = to_table(report)
    assert "Detector precision" in table
    assert "2026-03  RLH       2          1          0           66.7" in table
