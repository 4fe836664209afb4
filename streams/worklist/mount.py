"""Mount the worklist and GET /api/access-log on the worker's web server (app autodiscover).

The routes are registered by ``streams.worklist.routes.register(app, context)``; this module is
only the worker's wiring: its context comes from the worker's Runtime per request, and sends go
through the app's producer via the outbox (acknowledgements to cordwatch.alert-acks, care done
elsewhere to its inbound topic).
"""

from __future__ import annotations

from typing import Any, cast
from zoneinfo import ZoneInfo

from models.events import AlertAcknowledged
from services.alerts.acks import Acknowledger, AckStore
from services.identity.throttle import SignInThrottle
from services.store.deliveries import DeliveryStore
from streams.app import app
from streams.bootstrap import get_runtime
from streams.outbox import Outbox
from streams.security import routes as access_routes
from streams.security.context import Security, security_for
from streams.topics import ALERT_ACKS
from streams.worklist.context import WorklistContext
from streams.worklist.routes import register

_throttle = SignInThrottle()  # one per worker: failures must outlive a request


def worklist_context() -> WorklistContext:
    """The worklist's collaborators from this worker's Runtime."""
    rt = get_runtime()
    engine = rt.store.engine
    outbox = Outbox(app.maybe_start_producer, metrics=rt.metrics, sender="worklist")

    async def publish(event: AlertAcknowledged) -> None:
        key = event.patient_id.encode("utf-8")
        await outbox.send([(ALERT_ACKS, key, event.model_dump_json().encode())])

    store = AckStore(engine=engine)
    return WorklistContext(
        security=security_for(rt.settings, engine=engine, clock=rt.clock),
        engine=engine,
        acknowledger=Acknowledger(store=store, publish=publish, clock=rt.clock),
        silences=DeliveryStore(engine=engine),
        send=outbox.send,
        zone=ZoneInfo(rt.settings.site_timezone),
        throttle=_throttle,
    )


def access_log_security() -> Security:
    """The guard of GET /api/access-log, from this worker's Runtime."""
    rt = get_runtime()
    return security_for(rt.settings, engine=rt.store.engine, clock=rt.clock)


# Faust's aiohttp driver keeps its aiohttp Application as ``web_app`` (typed on the driver only).
_web_app = cast(Any, app.web).web_app
register(_web_app, worklist_context)
access_routes.register(_web_app, access_log_security)
