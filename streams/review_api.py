"""The review queue and alert feedback over HTTP (issue 14), beside the audit API.

    GET  /api/review?facility=&limit=        open review items, oldest report first
    GET  /api/review/{review_id}             one item, whatever its status
    POST /api/review/{review_id}/confirm     {"note"?}            -> 202, the confirm event sent
    POST /api/review/{review_id}/dismiss     {"reason", "note"?}  -> 202, the dismiss event sent
    POST /api/alerts/{alert_id}/feedback     {"kind", "note"?}    -> 201, stored

Named users (streams.security, via streams.api.authorize): reading the queue needs
``view_patient`` (it carries patient ids and report sentences) and is recorded in the access log
as ``read_worklist`` before the data leaves; a verdict or feedback needs ``review`` (coordinators
and clinicians; the machines' service token may not judge a report) and a session's CSRF token,
and is recorded as ``confirm``, ``dismiss`` or ``feedback`` naming the user.

A verdict is stored as feedback first (one per item: the database refuses a second, 409) and
then published through the outbox onto cordwatch.reviews, so it passes ingest and reaches the
pathway like any event; the pathway opens the episode (or closes the item) and the sink projects
it. If the broker does not acknowledge in time the stored verdict is taken back and the answer
is 503: the item stays open. Free text is stored, never logged.

``add_pages(app, context)`` puts the pages on an app with any context (tests); ``register(app,
rt)`` is what the composition root (`streams.app.create_app`) calls for every worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from aiokafka.errors import KafkaError
from faust import web as faust_web
from faust.types import AppT
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from models.access import AccessAction, AccessOutcome
from models.events import REVIEWS_TOPIC, EventBase
from models.review import (
    CONFIRMED,
    ConfirmBody,
    DismissBody,
    FeedbackBody,
    FeedbackPublic,
    ReviewItemPublic,
    ReviewQuery,
    ReviewQueuePublic,
    VerdictPublic,
)
from services.identity.roles import Permission
from services.identity.sessions import CSRF_HEADER
from services.metrics import CordwatchMetrics
from services.review import store as review_store
from services.review.verdicts import confirm_event, dismiss_event
from streams import api
from streams.bootstrap import Runtime
from streams.outbox import Sender
from streams.security.guard import Caller

log = structlog.get_logger(__name__)

PUBLISH_TIMEOUT_SECONDS = 15.0
MAX_BODY_BYTES = 16 * 1024  # a verdict is a reason and a note of at most 2 000 characters
_NO_STORE = {"Cache-Control": "no-store"}  # patient-level data

T = TypeVar("T")
B = TypeVar("B", bound=BaseModel)


@dataclass(frozen=True)
class ReviewContext:
    """What the review views need beyond the API's context: where verdicts go, what counts."""

    api: api.ApiContext
    publish: Sender
    metrics: CordwatchMetrics
    # Longest a verdict waits for the broker's acknowledgement before it is taken back (503).
    publish_timeout: float = PUBLISH_TIMEOUT_SECONDS


async def _db(ctx: ReviewContext, work: Callable[[Connection], T]) -> T:
    """``work`` in one transaction on a worker thread; store errors become their statuses."""

    def _run() -> T:
        with ctx.api.engine.begin() as conn:
            return work(conn)

    try:
        return await asyncio.to_thread(_run)
    except review_store.UnknownReviewError:
        raise api.ApiError(404, "no such review item") from None
    except review_store.UnknownAlertError:
        raise api.ApiError(404, "no such alert") from None
    except review_store.AlreadyDecidedError as exc:
        raise api.ApiError(409, str(exc)) from None
    except SQLAlchemyError as exc:
        log.warning("review.store_unavailable", error=type(exc).__name__)
        raise api.ApiError(503, f"audit store unavailable: {type(exc).__name__}") from None


def _body(model: type[BaseModel], raw: bytes) -> Any:
    if len(raw) > MAX_BODY_BYTES:
        raise api.ApiError(413, f"request body over {MAX_BODY_BYTES} bytes")
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        # Field names and pydantic's wording only: a note may hold anything.
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
            for e in exc.errors(include_input=False)
        )
        raise api.ApiError(400, f"bad request body: {problems}") from None


async def queue_body(
    ctx: ReviewContext, caller: Caller, query: dict[str, str]
) -> ReviewQueuePublic:
    """The open review items, oldest report first (recorded before they leave)."""
    q = api.parse_query(ReviewQuery, query)
    items = await _db(
        ctx, lambda conn: review_store.open_reviews(conn, facility=q.facility, limit=q.limit)
    )
    await api.record(ctx.api, caller, AccessAction.READ_WORKLIST, target_kind="review",
                     detail={"count": len(items)})  # fmt: skip
    return ReviewQueuePublic(items=items)


