"""The demo's paging parts: its routing file and policy are valid, and its two local receivers
(a real webhook server and a real SMTP server on loopback) print one receipt per delivery."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import aiosmtplib
import pytest

from services.alerts.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from services.alerts.routefile import parse_routing
from services.policy import DEFAULT_POLICY_PATH, load_policy
from streams.demo.console import Console
from streams.demo.paging import DemoPaging, demo_policy, routing


def test_the_demo_routing_file_and_policy_are_valid(tmp_path: Path) -> None:
    config = parse_routing(routing("http://127.0.0.1:9/pages"))
    assert [r.tiers for r in config.routes] == [("registrar", "consultant", "consultant")]
    policy = load_policy(demo_policy(DEFAULT_POLICY_PATH, tmp_path / "p.yaml"))
    assert policy.paging.tier_delays_minutes == (0.5, 0.5)
    assert policy.timers == load_policy(DEFAULT_POLICY_PATH).timers  # clinical windows kept


async def test_each_delivery_prints_a_receipt_without_the_patient(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paging = DemoPaging(console=Console(colour=False), host="127.0.0.1")
    await paging.start(data_dir=tmp_path, notify_port=1)
    try:
        at = datetime.now(UTC).isoformat()
        page = {
            "alert_id": "a1", "alert_type": "timer_breached", "priority": "high", "tier": 1,
            "facility": "NORTH", "receiver": "spinal-oncall", "ack_url": "http://x/ack/t",
            "alerts": [{"at": at, "escalates_alert_id": None}],
        }  # fmt: skip
        body = json.dumps(page).encode()
        stamp = int(datetime.now(UTC).timestamp())
        headers = {
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: signature(paging.secret.encode(), timestamp=stamp, body=body),
        }
        url = f"http://127.0.0.1:{paging.webhook_port}/pages"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=body, headers=headers) as r:
                assert r.status == 202
            async with http.post(url, data=body, headers={TIMESTAMP_HEADER: str(stamp)}) as r:
                assert r.status == 401  # unsigned: refused
        mail = EmailMessage()
        mail["Subject"] = "[Cordwatch HIGH] timer_breached steroids NORTH (tier 1)"
        mail["From"], mail["To"] = "cw@demo.invalid", "spinal-oncall@demo.invalid"
        mail["X-Cordwatch-Alert"], mail["X-Cordwatch-Raised"] = "a1", at
        mail.set_content("written for the test")
        await aiosmtplib.send(mail, hostname="127.0.0.1", port=paging.smtp_port, start_tls=False)
    finally:
        await paging.stop()
    out = capsys.readouterr().out
    assert "delivered by webhook to On-call spinal registrar (NORTH), timer_breached, tier 1" in out
    assert "delivered by email to On-call spinal registrar (NORTH), timer_breached, tier 1" in out
    assert "bad signature" in out
    assert (paging.pages, paging.emails) == (1, 1)
