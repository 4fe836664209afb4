"""What a receiver is sent for a message: the page, its delivery id and its links (pure)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from models.pages import Page, PagedAlert
from services.alerts import acklink
from services.alerts.grouping import Message
from services.alerts.routing import Receiver


def delivery_id(*, alert_id: str, receiver_id: str, tier: int, fallback: bool = False) -> str:
    """One id per (alert, receiver, tier): every retry of that delivery carries the same one."""
    text = f"delivery/1\n{alert_id}\n{receiver_id}\n{tier}\n{'fallback' if fallback else ''}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def build_page(
    message: Message,
    receiver: Receiver,
    *,
    public_url: str,
    link_secret: bytes,
    link_valid: timedelta,
    now: datetime,
) -> Page:
    """The page for one receiver: the lead alert's summary, the episode link, ack links."""
    lead = message.lead
    base = public_url.rstrip("/")

    def ack_url(alert_id: str) -> str:
        token = acklink.sign(
            secret=link_secret,
            alert_id=alert_id,
            receiver=receiver.person.key,
            now=now,
            valid=link_valid,
        )
        return f"{base}/ack/{token}"

    alerts = [
        PagedAlert(
            alert_id=a.alert_id,
            alert_type=a.alert_type,
            priority=a.priority,
            timer=a.timer,
            due=a.due,
            at=a.at,
            summary=a.summary,
            escalates_alert_id=a.escalates_alert_id,
            ack_url=ack_url(a.alert_id),
        )
        for a in sorted(message.alerts, key=lambda a: (a is not lead, a.at))
    ]
    more = len(alerts) - 1
    summary = lead.summary if more == 0 else f"{lead.summary} (+{more} more for this patient)"
    return Page(
        delivery_id=delivery_id(
            alert_id=lead.alert_id,
            receiver_id=receiver.receiver_id,
            tier=receiver.tier,
            fallback=receiver.fallback,
        ),
        alert_id=lead.alert_id,
        alert_type=lead.alert_type,
        priority=lead.priority,
        tier=receiver.tier,
        facility=lead.facility,
        episode_id=lead.episode_id,
        receiver=receiver.person.key,
        role=receiver.role,
        fallback=receiver.fallback,
        summary=summary,
        episode_url=f"{base}/episodes/{lead.episode_id}",
        ack_url=alerts[0].ack_url,
        sent_at=now,
        alerts=alerts,
    )
