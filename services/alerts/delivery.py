"""Delivery: route an alert, honour silences, inhibition and grouping, and page every receiver
with capped, jittered retries, a fallback role, and a stored outcome for every attempt.

Kafka-free: the notify shell hands alerts in and commits offsets once ``handle`` returns, so a
worker killed mid-page re-reads the alert (at-least-once). A delivery already recorded as
delivered is not sent again; channels that take an idempotency key (webhook, PagerDuty) drop
the one repeat a kill between the send and its record can cause.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

import structlog

from models.alerting import DeliveryOutcome, OpenEpisode, Silence, SilenceScope
from models.outputs import STAND_DOWN, Alert, AlertType, Priority
from models.routing import Channel, Route, RoutingConfig
from services.alerts.channels import DeliveryError, Sender
from services.alerts.grouping import Groups, Message
from services.alerts.inhibition import inhibitor_of
from services.alerts.pages import build_page, delivery_id
from services.alerts.routing import Receiver, author_receivers, receivers, route_for, site_of
from services.alerts.silences import expiry_notices, notice_alert, silencing
from services.policy import Paging

log = structlog.get_logger(__name__)
# A silence that ended just before a scan is still told of (scans run every few seconds).
_NOTICE_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Attempt:
    """One stored delivery attempt (or a decision not to send: silenced, inhibited, nobody)."""

    delivery_id: str
    alert_id: str
    episode_id: str
    facility: str | None
    receiver: str  # the person's key; "-" when nobody was paged
    channel: Channel | None
    tier: int
    fallback: bool
    attempt: int
    outcome: DeliveryOutcome
    reason: str | None
    at: datetime
    alert_at: datetime
    priority: Priority
    grouped_alert_ids: tuple[str, ...] = ()


# What a long-running worker keeps in memory of recent breaches and tiers: the newest entries
# (the store answers for older ones), so a months-long run does not grow without bound.
_MEMORY = 20_000


K = TypeVar("K")
V = TypeVar("V")


def _remember(into: dict[K, V], key: K, value: V) -> None:
    into.pop(key, None)
    into[key] = value
    while len(into) > _MEMORY:
        del into[next(iter(into))]


@dataclass(frozen=True)
class _Later:
    """A page to try again: nobody held its tier's role (nor the fallback) when it came."""

    message: Message
    route: Route
    tier: int
    due_at: datetime
    first_at: datetime


class DeliveryLog(Protocol):
    """What delivery needs of the store."""

    async def record(self, attempts: Sequence[Attempt]) -> None: ...

    async def delivered(self, delivery_ids: Sequence[str]) -> set[str]: ...

    async def tier_of(self, alert_id: str) -> int | None: ...

    async def silences(self, *, at: datetime) -> Sequence[Silence]: ...

    async def open_episodes(
        self, *, episode_ids: Sequence[str], patient_ids: Sequence[str]
    ) -> list[OpenEpisode]: ...

    async def note_alert(self, alert: Alert) -> None: ...

    async def acknowledged(self, alert_ids: Sequence[str]) -> set[str]: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass
class Observer:
    """Metric hooks (services.alerts.metrics fills them); no-ops by default."""

    attempt: Callable[[Attempt, float | None], None] = lambda _a, _latency: None
    undeliverable: Callable[[Alert], None] = lambda _a: None


