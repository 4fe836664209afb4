"""Delivery end to end on loopback: real webhook and SMTP receivers, a migrated real database."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest_asyncio
from sqlalchemy.engine import Engine

from models.alerting import DeliveryOutcome, Silence, SilenceScope
from models.outputs import Alert, AlertType, Priority, TimerKind, TimerStatus
from models.routing import Channel, RoutingConfig
from services.alerts.acks import AckStore
from services.alerts.channels.email import EmailSender
from services.alerts.channels.webhook import WebhookSender
from services.alerts.delivery import Attempt, Notifier, Observer
from services.alerts.routefile import parse_routing
from services.policy import Paging
from services.store.deliveries import DeliveryStore
from services.store.store import Store
from tests.integration.notify.servers import Mailbox, WebhookReceiver, serve, smtp_server
from tests.integration.store.dataset import episode, timer
from tests.unit.alerts.conftest import alert, base

SECRET = b"s" * 32
FAST = Paging(
    source="test",
    retry_attempts=4,
    retry_base_seconds=0.01,
    retry_cap_seconds=0.02,
    group_window_seconds=0,
)


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def routing(webhook: str, fallback_webhook: str) -> RoutingConfig:
    data = base()
    data["people"]["night"]["contacts"] = [{"email": "night@north.example"}, {"webhook": webhook}]
    data["people"]["desk"]["contacts"] = [{"webhook": fallback_webhook}]
    # Every registrar shift is the night doctor, so the test does not depend on the hour it runs.
    data["rota"]["registrar"]["NORTH"] = {
        "shifts": [{"days": "all", "from": "00:00", "to": "00:00", "people": ["night"]}]
    }
    data["leave"] = []
    return parse_routing(data)


def now_alert(alert_type: AlertType = AlertType.MESCC_SUSPECTED, **kw: Any) -> Alert:
    return alert(alert_type, at=datetime.now(UTC), **kw)


@pytest_asyncio.fixture(loop_scope="session")
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


class Rig:
    def __init__(
        self,
        notifier: Notifier,
        store: DeliveryStore,
        hook: WebhookReceiver,
        desk: WebhookReceiver,
        mailbox: Mailbox,
        lost: list[Alert],
        engine: Engine,
    ) -> None:
        self.notifier, self.store, self.hook, self.desk = notifier, store, hook, desk
        self.mailbox, self.undeliverable, self.engine = mailbox, lost, engine


@pytest_asyncio.fixture(loop_scope="session")
async def rig(migrated: Engine, session: aiohttp.ClientSession) -> AsyncIterator[Rig]:
    hook, desk, mailbox = WebhookReceiver(secret=SECRET), WebhookReceiver(secret=SECRET), Mailbox()
    lost: list[Alert] = []
    async with serve({"/hook": hook.handle, "/desk": desk.handle}) as url:
        with smtp_server(mailbox) as (port, tls):
            store = DeliveryStore(engine=migrated)
            notifier = Notifier(
                config=routing(f"{url}/hook", f"{url}/desk"),
                paging=FAST,
                senders={
                    Channel.WEBHOOK: WebhookSender(session=session, secret=SECRET),
                    Channel.EMAIL: EmailSender(
                        host="127.0.0.1", port=port, sender="cw@north.example", tls_context=tls
                    ),
                },
                store=store,
                clock=WallClock(),
                public_url="https://cw.example",
                link_secret=b"l" * 32,
                rng=random.Random(7),
                observer=Observer(undeliverable=lost.append),
            )
            yield Rig(notifier, store, hook, desk, mailbox, lost, migrated)


def outcomes(attempts: list[Attempt]) -> list[tuple[str, str | None, int, str]]:
    return [
        (a.receiver, a.channel.value if a.channel else None, a.attempt, a.outcome.value)
        for a in attempts
    ]


async def test_a_critical_page_reaches_every_contact_and_is_stored(
    rig: Rig, migrated: Engine
) -> None:
    page = now_alert(alert_id="crit-1", patient_id="MRN-55")
    Store(engine=migrated).apply(alerts=[page])
    done = await rig.notifier.handle(page)
    assert sorted(outcomes(done)) == [
        ("night", "email", 1, "delivered"),
        ("night", "webhook", 1, "delivered"),
    ]
    assert len(rig.hook.pages) == 1
    assert len(rig.mailbox.messages) == 1
    stored = rig.store.attempts("crit-1")
    assert {r["outcome"] for r in stored} == {"delivered"}
    with migrated.connect() as conn:
        row = conn.exec_driver_sql(
            "select delivery_status, delivered_at, delivery_attempts from alerts "
            "where alert_id = 'crit-1'"
        ).one()
    assert row[0] == "delivered"
    assert row[1] is not None
    assert row[2] == 2
    # A restarted worker re-reads the alert: nothing is sent twice.
    again = await rig.notifier.handle(page)
    assert again == []
    assert len(rig.hook.pages) == 1
    assert len(rig.mailbox.messages) == 1


async def test_a_receiver_that_fails_then_recovers_gets_the_page_once(rig: Rig) -> None:
    rig.hook.fail_next = 2
    done = await rig.notifier.handle(now_alert(alert_id="crit-2"))
    webhook = [o for o in outcomes(done) if o[1] == "webhook"]
    assert webhook == [
        ("night", "webhook", 1, "failed"),
        ("night", "webhook", 2, "failed"),
        ("night", "webhook", 3, "delivered"),
    ]
    assert [p["alert_id"] for p in rig.hook.pages] == ["crit-2"]
    assert len({a.delivery_id for a in done if a.channel == Channel.WEBHOOK}) == 1
    assert rig.desk.pages == []  # delivered: no fallback


async def test_when_every_tier_receiver_fails_the_fallback_is_paged(rig: Rig) -> None:
    rig.hook.fail_next = 100
    rig.mailbox.refuse = "554 5.7.1 no"
    done = await rig.notifier.handle(now_alert(alert_id="crit-3"))
    assert [p["alert_id"] for p in rig.desk.pages] == ["crit-3"]
    assert rig.desk.pages[0]["fallback"] is True
    final = {
        (a.receiver, a.channel.value if a.channel else None): a.outcome
        for a in done
        if a.outcome != DeliveryOutcome.FAILED
    }
    assert final == {
        ("night", "email"): DeliveryOutcome.GAVE_UP,
        ("night", "webhook"): DeliveryOutcome.GAVE_UP,
        ("desk", "webhook"): DeliveryOutcome.DELIVERED,
    }
    assert rig.undeliverable == []


async def test_a_critical_page_nobody_can_receive_raises_the_operational_alert(rig: Rig) -> None:
    rig.hook.fail_next = 100
    rig.desk.fail_next = 100
    rig.mailbox.refuse = "554 5.7.1 no"
    await rig.notifier.handle(now_alert(alert_id="crit-4"))
    assert [a.alert_id for a in rig.undeliverable] == ["crit-4"]
    routine = now_alert(alert_id="rout-4", priority=Priority.ROUTINE)
    await rig.notifier.handle(routine)
    assert [a.alert_id for a in rig.undeliverable] == ["crit-4"]  # only critical pages


async def test_silenced_and_inhibited_alerts_are_stored_not_sent(rig: Rig) -> None:
    now = datetime.now(UTC)
    rig.store.add_silence(
        Silence(
            "sil-1",
            SilenceScope.EPISODE,
            "ep-quiet",
            "goals of care",
            "dr.a",
            now - timedelta(minutes=1),
            now + timedelta(hours=1),
        )
    )
    quiet = now_alert(alert_id="q-1", episode_id="ep-quiet")
    assert outcomes(await rig.notifier.handle(quiet)) == [("-", None, 0, "silenced")]
    assert rig.store.end_silence("sil-1", by="dr.a", at=datetime.now(UTC))
    assert outcomes(await rig.notifier.handle(now_alert(alert_id="q-2", episode_id="ep-quiet")))
    breach = now_alert(
        AlertType.TIMER_BREACHED, timer=TimerKind.STEROIDS, alert_id="b-1", episode_id="ep-late"
    )
    await rig.notifier.handle(breach)
    warning = now_alert(
        AlertType.TIMER_WARNING, timer=TimerKind.STEROIDS, alert_id="w-1", episode_id="ep-late"
    )
    assert outcomes(await rig.notifier.handle(warning)) == [("-", None, 0, "inhibited")]
    assert [p["alert_id"] for p in rig.hook.pages] == ["q-2", "b-1"]
    assert rig.store.attempts("q-1")[0]["outcome"] == "silenced"


async def test_an_escalation_pages_the_next_tier(rig: Rig) -> None:
    breach = now_alert(
        AlertType.TIMER_BREACHED, timer=TimerKind.STEROIDS, alert_id="b-9", episode_id="ep-9"
    )
    await rig.notifier.handle(breach)
    up = now_alert(
        AlertType.ESCALATION, timer=TimerKind.STEROIDS, alert_id="e-9", episode_id="ep-9"
    )
    up = up.model_copy(update={"escalates_alert_id": "b-9"})
    done = await rig.notifier.handle(up)
    assert {(a.receiver, a.tier) for a in done} == {("boss", 2)}
    (msg,) = [m for m in rig.mailbox.messages if "tier 2" in str(m["Subject"])]
    assert msg["To"] == "boss@north.example"
    assert rig.store.attempts("e-9")[0]["tier"] == 2


async def test_the_tier_the_plan_names_is_paged_and_a_stand_down_reaches_every_tier(
    rig: Rig,
) -> None:
    # Contract 3: the pathway's plan names the tier; notify does not work it out.
    up = now_alert(AlertType.ESCALATION, alert_id="e-11", episode_id="ep-11")
    up = Alert.model_validate({**up.model_dump(), "tier": 3, "escalates_alert_id": "gone"})
    assert {(a.receiver, a.tier) for a in await rig.notifier.handle(up)} == {("boss", 3)}
    # A withdrawal after the escalation reached tier 2: the registrar and the consultant hear it.
    stand_down = now_alert(AlertType.FINDING_WITHDRAWN, alert_id="w-11", episode_id="ep-11")
    stand_down = Alert.model_validate({**stand_down.model_dump(), "tier": 2})
    done = await rig.notifier.handle(stand_down)
    assert {(a.receiver, a.tier) for a in done if a.outcome == DeliveryOutcome.DELIVERED} == {
        ("night", 1),
        ("boss", 2),
    }


async def test_a_silence_ending_with_a_clock_open_is_told_to_its_author_once(rig: Rig) -> None:
    now = datetime.now(UTC)
    suspected = now - timedelta(hours=2)
    changes = []
    for ep in ("ep-s1", "ep-s2", "ep-s3"):
        changes += [
            episode(ep, suspected, facility="NORTH"),
            timer(ep, TimerKind.STEROIDS, suspected, facility="NORTH", status=TimerStatus.PENDING),
        ]
    Store(engine=rig.engine).apply(changes=changes)

    def add(silence_id: str, target: str, author: str, minutes: float) -> None:
        rig.store.add_silence(
            Silence(
                silence_id, SilenceScope.EPISODE, target, "goals of care", author,
                now - timedelta(hours=1), now + timedelta(minutes=minutes),
            )
        )  # fmt: skip

    add("sil-a", "ep-s1", "boss", 10)  # the author is in the routing file: the consultant
    add("sil-b", "ep-s2", "Dr Not On The Rota", 10)  # not: the route's tier-1 role
    add("sil-c", "ep-s3", "boss", 120)  # ends in two hours: too early to say
    done = await rig.notifier.notice_silences()
    told = {(a.episode_id, a.receiver, a.outcome.value) for a in done}
    assert told == {
        ("ep-s1", "boss", "delivered"),
        ("ep-s2", "night", "delivered"),
    }
    (mail,) = [m for m in rig.mailbox.messages if m["To"] == "boss@north.example"]
    assert "silence_expiring" in str(mail["Subject"])
    body = mail.get_payload() if not mail.is_multipart() else mail.get_payload(0).get_payload()
    assert "steroids still open" in str(body)
    assert "goals of care" not in str(body)
    assert "MRN-" not in str(body)
    hooked = [p for p in rig.hook.pages if p["alert_type"] == "silence_expiring"]
    assert [p["episode_id"] for p in hooked] == ["ep-s2"]
    # Stored: on the episode's timeline (attempts) and as an alert its one-tap link can name.
    assert rig.store.attempts(done[0].alert_id)[0]["outcome"] == "delivered"
    # The next scan says nothing again.
    assert await rig.notifier.notice_silences() == []


class StepClock:
    """Real time plus an offset the test moves: the rota is read at the shifted moment."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def test_a_page_nobody_is_on_call_for_is_tried_again_until_someone_is(
    migrated: Engine, session: aiohttp.ClientSession
) -> None:
    hook = WebhookReceiver(secret=SECRET)
    start = datetime.now(UTC)
    async with serve({"/hook": hook.handle}) as url:
        data = base()
        data["people"]["night"]["contacts"] = [{"webhook": f"{url}/hook"}]
        data["rota"]["registrar"]["NORTH"] = {
            "shifts": [{"days": "all", "from": "00:00", "to": "00:00", "people": ["night"]}]
        }
        # The only registrar is away for the next 12 minutes with no cover; no fallback.
        away = {"from": (start - timedelta(hours=1)).isoformat(timespec="minutes"),
                "to": (start + timedelta(minutes=12)).isoformat(timespec="minutes")}  # fmt: skip
        data["leave"] = [{"person": "night", **away}]
        data["routes"] = [{"name": "all", "match": {}, "tiers": {1: "registrar"}}]
        clock = StepClock()
        lost: list[Alert] = []
        store = DeliveryStore(engine=migrated)
        notifier = Notifier(
            config=parse_routing(data),
            paging=FAST,
            senders={Channel.WEBHOOK: WebhookSender(session=session, secret=SECRET)},
            store=store,
            clock=clock,
            public_url="https://cw.example",
            link_secret=b"l" * 32,
            rng=random.Random(7),
            observer=Observer(undeliverable=lost.append),
        )
        page = now_alert(alert_id="gap-1", episode_id="ep-gap")
        Store(engine=migrated).apply(alerts=[page])
        first = await notifier.handle(page)
        assert outcomes(first) == [("-", None, 0, "no_receiver")]
        assert [a.alert_id for a in lost] == ["gap-1"]  # the operational alert, at once
        assert "gap-1" in notifier.held_ids()  # not committed: a restart reads it again
        assert await notifier.flush() == []  # not due yet
        clock.offset = timedelta(minutes=6)  # retried: still away
        assert outcomes(await notifier.flush()) == [("-", None, 0, "no_receiver")]
        assert hook.pages == []
        clock.offset = timedelta(minutes=13)  # back from leave
        done = await notifier.flush()
        assert outcomes(done) == [("night", "webhook", 1, "delivered")]
        assert [p["alert_id"] for p in hook.pages] == ["gap-1"]
        assert "gap-1" not in notifier.held_ids()
        assert [a.alert_id for a in lost] == ["gap-1"]  # counted once, not per retry
        # An acknowledged page is not tried again.
        other = now_alert(alert_id="gap-2", episode_id="ep-gap2")
        Store(engine=migrated).apply(alerts=[other])
        clock.offset = timedelta()
        await notifier.handle(other)
        AckStore(engine=migrated).record("gap-2", by="Dr Worklist", at=datetime.now(UTC))
        clock.offset = timedelta(minutes=6)
        assert await notifier.flush() == []
        assert "gap-2" not in notifier.held_ids()
