"""PagerDuty Events API v2: trigger with dedup_key = the alert id, acknowledge, resolve.

The endpoint is configurable (a proxy, an EU account's host, a test server). PagerDuty answers
202 with ``{"status": "success", "dedup_key": ...}``; 400 means the event is invalid (final);
429 and 5xx are retried. A second trigger with the same dedup_key is folded into the open
incident by PagerDuty, which is why the alert id is the key: retries never page twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import aiohttp

from models.outputs import Alert, AlertType, Priority
from models.pages import Page
from models.routing import Channel
from services.alerts.channels import DeliveryError, Receipt, http_outcome

DEFAULT_ENDPOINT = "https://events.pagerduty.com/v2/enqueue"
_SEVERITY = {Priority.CRITICAL: "critical", Priority.HIGH: "error", Priority.ROUTINE: "info"}
Action = Literal["trigger", "acknowledge", "resolve"]


def trigger_event(page: Page, *, routing_key: str) -> dict[str, Any]:
    """The Events API v2 body for a page (no patient name or id: the summary and links)."""
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": page.alert_id,
        "payload": {
            "summary": page.summary[:1024],  # the API's limit
            "source": "cordwatch",
            "severity": _SEVERITY[page.priority],
            "timestamp": page.alerts[0].at.isoformat(),
            "component": page.alerts[0].timer.value if page.alerts[0].timer else "mescc",
            "group": page.facility or "",
            "class": page.alert_type.value,
            "custom_details": {
                "episode_id": page.episode_id,
                "tier": page.tier,
                "delivery_id": page.delivery_id,
                "alert_ids": [a.alert_id for a in page.alerts],
            },
        },
        "links": [
            {"href": page.episode_url, "text": "Episode"},
            {"href": page.ack_url, "text": "Acknowledge in Cordwatch"},
        ],
    }


def resolves(alert: Alert, paged: Iterable[Alert]) -> list[str]:
    """The dedup keys ``alert`` closes: a retraction closes that timer's breach pages, an episode
    closed or a finding withdrawn closes every page of the episode."""
    if alert.alert_type == AlertType.BREACH_RETRACTED:
        closing = {AlertType.TIMER_BREACHED, AlertType.ESCALATION, AlertType.TIMER_WARNING}
        return [
            p.alert_id
            for p in paged
            if p.episode_id == alert.episode_id
            and p.timer == alert.timer
            and p.alert_type in closing
        ]
    if alert.alert_type in (AlertType.EPISODE_CLOSED, AlertType.FINDING_WITHDRAWN):
        return [p.alert_id for p in paged if p.episode_id == alert.episode_id]
    return []


class PagerDutySender:
    """Sends Events API v2 events over one shared aiohttp session."""

    channel = Channel.PAGERDUTY

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        endpoint: str = DEFAULT_ENDPOINT,
        timeout_s: float = 10.0,
    ) -> None:
        self._session = session
        self._endpoint = endpoint
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def send(self, page: Page, *, target: str) -> Receipt:
        """Trigger (or re-trigger, harmlessly) the page's incident."""
        return await self._post(trigger_event(page, routing_key=target))

    async def update(self, *, dedup_key: str, routing_key: str, action: Action) -> Receipt:
        """Acknowledge or resolve the incident of ``dedup_key``."""
        body = {"routing_key": routing_key, "event_action": action, "dedup_key": dedup_key}
        return await self._post(body)

    async def _post(self, body: dict[str, Any]) -> Receipt:
        try:
            async with self._session.post(
                self._endpoint, json=body, timeout=self._timeout
            ) as response:
                await response.read()
                return http_outcome(self.channel, response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(type(exc).__name__, retryable=True) from None
