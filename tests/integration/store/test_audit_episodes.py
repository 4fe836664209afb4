"""Per-episode intervals and the episode timeline, on both dialects, with no patient id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.outputs import DetectionRecorded, DetectionSnapshot
from services.audit.episodes import episode_intervals, episode_public
from services.store import Store
from tests.integration.store.dataset import SINCE, UNTIL, known_dataset

H = 3600


@pytest.fixture
def loaded(store: Store) -> Store:
    store.apply(changes=known_dataset())
    return store


def test_each_episode_has_its_four_intervals(loaded: Store) -> None:
    with loaded.engine.connect() as conn:
        rows = {r.episode_id: r for r in episode_intervals(conn, since=SINCE, until=UNTIL)}
    assert list(rows) == ["E5", "E1", "E6", "E2", "E3", "E4", "E7"]  # by suspicion time
    e1, e2, e5, e6 = rows["E1"], rows["E2"], rows["E5"], rows["E6"]
    assert (e1.steroids_s, e1.surgical_evaluation_s, e1.radiotherapy_s, e1.surgery_s) == (
        2 * H, 20 * H, 30 * H, None,
    )  # fmt: skip
    assert (e2.steroids_status, e2.steroids_s) == ("met_late", 30 * H)
    assert (e2.surgical_evaluation_status, e2.surgical_evaluation_s) == ("breached", None)
    assert e2.surgery_s == 48 * H
    # Lookback steroids count as 0; the entered-in-error radiotherapy at 5 h is ignored.
    assert (e5.steroids_s, e5.radiotherapy_s, e5.surgery_s) == (0, 20 * H, 40 * H)
    assert (e6.status, e6.steroids_status, e6.steroids_s) == ("ruled_out", "cancelled", None)


def test_facility_filter_and_limit(loaded: Store) -> None:
    with loaded.engine.connect() as conn:
        south = episode_intervals(conn, since=SINCE, until=UNTIL, facility="SOUTH")
        first_two = episode_intervals(conn, since=SINCE, until=UNTIL, limit=2)
    assert [r.episode_id for r in south] == ["E5", "E6"]
    assert [r.episode_id for r in first_two] == ["E5", "E1"]


def test_episode_timeline_carries_evidence_and_no_patient_id(loaded: Store) -> None:
    at = datetime(2026, 1, 3, 6, tzinfo=UTC)
    evidence = [{"field": "escc_grade", "rule": "bilsky", "sentence": "Grade 2 compression.",
                 "start": 10, "end": 30, "section": "impression"}]  # fmt: skip
    loaded.apply(changes=[DetectionRecorded(
        change_id="d1", patient_id="MRN-E5", facility="SOUTH", episode_id="E5", version=1, at=at,
        detection=DetectionSnapshot(
            detection_id="D1", accession="ACC-E5", report_status="final", event_id="ev",
            occurred_at=at, modality="MR", exam="MR spine",
            result={"suspected_mescc": True, "escc_grade": "2", "evidence": evidence},
        ),
    )])  # fmt: skip
    with loaded.engine.connect() as conn:
        detail = episode_public(conn, "E5")
        missing = episode_public(conn, "nope")
    assert missing is None
    assert detail is not None
    whats = [e.what for e in detail.timeline]
    # The report and the suspicion share 06:00; then the five procedures by time.
    assert whats == ["report", "suspected", *["care:procedure"] * 5]
    report = next(e for e in detail.timeline if e.what == "report")
    assert report.detail["evidence"] == evidence
    assert [e.at for e in detail.timeline] == sorted(e.at for e in detail.timeline)
    assert {t["kind"] for t in detail.timers} == {"steroids", "surgical_evaluation"}
    assert "MRN" not in detail.model_dump_json()
