"""The paging loop's parts (`NotifyParts`) from settings: routing, store, senders, metrics.

Not the worker's `streams.bootstrap.Runtime` (which the notify role receives): only what the
paging loop runs with. Nothing does I/O until `build_parts` opens the HTTP session.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import aiohttp
from prometheus_client import CollectorRegistry

from models.routing import Channel, RoutingConfig
from services.alerts.channels import Sender
from services.alerts.channels.email import EmailSender
from services.alerts.channels.pagerduty import PagerDutySender
from services.alerts.channels.webhook import WebhookSender
from services.alerts.delivery import Notifier
from services.alerts.metrics import NotifyMetrics
from services.alerts.routefile import RouteFileError, load_routing
from services.config import Settings
from services.policy import Policy
from services.store import make_engine
from services.store.deliveries import DeliveryStore
from streams.clock import SystemClock


class NotifyConfigError(ValueError):
    """The notify worker cannot start: no routing file, or one with problems."""


@dataclass
class NotifyParts:
    """What the notify loop runs with; ``close`` releases the HTTP session and engine."""

    notifier: Notifier
    store: DeliveryStore
    session: aiohttp.ClientSession
    metrics: NotifyMetrics

    async def close(self) -> None:
        await self.session.close()


def link_secret(settings: Settings) -> bytes:
    """The key of one-tap links: its own secret, else the webhook's."""
    raw = settings.ack_link_secret.get_secret_value() or settings.webhook_secret.get_secret_value()
    return raw.encode("utf-8")


def routing_from(settings: Settings) -> RoutingConfig:
    """The validated routing file, or NotifyConfigError listing its problems."""
    if settings.routing_file is None:
        raise NotifyConfigError("notify needs CORDWATCH_ROUTING_FILE (see README: Paging)")
    try:
        return load_routing(settings.routing_file)
    except RouteFileError as exc:
        raise NotifyConfigError(str(exc)) from None


def build_parts(
    settings: Settings,
    *,
    policy: Policy,
    registry: CollectorRegistry,
    smtp_tls: ssl.SSLContext | None = None,
) -> NotifyParts:
    """Everything the notify loop needs; call inside a running event loop (aiohttp session)."""
    config = routing_from(settings)
    session = aiohttp.ClientSession()
    senders: dict[Channel, Sender] = {
        Channel.WEBHOOK: WebhookSender(
            session=session, secret=settings.webhook_secret.get_secret_value().encode()
        ),
        Channel.PAGERDUTY: PagerDutySender(session=session, endpoint=settings.pagerduty_endpoint),
    }
    if settings.smtp_host:
        senders[Channel.EMAIL] = EmailSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            tls_context=smtp_tls,
        )
    store = DeliveryStore(engine=make_engine(settings.database_url))
    metrics = NotifyMetrics.create(registry)
    notifier = Notifier(
        config=config,
        paging=policy.paging,
        senders=senders,
        store=store,
        clock=SystemClock(),
        public_url=settings.public_url,
        link_secret=link_secret(settings),
        observer=metrics.observer(),
    )
    return NotifyParts(notifier=notifier, store=store, session=session, metrics=metrics)
