"""Real workers against the session broker: start, SIGKILL, publish, and read what came out.

Each test gets its own app id (consumer group and changelog topic) and its own patient ids, so
tests sharing the session broker never see each other's state or alerts.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from services.policy import DEFAULT_POLICY_PATH
from streams.broker import free_port, spawn_owned, terminate
from tests.conftest import TEST_PARTITIONS

ROOT = Path(__file__).resolve().parents[3]
ALERTS = "cordwatch.alerts"


def write_policy(
    path: Path,
    *,
    steroids_s: float,
    surgical_s: float,
    escalation_s: float = 3600.0,
    late_after_s: float = 1.0,
) -> Path:
    """The packaged policy with windows in seconds, so a test sees deadlines pass."""
    data = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    data["timers"]["steroids"]["window_hours"] = steroids_s / 3600
    data["timers"]["surgical_evaluation"]["window_hours"] = surgical_s / 3600
    # One escalation step (tier 2) after ``escalation_s``, no repeats.
    data["paging"]["tier_delays_minutes"] = [escalation_s / 60]
    data["paging"]["repeat_times"] = 0
    data["detected_late"]["after_seconds"] = late_after_s
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def migrated_sqlite(path: Path) -> str:
    """A SQLite audit store at ``path``, at the code's schema revision; its URL."""
    from services.store import make_engine, upgrade

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        upgrade(engine=engine)
    finally:
        engine.dispose()
    return url


@dataclass
class Worker:
    """`cordwatch worker` in a child process, with the stand-in detector of the reducer tests."""

    bootstrap: str
    app_id: str
    policy: Path
    workdir: Path
    name: str = "w"
    web_port: int = 0
    env: dict[str, str] = field(default_factory=dict)  # last word over the defaults below
    # The command; default: `cordwatch worker` with the stand-in detector (worker_main).
    argv: list[str] = field(
        default_factory=lambda: [sys.executable, "-m", "tests.integration.pathway.worker_main"]
    )
    process: subprocess.Popen[bytes] | None = None
    ready_at: float | None = None
    _logs: list[Path] = field(default_factory=list)

    def start(self) -> Worker:
        """Start (or restart) the worker; `wait_ready` blocks until it serves."""
        self.web_port = free_port()
        log_path = self.workdir / f"{self.name}-{len(self._logs)}.log"
        self._logs.append(log_path)
        env = {
            **os.environ,
            "CORDWATCH_KAFKA_BOOTSTRAP": self.bootstrap,
            "CORDWATCH_APP_ID": self.app_id,
            "CORDWATCH_PARTITIONS": str(TEST_PARTITIONS),
            "CORDWATCH_WEB_PORT": str(self.web_port),
            "CORDWATCH_POLICY": str(self.policy),
            "CORDWATCH_DATA_DIR": str(self.workdir / "var"),
            # The worker refuses a database behind the code's schema: give it a migrated one.
            "CORDWATCH_DATABASE_URL": migrated_sqlite(self.workdir / "audit.db"),
            # A SIGKILLed member holds its partitions until its session expires.
            "CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS": "6",
            "CORDWATCH_LOG_FORMAT": "json",
            "CORDWATCH_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
            **self.env,
        }
        with log_path.open("wb") as log:
            self.process = spawn_owned(self.argv, stdout=log, env=env)
        self.ready_at = None
        return self

    @asynccontextmanager
    async def serving(self, within: float = 120.0) -> AsyncIterator[Worker]:
        """Started and ready for the block (a module fixture's worker); stopped after it."""
        self.start()
        try:
            await self.wait_ready(within=within)
            yield self
        finally:
            self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    async def wait_ready(self, within: float = 45.0) -> None:
        """Until /ready says partitions are assigned and no rebalance runs."""
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(f"worker exited:\n{self.log_tail()}")
                try:
                    async with session.get(f"{self.url}/ready") as response:
                        if response.status == 200:
                            self.ready_at = time.time()
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"worker not ready in {within:.0f}s:\n{self.log_tail()}")

    async def metric(self, name: str, **labels: str) -> float:
        """Sum of a metric's samples matching `labels` on this worker's /metrics."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.url}/metrics") as response,
        ):
            text = await response.text()
        total = 0.0
        for line in text.splitlines():
            if not line.startswith(name):
                continue
            head, _, value = line.rpartition(" ")
            if head.split("{", 1)[0] != name:
                continue
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
        return total

    def kill(self) -> None:
        """SIGKILL: no flush, no commit, no leaving the group."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM and reap."""
        if self.process is not None:
            terminate(self.process, grace=15.0)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(
            "\n".join(p.read_text(errors="replace").splitlines()[-lines:]) for p in self._logs
        )


