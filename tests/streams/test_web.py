"""/ready is the conjunction of its checks; /metrics serves the runtime registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from services.config import Settings
from streams import web
from streams.bootstrap import Runtime, build_runtime


def quiet_runtime() -> Runtime:
    """A worker's Runtime on a fresh registry."""
    return build_runtime(Settings(), registry=CollectorRegistry())


async def database_fine() -> None:
    return None


@dataclass
class FakeConsumer:
    assigned: set[Any] = field(default_factory=set)

    def assignment(self) -> set[Any]:
        return self.assigned


@dataclass
class FakeApp:
    started: bool = True
    rebalancing: bool = False
    consumer: FakeConsumer = field(default_factory=lambda: FakeConsumer({("hospital.adt", 0)}))


@pytest.mark.parametrize(
    ("app", "reachable", "ready"),
    [
        (FakeApp(), True, True),
        (FakeApp(), False, False),
        (FakeApp(consumer=FakeConsumer()), True, False),
        (FakeApp(rebalancing=True), True, False),
        (FakeApp(started=False), True, False),
    ],
)
async def test_ready_needs_every_check(app: FakeApp, reachable: bool, ready: bool) -> None:
    async def fake_reachable(_target: Any) -> bool:
        return reachable

    report = await web.readiness(
        app,  # type: ignore[arg-type]
        rt=quiet_runtime(),
        database=database_fine,
        reachable=fake_reachable,
    )
    assert report["ready"] is ready


async def test_unreachable_broker_is_reported_not_raised() -> None:
    class Broken:
        producer = None  # no producer at all: the probe must say "no", not crash

    assert await web.broker_reachable(Broken()) is False  # type: ignore[arg-type]
