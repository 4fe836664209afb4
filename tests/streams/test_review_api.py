"""The review routes (issue 14) on the worker's own aiohttp app, over a real SQLite store.

A verdict is stored once, then sent onto cordwatch.reviews keyed by patient as an event that
ingest accepts; a second verdict is a 409; a send the broker never acknowledges takes the
verdict back (503, the item stays open); feedback on an alert is stored and counted by kind.
Every route refuses anonymous callers and the wrong roles, and leaves an access record naming
the user.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import faust
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from models.access import AccessAction, AccessOutcome
from models.detection import Detection, Evidence
from models.events import ReviewConfirmed, ReviewDismissed, patient_event_adapter
from models.outputs import Alert, EpisodeChange
from models.tables import AlertRow
from services import ids
from services.identity import sessions
from services.identity.sessions import COOKIE_NAME, CSRF_HEADER
from services.ingest import Accepted, parse
from services.metrics import CordwatchMetrics
from services.pathway import handle
from services.policy import load_policy
from services.review import store as review_store
from services.store import Store, make_engine, upgrade
from services.store.access import AccessLog
from streams import api, review_api
from tests.streams.api_client import TOKEN, FixedClock
from tests.streams.people import ROLES, bearer, name_of, security

AUTH = bearer("coordinator")
COORDINATOR = name_of("coordinator")

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
REPORT_AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PATIENT = "MRN-7001"
REVIEW_ID = ids.review_id(PATIENT, "ACC-1", key=ids.DEVELOPMENT_ID_KEY)


def _detect(text: str, *, modality: str | None = None, exam: str | None = None) -> Detection:
    cue = Evidence(field="review_needed", rule="t", sentence="Deposit abuts the sac.", start=0,
                   end=7)  # fmt: skip
    return Detection(review_needed=True, evidence=[cue])


class Recorded:
    """A sender that keeps what it was given, as the outbox would hand it to the broker."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []

    async def send(self, messages: Sequence[tuple[str, bytes | None, bytes]]) -> None:
        self.sent += messages


class Stuck:
    """A broker that never acknowledges."""

    async def send(self, messages: Sequence[tuple[str, bytes | None, bytes]]) -> None:
        await asyncio.Event().wait()


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine=eng)
    report = patient_event_adapter.validate_python(
        {
            "event_id": "r1", "event_type": "imaging_report", "occurred_at": REPORT_AT.isoformat(),
            "patient_id": PATIENT, "facility": "RLH", "accession": "ACC-1", "status": "final",
            "modality": "MR", "exam": "MRI WHOLE SPINE", "text": "anything",
        }
    )  # fmt: skip
    _, out = handle(None, report, REPORT_AT, policy=load_policy(), detector=_detect)
    changes: list[EpisodeChange] = [o for o in out if not isinstance(o, Alert)]
    Store(engine=eng).apply(changes=changes, alerts=[o for o in out if isinstance(o, Alert)])
    return eng


def _context(
    engine: Engine, sender: Any, *, timeout: float = review_api.PUBLISH_TIMEOUT_SECONDS
) -> review_api.ReviewContext:
    ctx = api.ApiContext(
        token=SecretStr(TOKEN), engine=engine, clock=FixedClock(NOW), security=security(engine, NOW)
    )
    metrics = CordwatchMetrics.create(CollectorRegistry())
    return review_api.ReviewContext(
        api=ctx, publish=sender, metrics=metrics, publish_timeout=timeout
    )


@pytest.fixture
async def client(
    engine: Engine,
) -> AsyncIterator[tuple[TestClient, Recorded, review_api.ReviewContext]]:  # type: ignore[type-arg]
    sender = Recorded()
    ctx = _context(engine, sender)
    app = faust.App("review-test")  # only the review pages, on this context
    review_api.add_pages(app, lambda: ctx)
    async with TestClient(TestServer(app.web.web_app)) as c:
        yield c, sender, ctx


def _count(ctx: review_api.ReviewContext, kind: str) -> float:
    value = ctx.metrics.registry.get_sample_value("cordwatch_feedback_total", {"kind": kind})
    assert value is not None
    return value