async def item_body(ctx: ReviewContext, caller: Caller, review_id: str) -> ReviewItemPublic:
    """One review item, or a 404; either way the attempt is recorded."""
    found = await _db(ctx, lambda conn: review_store.review_item(conn, review_id[:64]))
    outcome = AccessOutcome.OK if found is not None else AccessOutcome.NOT_FOUND
    await api.record(ctx.api, caller, AccessAction.READ_WORKLIST, target_kind="review",
                     target_id=review_id[:64], outcome=outcome)  # fmt: skip
    if found is None:
        raise api.ApiError(404, "no such review item")
    return found


async def _recorded(
    ctx: ReviewContext,
    caller: Caller,
    action: AccessAction,
    target: tuple[str, str],
    work: Callable[[], Awaitable[T]],
) -> T:
    """Record the action naming the user, then do it (an action the access log cannot hold is
    refused, 503); a refusal or failure after that is recorded too, with its outcome."""
    kind, target_id = target[0], target[1][:64]
    await api.record(ctx.api, caller, action, target_kind=kind, target_id=target_id)
    try:
        return await work()
    except api.ApiError as exc:
        outcome = {404: AccessOutcome.NOT_FOUND}.get(exc.status, AccessOutcome.REFUSED)
        if exc.status >= 500:
            outcome = AccessOutcome.FAILED
        await api.record(ctx.api, caller, action, target_kind=kind, target_id=target_id,
                         outcome=outcome, required=False)  # fmt: skip
        raise


async def confirm(
    ctx: ReviewContext, review_id: str, body: ConfirmBody, *, by: str
) -> VerdictPublic:
    """Store the confirmation and send it to the pathway, which opens the episode."""
    now = ctx.api.clock.now()
    item, _ = await _db(ctx, lambda conn: review_store.claim_verdict(
        conn, review_id=review_id[:64], kind=CONFIRMED, by=by, note=body.note, now=now,
    ))  # fmt: skip
    event = confirm_event(item, by=by, now=now, note=body.note)
    await _publish(ctx, item, event)
    ctx.metrics.feedback.labels(CONFIRMED).inc()
    log.info("review.confirmed", review_id=item.review_id)
    return VerdictPublic(
        review_id=item.review_id, verdict="confirmed", reason=None, event_id=event.event_id,
        by=by, at=now,
    )  # fmt: skip


async def dismiss(
    ctx: ReviewContext, review_id: str, body: DismissBody, *, by: str
) -> VerdictPublic:
    """Store the dismissal and send it to the pathway, which closes the item."""
    now = ctx.api.clock.now()
    item, _ = await _db(ctx, lambda conn: review_store.claim_verdict(
        conn, review_id=review_id[:64], kind=body.reason, by=by, note=body.note, now=now,
    ))  # fmt: skip
    event = dismiss_event(item, by=by, now=now, reason=body.reason, note=body.note)
    await _publish(ctx, item, event)
    ctx.metrics.feedback.labels(body.reason).inc()
    log.info("review.dismissed", review_id=item.review_id, reason=body.reason)
    return VerdictPublic(
        review_id=item.review_id, verdict="dismissed", reason=body.reason,
        event_id=event.event_id, by=by, at=now,
    )  # fmt: skip


async def _publish(ctx: ReviewContext, item: ReviewItemPublic, event: EventBase) -> None:
    """Onto cordwatch.reviews keyed by patient; on failure the stored verdict is taken back."""
    record = (REVIEWS_TOPIC, item.patient_id.encode("utf-8"), event.model_dump_json().encode())
    try:
        await asyncio.wait_for(ctx.publish.send([record]), ctx.publish_timeout)
    except (TimeoutError, KafkaError) as exc:  # broker down or refusing: nothing was decided
        log.error("review.publish_failed", review_id=item.review_id, error=type(exc).__name__)
        await _db(ctx, lambda conn: review_store.release_verdict(conn, review_id=item.review_id))
        raise api.ApiError(
            503, "the verdict could not be sent; nothing was changed, try again"
        ) from None


async def feedback(
    ctx: ReviewContext, alert_id: str, body: FeedbackBody, *, by: str
) -> FeedbackPublic:
    """Store one person's feedback on an alert and count it."""
    now = ctx.api.clock.now()
    stored = await _db(ctx, lambda conn: review_store.add_alert_feedback(
        conn, alert_id=alert_id[:64], kind=body.kind, by=by, note=body.note, now=now,
    ))  # fmt: skip
    ctx.metrics.feedback.labels(body.kind).inc()
    log.info("alert.feedback", alert_id=stored.alert_id, kind=body.kind)
    return stored


# --- the pages ---------------------------------------------------------------------------------


