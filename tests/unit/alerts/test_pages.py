"""The page a receiver gets, its delivery id, and the one-tap link's signature, expiry, scope."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from models.outputs import AlertType, TimerKind
from models.pages import Page
from models.routing import RoutingConfig
from services.alerts import acklink
from services.alerts.grouping import Message
from services.alerts.pages import build_page, delivery_id
from services.alerts.routing import Receiver, receivers
from tests.unit.alerts.conftest import alert

NOW = datetime.fromisoformat("2026-12-22T03:00:05+00:00")
SECRET = b"k" * 32
HOUR = timedelta(hours=1)


def night_receiver(config: RoutingConfig, tier: int = 1) -> Receiver:
    return receivers(config, config.routes[0], facility="NORTH", tier=tier, at=NOW)[0]


def test_delivery_ids_are_stable_per_alert_receiver_and_tier() -> None:
    a = delivery_id(alert_id="a1", receiver_id="night/email/0", tier=1)
    assert a == delivery_id(alert_id="a1", receiver_id="night/email/0", tier=1)
    others = {
        delivery_id(alert_id="a2", receiver_id="night/email/0", tier=1),
        delivery_id(alert_id="a1", receiver_id="night/webhook/1", tier=1),
        delivery_id(alert_id="a1", receiver_id="night/email/0", tier=2),
        delivery_id(alert_id="a1", receiver_id="night/email/0", tier=1, fallback=True),
    }
    assert a not in others
    assert len(others) == 4


def test_a_page_has_links_and_no_patient_identity(config: RoutingConfig) -> None:
    page_alert = alert(
        AlertType.TIMER_BREACHED,
        timer=TimerKind.STEROIDS,
        patient_id="MRN-778899",
        alert_id="a-breach",
    )
    page = build_page(
        Message("k", (page_alert,)),
        night_receiver(config),
        public_url="https://cw.example/",
        link_secret=SECRET,
        link_valid=HOUR,
        now=NOW,
    )
    body = page.model_dump_json()
    assert "MRN-778899" not in body
    assert "Night Doctor" not in body  # the receiver is named by key only
    assert page.receiver == "night"
    assert page.episode_url == "https://cw.example/episodes/ep-1"
    token = page.ack_url.removeprefix("https://cw.example/ack/")
    claim = acklink.verify(secret=SECRET, token=token, now=NOW)
    assert (claim.alert_id, claim.receiver) == ("a-breach", "night")
    assert Page.model_validate(json.loads(body)) == page


def test_a_grouped_page_leads_with_the_most_urgent(config: RoutingConfig) -> None:
    from models.outputs import Priority

    warn = alert(
        AlertType.TIMER_WARNING, timer=TimerKind.STEROIDS, priority=Priority.HIGH, alert_id="w"
    )
    suspected = alert(AlertType.MESCC_SUSPECTED, alert_id="s", at=NOW)
    page = build_page(
        Message("k", (warn, suspected)),
        night_receiver(config),
        public_url="https://cw.example",
        link_secret=SECRET,
        link_valid=HOUR,
        now=NOW,
    )
    assert page.alert_id == "s"
    assert [a.alert_id for a in page.alerts] == ["s", "w"]
    assert page.summary.endswith("(+1 more for this patient)")
    assert page.alerts[0].ack_url != page.alerts[1].ack_url


def test_ack_link_expiry_forgery_and_scope() -> None:
    token = acklink.sign(secret=SECRET, alert_id="a1", receiver="night", now=NOW, valid=HOUR)
    assert acklink.verify(secret=SECRET, token=token, now=NOW + HOUR - timedelta(seconds=1))
    with pytest.raises(acklink.AckLinkError, match="link expired"):
        acklink.verify(secret=SECRET, token=token, now=NOW + HOUR)
    with pytest.raises(acklink.AckLinkError, match="signature does not match"):
        acklink.verify(secret=b"x" * 32, token=token, now=NOW)
    # Editing the body to name another alert breaks the signature: a link is for its alert only.
    _body, mac = token.split(".")
    other = acklink.sign(secret=SECRET, alert_id="a2", receiver="night", now=NOW, valid=HOUR)
    with pytest.raises(acklink.AckLinkError, match="signature does not match"):
        acklink.verify(secret=SECRET, token=f"{other.split('.')[0]}.{mac}", now=NOW)
    for junk in ("", "abc", "a.b.c", "!!!.???"):
        with pytest.raises(acklink.AckLinkError):
            acklink.verify(secret=SECRET, token=junk, now=NOW)
    with pytest.raises(acklink.AckLinkError):
        acklink.sign(secret=SECRET, alert_id="a\n1", receiver="night", now=NOW, valid=HOUR)