async def test_the_queue_and_an_item_need_the_token_and_show_the_cue(client: Any) -> None:
    c, _, _ = client
    anonymous = await c.get("/api/review")
    queue = await c.get("/api/review", headers=AUTH)
    item = await c.get(f"/api/review/{REVIEW_ID}", headers=AUTH)
    missing = await c.get("/api/review/nope", headers=AUTH)
    assert anonymous.status == 401
    body = await queue.json()
    assert [i["review_id"] for i in body["items"]] == [REVIEW_ID]
    assert body["items"][0]["cues"][0]["sentence"] == "Deposit abuts the sac."
    assert (await item.json())["report_at"] == "2026-03-02T08:00:00Z"
    assert queue.headers["Cache-Control"] == "no-store"
    assert missing.status == 404


async def test_a_confirmation_is_stored_once_and_sent_as_an_event_ingest_accepts(
    client: Any, engine: Engine
) -> None:
    c, sender, ctx = client
    anonymous = await c.post(f"/api/review/{REVIEW_ID}/confirm", json={})
    first = await c.post(f"/api/review/{REVIEW_ID}/confirm", json={"note": "seen"}, headers=AUTH)
    second = await c.post(f"/api/review/{REVIEW_ID}/dismiss", json={"reason": "duplicate"},
                          headers=AUTH)  # fmt: skip
    assert (anonymous.status, first.status, second.status) == (401, 202, 409)
    answer = await first.json()
    assert (answer["verdict"], answer["by"]) == ("confirmed", COORDINATOR)
    [(topic, key, value)] = sender.sent
    assert (topic, key) == ("cordwatch.reviews", PATIENT.encode())
    accepted = parse(topic=topic, key=key, raw=value, received_at=NOW)
    assert isinstance(accepted, Accepted)
    event = accepted.event
    assert isinstance(event, ReviewConfirmed)
    assert (event.review_id, event.accession, event.note) == (REVIEW_ID, "ACC-1", "seen")
    assert event.event_id == answer["event_id"]
    assert _count(ctx, "confirmed") == 1
    with engine.connect() as conn:
        verdict = review_store.verdict_of(conn, REVIEW_ID)
    assert verdict is not None
    assert verdict.kind == "confirmed"


async def test_a_dismissal_needs_a_known_reason_and_carries_it(client: Any) -> None:
    c, sender, ctx = client
    bad = await c.post(f"/api/review/{REVIEW_ID}/dismiss", json={"reason": "meh"}, headers=AUTH)
    junk = await c.post(f"/api/review/{REVIEW_ID}/dismiss", data=b"{", headers=AUTH)
    good = await c.post(f"/api/review/{REVIEW_ID}/dismiss",
                        json={"reason": "not_mescc", "note": "benign"}, headers=AUTH)  # fmt: skip
    assert (bad.status, junk.status, good.status) == (400, 400, 202)
    assert "reason" in (await bad.json())["error"]
    [(_, _, value)] = sender.sent
    event = patient_event_adapter.validate_json(value)
    assert isinstance(event, ReviewDismissed)
    assert (event.reason, event.note, event.dismissed_by) == ("not_mescc", "benign", COORDINATOR)
    assert _count(ctx, "not_mescc") == 1


async def test_a_send_the_broker_never_acknowledges_takes_the_verdict_back(
    engine: Engine,
) -> None:
    ctx = _context(engine, Stuck(), timeout=0.2)
    with pytest.raises(api.ApiError) as refused:
        await review_api.confirm(ctx, REVIEW_ID, review_api.ConfirmBody(), by="a")
    assert refused.value.status == 503
    with engine.connect() as conn:
        assert review_store.verdict_of(conn, REVIEW_ID) is None
    assert _count(ctx, "confirmed") == 0
    again = await review_api.confirm(
        _context(engine, Recorded()), REVIEW_ID, review_api.ConfirmBody(), by="a"
    )
    assert again.verdict == "confirmed"


