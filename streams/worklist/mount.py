"""Mount the worklist and GET /api/access-log on the worker's web server (`create_app`).

The routes are added by ``streams.worklist.routes.register(app, context)``; this module is only
the worker's wiring: its context comes from the worker's Runtime per request (so a changed users
file takes effect), and sends go through one outbox on the app's producer (acknowledgements to
cordwatch.alert-acks, care done elsewhere to its inbound topic).
"""

from __future__ import annotations

from typing import Any, cast
from zoneinfo import ZoneInfo

from faust.types import AppT

from models.events import AlertAcknowledged
from services.alerts.acks import Acknowledger, AckStore
from services.identity.throttle import SignInThrottle
from services.store.deliveries import DeliveryStore
from streams.bootstrap import Runtime
from streams.outbox import Sender
from streams.security import routes as access_routes
from streams.topics import ALERT_ACKS
from streams.worklist import routes
from streams.worklist.collaborators import WorklistContext


def worklist_context(rt: Runtime, *, outbox: Sender, throttle: SignInThrottle) -> WorklistContext:
    """The worklist's collaborators from the worker's Runtime."""
    engine = rt.store.engine

    async def publish(event: AlertAcknowledged) -> None:
        key = event.patient_id.encode("utf-8")
        await outbox.send([(ALERT_ACKS, key, event.model_dump_json().encode())])

    store = AckStore(engine=engine)
    return WorklistContext(
        security=rt.guard(),
        engine=engine,
        acknowledger=Acknowledger(store=store, publish=publish, clock=rt.clock),
        silences=DeliveryStore(engine=engine),
        send=outbox.send,
        zone=ZoneInfo(rt.settings.site_timezone),
        throttle=throttle,
    )


def register(app: AppT, rt: Runtime) -> None:
    """The worklist and the access-log route on every worker's `app`."""
    outbox = rt.outbox("worklist")
    throttle = SignInThrottle()  # one per worker: failures must outlive a request
    # Faust's aiohttp driver keeps its aiohttp Application as ``web_app`` (typed on the driver).
    web_app = cast(Any, app.web).web_app
    routes.register(web_app, lambda: worklist_context(rt, outbox=outbox, throttle=throttle))
    access_routes.register(web_app, rt.guard)
