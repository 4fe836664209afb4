"""Issue 14: the review queue's verdicts in the reducer.

A confirmation opens the episode with its clocks from the report's clinical time, as if the
detector had found it; a dismissal closes the item with no episode; the first verdict wins and a
redelivered one is a no-op.
"""

from __future__ import annotations

from datetime import datetime

from models.detection import Detection, Evidence
from models.events import PatientEvent, patient_event_adapter
from models.outputs import (
    AlertType,
    DetectionRecorded,
    EpisodeChanged,
    Output,
    ReviewChanged,
    ReviewStatus,
    TimerChanged,
    TimerKind,
    TimerStatus,
)
from models.state import MAX_REVIEW_ITEMS, PatientState
from services import ids
from services.pathway import handle

from .helpers import PATIENT, POLICY, T0, H, M, alerts, fake_detect, med, report

CUE = "Metastatic soft tissue at T10 abutting the thecal sac."


def _detect(text: str, *, modality: str | None = None, exam: str | None = None) -> Detection:
    if "REVIEW" in text.split():
        evidence = [Evidence(field="review_needed", rule="epidural.abuts", sentence=CUE,
                             start=0, end=31)]  # fmt: skip
        return Detection(review_needed=True, evidence=evidence)
    return fake_detect(text, modality=modality, exam=exam)


def _step(
    state: PatientState | None, event: PatientEvent, now: datetime
) -> tuple[PatientState, list[Output]]:
    return handle(state, event, now, policy=POLICY, detector=_detect)


def _review_id(accession: str = "ACC1") -> str:
    return ids.review_id(PATIENT, accession, key=ids.DEVELOPMENT_ID_KEY)


def _verdict(
    event_id: str, at: datetime, kind: str, *, accession: str = "ACC1", **fields: object
) -> PatientEvent:
    by = {"review_confirmed": "confirmed_by", "review_dismissed": "dismissed_by"}[kind]
    return patient_event_adapter.validate_python(
        {
            "event_id": event_id,
            "event_type": kind,
            "occurred_at": at.isoformat(),
            "patient_id": PATIENT,
            "facility": "RLH",
            "review_id": _review_id(accession),
            "accession": accession,
            by: "coordinator-1",
            **fields,
        }
    )


def _confirm(event_id: str, at: datetime, **fields: object) -> PatientEvent:
    return _verdict(event_id, at, "review_confirmed", **fields)


def _dismiss(event_id: str, at: datetime, **fields: object) -> PatientEvent:
    return _verdict(event_id, at, "review_dismissed", reason="not_mescc", **fields)


def _reviews(outputs: list[Output]) -> list[ReviewChanged]:
    return [o for o in outputs if isinstance(o, ReviewChanged)]


def _queued() -> PatientState:
    state, _ = _step(None, report("r1", T0, "REVIEW"), T0 + M)
    return state


def test_a_review_report_is_kept_as_an_open_item_with_its_cue_and_opens_no_episode() -> None:
    state, out = _step(None, report("r1", T0, "REVIEW"), T0 + M)
    assert state.episodes == ()
    [change] = _reviews(out)
    item = change.review
    assert (change.episode_id, item.review_id) == (_review_id(), _review_id())
    assert (item.status, item.accession, item.report_event_id) == (ReviewStatus.OPEN, "ACC1", "r1")
    assert (item.report_at, item.requested_at, change.facility) == (T0, T0 + M, "RLH")
    assert [(c.rule, c.sentence, c.start, c.end) for c in item.cues] == [
        ("epidural.abuts", CUE, 0, 31)
    ]
    assert item.sentence == CUE
    [request] = alerts(out, AlertType.REVIEW_REQUESTED)
    assert request.episode_id == item.review_id


def test_a_confirmation_opens_the_episode_with_clocks_from_the_report_time() -> None:
    state, out = _step(_queued(), _confirm("v1", T0 + 5 * H), T0 + 5 * H)
    [episode] = state.episodes
    assert episode.suspected_at == T0  # the report's time, not the verdict's
    window = POLICY.window(TimerKind.STEROIDS)
    assert {t.kind: t.due_at for t in episode.timers} == {
        TimerKind.STEROIDS: T0 + window,
        TimerKind.SURGICAL_EVALUATION: T0 + POLICY.window(TimerKind.SURGICAL_EVALUATION),
    }
    [suspected] = alerts(out, AlertType.MESCC_SUSPECTED)
    assert (suspected.episode_id, suspected.at) == (episode.episode_id, T0 + 5 * H)
    assert [e.episode.suspected_at for e in out if isinstance(e, EpisodeChanged)] == [T0]
    [change] = _reviews(out)
    assert change.version == 2
    assert change.review.status == ReviewStatus.CONFIRMED
    assert change.review.decided_by == "coordinator-1"
    assert change.review.decided_at == T0 + 5 * H
    assert change.review.opened_episode_id == episode.episode_id
    # The episode records the confirmed report with its cues as evidence, as a page shows it.
    [recorded] = [o for o in out if isinstance(o, DetectionRecorded)]
    assert (recorded.episode_id, recorded.detection.event_id) == (episode.episode_id, "r1")
    assert recorded.detection.occurred_at == T0
    assert [e["sentence"] for e in recorded.detection.result["evidence"]] == [CUE]


