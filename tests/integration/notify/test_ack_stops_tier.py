"""An acknowledgement by each path stops the next tier, end to end on the real broker: the
reducer's own critical pages and their tier-2 escalations are stored; the one-tap link, the API,
PagerDuty's webhook and `cordwatch ack` each acknowledge one patient's tier-2 page; the records
those paths put on cordwatch.alert-acks (read back from the broker, as bytes) are folded by the
pathway's reducer; at the tier-3 moment only the patient nobody acknowledged escalates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from models.events import PatientEvent, patient_event_adapter
from models.outputs import Alert, AlertType, Output
from models.state import PatientState
from services.alerts import acklink
from services.pathway import handle
from streams.notify.serve import ack_service
from tests.integration.notify import acks
from tests.unit.pathway.helpers import POLICY, fake_detect

pytestmark = [pytest.mark.broker, pytest.mark.slow]
M = timedelta(minutes=1)


def _event(patient: str, event_id: str, at: datetime, text: str, accession: str) -> PatientEvent:
    return patient_event_adapter.validate_python(
        {
            "event_id": event_id,
            "event_type": "imaging_report",
            "occurred_at": at.isoformat(),
            "patient_id": patient,
            "facility": "NORTH",
            "accession": accession,
            "status": "final",
            "modality": "MR",
            "exam": "MRI WHOLE SPINE",
            "text": text,
        }
    )


def _step(
    state: PatientState | None, event: PatientEvent, now: datetime
) -> tuple[PatientState, list[Alert]]:
    state, out = handle(state, event, now, policy=POLICY, detector=fake_detect)
    return state, [o for o in out if isinstance(o, Alert)]


def _escalations(out: list[Output] | list[Alert]) -> list[Alert]:
    return [a for a in out if isinstance(a, Alert) and a.alert_type == AlertType.ESCALATION]


async def test_an_acknowledgement_by_each_path_stops_the_next_tier(
    broker: str, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    t0 = datetime.now(UTC) - 20 * M  # tier 2 went out five minutes ago
    patients = [f"MRN-{run}-{n}" for n in range(5)]
    states: dict[str, PatientState] = {}
    pages: list[Alert] = []
    tier2: dict[str, Alert] = {}
    for p in patients:
        state, first = _step(None, _event(p, "r1", t0, "SUSPECT grade=2", "A1"), t0)
        state, up = _step(state, _event(p, "tick", t0, "NORMAL", "X1"), t0 + 15 * M)
        [page] = _escalations(up)
        assert page.tier == 2
        states[p], tier2[p] = state, page
        pages += [*first, page]
    db = acks.stored(tmp_path, pages)
    settings = acks.ack_settings(broker=broker, db=db)
    by_link, by_api, by_pd, by_cli, control = (tier2[p].alert_id for p in patients)
    token = acklink.sign(
        secret=acks.LINK.encode(),
        alert_id=by_link,
        receiver="night",
        now=datetime.now(UTC),
        valid=timedelta(hours=1),
    )
    registry = CollectorRegistry()
    async with (
        ack_service(settings, registry=registry) as port,
        aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http,
    ):
        async with http.post(f"/ack/{token}") as r:
            assert r.status == 200
        auth = {"Authorization": f"Bearer {acks.API}"}
        async with http.post(f"/api/alerts/{by_api}/ack", json={"by": "Dr Api"}, headers=auth) as r:
            assert r.status == 202
        body, sig = acks.pagerduty_acknowledged(by_pd)
        async with http.post(
            "/pagerduty/webhook", data=body, headers={"X-PagerDuty-Signature": sig}
        ) as r:
            assert r.status == 200
    # Time to acknowledge, once per path: each tier-2 page went out five minutes ago.
    for via in ("link", "api", "pagerduty"):
        labels = {"priority": "critical", "via": via}
        name = "cordwatch_page_time_to_acknowledge_seconds"
        assert registry.get_sample_value(f"{name}_count", labels) == 1
        assert 240 < (registry.get_sample_value(f"{name}_sum", labels) or 0) < 900
    done = await acks.cordwatch_ack(by_cli, by="Dr Cli", broker=broker, db=db)
    assert done.returncode == 0, done.stderr
    # What each path published, read back from the broker, folded by the reducer as the pathway
    # agent folds cordwatch.alert-acks.
    wanted = {by_link, by_api, by_pd, by_cli}
    read = await acks.read_acks(
        broker,
        group=f"t-{run}",
        key_of=lambda doc: doc["alert_id"] if doc["alert_id"] in wanted else None,
        count=len(wanted),
        within=90,
    )
    raw = {alert_id: value for alert_id, (_, value) in read.items()}
    assert set(raw) == wanted
    folded_at = datetime.now(UTC)
    for value in raw.values():
        event = patient_event_adapter.validate_json(value)
        states[event.patient_id], _ = _step(states[event.patient_id], event, folded_at)
    tier3_at = t0 + 45 * M
    escalated = {}
    for p in patients:
        _, out = _step(states[p], _event(p, "tick2", t0, "NORMAL", "X2"), tier3_at)
        escalated[p] = [(a.tier, a.escalates_alert_id) for a in _escalations(out)]
        stopped = {w.key: w.stopped for w in states[p].episodes[0].watches}
        assert stopped["page:mescc_suspected"] == (None if p == patients[4] else "acknowledged")
    # The control, acknowledged by nobody, goes to tier 3; the four acknowledged ones stop.
    assert escalated == {
        **{p: [] for p in patients[:4]},
        patients[4]: [(3, control)],
    }
