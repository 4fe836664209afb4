"""What the worklist's routes need, built per request from the worker (or given by a test)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from services.alerts.acks import Acknowledger
from services.identity.throttle import SignInThrottle
from services.store.deliveries import DeliveryStore
from streams.messages import Message
from streams.security.guard import Security

Send = Callable[[Sequence[Message]], Awaitable[None]]


@dataclass(frozen=True)
class WorklistContext:
    """The guard, the store, the acknowledgement path and the outbox's send."""

    security: Security
    engine: Engine
    acknowledger: Acknowledger
    silences: DeliveryStore
    send: Send  # returns once the broker has every record (streams.outbox.Outbox.send)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))  # the care form's local times
    throttle: SignInThrottle = field(default_factory=SignInThrottle)