@dataclass
class Notifier:
    """Pages the people an alert's route names; one instance per notify worker."""

    config: RoutingConfig
    paging: Paging
    senders: Mapping[Channel, Sender]
    store: DeliveryLog
    clock: Clock
    public_url: str
    link_secret: bytes
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)
    observer: Observer = field(default_factory=Observer)
    # Recent breaches by (episode, timer), to inhibit warnings that arrive after them.
    _breaches: dict[tuple[str, str], Alert] = field(default_factory=dict)
    _tiers: dict[str, int] = field(default_factory=dict)
    _groups: Groups | None = None
    # Pages nobody was on call for, by alert and tier, until their retry time.
    _later: dict[str, _Later] = field(default_factory=dict)

    @property
    def groups(self) -> Groups:
        if self._groups is None:
            self._groups = Groups(window=timedelta(seconds=self.paging.group_window_seconds))
        return self._groups

    async def handle(self, alert: Alert) -> list[Attempt]:
        """Decide and deliver what this alert needs now; returns every attempt recorded."""
        tier = await self._tier(alert)
        if alert.alert_type in STAND_DOWN and tier > 1:
            # Everyone the escalation woke hears the stand-down, each tier as its own delivery.
            done: list[Attempt] = []
            for each in range(1, tier + 1):
                done += await self._handle_tier(alert, each)
            return done
        return await self._handle_tier(alert, tier)

    async def _handle_tier(self, alert: Alert, tier: int) -> list[Attempt]:
        now = self.clock.now()
        route = route_for(
            self.config,
            facility=alert.facility,
            alert_type=alert.alert_type,
            priority=alert.priority,
            timer=alert.timer,
        )
        if alert.alert_type == AlertType.TIMER_BREACHED and alert.timer is not None:
            _remember(self._breaches, (alert.episode_id, alert.timer.value), alert)
        silence = silencing(alert, await self.store.silences(at=now), at=now)
        if silence is not None:
            return await self._decided(alert, tier, DeliveryOutcome.SILENCED, "silenced", now)
        cause = inhibitor_of(alert, self._breaches.values())
        if cause is not None:
            return await self._decided(alert, tier, DeliveryOutcome.INHIBITED, "breached", now)
        key = f"{alert.patient_id}\n{route.name}\n{tier}"
        self._groups, ready = self.groups.offer(key, alert, now=now)
        return await self._send_all(ready, route=route, tier=tier)

    async def notice_silences(self) -> list[Attempt]:
        """Tell whoever set a silence (else the route's tier-1 role) that it ends soon while a
        timer of its episode is still open; once per silence, episode and receiver."""
        now = self.clock.now()
        lead = timedelta(minutes=self.paging.silence_notice_minutes)
        silences = await self.store.silences(at=now - _NOTICE_GRACE)
        if not silences:
            return []
        episodes = await self.store.open_episodes(
            episode_ids=[s.target for s in silences if s.scope == SilenceScope.EPISODE],
            patient_ids=[s.target for s in silences if s.scope == SilenceScope.PATIENT],
        )
        by_id = {e.episode_id: e for e in episodes}
        episodes_of: dict[str, tuple[str, ...]] = {}
        for e in episodes:
            episodes_of[e.patient_id] = (*episodes_of.get(e.patient_id, ()), e.episode_id)
        notices = expiry_notices(
            silences,
            open_timers={e.episode_id: e.timers for e in episodes},
            episodes_of=episodes_of,
            since=now - lead - _NOTICE_GRACE,
            now=now,
            lead=lead,
        )
        authors = {s.silence_id: s.author for s in silences}
        done: list[Attempt] = []
        for notice in notices:
            episode = by_id[notice.episode_id]
            alert = notice_alert(notice, episode, now=now)
            await self.store.note_alert(alert)  # so its one-tap link and the timeline know it
            targets = author_receivers(self.config, authors[notice.silence_id])
            if not targets:
                route = route_for(
                    self.config,
                    facility=alert.facility,
                    alert_type=alert.alert_type,
                    priority=Priority(episode.priority),
                    timer=None,
                )
                site = site_of(self.config, alert.facility)
                targets = receivers(self.config, route, facility=site, tier=1, at=now)
            message = Message(key=f"silence\n{notice.silence_id}", alerts=(alert,))
            limit = now + timedelta(minutes=self.paging.fallback_after_minutes)
            results, _ = await self._page(message, targets, started=now, limit=limit)
            if not targets:
                results += await self._decided(alert, 1, DeliveryOutcome.NO_RECEIVER, "nobody", now)
            if results:
                log.info("notify.silence_notice", alert_id=alert.alert_id, attempts=len(results))
            done += results
        return done

    def held_ids(self) -> set[str]:
        """Alerts waiting in a group window (their offsets must not be committed yet)."""
        held = {a.alert_id for g in self.groups.open.values() for a in g.held}
        return held | {a.alert_id for later in self._later.values() for a in later.message.alerts}

    async def flush(self) -> list[Attempt]:
        """Send the grouped messages whose window has closed, and retry the pages nobody was on
        call for."""
        self._groups, ready = self.groups.flush(now=self.clock.now())
        done: list[Attempt] = await self._retry_nobody()
        for message in ready:
            lead = message.lead
            route = route_for(
                self.config,
                facility=lead.facility,
                alert_type=lead.alert_type,
                priority=lead.priority,
                timer=lead.timer,
            )
            tier = int(message.key.rsplit("\n", 1)[1])
            done += await self._send_all([message], route=route, tier=tier)
            for dropped in message.inhibited:
                done += await self._decided(
                    dropped, tier, DeliveryOutcome.INHIBITED, "breached", self.clock.now()
                )
        return done

    async def _tier(self, alert: Alert) -> int:
        """The tier the pathway's plan named; an older escalation (no ``tier`` on the wire)
        is sent at its parent's tier + 1, as before contract version 4."""
        tier = alert.tier
        legacy = "tier" not in alert.model_fields_set
        if legacy and alert.alert_type == AlertType.ESCALATION and alert.escalates_alert_id:
            parent = self._tiers.get(alert.escalates_alert_id)
            if parent is None:
                parent = await self.store.tier_of(alert.escalates_alert_id)
            tier = (parent or 1) + 1
        _remember(self._tiers, alert.alert_id, tier)
        return tier

    async def _decided(
        self, alert: Alert, tier: int, outcome: DeliveryOutcome, reason: str, now: datetime
    ) -> list[Attempt]:
        attempt = Attempt(
            delivery_id=delivery_id(alert_id=alert.alert_id, receiver_id="-", tier=tier),
            alert_id=alert.alert_id,
            episode_id=alert.episode_id,
            facility=alert.facility,
            receiver="-",
            channel=None,
            tier=tier,
            fallback=False,
            attempt=0,
            outcome=outcome,
            reason=reason,
            at=now,
            alert_at=alert.at,
            priority=alert.priority,
        )
        await self.store.record([attempt])
        self.observer.attempt(attempt, None)
        log.info("notify.not_sent", alert_id=alert.alert_id, outcome=outcome.value)
        return [attempt]

    async def _send_all(
        self, messages: Sequence[Message], *, route: Route, tier: int
    ) -> list[Attempt]:
        done: list[Attempt] = []
        for message in messages:
            done += await self._deliver(message, route=route, tier=tier)
        return done

    async def _deliver(
        self, message: Message, *, route: Route, tier: int, first_at: datetime | None = None
    ) -> list[Attempt]:
        lead = message.lead
        started = self.clock.now()
        site = site_of(self.config, lead.facility)
        targets = receivers(self.config, route, facility=site, tier=tier, at=started)
        backup: tuple[Receiver, ...] = ()
        fallback_at = started + timedelta(minutes=self.paging.fallback_after_minutes)
        results, before = await self._page(message, targets, started=started, limit=fallback_at)
        # Delivered now, or before a restart made this worker read the alert again.
        delivered = before or any(a.outcome == DeliveryOutcome.DELIVERED for a in results)
        if not targets:
            results += await self._decided(
                lead, tier, DeliveryOutcome.NO_RECEIVER, "nobody", started
            )
        if not delivered and route.fallback is not None:
            backup = receivers(
                self.config, route, facility=site, tier=tier, at=self.clock.now(), fallback=True
            )
            log.warning("notify.fallback", alert_id=lead.alert_id, tier=tier)
            give_up_at = started + timedelta(minutes=self.paging.undeliverable_after_minutes)
            more, before = await self._page(message, backup, started=started, limit=give_up_at)
            results += more
            delivered = before or any(a.outcome == DeliveryOutcome.DELIVERED for a in more)
        if not delivered and lead.priority == Priority.CRITICAL and first_at is None:
            # The operational alert: a critical page reached nobody (Prometheus rule on this).
            self.observer.undeliverable(lead)
            log.error("notify.critical_undeliverable", alert_id=lead.alert_id, tier=tier)
        if not delivered and not targets and not backup:
            # Nobody holds the role now (a rota gap, leave without cover): try again later, when
            # a shift may have begun. The alert stays held, so a restart reads it again.
            self._later[f"{lead.alert_id}\n{tier}"] = _Later(
                message=message,
                route=route,
                tier=tier,
                due_at=started + timedelta(minutes=self.paging.nobody_retry_minutes),
                first_at=first_at or started,
            )
        return results

    async def _retry_nobody(self) -> list[Attempt]:
        """Page again the alerts nobody was on call for, whose retry time has come."""
        now = self.clock.now()
        done: list[Attempt] = []
        for key, later in list(self._later.items()):
            if later.due_at > now:
                continue
            del self._later[key]
            lead = later.message.lead
            if await self.store.acknowledged([lead.alert_id]):
                continue  # someone found it another way (the worklist, a later tier)
            if now - later.first_at > timedelta(hours=self.paging.nobody_retry_hours):
                done += await self._decided(
                    lead, later.tier, DeliveryOutcome.GAVE_UP, "nobody_on_call", now
                )
                continue
            log.info("notify.nobody_retry", alert_id=lead.alert_id, tier=later.tier)
            done += await self._deliver(
                later.message, route=later.route, tier=later.tier, first_at=later.first_at
            )
        return done

    async def _page(
        self,
        message: Message,
        targets: Sequence[Receiver],
        *,
        started: datetime,
        limit: datetime,
    ) -> tuple[list[Attempt], bool]:
        """Attempts made now, and whether any of these receivers already had the page."""
        ids = [
            delivery_id(
                alert_id=message.lead.alert_id,
                receiver_id=r.receiver_id,
                tier=r.tier,
                fallback=r.fallback,
            )
            for r in targets
        ]
        already = await self.store.delivered(ids) if ids else set()
        jobs = [
            self._one(message, r, limit=limit)
            for r, did in zip(targets, ids, strict=True)
            if did not in already
        ]
        found: list[Attempt] = []
        for attempts in await asyncio.gather(*jobs):
            found += attempts
        return found, bool(already)

    async def _one(self, message: Message, receiver: Receiver, *, limit: datetime) -> list[Attempt]:
        """Retry one receiver, capped in attempts and in time, until delivered or final."""
        sender = self.senders.get(receiver.contact.channel)
        lead = message.lead
        attempts: list[Attempt] = []
        for n in range(1, self.paging.retry_attempts + 1):
            now = self.clock.now()
            page = build_page(
                message,
                receiver,
                public_url=self.public_url,
                link_secret=self.link_secret,
                link_valid=timedelta(hours=self.paging.ack_link_valid_hours),
                now=now,
            )
            outcome, reason = DeliveryOutcome.DELIVERED, None
            retry = False
            if sender is None:
                outcome, reason = DeliveryOutcome.GAVE_UP, "channel_not_configured"
            else:
                try:
                    await sender.send(page, target=receiver.contact.target)
                except DeliveryError as exc:
                    reason, retry = exc.reason, exc.retryable
                    last = n == self.paging.retry_attempts or self.clock.now() >= limit
                    final = not retry or last
                    outcome = DeliveryOutcome.GAVE_UP if final else DeliveryOutcome.FAILED
            done = self.clock.now()
            attempt = Attempt(
                delivery_id=page.delivery_id,
                alert_id=lead.alert_id,
                episode_id=lead.episode_id,
                facility=lead.facility,
                receiver=receiver.person.key,
                channel=receiver.contact.channel,
                tier=receiver.tier,
                fallback=receiver.fallback,
                attempt=n,
                outcome=outcome,
                reason=reason,
                at=done,
                alert_at=lead.at,
                priority=lead.priority,
                grouped_alert_ids=tuple(a.alert_id for a in message.alerts if a is not lead),
            )
            await self.store.record([attempt])
            latency = (
                (done - lead.at).total_seconds() if outcome == DeliveryOutcome.DELIVERED else None
            )
            self.observer.attempt(attempt, latency)
            log.info(
                "notify.attempt",
                alert_id=lead.alert_id,
                delivery_id=page.delivery_id,
                receiver=receiver.person.key,
                channel=receiver.contact.channel.value,
                tier=receiver.tier,
                attempt=n,
                outcome=outcome.value,
                reason=reason,
            )
            attempts.append(attempt)
            if outcome != DeliveryOutcome.FAILED:
                return attempts
            await self.sleep(self._backoff(n))
        return attempts

    def _backoff(self, attempt: int) -> float:
        """Full jitter (AWS architecture blog, 2015): uniform up to the capped exponential."""
        ceiling = min(
            self.paging.retry_cap_seconds, self.paging.retry_base_seconds * 2 ** (attempt - 1)
        )
        return self.rng.uniform(0, ceiling)
