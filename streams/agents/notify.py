"""The notify role inside a worker (CORDWATCH_ROLES=...,notify): the paging loop as a task.

It runs its own aiokafka consumer in group ``<app_id>-notify-pages``, apart from the Faust
agents' group, so a slow channel never holds back the pathway's consumption or commits.
"""

from __future__ import annotations

import asyncio

import structlog
from faust.types import AppT

from streams.bootstrap import Runtime

log = structlog.get_logger(__name__)


def register(app: AppT, rt: Runtime) -> None:
    """The paging loop as a task of a notify worker's `app`."""

    @app.task  # type: ignore[untyped-decorator]  # faust is untyped
    async def notify_pages() -> None:
        """Page people until the worker stops."""
        await run_notify(rt)


async def run_notify(rt: Runtime) -> None:
    """Page people until cancelled; a bad routing file is logged and pages nobody."""
    from streams.notify.loop import run
    from streams.notify.parts import NotifyConfigError, build_parts
    from streams.notify.serve import ack_service

    try:
        parts = build_parts(rt.settings, policy=rt.pathway.policy, registry=rt.registry)
    except NotifyConfigError as exc:
        # Problems name places in the file, never a contact: safe to log.
        log.critical("notify.not_started", problems=str(exc).splitlines())
        return
    try:
        async with ack_service(
            rt.settings,
            registry=rt.registry,
            users=rt.users,
            host=rt.settings.web_host,
            outbox=rt.outbox("notify"),
        ):
            await run(
                rt.settings,
                notifier=parts.notifier,
                stop=asyncio.Event(),
                on_ready=lambda: log.info("notify.ready"),
            )
    finally:
        await parts.close()