def unique(prefix: str) -> str:
    """A run-unique id prefix."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def report(patient: str, *, at: datetime, event_id: str | None = None) -> dict[str, Any]:
    """An imaging report the stand-in detector reads as suspected MESCC, ESCC 2 at T7-T8."""
    return {
        "event_id": event_id or f"rep-{patient}",
        "event_type": "imaging_report",
        "occurred_at": at.isoformat(),
        "patient_id": patient,
        "facility": "RLH",
        "accession": f"ACC-{patient}",
        "status": "final",
        "modality": "MR",
        "exam": "MRI whole spine",
        "text": "SUSPECT grade=2 levels=T7,T8",
    }


def review_report(patient: str, *, at: datetime) -> dict[str, Any]:
    """A report the stand-in detector marks review_needed (not suspected)."""
    return {**report(patient, at=at), "text": "REVIEW metastatic soft tissue near the sac"}


def dexamethasone(patient: str, *, at: datetime) -> dict[str, Any]:
    """A completed dexamethasone dose: meets the steroid timer."""
    return {
        "event_id": f"med-{patient}",
        "event_type": "medication_administration",
        "occurred_at": at.isoformat(),
        "patient_id": patient,
        "facility": "RLH",
        "administration_id": f"adm-{patient}",
        "medication": "dexamethasone",
        "dose_mg": 16,
        "route": "oral",
        "status": "completed",
    }


TOPIC_FOR = {
    "imaging_report": "hospital.imaging-reports",
    "medication_administration": "hospital.medication-administrations",
}


async def publish(
    bootstrap: str, events: Iterable[dict[str, Any]], *, topic: str | None = None
) -> None:
    """Send events keyed by patient id, each to its inbound topic (or to `topic`)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topic or TOPIC_FOR[event["event_type"]],
                key=event["patient_id"].encode(),
                value=json.dumps(event).encode(),
            )
    finally:
        await producer.stop()


class AlertWatch:
    """Every message on cordwatch.alerts for patients with our prefix, duplicates included."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.messages: list[dict[str, Any]] = []
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> AlertWatch:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, group_id=None
        )
        await self._consumer.start()
        self._consumer.assign([TopicPartition(ALERTS, p) for p in range(TEST_PARTITIONS)])
        await self._consumer.seek_to_beginning()
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        assert self._consumer is not None
        async for message in self._consumer:
            alert = json.loads(message.value)
            if alert["patient_id"].startswith(self.prefix):
                self.messages.append(alert)

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        assert self._consumer is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    def of(self, alert_type: str, timer: str | None = None) -> list[dict[str, Any]]:
        return [
            a
            for a in self.messages
            if a["alert_type"] == alert_type and (timer is None or a["timer"] == timer)
        ]

    async def wait_for(
        self, alert_type: str, count: int, *, timer: str | None = None, within: float = 40.0
    ) -> None:
        """Until `count` distinct alerts of this type have arrived."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if len({a["alert_id"] for a in self.of(alert_type, timer)}) >= count:
                return
            await asyncio.sleep(0.1)
        have = len({a["alert_id"] for a in self.of(alert_type, timer)})
        raise AssertionError(f"{have}/{count} {alert_type} {timer or ''} alerts in {within:.0f}s")

    def copies_per_alert(self) -> Counter[str]:
        """How many messages carry each alert_id (1 everywhere = no duplicate)."""
        return Counter(a["alert_id"] for a in self.messages)


@dataclass
class TopicDump:
    """Every record of a topic, with the partition it sits on."""

    partitions: set[int]
    located: list[tuple[int, bytes, bytes]]

    @property
    def records(self) -> list[tuple[bytes, bytes]]:
        return [(k, v) for _, k, v in self.located]

    def keyed(self) -> list[tuple[int, tuple[bytes, bytes]]]:
        return [(p, (k, v)) for p, k, v in self.located]


async def read_topic(bootstrap: str, topic: str) -> TopicDump:
    """Read a topic from the beginning to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning()
        ends = await consumer.end_offsets(tps)
        located: list[tuple[int, bytes, bytes]] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, messages in batch.items():
                located += [(tp.partition, m.key or b"", m.value or b"") for m in messages]
        return TopicDump(set(partitions), located)
    finally:
        await consumer.stop()


def now_utc() -> datetime:
    return datetime.now(UTC)


def ago(seconds: float) -> datetime:
    return now_utc() - timedelta(seconds=seconds)
