"""The live reader of Cordwatch's outputs: counts ingest's verdicts, prints each alert once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from streams.demo.console import Console
from streams.demo.lines import ALERT_HEADER, Ref, format_alert


class AlertWatcher:
    """Reads Cordwatch's outputs from their current end; prints each alert as it arrives."""

    def __init__(self, *, bootstrap: str, settings: Any, console: Console, ref: Ref) -> None:
        from aiokafka import AIOKafkaConsumer

        from streams.broker import client_options

        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options(settings)
        )
        self.console = console
        self.ref = ref
        self.forwarded: list[str] = []  # event types of canonical events on patient-events
        self.dead: list[dict[str, Any]] = []
        self.alerts: dict[str, dict[str, Any]] = {}  # by alert_id: redeliveries shown once
        self.episodes: dict[str, tuple[int, str]] = {}  # episode_id -> (version, status)
        self.timers: dict[str, tuple[int, dict[str, Any], str]] = {}  # id -> (version, snap, ep)
        self.changes: Counter[str] = Counter()

    async def start(self) -> None:
        """Assign every partition of the output topics and start at their current end."""
        from aiokafka import TopicPartition

        from streams.topics import ALERTS, DEAD_LETTERS, EPISODE_CHANGES, PATIENT_EVENTS

        await self.consumer.start()
        parts = [
            TopicPartition(topic, p)
            for topic in (PATIENT_EVENTS, DEAD_LETTERS, ALERTS, EPISODE_CHANGES)
            for p in sorted(self.consumer.partitions_for_topic(topic) or ())
        ]
        self.consumer.assign(parts)
        ends = await self.consumer.end_offsets(parts)
        for tp, offset in ends.items():
            self.consumer.seek(tp, offset)

    async def run(self) -> None:
        """Read until cancelled."""
        while True:
            await self._read(timeout_ms=200)

    async def stop(self) -> None:
        """Close the consumer."""
        await self.consumer.stop()

    async def wait_for(self, *, valid: int, invalid: int, within: float) -> None:
        """Until ingest's outputs are all in, or ``within`` seconds pass."""
        import asyncio
        import time

        deadline = time.monotonic() + within
        while len(self.forwarded) < valid or len(self.dead) < invalid:
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(0.1)

    def pending_deadlines(self) -> list[datetime]:
        """Due times of timers whose latest snapshot is pending."""
        return [
            datetime.fromisoformat(snap["due_at"])
            for _, snap, _ in self.timers.values()
            if snap["status"] == "pending"
        ]

    async def _read(self, *, timeout_ms: int) -> None:
        from models.events import INBOUND_TOPIC_EVENT_TYPES
        from streams.topics import ALERTS, DEAD_LETTERS, GATEWAY_INBOUND, INBOUND, PATIENT_EVENTS

        inbound_types = frozenset().union(*INBOUND_TOPIC_EVENT_TYPES.values())
        batches = await self.consumer.getmany(timeout_ms=timeout_ms)
        for tp, records in batches.items():
            for record in records:
                try:
                    value = json.loads(record.value)
                except (TypeError, ValueError):
                    continue  # not ours to judge here; the count check will show it
                if tp.topic == PATIENT_EVENTS:
                    # Timer events travel on the same topic; only canonical inbound ones count.
                    if value.get("event_type") in inbound_types:
                        self.forwarded.append(value["event_type"])
                elif tp.topic == DEAD_LETTERS:
                    # Only ingest's and the gateway's refusals; other agents park their own
                    # failures here.
                    if value.get("topic") in (*INBOUND, *GATEWAY_INBOUND):
                        self.dead.append(value)
                elif tp.topic == ALERTS:
                    self._alert(value)
                else:
                    self._change(value)

    def _alert(self, alert: dict[str, Any]) -> None:
        if alert["alert_id"] in self.alerts:
            return
        if not self.alerts:
            self.console.line("alert", ALERT_HEADER, style="dim")
        self.alerts[alert["alert_id"]] = alert
        self.console.raw(format_alert(alert, ref=self.ref, paint=self.console.paint))

    def _change(self, change: dict[str, Any]) -> None:
        kind = change.get("change_type", "?")
        self.changes[kind] += 1
        version, episode = int(change.get("version", 0)), change["episode_id"]
        if kind == "episode" and version >= self.episodes.get(episode, (0, ""))[0]:
            self.episodes[episode] = (version, change["episode"]["status"])
        elif kind == "timer":
            timer = change["timer"]
            if version >= self.timers.get(timer["timer_id"], (0, {}, ""))[0]:
                self.timers[timer["timer_id"]] = (version, timer, episode)
