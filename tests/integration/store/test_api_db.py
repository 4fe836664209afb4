"""The HTTP API over the worked dataset, on SQLite and PostgreSQL: the answers, through HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from models.outputs import (
    Alert,
    AlertType,
    DetectionRecorded,
    DetectionSnapshot,
    Priority,
    ScoreComputed,
    ScoreSnapshot,
    TimerKind,
)
from models.tables import AlertRow
from services.audit.episodes import episode_intervals
from services.store import Store
from streams.cli import main
from tests.integration.store.dataset import AS_OF, EXPECTED_MONTH, SINCE, UNTIL, known_dataset
from tests.streams.api_client import AUTH, api_client, get

H = 3600
RANGE = "since=2026-01-01&until=2026-03-01T00:00:00Z"
E5_AT = datetime(2026, 1, 3, 6, tzinfo=UTC)
EVIDENCE = [{"field": "escc_grade", "rule": "bilsky_grade_stated",
             "sentence": "Grade 2 epidural compression at T7.", "start": 10, "end": 45,
             "section": "impression"}]  # fmt: skip
ACKED_AT = datetime(2026, 1, 3, 6, 20, tzinfo=UTC)


@pytest.fixture
def loaded(store: Store) -> Store:
    """The worked dataset plus, for E5, a report with evidence, a score and an acked alert."""
    store.apply(
        changes=[
            *known_dataset(),
            DetectionRecorded(
                change_id="d1", patient_id="MRN-E5", facility="SOUTH", episode_id="E5",
                version=1, at=E5_AT,
                detection=DetectionSnapshot(
                    detection_id="D1", accession="ACC-E5", report_status="final", event_id="ev1",
                    occurred_at=E5_AT, modality="MR", exam="MR whole spine",
                    result={"suspected_mescc": True, "escc_grade": "2", "evidence": EVIDENCE},
                ),
            ),
            ScoreComputed(
                change_id="s1", patient_id="MRN-E5", facility="SOUTH", episode_id="E5",
                version=1, at=E5_AT,
                score=ScoreSnapshot(score_id="S1", computed_at=E5_AT,
                                    result={"sins": {"total": 9}}),
            ),
        ],
        alerts=[
            Alert(
                alert_id="A1", alert_type=AlertType.MESCC_SUSPECTED, priority=Priority.HIGH,
                episode_id="E5", patient_id="MRN-E5", facility="SOUTH",
                timer=TimerKind.STEROIDS, due=None, at=E5_AT,
                summary="Suspected MESCC, ESCC grade 2 at T7",
            )
        ],
    )  # fmt: skip
    table = AlertRow.__table__  # type: ignore[attr-defined]
    with store.engine.begin() as conn:  # what the notify side records on an acknowledgement
        conn.execute(
            update(table)
            .where(table.c.alert_id == "A1")
            .values(delivery_status="delivered", delivery_attempts=1, acknowledged_at=ACKED_AT,
                    acknowledged_by="dr.oncall")
        )  # fmt: skip
    return store


async def test_audit_equals_the_cli_json(
    loaded: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--database-url", db_url, "--since", "2026-01-01", "--until",
                 "2026-03-01T00:00:00Z", "--format", "json"]) == 0  # fmt: skip
    cli = json.loads(capsys.readouterr().out)
    async with api_client(engine=loaded.engine, now=AS_OF) as client:
        reply = await get(client, f"/api/audit?{RANGE}", AUTH)
        south = await get(client, f"/api/audit?{RANGE}&facility=SOUTH&by=week", AUTH)
    assert reply.status == 200
    assert reply.body == cli
    rows = {(r["period"], r["facility"], r["measure"]): r for r in reply.body["rows"]}
    for key, expected in EXPECTED_MONTH.items():
        r = rows[key]
        assert (r["episodes"], r["n"], r["median_h"], r["p90_h"], r["on_time"], r["decided"],
                r["breaches"], r["retracted"], r["open"]) == expected  # fmt: skip
    assert reply.body["breaches_total"] == 3
    assert {r["facility"] for r in south.body["rows"]} == {"SOUTH", "(all)"}
    assert {r["period"] for r in south.body["rows"]} == {"2025-12-29", "2026-01-05"}
    assert "MRN" not in json.dumps(reply.body)


async def test_episode_list_pages_filters_and_carries_no_patient_id(loaded: Store) -> None:
    async with api_client(engine=loaded.engine, now=AS_OF) as client:
        everything = await get(client, f"/api/episodes?{RANGE}", AUTH)
        page2 = await get(client, f"/api/episodes?{RANGE}&limit=2&offset=2", AUTH)
        south = await get(client, f"/api/episodes?{RANGE}&facility=SOUTH", AUTH)
        ruled_out = await get(client, f"/api/episodes?{RANGE}&status=ruled_out", AUTH)
        beyond = await get(client, f"/api/episodes?{RANGE}&offset=50", AUTH)
        default_range = await get(client, "/api/episodes", AUTH)
    assert everything.status == 200
    ids = [e["episode_id"] for e in everything.body["episodes"]]
    assert ids == ["E5", "E1", "E6", "E2", "E3", "E4", "E7"]  # by suspicion; X1, X2 out of range
    assert everything.body["total"] == 7
    assert ([e["episode_id"] for e in page2.body["episodes"]], page2.body["total"]) == (
        ["E6", "E2"], 7,
    )  # fmt: skip
    assert [e["episode_id"] for e in south.body["episodes"]] == ["E5", "E6"]
    assert [e["episode_id"] for e in ruled_out.body["episodes"]] == ["E6"]
    assert (beyond.body["episodes"], beyond.body["total"]) == ([], 7)
    # Up to now (1 March) over the last 365 days: X1 (31 Dec 2025) included, X2 (1 March) not.
    assert default_range.body["total"] == 8
    by_id = {e["episode_id"]: e for e in everything.body["episodes"]}
    e1, e2, e5 = by_id["E1"], by_id["E2"], by_id["E5"]
    assert (e1["steroids_s"], e1["surgical_evaluation_s"], e1["radiotherapy_s"],
            e1["surgery_s"]) == (2 * H, 20 * H, 30 * H, None)  # fmt: skip
    assert (e2["surgical_evaluation_status"], e2["surgical_evaluation_s"]) == ("breached", None)
    assert (e5["steroids_s"], e5["radiotherapy_s"], e5["surgery_s"]) == (0, 20 * H, 40 * H)
    assert e5["suspected_at"] == "2026-01-03T06:00:00+00:00"
    body = json.dumps([everything.body, page2.body, south.body, ruled_out.body])
    assert "MRN" not in body
    assert "patient" not in body


async def test_episode_list_agrees_with_the_cli_intervals(loaded: Store) -> None:
    with loaded.engine.connect() as conn:
        cli = episode_intervals(conn, since=SINCE, until=UNTIL)
    async with api_client(engine=loaded.engine, now=AS_OF) as client:
        reply = await get(client, f"/api/episodes?{RANGE}", AUTH)
    fields = ("episode_id", "status", "steroids_status", "steroids_s",
              "surgical_evaluation_status", "surgical_evaluation_s", "radiotherapy_s",
              "surgery_s")  # fmt: skip
    api_rows = [tuple(e[f] for f in fields) for e in reply.body["episodes"]]
    assert api_rows == [tuple(getattr(r, f) for f in fields) for r in cli]


async def test_episode_detail_has_the_timeline_evidence_acks_and_the_patient_id(
    loaded: Store,
) -> None:
    async with api_client(engine=loaded.engine, now=AS_OF) as client:
        reply = await get(client, "/api/episodes/E5", AUTH)
        missing = await get(client, "/api/episodes/NOPE", AUTH)
        too_long = await get(client, "/api/episodes/" + "x" * 200, AUTH)
    assert (missing.status, missing.body) == (404, {"error": "no such episode"})
    assert too_long.status == 404
    assert reply.status == 200
    d: dict[str, Any] = reply.body
    assert (d["episode_id"], d["patient_id"], d["facility"], d["status"]) == (
        "E5", "MRN-E5", "SOUTH", "open",
    )  # fmt: skip
    assert {t["kind"]: t["status"] for t in d["timers"]} == {
        "steroids": "met", "surgical_evaluation": "met",
    }  # fmt: skip
    assert d["detections"][0]["evidence"] == EVIDENCE
    assert d["scores"] == [{"score_id": "S1", "computed_at": "2026-01-03T06:00:00+00:00",
                            "result": {"sins": {"total": 9}}}]  # fmt: skip
    (alert,) = d["alerts"]
    assert (alert["acknowledged_by"], alert["acknowledged_at"], alert["delivery_status"]) == (
        "dr.oncall", "2026-01-03T06:20:00+00:00", "delivered",
    )  # fmt: skip
    # By time: 5 h (entered in error, listed as recorded), 12, 20, 40, 50 h.
    assert [c["record_id"] for c in d["care_events"]] == ["P5a", "P5e", "P5b", "P5d", "P5c"]
    timeline = [(e["at"], e["what"], e["ref"]) for e in d["timeline"]]
    assert timeline == sorted(timeline, key=lambda e: (e[0], e[1]))
    whats = [e[1] for e in timeline]
    # Steroids met 3 h before suspicion (lookback) come first; then the 06:00 facts.
    assert whats[:6] == ["met:steroids", "alert:mescc_suspected", "report", "scores",
                         "suspected", "acknowledged"]  # fmt: skip
    assert whats.count("care:procedure") == 5
    assert ("2026-01-04T06:00:00+00:00", "due:steroids", "E5-steroids") in timeline


async def test_a_stored_record_that_does_not_fit_is_a_500_without_its_content(
    loaded: Store,
) -> None:
    from models.tables import DetectionRow

    table = DetectionRow.__table__  # type: ignore[attr-defined]
    with loaded.engine.begin() as conn:  # evidence without its rule: not the detector's shape
        conn.execute(
            update(table).values(evidence=[{"field": "escc_grade", "sentence": "MRN-E5 secret"}])
        )
    async with api_client(engine=loaded.engine, now=AS_OF) as client:
        reply = await get(client, "/api/episodes/E5", AUTH)
        others = await get(client, "/api/episodes/E1", AUTH)
    assert reply.status == 500
    assert "secret" not in json.dumps(reply.body)
    assert others.status == 200  # one bad record does not take the API down