def review_context(rt: Runtime, *, publish: Sender) -> ReviewContext:
    """The views' context from the worker's Runtime: its store, clock, guard and metrics.

    Built per request, as the API's is: the guard re-reads a changed users file.
    """
    return ReviewContext(api=api.api_context(rt), publish=publish, metrics=rt.metrics)


async def respond(
    view: faust_web.View,
    request: faust_web.Request,
    permission: Permission,
    body: Callable[[ReviewContext, Caller], Awaitable[BaseModel]],
    *,
    ctx: ReviewContext,
    status: int = 200,
) -> faust_web.Response:
    """Authorize, build the body, and turn an ApiError into its status and message."""
    try:
        csrf = request.headers.get(CSRF_HEADER)
        caller = await api.authorize(ctx.api, request, permission, csrf=csrf)
        model = await body(ctx, caller)
    except api.ApiError as exc:
        return view.json(
            {"error": exc.message}, status=exc.status, headers={**_NO_STORE, **exc.headers}
        )
    return view.json(model.model_dump(mode="json"), status=status, headers=_NO_STORE)


async def _act(
    view: faust_web.View,
    request: faust_web.Request,
    model: type[B],
    action: AccessAction,
    target: tuple[str, str],
    do: Callable[[ReviewContext, B, str], Awaitable[BaseModel]],
    *,
    ctx: ReviewContext,
    status: int,
) -> faust_web.Response:
    """A reviewer's POST: its body as ``model``, the action recorded naming the user, then
    ``do(ctx, body, by)`` (a verdict or feedback); the same guard and outcome for each."""
    raw = await request.read()

    async def work(c: ReviewContext, caller: Caller) -> BaseModel:
        given, by = _body(model, raw), caller.principal.name
        return await _recorded(c, caller, action, target, lambda: do(c, given, by))

    return await respond(view, request, Permission.REVIEW, work, ctx=ctx, status=status)


def register(app: AppT, rt: Runtime) -> None:
    """The review pages on every worker's `app`, sending verdicts through one outbox."""
    outbox = rt.outbox("review")  # one per worker: its retry metrics are per sender
    add_pages(app, lambda: review_context(rt, publish=outbox))


def add_pages(target: AppT, context: Callable[[], ReviewContext]) -> None:
    """The review pages on ``target``; ``context`` gives the views' collaborators per request."""

    class ReviewQueue(faust_web.View):
        """GET /api/review: the open review items."""

        async def get(self, request: faust_web.Request) -> faust_web.Response:
            """The open items, oldest report first."""
            query = dict(request.query.items())
            return await respond(
                self, request, Permission.VIEW_PATIENT, lambda c, who: queue_body(c, who, query),
                ctx=context(),
            )  # fmt: skip

    class ReviewItem(faust_web.View):
        """GET /api/review/{review_id}: one item."""

        async def get(self, request: faust_web.Request, review_id: str) -> faust_web.Response:
            """The item, whatever its status."""
            return await respond(
                self, request, Permission.VIEW_PATIENT,
                lambda c, who: item_body(c, who, review_id), ctx=context(),
            )  # fmt: skip

    class ReviewConfirm(faust_web.View):
        """POST /api/review/{review_id}/confirm."""

        async def post(self, request: faust_web.Request, review_id: str) -> faust_web.Response:
            """Confirm suspected MESCC: the pathway opens the episode from the report's time."""
            return await _act(
                self, request, ConfirmBody, AccessAction.CONFIRM, ("review", review_id),
                lambda c, given, by: confirm(c, review_id, given, by=by),
                ctx=context(), status=202,
            )  # fmt: skip

    class ReviewDismiss(faust_web.View):
        """POST /api/review/{review_id}/dismiss."""

        async def post(self, request: faust_web.Request, review_id: str) -> faust_web.Response:
            """Dismiss with a reason: the item closes, no episode."""
            return await _act(
                self, request, DismissBody, AccessAction.DISMISS, ("review", review_id),
                lambda c, given, by: dismiss(c, review_id, given, by=by),
                ctx=context(), status=202,
            )  # fmt: skip

    class AlertFeedback(faust_web.View):
        """POST /api/alerts/{alert_id}/feedback."""

        async def post(self, request: faust_web.Request, alert_id: str) -> faust_web.Response:
            """Store feedback on an alert."""
            return await _act(
                self, request, FeedbackBody, AccessAction.FEEDBACK, ("alert", alert_id),
                lambda c, given, by: feedback(c, alert_id, given, by=by),
                ctx=context(), status=201,
            )  # fmt: skip

    target.page("/api/review")(ReviewQueue)
    target.page("/api/review/{review_id}")(ReviewItem)
    target.page("/api/review/{review_id}/confirm")(ReviewConfirm)
    target.page("/api/review/{review_id}/dismiss")(ReviewDismiss)
    target.page("/api/alerts/{alert_id}/feedback")(AlertFeedback)
