"""Start and stop the notify worker's acknowledgement side: the acks producer and the web app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from aiohttp import web
from prometheus_client import CollectorRegistry

from services.alerts.acks import Acknowledger, AckStore
from services.alerts.metrics import AckMetrics
from services.config import Settings
from services.store import make_engine
from services.store.deliveries import DeliveryStore
from streams.clock import SystemClock
from streams.notify.parts import link_secret
from streams.notify.publish import AckPublisher, own_outbox
from streams.notify.web import build_app, utc_now
from streams.outbox import Sender
from streams.security.guard import security_for
from streams.security.users import UsersFile


@asynccontextmanager
async def ack_service(
    settings: Settings,
    *,
    registry: CollectorRegistry,
    users: UsersFile | None = None,
    host: str = "127.0.0.1",
    outbox: Sender | None = None,
) -> AsyncIterator[int]:
    """Run the ack web app on CORDWATCH_NOTIFY_WEB_PORT (0: a free port); yields the port.

    Acknowledgements go through `outbox` (a worker's own), else through one on a producer of
    its own whose retry series are on `registry`. Callers are the `users` (a worker's Runtime
    holds them; default: CORDWATCH_USERS_FILE) or the service token.
    """
    users = users if users is not None else UsersFile(settings.users_file)
    async with AsyncExitStack() as stack:
        if outbox is None:
            outbox = await stack.enter_async_context(own_outbox(settings, registry=registry))
        yield await stack.enter_async_context(_serve(settings, registry, users, host, outbox))


@asynccontextmanager
async def _serve(
    settings: Settings, registry: CollectorRegistry, users: UsersFile, host: str, outbox: Sender
) -> AsyncIterator[int]:
    publisher = AckPublisher(outbox)
    engine = make_engine(settings.database_url)
    store = AckStore(engine=engine)
    metrics = AckMetrics.create(registry)
    clock = SystemClock()
    acknowledger = Acknowledger(
        store=store, publish=publisher.send, clock=clock, observe=metrics.observe
    )
    app = build_app(
        settings=settings,
        acknowledger=acknowledger,
        store=store,
        registry=registry,
        link_secret=link_secret(settings),
        now=utc_now,
        silences=DeliveryStore(engine=engine),
        security=lambda: security_for(settings, users=users.current(), engine=engine, clock=clock),
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, settings.notify_web_port)
    await site.start()
    port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    try:
        yield port
    finally:
        await runner.cleanup()
        engine.dispose()
