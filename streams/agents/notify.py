"""The notify role inside a worker (CORDWATCH_ROLES=...,notify): the paging loop as a task.

It runs its own aiokafka consumer in group ``<app_id>-notify-pages``, apart from the Faust
agents' group, so a slow channel never holds back the pathway's consumption or commits.
"""

from __future__ import annotations

import asyncio

import structlog

from services.config import Role
from services.policy import load_policy
from streams.app import app, for_role
from streams.bootstrap import get_runtime

log = structlog.get_logger(__name__)


@for_role(Role.NOTIFY, app.task)
async def notify_pages() -> None:
    """Page people until the worker stops; a bad routing file is logged and pages nobody."""
    from streams.notify.loop import run
    from streams.notify.runtime import NotifyConfigError, build_parts
    from streams.notify.serve import ack_service

    rt = get_runtime()
    try:
        parts = build_parts(rt.settings, policy=load_policy(), registry=rt.registry)
    except NotifyConfigError as exc:
        # Problems name places in the file, never a contact: safe to log.
        log.critical("notify.not_started", problems=str(exc).splitlines())
        return
    try:
        async with ack_service(rt.settings, registry=rt.registry, host=rt.settings.web_host):
            await run(
                rt.settings,
                notifier=parts.notifier,
                stop=asyncio.Event(),
                on_ready=lambda: log.info("notify.ready"),
            )
    finally:
        await parts.close()
