"""The worklist's routes on a loopback aiohttp server over a seeded store, with what it sent.

The store, the guard, the access log and the routes are the real ones; the broker side is a
recorder (acknowledgements and care events as they would be sent), which the broker test of
the care path replaces with the real outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web
from sqlalchemy.engine import Engine

from models.events import AlertAcknowledged
from services.alerts.acks import Acknowledger, AckStore
from services.identity.throttle import SignInThrottle
from services.store.deliveries import DeliveryStore
from streams.messages import Message
from streams.security.guard import Security
from streams.worklist.collaborators import WorklistContext
from streams.worklist.routes import register
from tests.streams.people import security


@dataclass
class Sent:
    """What the worklist handed to the broker."""

    acks: list[AlertAcknowledged] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)


class WallClock:
    """Real time, for the browser's countdown to agree with the server's."""

    def now(self) -> datetime:
        """Now, UTC."""
        from datetime import UTC

        return datetime.now(UTC)


def worklist_app(
    engine: Engine, *, now: datetime | None = None, guard: Security | None = None,
    secure_cookies: bool = False,
) -> tuple[web.Application, Sent]:  # fmt: skip
    """An aiohttp app with only the worklist's routes, and the record of what it sent."""
    sent = Sent()
    if guard is None:
        guard = security(engine, now or WallClock().now(), secure_cookies=secure_cookies)
        if now is None:
            guard = Security(authenticator=guard.authenticator, access_log=guard.access_log,
                             clock=WallClock(), secure_cookies=secure_cookies)  # fmt: skip

    async def publish(event: AlertAcknowledged) -> None:
        sent.acks.append(event)

    async def send(messages: Sequence[Message]) -> None:
        sent.messages.extend(messages)

    store = AckStore(engine=engine)
    context = WorklistContext(
        security=guard, engine=engine,
        acknowledger=Acknowledger(store=store, publish=publish, clock=guard.clock),
        silences=DeliveryStore(engine=engine), send=send, throttle=SignInThrottle(),
    )  # fmt: skip
    app = web.Application()
    register(app, lambda: context)
    return app, sent
