"""Mount the worklist on the worker's web server (imported by the app's autodiscover).

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
from streams.security.context import security_for
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


# Faust's aiohttp driver keeps its aiohttp Application as ``web_app`` (typed on the driver only).
register(cast(Any, app.web).web_app, worklist_context)
