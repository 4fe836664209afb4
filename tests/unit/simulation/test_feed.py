"""The simulated feed keeps the event contract, is reproducible, and tells realistic stories."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from models.events import INBOUND_TOPIC_EVENT_TYPES, REVIEWS_TOPIC, patient_event_adapter
from services.ingest import Accepted, Rejected, parse
from services.simulation import FeedConfig, FeedConfigError, ReportTruth, SimMessage, generate
from tests.unit.simulation.conftest import START, feed

_STEROIDS = ("dexamethasone", "methylprednisolone")


def _parse(message: SimMessage) -> Accepted | Rejected:
    return parse(
        topic=message.topic,
        key=message.key.encode("utf-8"),
        raw=message.value,
        received_at=message.publish_at,
    )


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_every_valid_message_is_accepted_by_ingest(big_feed: list[SimMessage]) -> None:
    valid = [m for m in big_feed if m.valid]
    refused = [(m.topic, _parse(m)) for m in valid if not isinstance(_parse(m), Accepted)]
    assert refused == []
    for message in valid:
        assert message.event is not None
        assert message.event["event_type"] in INBOUND_TOPIC_EVENT_TYPES[message.topic]
        assert message.key == message.event["patient_id"]
    # A hospital's feed: Cordwatch's own cordwatch.reviews carries the coordinator's verdicts.
    assert {m.topic for m in valid} == set(INBOUND_TOPIC_EVENT_TYPES) - {REVIEWS_TOPIC}


def test_every_invalid_message_is_refused(big_feed: list[SimMessage]) -> None:
    invalid = [m for m in big_feed if not m.valid]
    assert len({m.defect for m in invalid}) >= 5
    accepted = [m.defect for m in invalid if isinstance(_parse(m), Accepted)]
    assert accepted == []
    reasons = {_parse(m).reason_code.value for m in invalid}  # type: ignore[union-attr]
    assert {"not_json", "key_mismatch", "bad_timestamp", "missing_field"} <= reasons


@pytest.mark.parametrize("fraction", [0.0, 0.1])
def test_invalid_fraction_is_honoured(fraction: float) -> None:
    messages = feed(seed=5, patients=80, invalid_fraction=fraction)
    share = sum(not m.valid for m in messages) / len(messages)
    assert share == pytest.approx(fraction, abs=0.03)
    if fraction == 0.0:
        assert share == 0.0


def test_same_seed_same_feed_and_other_seeds_differ() -> None:
    first = feed(seed=21, patients=30, invalid_fraction=0.05)
    again = feed(seed=21, patients=30, invalid_fraction=0.05)
    other = feed(seed=22, patients=30, invalid_fraction=0.05)
    assert [m.kafka_line() for m in first] == [m.kafka_line() for m in again]
    assert [m.kafka_line() for m in first] != [m.kafka_line() for m in other]
    ids = {m.event["event_id"] for m in first if m.event}
    assert ids.isdisjoint(m.event["event_id"] for m in other if m.event)
    assert {m.key for m in first}.isdisjoint(m.key for m in other)


def test_event_ids_are_unique(big_feed: list[SimMessage]) -> None:
    ids = [m.event["event_id"] for m in big_feed if m.event is not None]
    assert len(ids) == len(set(ids))


def test_backdating_shifts_every_clinical_time() -> None:
    shift = timedelta(hours=30)
    now = feed(seed=8, patients=20)
    back = feed(seed=8, patients=20, start=START - shift)
    assert len(now) == len(back)
    timestamps = ("occurred_at", "performed_at", "motor_deficit_onset")
    for later, earlier in zip(now, back, strict=True):
        assert later.event is not None
        assert earlier.event is not None
        assert later.publish_at - earlier.publish_at == shift
        for name in timestamps:
            if name in later.event:
                assert _when(later.event[name]) - _when(earlier.event[name]) == shift
        untimed = set(later.event) - {"event_id", "diagnoses", *timestamps}
        assert {k: later.event[k] for k in untimed} == {k: earlier.event[k] for k in untimed}


def test_horizon_drops_what_has_not_happened_yet() -> None:
    horizon = START + timedelta(hours=20)
    messages = list(generate(FeedConfig(seed=4, start=START, patients=None, horizon=horizon)))
    assert messages
    assert max(m.publish_at for m in messages) <= horizon
    admitted = [m for m in messages if m.event and m.event["event_type"] == "admit"]
    assert all(_when(m.event["occurred_at"]) <= horizon for m in admitted)  # type: ignore[index]


def test_feed_is_in_publication_order_and_patients_interleave(big_feed: list[SimMessage]) -> None:
    times = [m.publish_at for m in big_feed]
    assert times == sorted(times)
    keys = [m.key for m in big_feed if m.valid]
    first = {key: keys.index(key) for key in set(keys)}
    last = {key: len(keys) - 1 - keys[::-1].index(key) for key in set(keys)}
    # A story is told over days while other patients come and go: stories overlap.
    interleaved = [k for k in first if len(set(keys[first[k] : last[k] + 1])) > 1]
    assert len(interleaved) > 0.9 * len(first)


def test_per_patient_order_is_clinically_sane(big_feed: list[SimMessage]) -> None:
    by_patient: dict[str, list[dict[str, object]]] = defaultdict(list)
    for message in big_feed:
        if message.event is not None:
            by_patient[message.key].append(message.event)
    for events in by_patient.values():
        assert events[0]["event_type"] == "admit"
        records: dict[str, list[str]] = defaultdict(list)
        for event in events:
            record = event.get("administration_id") or event.get("consult_id")
            record = record or event.get("accession") or event.get("procedure_id")
            if record:
                records[str(record)].append(str(event.get("status", event["event_type"])))
        for history in records.values():
            if "entered-in-error" in history:
                assert history.index("entered-in-error") > history.index("completed")
            if "consult_requested" in history:
                assert history[0] == "consult_requested"
            if "preliminary" in history:
                assert history[0] == "preliminary"
            if "amended" in history:
                assert history.index("amended") > history.index("final")


def _first_steroid_delays(messages: list[SimMessage]) -> dict[str, float | None]:
    """Per suspected patient: hours from the first suspicious report to the first kept dose."""
    suspected = _first_report_times(messages, lambda truth: truth.suspected_mescc)
    doses: dict[str, dict[str, tuple[datetime, str]]] = defaultdict(dict)
    for m in messages:
        name = str(m.event.get("medication", "")).lower() if m.event else ""
        if m.event and any(drug in name for drug in _STEROIDS):
            record = m.event["administration_id"]
            doses[m.key][record] = (_when(m.event["occurred_at"]), m.event["status"])
    delays: dict[str, float | None] = {}
    for patient, at in suspected.items():
        kept = sorted(t for t, status in doses[patient].values() if status == "completed")
        delays[patient] = (kept[0] - at).total_seconds() / 3600 if kept else None
    return delays


def _first_report_times(
    messages: list[SimMessage], which: Callable[[ReportTruth], bool]
) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for m in messages:
        if m.event is not None and m.report is not None and which(m.report):
            first.setdefault(m.key, _when(m.event["occurred_at"]))
    return first


def test_mix_has_prompt_late_and_never_given_steroids(big_feed: list[SimMessage]) -> None:
    delays = _first_steroid_delays(big_feed)
    prompt = [d for d in delays.values() if d is not None and d <= 24]
    late = [d for d in delays.values() if d is not None and d > 24]
    never = [d for d in delays.values() if d is None]
    assert len(prompt) > len(late) >= 5
    assert len(never) >= 5
    assert any(d < 0 for d in prompt), "an ED dose before the report (lookback) should occur"


def test_story_truth_matches_what_the_events_say(big_feed: list[SimMessage]) -> None:
    delays = _first_steroid_delays(big_feed)
    ruled_out = _first_report_times(big_feed, lambda truth: truth.category == "ruled_out")
    truths = {m.key: m.story for m in big_feed if m.valid}
    outcomes: Counter[str] = Counter()
    for patient, delay in delays.items():
        closed = ruled_out.get(patient)
        suspected = truths[patient].suspected_at
        assert suspected is not None
        closed_after = None if closed is None else (closed - suspected).total_seconds() / 3600
        if delay is not None and (closed_after is None or delay <= closed_after):
            expected = "met" if delay <= 24 else "met_late"
        elif closed_after is not None and closed_after < 24:
            expected = "cancelled"
        else:
            expected = "breached"
        assert truths[patient].steroids == expected, truths[patient].kind
        outcomes[expected] += 1
    assert set(outcomes) == {"met", "met_late", "breached", "cancelled"}


def test_mix_has_positives_negatives_rule_outs_and_closures(big_feed: list[SimMessage]) -> None:
    reports = [m.report for m in big_feed if m.report is not None]
    assert sum(r.suspected_mescc for r in reports) > 50
    assert sum(not r.suspected_mescc for r in reports) > 50
    grades = {r.escc_grade for r in reports if r.suspected_mescc}
    assert {"1a", "1b", "1c", "2", "3"} <= grades
    assert any(r.excludes_mescc for r in reports)
    kinds = Counter(m.story.kind for m in big_feed if m.event and m.event["event_type"] == "admit")
    assert len(kinds) == 9
    types = Counter(m.event["event_type"] for m in big_feed if m.event)
    for event_type in ("discharge", "death", "consult_cancelled", "consult_completed", "transfer"):
        assert types[event_type] > 0
    statuses = Counter(m.event["status"] for m in big_feed if m.event and "status" in m.event)
    for status in ("preliminary", "final", "amended", "entered-in-error", "not-done"):
        assert statuses[status] > 0
    procedures = {m.event["procedure"] for m in big_feed if m.event and "procedure" in m.event}
    assert {"radiotherapy_started", "decompressive_surgery", "separation_surgery"} <= procedures


def test_late_arrivals_include_a_dose_given_in_time_but_charted_after_the_deadline(
    big_feed: list[SimMessage],
) -> None:
    late = [
        m
        for m in big_feed
        if m.event and m.publish_at - _when(m.event["occurred_at"]) > timedelta(hours=1)
    ]
    assert len(late) >= 10
    retractions = [
        m
        for m in late
        if m.story.kind == "mescc_late_charting"
        and m.story.suspected_at is not None
        and "dexa" in str(m.event.get("medication", "")).lower()  # type: ignore[union-attr]
        and _when(m.event["occurred_at"]) <= m.story.suspected_at + timedelta(hours=24)  # type: ignore[index]
        and m.publish_at > m.story.suspected_at + timedelta(hours=24)
    ]
    assert retractions


def test_replay_lines_are_canonical_events_with_received_at(big_feed: list[SimMessage]) -> None:
    for message in big_feed[:400]:
        line = message.replay_line()
        if not message.valid:
            assert line is None
            continue
        assert line is not None
        document = json.loads(line)
        assert _when(document.pop("received_at")) == message.publish_at
        event = patient_event_adapter.validate_python(document)
        assert event.event_id == message.event["event_id"]  # type: ignore[index]


def test_configuration_errors_are_named() -> None:
    with pytest.raises(FeedConfigError):
        FeedConfig(seed=1, start=datetime(2026, 1, 1))
    with pytest.raises(FeedConfigError):
        FeedConfig(seed=1, start=START, invalid_fraction=1.0)
    with pytest.raises(FeedConfigError):
        FeedConfig(seed=1, start=START, mean_gap=timedelta(0))


def test_demo_mode_puts_every_deadline_in_the_window() -> None:
    window = timedelta(minutes=10)
    config = FeedConfig(seed=4, start=START, patients=40, due_within=window, horizon=START)
    messages = list(generate(config))
    stories = {m.story.patient_id: m.story for m in messages if m.valid}
    suspected = [s for s in stories.values() if s.suspected_at is not None]
    assert len(suspected) >= 15
    for story in suspected:
        assert START <= story.suspected_at + timedelta(hours=24) <= START + window  # type: ignore[operator]
    assert max(m.publish_at for m in messages) <= START
    assert [m.publish_at for m in messages] == sorted(m.publish_at for m in messages)
    with pytest.raises(FeedConfigError):
        FeedConfig(seed=4, start=START, patients=None, due_within=window)


def test_nothing_happens_after_discharge_or_death_and_rule_outs_come_last(
    big_feed: list[SimMessage],
) -> None:
    by_patient: dict[str, list[SimMessage]] = defaultdict(list)
    for message in big_feed:
        if message.valid:
            by_patient[message.key].append(message)
    ruled_out = 0
    for messages in by_patient.values():
        times = [_when(m.event["occurred_at"]) for m in messages]  # type: ignore[index]
        for message, at in zip(messages, times, strict=True):
            if message.event["event_type"] in {"discharge", "death"}:  # type: ignore[index]
                assert at == max(times)
        reports = [(at, m.report) for m, at in zip(messages, times, strict=True) if m.report]
        rule_outs = [at for at, truth in reports if truth.category == "ruled_out"]
        if rule_outs:
            ruled_out += 1
            positives = [at for at, truth in reports if truth.suspected_mescc]
            assert max(positives) < min(rule_outs)
    assert ruled_out >= 5
