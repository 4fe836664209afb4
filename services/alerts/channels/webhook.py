"""The signed webhook: POST the page as JSON with an HMAC-SHA256 signature and an idempotency key.

Headers (README "Webhook"): ``Content-Type: application/json``, ``Idempotency-Key: <delivery_id>``
(the same on every retry of one delivery), ``X-Cordwatch-Timestamp: <unix seconds>`` and
``X-Cordwatch-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under the shared
secret>``. A receiver recomputes the MAC over the raw body, compares in constant time, rejects a
timestamp more than 5 minutes old (replay), and drops a repeated Idempotency-Key.
"""

from __future__ import annotations

import hashlib
import hmac

import aiohttp

from models.pages import Page
from models.routing import Channel
from services.alerts.channels import DeliveryError, Receipt, http_outcome

SIGNATURE_HEADER = "X-Cordwatch-Signature"
TIMESTAMP_HEADER = "X-Cordwatch-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def signature(secret: bytes, *, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(secret: bytes, *, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    try:
        expected = signature(secret, timestamp=int(timestamp), body=body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, header)


class WebhookSender:
    """POSTs pages over one shared aiohttp session."""

    channel = Channel.WEBHOOK

    def __init__(
        self, *, session: aiohttp.ClientSession, secret: bytes, timeout_s: float = 10.0
    ) -> None:
        self._session = session
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def send(self, page: Page, *, target: str) -> Receipt:
        """Deliver once; raise DeliveryError (retryable or not) on failure."""
        body = page.model_dump_json().encode("utf-8")
        # Signed at the attempt's time (the page is rebuilt per attempt), so a retry after the
        # receiver's replay window is still accepted while its Idempotency-Key stays the same.
        stamp = int(page.sent_at.timestamp())
        headers = {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: page.delivery_id,
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: signature(self._secret, timestamp=stamp, body=body),
        }
        try:
            async with self._session.post(
                target, data=body, headers=headers, timeout=self._timeout
            ) as response:
                await response.read()
                if response.status == 409:  # the receiver already has this delivery
                    return Receipt(self.channel, "409")
                return http_outcome(self.channel, response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(type(exc).__name__, retryable=True) from None
