"""Every acknowledgement path, on the real broker and a migrated store: the one-tap link (GET
shows, POST acknowledges), the API, PagerDuty's webhook and `cordwatch ack`. Each reaches
cordwatch.alert-acks keyed by the patient and is stored on the alert row."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from models.outputs import Alert, AlertType, Priority
from services.alerts import acklink
from services.store import make_engine
from streams.notify.serve import ack_service
from tests.integration.notify import acks

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def stored_alert(run: str, n: int) -> Alert:
    return Alert(
        alert_id=f"{run}-{n}",
        alert_type=AlertType.TIMER_BREACHED,
        priority=Priority.CRITICAL,
        episode_id=f"ep-{run}-{n}",
        patient_id=f"MRN-{run}-{n}",
        facility="NORTH",
        at=datetime.now(UTC),
        summary="OVERDUE: steroids not recorded by 03:00Z",
    )


def acked(db: str, alert_id: str) -> tuple[str | None, object]:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            row = conn.exec_driver_sql(
                "select acknowledged_by, acknowledged_at from alerts where alert_id = ?",
                (alert_id,),
            ).one()
    finally:
        engine.dispose()
    return row[0], row[1]


async def test_each_path_publishes_and_stores_the_acknowledgement(
    broker: str, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    alerts = [stored_alert(run, n) for n in range(5)]
    db = acks.stored(tmp_path, alerts)
    settings = acks.ack_settings(broker=broker, db=db)
    now = datetime.now(UTC)

    def link(alert_id: str, *, valid: timedelta = timedelta(hours=1)) -> str:
        token = acklink.sign(
            secret=acks.LINK.encode(), alert_id=alert_id, receiver="night", now=now, valid=valid
        )
        return f"/ack/{token}"

    async with (
        ack_service(settings, registry=CollectorRegistry()) as port,
        aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http,
    ):
        # One-tap link: a GET shows and never acknowledges; the POST does.
        async with http.get(link(alerts[0].alert_id)) as r:
            page = await r.text()
            assert r.status == 200
        assert "OVERDUE: steroids" in page
        assert "<button" in page
        assert alerts[0].patient_id not in page
        assert acked(db, alerts[0].alert_id)[0] is None
        async with http.post(link(alerts[0].alert_id)) as r:
            assert r.status == 200
        assert acked(db, alerts[0].alert_id)[0] == "night"
        async with http.post(link(alerts[1].alert_id, valid=timedelta(seconds=-1))) as r:
            assert r.status == 403
            assert "link expired" in await r.text()
        forged = link(alerts[1].alert_id)[:-3] + "AAA"
        async with http.post(forged) as r:
            assert r.status == 403
        # The API: bearer token and who.
        url = f"/api/alerts/{alerts[1].alert_id}/ack"
        async with http.post(url, json={"by": "Dr Api"}) as r:
            assert r.status == 401
        auth = {"Authorization": f"Bearer {acks.API}"}
        async with http.post(url, json={"by": "Dr Api"}, headers=auth) as r:
            assert r.status == 202
            assert (await r.json())["first"] is True
        async with http.post(url, json={"by": "Dr Late"}, headers=auth) as r:
            assert (await r.json())["first"] is False  # the first acknowledgement stays
        async with http.post("/api/alerts/nope/ack", json={"by": "x"}, headers=auth) as r:
            assert r.status == 404
        # PagerDuty's V3 webhook.
        body, sig = acks.pagerduty_acknowledged(alerts[2].alert_id)
        async with http.post(
            "/pagerduty/webhook", data=body, headers={"X-PagerDuty-Signature": "v1=00"}
        ) as r:
            assert r.status == 401
        async with http.post(
            "/pagerduty/webhook", data=body, headers={"X-PagerDuty-Signature": f"v0=x, {sig}"}
        ) as r:
            assert r.status == 200
        # Silences by API: stored with who and why, ended by someone, audited.
        doc = {
            "scope": "episode",
            "target": "ep-quiet",
            "reason": "comfort care",
            "by": "Dr S",
            "minutes": 240,
        }
        async with http.post("/api/silences", json=doc) as r:
            assert r.status == 401
        async with http.post("/api/silences", json=doc, headers=auth) as r:
            assert r.status == 201
            silence_id = (await r.json())["silence_id"]
        async with http.post("/api/silences", json={**doc, "scope": "ward"}, headers=auth) as r:
            assert r.status == 400
        end = f"/api/silences/{silence_id}/end"
        async with http.post(end, json={"by": "Dr T"}, headers=auth) as r:
            assert r.status == 200
        async with http.post(end, json={"by": "Dr T"}, headers=auth) as r:
            assert r.status == 404
    engine = make_engine(db)
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "select target, reason, author, ended_by from silences where silence_id = ?",
            (silence_id,),
        ).one()
    engine.dispose()
    assert tuple(row) == ("ep-quiet", "comfort care", "Dr S", "Dr T")
    # The command line, as an operator runs it.
    done = await acks.cordwatch_ack(alerts[3].alert_id, by="Dr Cli", broker=broker, db=db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith(f"{alerts[3].alert_id} acknowledged by Dr Cli")
    missing = await acks.cordwatch_ack("no-such-alert", by="x", broker=broker, db=db)
    assert missing.returncode == 1
    assert [acked(db, a.alert_id)[0] for a in alerts] == [
        "night",
        "Dr Api",
        "Dr Pager",
        "Dr Cli",
        None,
    ]
    # Every path went through cordwatch.alert-acks, keyed by the patient, for the pathway.
    read = await acks.read_acks(
        broker,
        group=f"t-{run}",
        key_of=lambda doc: (
            f"{doc['alert_id']}|{doc['acknowledged_by']}"
            if str(doc["alert_id"]).startswith(run)
            else None
        ),
        count=5,
        within=60,
    )
    seen = {k: (key, json.loads(value)) for k, (key, value) in read.items()}
    assert {k.split("|")[1] for k in seen} == {"night", "Dr Api", "Dr Late", "Dr Pager", "Dr Cli"}
    for key, doc in seen.values():
        assert key == str(doc["patient_id"]).encode()
        assert doc["event_type"] == "alert_acknowledged"
    sources = {str(doc["source"]) for _, doc in seen.values()}
    assert sources == {"cordwatch-link", "cordwatch-api", "cordwatch-pagerduty", "cordwatch-cli"}