def test_a_confirmation_after_the_deadline_breaches_at_once_as_a_late_detection_would() -> None:
    late = T0 + POLICY.window(TimerKind.STEROIDS) + H
    state, out = _step(_queued(), _confirm("v1", late), late)
    breaches = alerts(out, AlertType.TIMER_BREACHED)
    assert {b.timer for b in breaches} == {TimerKind.STEROIDS, TimerKind.SURGICAL_EVALUATION}
    assert all(t.status == TimerStatus.BREACHED for t in state.episodes[0].timers)
    assert alerts(out, AlertType.MESCC_SUSPECTED)


def test_a_steroid_given_between_report_and_confirmation_meets_the_timer() -> None:
    state, _ = _step(_queued(), med("m1", T0 + 2 * H), T0 + 2 * H)
    state, _ = _step(state, _confirm("v1", T0 + 5 * H), T0 + 5 * H)
    steroids = state.episodes[0].timer(TimerKind.STEROIDS)
    assert steroids is not None
    assert (steroids.status, steroids.met_at) == (TimerStatus.MET, T0 + 2 * H)


def test_a_redelivered_or_second_confirmation_changes_nothing() -> None:
    verdict = _confirm("v1", T0 + 5 * H)
    state, _ = _step(_queued(), verdict, T0 + 5 * H)
    again, out = _step(state, verdict, T0 + 6 * H)
    assert out == []
    assert again.episodes == state.episodes
    other, out2 = _step(again, _confirm("v2", T0 + 7 * H), T0 + 7 * H)
    assert [o for o in out2 if not isinstance(o, TimerChanged)] == []
    assert len(other.episodes) == 1


def test_a_dismissal_closes_the_item_and_a_later_confirmation_opens_nothing() -> None:
    state, out = _step(_queued(), _dismiss("v1", T0 + H, note="benign"), T0 + H)
    assert state.episodes == ()
    assert alerts(out) == []
    [change] = _reviews(out)
    assert (change.review.status, change.review.reason) == (ReviewStatus.DISMISSED, "not_mescc")
    assert (change.review.note, change.review.opened_episode_id) == ("benign", None)
    state, out = _step(state, _confirm("v2", T0 + 2 * H), T0 + 2 * H)
    assert (state.episodes, out) == ((), [])


def test_a_verdict_on_a_study_never_sent_for_review_is_a_no_op() -> None:
    state, out = _step(None, _confirm("v1", T0), T0)
    assert (state.episodes, state.reviews, out) == ((), (), [])
    queued = _queued()
    state, out = _step(queued, _confirm("v2", T0 + H, accession="OTHER"), T0 + H)
    assert (state.episodes, out) == ((), [])


def test_a_later_review_version_of_a_confirmed_study_keeps_the_episode_a_negative_withdraws() -> (
    None
):
    state, _ = _step(_queued(), _confirm("v1", T0 + H), T0 + H)
    state, out = _step(state, report("r2", T0 + 2 * H, "REVIEW"), T0 + 2 * H)
    assert state.episodes[0].status == "open"
    assert not alerts(out)
    state, out = _step(state, report("r3", T0 + 3 * H, "NORMAL"), T0 + 3 * H)
    assert state.episodes[0].close_reason == "withdrawn"
    assert alerts(out, AlertType.FINDING_WITHDRAWN)


def test_a_late_earlier_version_of_a_confirmed_study_moves_the_clocks_earlier() -> None:
    state, _ = _step(_queued(), _confirm("v1", T0 + H), T0 + H)
    prelim = report("r0", T0 - 2 * H, "REVIEW", status="preliminary")
    state, _ = _step(state, prelim, T0 + 2 * H)
    assert state.episodes[0].suspected_at == T0 - 2 * H


def test_an_open_item_whose_study_the_detector_then_suspects_is_superseded() -> None:
    state, out = _step(_queued(), report("r2", T0 + H, "SUSPECT grade=2"), T0 + H)
    [episode] = state.episodes
    [change] = _reviews(out)
    assert change.review.status == ReviewStatus.SUPERSEDED
    assert change.review.opened_episode_id == episode.episode_id
    _, out = _step(state, _confirm("v1", T0 + 2 * H), T0 + 2 * H)
    assert _reviews(out) == []
    assert not alerts(out, AlertType.MESCC_SUSPECTED)


def test_review_items_in_the_state_are_bounded_open_ones_kept_first() -> None:
    state: PatientState | None = None
    for n in range(MAX_REVIEW_ITEMS + 4):
        state, _ = _step(state, report(f"r{n}", T0 + n * M, "REVIEW", accession=f"A{n}"), T0)
        if n < 4:
            state, _ = _step(state, _confirm(f"v{n}", T0, accession=f"A{n}"), T0)
    assert state is not None
    assert len(state.reviews) == MAX_REVIEW_ITEMS
    assert all(r.status == ReviewStatus.OPEN for r in state.reviews)
