"""Shared fixtures: one real embedded broker for the whole session."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import AsyncIterator

import pytest_asyncio

from streams.broker import EmbeddedBroker, ensure_topics, pid_alive, wait_ready

TEST_PARTITIONS = 4  # fewer than production's 8: less consumer-group work on 2 shared cores


async def start_prepared_broker(partitions: int = TEST_PARTITIONS) -> EmbeddedBroker:
    """A running embedded broker with every Cordwatch topic created."""
    from streams.topics import all_topic_names

    embedded = EmbeddedBroker().start()
    try:
        await wait_ready(embedded.bootstrap)
        await ensure_topics(
            embedded.bootstrap, all_topic_names(), partitions=partitions, replication=1
        )
    except BaseException:
        embedded.stop()
        raise
    return embedded


def stop_and_check(embedded: EmbeddedBroker) -> None:
    """Stop the broker and fail if its process is still there."""
    pid = embedded.pid
    embedded.stop()
    assert not pid_alive(pid), f"embedded broker {pid} survived its owner's stop()"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def broker() -> AsyncIterator[str]:
    """Bootstrap address of a real embedded Tansu broker on a free loopback port.

    Every Cordwatch topic exists with TEST_PARTITIONS partitions. Memory-only and shared by
    the session: tests isolate themselves with unique consumer groups and event ids.
    """
    embedded = await start_prepared_broker()
    try:
        yield embedded.bootstrap
    finally:
        stop_and_check(embedded)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def own_broker() -> AsyncIterator[EmbeddedBroker]:
    """A broker of the requesting module's own (one per module): for a module whose workers'
    new consumer groups read from the earliest offset, or whose test freezes it (SIGSTOP)."""
    embedded = await start_prepared_broker()
    try:
        yield embedded
    finally:
        # A test that froze the broker may have failed before thawing it; a running one
        # ignores SIGCONT.
        with contextlib.suppress(ProcessLookupError):
            os.kill(embedded.pid, signal.SIGCONT)
        stop_and_check(embedded)
