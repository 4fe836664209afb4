"""Worker HTTP endpoints: /metrics for Prometheus, /health (alive) and /ready (serving).

Kubernetes-style semantics: /health fails only when the process should be restarted; /ready
fails while the worker cannot do useful work: broker unreachable, no partitions assigned, a
rebalance under way, or, where this worker uses it (sink role, HTTP API), the audit store
unreachable or behind the code's schema. A load balancer or orchestrator then waits instead of
restarting it. The body says which check failed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust import web as faust_web
from faust.types import AppT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.config import Role, Settings
from streams.app import app, roles
from streams.bootstrap import get_runtime

_METADATA_TIMEOUT_SECONDS = 2.0
_DATABASE_TIMEOUT_SECONDS = 2.0
# One probe at a time: a thread stuck in a TCP connect cannot be cancelled, so a new /ready
# waits on the one in flight instead of starting another.
_database_probe: asyncio.Task[str | None] | None = None


def _schema_problem() -> str | None:
    from sqlalchemy.exc import SQLAlchemyError

    from services.store import SchemaError, check_schema

    try:
        check_schema(engine=get_runtime().store.engine)
    except SchemaError as exc:
        return str(exc)
    except SQLAlchemyError as exc:  # the driver's message may quote the URL: the class only
        return f"database unavailable: {type(exc).__name__}"
    return None


async def database_problem() -> str | None:
    """None when the audit store answers at the code's schema revision, else why not."""
    global _database_probe
    if _database_probe is None or _database_probe.done():
        _database_probe = asyncio.ensure_future(asyncio.to_thread(_schema_problem))
    try:
        return await asyncio.wait_for(asyncio.shield(_database_probe), _DATABASE_TIMEOUT_SECONDS)
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


async def readiness(target: AppT) -> dict[str, Any]:
    """The readiness report; `ready` is the conjunction of the checks."""
    assigned = len(target.consumer.assignment()) if target.started else 0
    needs_database = database_required(worker_roles=roles, settings=get_runtime().settings)
    problem = await database_problem() if needs_database else None
    checks: dict[str, Any] = {
        "started": bool(target.started),
        "partitions_assigned": assigned,
        "rebalancing": bool(target.rebalancing),
        "broker_reachable": await broker_reachable(target) if target.started else False,
        "database_required": needs_database,
        "database_ok": problem is None,
        "database_reason": problem,
        # The sink's last write: informative (it stays failed until its next commit).
        **get_runtime().sink_health.report(),
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


@app.page("/health")
async def health(self: faust_web.View, request: faust_web.Request) -> faust_web.Response:
    """Alive: the event loop answers HTTP."""
    return self.json({"status": "ok"})


@app.page("/ready")
async def ready(self: faust_web.View, request: faust_web.Request) -> faust_web.Response:
    """Ready: broker reachable, partitions assigned, no rebalance, audit store current."""
    report = await readiness(app)
    return self.json(report, status=200 if report["ready"] else 503)


@app.page("/metrics")
async def metrics(self: faust_web.View, request: faust_web.Request) -> faust_web.Response:
    """Prometheus exposition of Cordwatch's and Faust's metrics."""
    runtime = get_runtime()
    runtime.metrics.assigned_partitions.set(len(app.consumer.assignment()) if app.started else 0)
    body = generate_latest(runtime.registry)
    # aiohttp refuses a charset inside content_type=, so the exposition type goes in headers.
    return self.bytes(body, headers={"Content-Type": CONTENT_TYPE_LATEST})
