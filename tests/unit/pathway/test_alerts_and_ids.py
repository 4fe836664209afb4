"""Idempotence, deterministic ids, priority, phone summaries and score recomputation."""

from models.outputs import Alert, AlertType, Priority, ScoreComputed
from models.state import PatientState

from .helpers import PATIENT, T0, H, adt, alerts, assessment, feed, med, report, step

DUE = T0 + 24 * H


def test_a_redelivered_event_id_is_a_no_op() -> None:
    state, _ = step(None, report("r1", T0), T0)
    again, out = step(state, report("r1", T0), T0 + H)
    assert (again, out) == (state, [])
    state, _ = step(state, med("m1", T0 + H), T0 + H)
    again, out = step(state, med("m1", T0 + H), T0 + 2 * H)
    assert (again, out) == (state, [])


def test_the_same_sequence_yields_the_same_outputs_and_ids() -> None:
    events = [
        (report("r1", T0), T0),
        (med("m1", T0 + 20 * H), DUE + H),
        (adt("a1", DUE + 5 * H), DUE + 5 * H),
    ]
    _, first = feed(events)
    _, second = feed(events)
    assert first == second
    ids = [a.alert_id for a in alerts(first)]
    assert len(ids) == len(set(ids))


def test_state_round_trips_through_json_for_the_changelog() -> None:
    state, _ = feed([(report("r1", T0), T0), (med("m1", T0 + H), T0 + H)])
    assert PatientState.model_validate_json(state.model_dump_json()) == state


def test_grade_two_or_three_retropulsion_or_unstable_sins_is_critical() -> None:
    cases = {
        "SUSPECT grade=1b": Priority.HIGH,
        "SUSPECT grade=2": Priority.CRITICAL,
        "SUSPECT grade=3": Priority.CRITICAL,
        "SUSPECT grade=1a retro": Priority.CRITICAL,
        # junctional 3 + lytic 2 + subluxation 4 = 9 >= 7 whatever the pain: SINS min >= 7
        "SUSPECT grade=1a sins=location:junctional,lesion:lytic,alignment:subluxation": (
            Priority.CRITICAL
        ),
    }
    for text, priority in cases.items():
        state, out = step(None, report("r1", T0, text), T0)
        assert state.episodes[0].priority == priority, text
        [alert] = alerts(out, AlertType.MESCC_SUSPECTED)
        assert alert.priority == priority, text


def test_summary_carries_grade_levels_evidence_and_no_patient_id() -> None:
    _, out = step(None, report("r1", T0, "SUSPECT grade=3 levels=T11,T12"), DUE)
    breach = alerts(out, AlertType.TIMER_BREACHED)[0]
    for alert in alerts(out):
        assert PATIENT not in alert.summary
        assert len(alert.summary) <= 480
    assert "ESCC 3" in breach.summary
    assert "T11, T12" in breach.summary
    assert "Epidural tumour at T11,T12" in breach.summary
    assert "OVERDUE" in breach.summary


def test_assessment_and_diagnoses_recompute_the_scores() -> None:
    text = (
        "SUSPECT grade=2 sins=location:mobile,lesion:blastic,alignment:normal,"
        "collapse:none,posterolateral:none"
    )
    state, out = step(None, report("r1", T0, text), T0)
    first = [o for o in out if isinstance(o, ScoreComputed)]
    assert len(first) == 1
    assert first[0].score.result["sins"]["total"] is None  # pain unknown
    state, out = step(state, assessment("s1", T0 + H, pain="mechanical", ecog=1), T0 + H)
    [rescored] = [o for o in out if isinstance(o, ScoreComputed)]
    assert rescored.version == 2
    assert rescored.score.result["sins"]["total"] == 2 + 0 + 0 + 0 + 0 + 3
    dx = [{"code": "C61", "system": "ICD-10", "display": "prostate cancer"}]
    state, out = step(state, adt("d1", T0 + 2 * H, "update", diagnoses=dx), T0 + 2 * H)
    [again] = [o for o in out if isinstance(o, ScoreComputed)]
    assert rescored.score.result["radiosensitivity"] == "unknown"
    assert again.score.result["radiosensitivity"] != "unknown"


def test_alert_ids_are_stable_across_a_restart_from_stored_state() -> None:
    state, _ = step(None, report("r1", T0), T0)
    restored = PatientState.model_validate_json(state.model_dump_json())
    _, a = step(state, med("m0", T0 - H, admin_id="X", name="saline"), DUE)
    _, b = step(restored, med("m0", T0 - H, admin_id="X", name="saline"), DUE)
    assert [x.alert_id for x in a if isinstance(x, Alert)] == [
        x.alert_id for x in b if isinstance(x, Alert)
    ]


def test_an_event_for_another_patient_is_refused_without_naming_either() -> None:
    import pytest

    state, _ = step(None, report("r1", T0), T0)
    stranger = report("r2", T0).model_copy(update={"patient_id": "OTHER-MRN"})
    with pytest.raises(ValueError, match="different patients") as caught:
        step(state, stranger, T0)
    assert PATIENT not in str(caught.value)
    assert "OTHER-MRN" not in str(caught.value)
