"""Worker HTTP endpoints: /metrics for Prometheus, /health (alive) and /ready (serving).

Kubernetes-style semantics: /health fails only when the process should be restarted; /ready
fails while the worker cannot do useful work (broker unreachable, no partitions assigned, a
rebalance under way), so a load balancer or orchestrator waits instead of restarting it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust import web as faust_web
from faust.types import AppT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from streams.app import app
from streams.bootstrap import get_runtime

_METADATA_TIMEOUT_SECONDS = 2.0


async def broker_reachable(target: AppT) -> bool:
    """True when the worker's producer fetches cluster metadata within the timeout."""
    try:
        # Faust keeps the aiokafka producer private; its client is the cheapest live connection.
        producer = target.producer._ensure_producer()  # type: ignore[attr-defined]
        await asyncio.wait_for(producer.client.fetch_all_metadata(), _METADATA_TIMEOUT_SECONDS)
    except Exception:  # any failure here means "not ready", never a crash of the probe
        return False
    return True


async def readiness(target: AppT) -> dict[str, Any]:
    """The readiness report; `ready` is the conjunction of the checks."""
    assigned = len(target.consumer.assignment()) if target.started else 0
    checks = {
        "started": bool(target.started),
        "partitions_assigned": assigned,
        "rebalancing": bool(target.rebalancing),
        "broker_reachable": await broker_reachable(target) if target.started else False,
    }
    checks["ready"] = (
        checks["started"]
        and assigned > 0
        and not checks["rebalancing"]
        and checks["broker_reachable"]
    )
    return checks


@app.page("/health")
async def health(self: faust_web.View, request: faust_web.Request) -> faust_web.Response:
    """Alive: the event loop answers HTTP."""
    return self.json({"status": "ok"})


@app.page("/ready")
async def ready(self: faust_web.View, request: faust_web.Request) -> faust_web.Response:
    """Ready: broker reachable, partitions assigned, no rebalance in progress."""
    report = await readiness(app)
    return self.json(report, status=200 if report["ready"] else 503)


@app.page("/metrics")
async def metrics(self: faust_web.View, request: faust_web.Request) -> faust_web.Response:
    """Prometheus exposition of Cordwatch's and Faust's metrics."""
    body = generate_latest(get_runtime().registry)
    # aiohttp refuses a charset inside content_type=, so the exposition type goes in headers.
    return self.bytes(body, headers={"Content-Type": CONTENT_TYPE_LATEST})
