"""Worker HTTP endpoints: /metrics for Prometheus, /health (alive) and /ready (serving).

Kubernetes-style semantics: /health fails only when the process should be restarted; /ready
fails while the worker cannot do useful work: broker unreachable, no partitions assigned, a
rebalance under way, or, where this worker uses it (sink role, HTTP API), the audit store
unreachable or behind the code's schema. A load balancer or orchestrator then waits instead of
restarting it. The body says which check failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from faust import web as faust_web
from faust.types import AppT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.engine import Engine

from services.config import Role, Settings
from streams.bootstrap import Runtime

_METADATA_TIMEOUT_SECONDS = 2.0
_DATABASE_TIMEOUT_SECONDS = 2.0

DatabaseCheck = Callable[[], Awaitable[str | None]]
BrokerCheck = Callable[[AppT], Awaitable[bool]]


def _schema_problem(engine: Engine) -> str | None:
    from sqlalchemy.exc import SQLAlchemyError

    from services.store import SchemaError, check_schema

    try:
        check_schema(engine=engine)
    except SchemaError as exc:
        return str(exc)
    except SQLAlchemyError as exc:  # the driver's message may quote the URL: the class only
        return f"database unavailable: {type(exc).__name__}"
    return None


class DatabaseProbe:
    """None when the audit store answers at the code's schema revision, else why not.

    One probe at a time: a thread stuck in a TCP connect cannot be cancelled, so a new /ready
    waits on the one in flight instead of starting another.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._probe: asyncio.Future[str | None] | None = None

    async def __call__(self) -> str | None:
        """Why the audit store cannot serve, or None."""
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(asyncio.to_thread(_schema_problem, self._engine))
        try:
            return await asyncio.wait_for(asyncio.shield(self._probe), _DATABASE_TIMEOUT_SECONDS)
        except TimeoutError:
            return f"database unavailable: no answer within {_DATABASE_TIMEOUT_SECONDS:g} s"


async def broker_reachable(target: AppT) -> bool:
    """True when the worker's producer fetches cluster metadata within the timeout."""
    try:
        # Faust keeps the aiokafka producer private; its client is the cheapest live connection.
        producer = target.producer._ensure_producer()  # type: ignore[attr-defined]
        await asyncio.wait_for(producer.client.fetch_all_metadata(), _METADATA_TIMEOUT_SECONDS)
    except Exception:  # any failure here means "not ready", never a crash of the probe
        return False
    return True


def database_required(*, worker_roles: frozenset[Role], settings: Settings) -> bool:
    """Only the sink and the HTTP API use the audit store; an alerting-only worker keeps paging
    while the database is down, so the database must not make it look unready."""
    return Role.SINK in worker_roles or bool(settings.api_token.get_secret_value())


async def readiness(
    target: AppT, *, rt: Runtime, database: DatabaseCheck, reachable: BrokerCheck = broker_reachable
) -> dict[str, Any]:
    """The readiness report; `ready` is the conjunction of the checks."""
    assigned = len(target.consumer.assignment()) if target.started else 0
    needs_database = database_required(worker_roles=rt.settings.roles, settings=rt.settings)
    problem = await database() if needs_database else None
    checks: dict[str, Any] = {
        "started": bool(target.started),
        "partitions_assigned": assigned,
        "rebalancing": bool(target.rebalancing),
        "broker_reachable": await reachable(target) if target.started else False,
        "database_required": needs_database,
        "database_ok": problem is None,
        "database_reason": problem,
        # The sink's last write: informative (it stays failed until its next commit).
        **rt.sink_health.report(),
    }
    checks["ready"] = (
        checks["started"]
        and assigned > 0
        and not checks["rebalancing"]
        and checks["broker_reachable"]
        and checks["database_ok"]
    )
    failing = {
        "worker not started": not checks["started"],
        "broker unreachable": checks["started"] and not checks["broker_reachable"],
        "no partitions assigned": checks["started"] and assigned == 0,
        "rebalance in progress": checks["rebalancing"],
    }
    reasons = [reason for reason, failed in failing.items() if failed]
    checks["reasons"] = [*reasons, problem] if problem else reasons
    return checks


def register(app: AppT, rt: Runtime) -> None:
    """/health, /ready and /metrics on every worker's `app`."""
    probe = DatabaseProbe(rt.store.engine)

    @app.page("/health")
    async def health(self: faust_web.View, request: faust_web.Request) -> faust_web.Response:
        """Alive: the event loop answers HTTP."""
        return self.json({"status": "ok"})

    @app.page("/ready")
    async def ready(self: faust_web.View, request: faust_web.Request) -> faust_web.Response:
        """Ready: broker reachable, partitions assigned, no rebalance, audit store current."""
        report = await readiness(app, rt=rt, database=probe)
        return self.json(report, status=200 if report["ready"] else 503)

    @app.page("/metrics")
    async def metrics(self: faust_web.View, request: faust_web.Request) -> faust_web.Response:
        """Prometheus exposition of Cordwatch's and Faust's metrics."""
        rt.metrics.assigned_partitions.set(len(app.consumer.assignment()) if app.started else 0)
        body = generate_latest(rt.registry)
        # aiohttp refuses a charset inside content_type=, so the exposition type goes in headers.
        return self.bytes(body, headers={"Content-Type": CONTENT_TYPE_LATEST})
