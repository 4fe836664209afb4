"""Each channel against a real server on loopback: aiohttp webhook, aiosmtpd with STARTTLS,
and a local server speaking PagerDuty's Events API v2 request/response shape."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import aiohttp
import pytest
import pytest_asyncio

from models.outputs import AlertType, TimerKind
from models.pages import Page
from models.schema_export import SCHEMA_DIR
from services.alerts.channels import DeliveryError
from services.alerts.channels.email import EmailSender
from services.alerts.channels.pagerduty import PagerDutySender, resolves
from services.alerts.channels.webhook import WebhookSender
from services.alerts.grouping import Message
from services.alerts.pages import build_page
from services.alerts.routefile import parse_routing
from services.alerts.routing import receivers
from tests.integration.notify.servers import (
    Mailbox,
    PagerDutyReceiver,
    WebhookReceiver,
    free_port,
    serve,
    smtp_server,
)
from tests.unit.alerts.conftest import alert, base

NOW = datetime.fromisoformat("2026-12-22T03:00:05+00:00")
SECRET = b"w" * 32
ROUTING_KEY = "R" * 32


def make_page(alert_id: str = "a-breach", patient_id: str = "MRN-4242") -> Page:
    config = parse_routing(base())
    receiver = receivers(config, config.routes[0], facility="NORTH", tier=1, at=NOW)[0]
    breach = alert(
        AlertType.TIMER_BREACHED, timer=TimerKind.STEROIDS, alert_id=alert_id, patient_id=patient_id
    )
    return build_page(
        Message("k", (breach,)),
        receiver,
        public_url="https://cw.example",
        link_secret=b"l" * 32,
        link_valid=timedelta(hours=1),
        now=NOW,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_webhook_is_signed_keyed_and_matches_the_published_schema(
    session: aiohttp.ClientSession,
) -> None:
    receiver = WebhookReceiver(secret=SECRET)
    async with serve({"/pages": receiver.handle}) as url:
        sender = WebhookSender(session=session, secret=SECRET)
        page = make_page()
        receipt = await sender.send(page, target=f"{url}/pages")
        assert receipt.status == "202"
        await sender.send(page, target=f"{url}/pages")  # a retry after a lost reply
    assert receiver.bad_signatures == 0
    assert receiver.repeats == 1  # the idempotency key let the receiver drop it
    assert len(receiver.pages) == 1
    (got,) = receiver.pages
    assert got["delivery_id"] == page.delivery_id
    assert "MRN-4242" not in json.dumps(got)
    schema = json.loads((SCHEMA_DIR / "page.schema.json").read_text(encoding="utf-8"))
    assert set(got) <= set(schema["properties"])
    assert set(schema["required"]) <= set(got)


async def test_webhook_wrong_secret_and_failures_say_whether_to_retry(
    session: aiohttp.ClientSession,
) -> None:
    receiver = WebhookReceiver(secret=SECRET, fail_next=1)
    async with serve({"/pages": receiver.handle}) as url:
        with pytest.raises(DeliveryError) as down:
            await WebhookSender(session=session, secret=SECRET).send(
                make_page(), target=f"{url}/pages"
            )
        assert (down.value.reason, down.value.retryable) == ("http_503", True)
        with pytest.raises(DeliveryError) as forged:
            await WebhookSender(session=session, secret=b"x" * 32).send(
                make_page(), target=f"{url}/pages"
            )
        assert (forged.value.reason, forged.value.retryable) == ("http_401", False)
    assert receiver.bad_signatures == 1
    with pytest.raises(DeliveryError) as refused:
        await WebhookSender(session=session, secret=SECRET).send(
            make_page(), target=f"http://127.0.0.1:{free_port()}/pages"
        )
    assert refused.value.retryable
    assert refused.value.reason == "ClientConnectorError"


async def test_email_goes_over_starttls_with_a_delivery_message_id() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as (port, client_tls):
        sender = EmailSender(
            host="127.0.0.1", port=port, sender="cordwatch@north.example", tls_context=client_tls
        )
        page = make_page()
        receipt = await sender.send(page, target="night@north.example")
    assert receipt.status == "250"
    assert mailbox.tls_seen == [True]
    assert mailbox.recipients == [["night@north.example"]]
    (msg,) = mailbox.messages
    assert msg["Message-ID"] == f"<{page.delivery_id}@cordwatch>"
    assert msg["Subject"] == "[Cordwatch CRITICAL] timer_breached steroids NORTH (tier 1)"
    text = msg.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert page.ack_url in text
    assert page.episode_url in text
    assert "MRN-4242" not in msg.as_string()


async def test_email_refusals_and_an_untrusted_certificate() -> None:
    mailbox = Mailbox(refuse="451 4.3.0 try again later")
    with smtp_server(mailbox) as (port, client_tls):
        sender = EmailSender(
            host="127.0.0.1", port=port, sender="cw@north.example", tls_context=client_tls
        )
        with pytest.raises(DeliveryError) as later:
            await sender.send(make_page(), target="night@north.example")
        assert (later.value.reason, later.value.retryable) == ("smtp_451", True)
        mailbox.refuse = "554 5.7.1 rejected"
        with pytest.raises(DeliveryError) as final:
            await sender.send(make_page(), target="night@north.example")
        assert (final.value.reason, final.value.retryable) == ("smtp_554", False)
        # The system trust store does not know the throwaway CA: STARTTLS must fail, not fall
        # back to plain text.
        strict = EmailSender(host="127.0.0.1", port=port, sender="cw@north.example")
        with pytest.raises(DeliveryError) as untrusted:
            await strict.send(make_page(), target="night@north.example")
        assert untrusted.value.retryable
    assert mailbox.messages == []


async def test_pagerduty_trigger_dedup_resolve_and_throttle(
    session: aiohttp.ClientSession,
) -> None:
    pd = PagerDutyReceiver(fail_next=1)
    async with serve({"/v2/enqueue": pd.handle}) as url:
        sender = PagerDutySender(session=session, endpoint=f"{url}/v2/enqueue")
        page = make_page()
        with pytest.raises(DeliveryError) as throttled:
            await sender.send(page, target=ROUTING_KEY)
        assert (throttled.value.reason, throttled.value.retryable) == ("http_429", True)
        assert (await sender.send(page, target=ROUTING_KEY)).status == "202"
        await sender.send(page, target=ROUTING_KEY)  # a repeat folds into the same incident
        assert pd.incidents == {"a-breach": "triggered"}
        retraction = alert(AlertType.BREACH_RETRACTED, timer=TimerKind.STEROIDS, alert_id="r")
        breach = alert(AlertType.TIMER_BREACHED, timer=TimerKind.STEROIDS, alert_id="a-breach")
        other = alert(AlertType.TIMER_BREACHED, timer=TimerKind.SURGICAL_EVALUATION, alert_id="o")
        keys = resolves(retraction, [breach, other])
        assert keys == ["a-breach"]
        for key in keys:
            await sender.update(dedup_key=key, routing_key=ROUTING_KEY, action="resolve")
        assert pd.incidents == {"a-breach": "resolved"}
        with pytest.raises(DeliveryError) as invalid:
            await sender.send(page, target="short-key")
        assert (invalid.value.reason, invalid.value.retryable) == ("http_400", False)
    trigger = pd.events[0]
    assert trigger["dedup_key"] == "a-breach"
    assert trigger["payload"]["severity"] == "critical"
    assert "MRN-4242" not in json.dumps(pd.events)


def test_episode_closed_resolves_every_page_of_the_episode() -> None:
    closed = alert(AlertType.EPISODE_CLOSED, alert_id="c")
    paged = [
        alert(alert_id="s"),
        alert(AlertType.TIMER_WARNING, timer=TimerKind.STEROIDS, alert_id="w"),
        alert(episode_id="ep-2", alert_id="x"),
    ]
    assert resolves(closed, paged) == ["s", "w"]
    withdrawn = alert(AlertType.FINDING_WITHDRAWN, alert_id="f")
    assert resolves(withdrawn, paged) == ["s", "w"]
    assert resolves(alert(alert_id="n"), paged) == []