async def test_feedback_on_an_alert_is_stored_and_counted(client: Any, engine: Engine) -> None:
    c, _, ctx = client
    with engine.connect() as conn:
        alert_id = conn.execute(AlertRow.__table__.select()).first().alert_id  # type: ignore[attr-defined, union-attr]
    ok = await c.post(f"/api/alerts/{alert_id}/feedback", json={"kind": "duplicate", "note": "x"},
                      headers=AUTH)  # fmt: skip
    unknown = await c.post("/api/alerts/nope/feedback", json={"kind": "duplicate"}, headers=AUTH)
    bad = await c.post(f"/api/alerts/{alert_id}/feedback", json={"kind": "wrong"}, headers=AUTH)
    anonymous = await c.post(f"/api/alerts/{alert_id}/feedback", json={"kind": "duplicate"})
    assert (ok.status, unknown.status, bad.status, anonymous.status) == (201, 404, 400, 401)
    stored = await ok.json()
    assert (stored["kind"], stored["review_id"], stored["by"]) == (
        "duplicate",
        REVIEW_ID,
        COORDINATOR,
    )
    assert _count(ctx, "duplicate") == 1


ROUTES = [
    ("GET", "/api/review", {"coordinator", "clinician", "service"}),
    ("GET", f"/api/review/{REVIEW_ID}", {"coordinator", "clinician", "service"}),
    # Judging a report is a person's act: the machines' service token may not.
    ("POST", "/api/review/nope/confirm", {"coordinator", "clinician"}),
    ("POST", "/api/review/nope/dismiss", {"coordinator", "clinician"}),
    ("POST", "/api/alerts/nope/feedback", {"coordinator", "clinician"}),
]


@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES)
async def test_each_review_route_refuses_anonymous_and_wrong_roles(
    method: str, path: str, allowed: set[str], client: Any
) -> None:
    c, _, _ = client
    anonymous = await c.request(method, path, data=b"{}")
    assert anonymous.status == 401
    statuses = {}
    for role in (*ROLES, "service"):
        response = await c.request(method, path, data=b"{}", headers=bearer(role))
        statuses[role] = response.status
    for role, status in statuses.items():
        assert (status == 403) == (role not in allowed), (role, status)


async def test_every_read_and_verdict_is_recorded_naming_the_user(
    client: Any, engine: Engine
) -> None:
    c, _, _ = client
    assert (await c.get("/api/review", headers=bearer("clinician"))).status == 200
    confirm = f"/api/review/{REVIEW_ID}/confirm"
    assert (await c.post(confirm, json={}, headers=AUTH)).status == 202
    assert (await c.post(confirm, json={}, headers=bearer("clinician"))).status == 409
    assert (await c.post(confirm, json={}, headers=bearer("auditor"))).status == 403
    records = {(r.user_name, r.action, r.target_id, r.outcome)
               for r in AccessLog(engine=engine).query()}  # fmt: skip
    clinician, auditor = name_of("clinician"), name_of("auditor")
    assert records == {
        (clinician, AccessAction.READ_WORKLIST, None, AccessOutcome.OK),
        (COORDINATOR, AccessAction.CONFIRM, REVIEW_ID, AccessOutcome.OK),
        (clinician, AccessAction.CONFIRM, REVIEW_ID, AccessOutcome.OK),
        (clinician, AccessAction.CONFIRM, REVIEW_ID, AccessOutcome.REFUSED),
        (auditor, AccessAction.DENIED, None, AccessOutcome.REFUSED),
    }


async def test_a_session_caller_needs_the_csrf_token_to_give_a_verdict(client: Any) -> None:
    c, sender, ctx = client
    secret = ctx.api.guard().authenticator.session_secret
    cookie, session = sessions.issue(
        secret=secret, name=name_of("coordinator"), role="coordinator", now=NOW,
        ttl=timedelta(hours=1),
    )  # fmt: skip
    csrf = sessions.csrf_token(secret=secret, session=session)
    c.session.cookie_jar.update_cookies({COOKIE_NAME: cookie})
    path = f"/api/review/{REVIEW_ID}/confirm"
    read = await c.get("/api/review")  # a read needs no token
    missing = await c.post(path, json={})
    forged = await c.post(path, json={}, headers={CSRF_HEADER: csrf[:-2] + "xx"})
    assert (read.status, missing.status, forged.status) == (200, 403, 403)
    assert "CSRF" in (await missing.json())["error"]
    assert sender.sent == []
    ok = await c.post(path, json={}, headers={CSRF_HEADER: csrf})
    assert ok.status == 202
    assert (await ok.json())["by"] == COORDINATOR
