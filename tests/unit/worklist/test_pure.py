"""The worklist's pure parts: countdown wording, evidence sentences, care events, throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.events import ConsultEvent, MedicationAdministration
from services.identity.throttle import SignInThrottle
from services.worklist.care import CONSULT_TOPIC, MEDICATION_TOPIC, CareError, care_event
from services.worklist.page import countdown_text
from services.worklist.queries import evidence_sentences

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due", "text"),
    [
        (NOW + timedelta(hours=3, minutes=5, seconds=59), "3 h 05 min left"),
        (NOW + timedelta(minutes=7), "7 min left"),
        (NOW, "0 min left"),
        (NOW - timedelta(hours=1, minutes=2), "overdue by 1 h 02 min"),
    ],
)
def test_countdown_text(due: datetime, text: str) -> None:
    assert countdown_text(due, NOW) == text


def test_evidence_is_one_entry_per_sentence_in_report_order_with_its_fields() -> None:
    evidence = [
        {"field": "levels", "sentence": "B at T7.", "start": 50, "section": "impression"},
        {"field": "escc_grade", "sentence": "A at T7.", "start": 10, "section": "findings"},
        {"field": "suspected_mescc", "sentence": "B at T7.", "start": 40, "section": "impression"},
        {"field": "levels", "sentence": "", "start": 5},
        {"field": "levels"},
    ]
    found = evidence_sentences(evidence)
    assert [(e.sentence, e.section, e.fields) for e in found] == [
        ("A at T7.", "findings", ("escc_grade",)),
        ("B at T7.", "impression", ("levels", "suspected_mescc")),
    ]
    assert evidence_sentences(None) == ()


def test_care_events_are_the_canonical_events_of_their_topics() -> None:
    at = NOW - timedelta(hours=2)
    drug = care_event(what="steroids:dexamethasone", occurred_at=at, patient_id="P1",
                      facility="NORTH", now=NOW)  # fmt: skip
    assert drug.topic == MEDICATION_TOPIC
    assert isinstance(drug.event, MedicationAdministration)
    assert (drug.event.medication, drug.event.status, drug.event.occurred_at) == (
        "dexamethasone", "completed", at)  # fmt: skip
    consult = care_event(what="surgical:spine surgery", occurred_at=at, patient_id="P1",
                         facility=None, now=NOW)  # fmt: skip
    assert consult.topic == CONSULT_TOPIC
    assert isinstance(consult.event, ConsultEvent)
    assert (consult.event.event_type, consult.event.service) == ("consult_completed",
                                                                 "spine surgery")  # fmt: skip
    again = care_event(what="steroids:dexamethasone", occurred_at=at, patient_id="P1",
                       facility=None, now=NOW)  # fmt: skip
    assert again.event.event_id != drug.event.event_id  # each recording is its own record


@pytest.mark.parametrize(
    ("what", "at", "message"),
    [
        ("steroids:aspirin", NOW, "what"),
        ("surgical:physiotherapy", NOW, "what"),
        ("steroids:dexamethasone", NOW + timedelta(minutes=1), "future"),
        ("steroids:dexamethasone", NOW - timedelta(days=8), "7 days"),
        ("steroids:dexamethasone", datetime(2026, 12, 7, 11), "time zone"),
    ],
)
def test_care_refuses_what_the_form_cannot_mean(what: str, at: datetime, message: str) -> None:
    with pytest.raises(CareError, match=message):
        care_event(what=what, occurred_at=at, patient_id="P1", facility=None, now=NOW)


def test_five_failures_lock_a_name_for_the_window_and_a_success_clears_it() -> None:
    throttle = SignInThrottle()
    for i in range(4):
        throttle.failed("a", now=NOW + timedelta(minutes=i))
    assert not throttle.locked("a", now=NOW + timedelta(minutes=4))
    throttle.failed("a", now=NOW + timedelta(minutes=4))
    assert throttle.locked("a", now=NOW + timedelta(minutes=5))
    assert not throttle.locked("b", now=NOW + timedelta(minutes=5))
    assert not throttle.locked("a", now=NOW + timedelta(minutes=15, seconds=1))
    throttle.failed("c", now=NOW)
    throttle.succeeded("c")
    assert not throttle.locked("c", now=NOW)
