"""Channel adapters: each sends one page to one contact and says whether to try again.

Errors carry a reason made of status codes and exception class names only: a contact address,
a URL's query or a server's reply text never reaches a log through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from models.pages import Page
from models.routing import Channel


class DeliveryError(Exception):
    """One attempt failed; ``retryable`` says whether another attempt may succeed."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class Receipt:
    """The receiving server accepted the page."""

    channel: Channel
    status: str  # e.g. "202", "250": what the server answered, never its text


class Sender(Protocol):
    """A channel: deliver ``page`` to ``target`` (a URL, an address or a routing key)."""

    channel: Channel

    async def send(self, page: Page, *, target: str) -> Receipt: ...


def http_outcome(channel: Channel, status: int) -> Receipt:
    """Map an HTTP status to a receipt, or raise: 408, 429 and 5xx are worth retrying."""
    if 200 <= status < 300:
        return Receipt(channel, str(status))
    retryable = status in (408, 425, 429) or status >= 500
    raise DeliveryError(f"http_{status}", retryable=retryable)
