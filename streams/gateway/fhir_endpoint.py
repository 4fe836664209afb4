"""The FHIR endpoint on the worker: POST /fhir (a Bundle) and POST /fhir/{ResourceType}.

Behind the API's guard: the service token (interface engines) holds ``submit_events``.
A document that gives events is written to fhir.inbound and
acknowledged by the broker before the answer (201 for a resource, 200 for a Bundle, with an
OperationOutcome); one that gives none is answered 4xx with an OperationOutcome naming the
problem (fields, never values) and not stored. The gateway agent maps it again from Kafka.
"""

from __future__ import annotations

import asyncio

import structlog
from faust import web as faust_web
from faust.types import AppT

from services.gateway import FHIR_INBOUND
from services.gateway.fhir_outcome import issue, judge, outcome
from services.identity.roles import Permission
from streams import api
from streams.agents.gateway import site_profile
from streams.bootstrap import Runtime
from streams.outbox import Sender

log = structlog.get_logger(__name__)
STORE_TIMEOUT_SECONDS = 15.0
_HEADERS = {"Cache-Control": "no-store"}
_FHIR_JSON = "application/fhir+json"


async def post_fhir(
    view: faust_web.View,
    request: faust_web.Request,
    resource_type: str | None,
    *,
    rt: Runtime,
    outbox: Sender,
) -> faust_web.Response:
    """Authorize, judge, store when it gives events, answer with an OperationOutcome."""
    try:
        # Per request, as the API's: the guard re-reads a users file that changed.
        await api.authorize(api.api_context(rt), request, Permission.SUBMIT_EVENTS)
    except api.ApiError as exc:
        body = outcome([issue("error", "security", exc.message)])
        return view.json(
            body, status=exc.status, headers={**_HEADERS, **exc.headers}, content_type=_FHIR_JSON
        )
    limit = rt.settings.kafka_max_message_bytes - 16 * 1024
    data = await request.read()
    if len(data) > limit:
        body = outcome([issue("error", "too-costly", f"document is over {limit} bytes")])
        return view.json(body, status=413, headers=_HEADERS, content_type=_FHIR_JSON)
    verdict = judge(data, resource_type=resource_type, profile=site_profile(rt))
    if verdict.store:
        try:
            await asyncio.wait_for(outbox.send([(FHIR_INBOUND, None, data)]), STORE_TIMEOUT_SECONDS)
        except TimeoutError:
            log.error("fhir.store_timeout")
            body = outcome([issue("error", "transient", "not stored; send it again")])
            return view.json(body, status=503, headers=_HEADERS, content_type=_FHIR_JSON)
    log.info("fhir.answered", status=verdict.status, stored=verdict.store)
    return view.json(
        verdict.outcome, status=verdict.status, headers=_HEADERS, content_type=_FHIR_JSON
    )


def register(app: AppT, rt: Runtime) -> None:
    """POST /fhir and POST /fhir/{ResourceType} on every worker's `app`."""
    outbox = rt.outbox("ingest")

    @app.page("/fhir")
    class FhirBundle(faust_web.View):
        """POST /fhir: a transaction, batch or collection Bundle."""

        async def post(self, request: faust_web.Request) -> faust_web.Response:
            """Take a Bundle."""
            return await post_fhir(self, request, None, rt=rt, outbox=outbox)

    @app.page("/fhir/{resource_type}")
    class FhirResource(faust_web.View):
        """POST /fhir/{ResourceType}: one resource of that type."""

        async def post(self, request: faust_web.Request, resource_type: str) -> faust_web.Response:
            """Take one resource."""
            return await post_fhir(self, request, resource_type, rt=rt, outbox=outbox)
