"""`cordwatch demo` (what `make run` runs): broker, worker, example feed, and what came out.

Starts the embedded broker (unless CORDWATCH_KAFKA_BOOTSTRAP is set) and a worker process,
publishes examples/events.jsonl to the hospital topics, shows the worker's log lines as the
events flow, then prints per-topic counts and the /metrics URL and stops everything.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ORDER = 1
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "events.jsonl"


def register(subparsers: Any) -> None:
    """Add the `demo` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="run broker + worker, feed the example events, show what flows where",
        description=__doc__,
    )
    parser.add_argument("--events", type=Path, default=EXAMPLES, help="JSON-lines feed to publish")
    parser.add_argument(
        "--keep-running", action="store_true", help="keep broker and worker up until Ctrl-C"
    )
    parser.add_argument(
        "--timeout", type=float, default=45.0, help="seconds to wait for all outputs"
    )
    parser.set_defaults(handler=run)


@dataclass(frozen=True)
class FeedMessage:
    """One line of the feed: where it goes, its key and its exact bytes."""

    topic: str
    key: bytes | None
    value: bytes
    expect_valid: bool
    event_type: str
    patient_id: str | None


def load_feed(path: Path) -> list[FeedMessage]:
    """Read the feed; a line has `value` (an event) or `raw` (bytes as sent, often invalid)."""
    messages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        entry = json.loads(line)
        value = entry.get("value")
        patient = value.get("patient_id") if isinstance(value, dict) else None
        key = entry.get("key", patient)
        raw = entry["raw"].encode() if "raw" in entry else json.dumps(value).encode()
        if "topic" not in entry:
            raise SystemExit(f"{path}:{number}: every line needs a topic")
        messages.append(
            FeedMessage(
                topic=entry["topic"],
                key=None if key is None else str(key).encode(),
                value=raw,
                expect_valid="raw" not in entry,
                event_type=str(value.get("event_type", "?")) if isinstance(value, dict) else "?",
                patient_id=patient if patient is not None else key,
            )
        )
    return messages


def run(args: argparse.Namespace) -> int:
    """Run the demo; exit 0 when every message came out where it should."""
    import asyncio

    feed = load_feed(args.events)
    _migrate_store()
    return asyncio.run(_demo(feed, within=args.timeout, keep_running=args.keep_running))


def _migrate_store() -> None:
    """Bring the audit store's schema up to date, as `cordwatch db upgrade` would."""
    from sqlalchemy.engine import make_url

    from services.config import get_settings
    from services.store.engine import make_engine
    from services.store.migrations import upgrade

    url = get_settings().database_url
    engine = make_engine(url)
    try:
        revision = upgrade(engine=engine)
    finally:
        engine.dispose()
    shown = make_url(url).render_as_string(hide_password=True)
    _print("store", f"audit store {shown} at schema revision {revision}")


def _print(prefix: str, text: str) -> None:
    print(f"{prefix:<7}| {text}", flush=True)


async def _demo(feed: list[FeedMessage], *, within: float, keep_running: bool) -> int:
    import secrets
    import time

    from services.config import get_settings
    from services.logging import configure_logging, pseudonymise
    from streams.bootstrap import prepare_cluster, start_embedded_broker
    from streams.broker import free_port

    settings = get_settings()
    configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
    # One pseudonym key for the feed's lines and the worker's, so a patient's lines match.
    key = secrets.token_hex(32)
    ref = _pseudonymiser(pseudonymise, key.encode())
    broker = start_embedded_broker(settings) if settings.embedded else None
    bootstrap = broker.bootstrap if broker else settings.kafka_bootstrap
    worker: Any = None
    try:
        kind = f"embedded Tansu, in memory, pid {broker.pid}" if broker else "Kafka"
        _print("broker", f"{kind} at {bootstrap}")
        await prepare_cluster(settings, bootstrap)
        web_port = free_port(settings.web_host)
        started = time.monotonic()
        worker = _WorkerProcess.start(bootstrap=bootstrap, web_port=web_port, key=key)
        url = f"http://{settings.web_host}:{web_port}"
        await worker.wait_ready(url, within=60.0)
        ready_in = time.monotonic() - started
        _print("worker", f"pid {worker.process.pid} ready in {ready_in:.1f}s; {url}/metrics")
        outputs = _OutputWatcher(bootstrap=bootstrap, settings=settings)
        await outputs.start()
        await _publish(feed, bootstrap=bootstrap, settings=settings, ref=ref)
        expected_valid = sum(m.expect_valid for m in feed)
        await outputs.collect(
            valid=expected_valid, invalid=len(feed) - expected_valid, within=within
        )
        metrics = await _scrape(f"{url}/metrics")
        ok = _summary(feed, outputs, metrics, url=url)
        if keep_running:
            _print("demo", "still running: broker and worker stay up until Ctrl-C")
            await _until_interrupted(worker)
        return 0 if ok else 1
    finally:
        if worker is not None:
            worker.stop()
        if broker is not None:
            broker.stop()
            _print("broker", "stopped")


def _pseudonymiser(pseudonymise: Any, key: bytes) -> Any:
    def ref(patient_id: str | None) -> str:
        return "-" if patient_id is None else pseudonymise(patient_id, key=key)

    return ref


_WORKER_MAIN = "import sys; from streams.cli import main; sys.exit(main(['worker']))"


class _WorkerProcess:
    """`cordwatch worker` as a child process; its ingest log lines are echoed compactly."""

    def __init__(self, process: Any, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @classmethod
    def start(cls, *, bootstrap: str, web_port: int, key: str) -> _WorkerProcess:
        import os
        import subprocess
        import sys
        import threading

        from streams.broker import spawn_owned

        env = {
            **os.environ,
            "CORDWATCH_KAFKA_BOOTSTRAP": bootstrap,
            "CORDWATCH_WEB_PORT": str(web_port),
            "CORDWATCH_PSEUDONYM_KEY": key,
            "CORDWATCH_LOG_FORMAT": "json",
        }
        # Tansu holds a first JoinGroup for half the session timeout: 6 s (Kafka's minimum by
        # default) gets a newcomer to a ready worker sooner than the production default.
        env.setdefault("CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS", "6")
        process = spawn_owned([sys.executable, "-c", _WORKER_MAIN], stdout=subprocess.PIPE, env=env)
        log_path = Path(os.environ.get("CORDWATCH_DATA_DIR", "var")) / "demo-worker.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        worker = cls(process, log_path)
        threading.Thread(target=worker._echo, daemon=True).start()
        return worker

    def _echo(self) -> None:
        with self.log_path.open("wb") as log:
            for line in self.process.stdout:
                log.write(line)
                log.flush()
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                event = str(entry.get("event", ""))
                if event.startswith("ingest.") or entry.get("level") in ("error", "critical"):
                    detail = entry.get("event_type") or entry.get("reason") or entry.get("error")
                    where = f"{entry.get('topic')} p{entry.get('partition')}@{entry.get('offset')}"
                    who = entry.get("patient_ref", "")
                    _print("worker", f"{event:<22} {where:<42} {detail} {who}")

    async def wait_ready(self, url: str, *, within: float) -> None:
        import asyncio
        import time

        import aiohttp

        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise SystemExit(f"the worker exited; see {self.log_path}")
                try:
                    async with session.get(f"{url}/ready") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise SystemExit(f"the worker was not ready within {within:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        from streams.broker import terminate

        code = terminate(self.process, grace=15.0)
        _print("worker", f"stopped (exit {code}); full log in {self.log_path}")


async def _publish(feed: list[FeedMessage], *, bootstrap: str, settings: Any, ref: Any) -> None:
    from aiokafka import AIOKafkaProducer

    from streams.broker import client_options

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        **client_options(settings),
    )
    await producer.start()
    try:
        for message in feed:
            await producer.send_and_wait(message.topic, message.value, key=message.key)
            label = message.event_type if message.expect_valid else "(malformed on purpose)"
            _print("feed", f"{message.topic:<36} {label:<26} {ref(message.patient_id)}")
    finally:
        await producer.stop()


class _OutputWatcher:
    """Reads the two ingest outputs from their current end, so only this run's are counted."""

    def __init__(self, *, bootstrap: str, settings: Any) -> None:
        from aiokafka import AIOKafkaConsumer

        from streams.broker import client_options

        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, enable_auto_commit=False, **client_options(settings)
        )
        self.forwarded: list[Any] = []
        self.dead: list[dict[str, Any]] = []
        # What the pathway made of the feed (alerts, episode changes), counted by kind only.
        self.downstream: Counter[str] = Counter()

    async def start(self) -> None:
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

    async def collect(self, *, valid: int, invalid: int, within: float) -> None:
        """Read until ingest's outputs are all in (or `within` passes), then a little longer."""
        import time

        deadline = time.monotonic() + within
        try:
            while len(self.forwarded) < valid or len(self.dead) < invalid:
                if time.monotonic() > deadline:
                    break
                await self._read(timeout_ms=200)
            # The pathway reacts to forwarded events a moment later.
            settle = time.monotonic() + 2.0
            while time.monotonic() < settle:
                await self._read(timeout_ms=200)
        finally:
            await self.consumer.stop()

    async def _read(self, *, timeout_ms: int) -> None:
        from models.events import INBOUND_TOPIC_EVENT_TYPES
        from streams.topics import ALERTS, DEAD_LETTERS, INBOUND, PATIENT_EVENTS

        inbound_types = frozenset().union(*INBOUND_TOPIC_EVENT_TYPES.values())
        batches = await self.consumer.getmany(timeout_ms=timeout_ms)
        for tp, records in batches.items():
            for record in records:
                value = json.loads(record.value)
                if tp.topic == PATIENT_EVENTS:
                    # Timer events travel on the same topic; only canonical inbound ones count.
                    if value.get("event_type") in inbound_types:
                        self.forwarded.append(value)
                elif tp.topic == DEAD_LETTERS:
                    # Only ingest's refusals; other agents park their own failures here.
                    if value.get("topic") in INBOUND:
                        self.dead.append(value)
                elif tp.topic == ALERTS:
                    self.downstream[f"alert {value.get('alert_type', '?')}"] += 1
                else:
                    self.downstream[f"episode change {value.get('change_type', '?')}"] += 1


async def _scrape(url: str) -> dict[str, float]:
    import aiohttp
    from prometheus_client.parser import text_string_to_metric_families

    from streams.topics import INBOUND

    async with aiohttp.ClientSession() as session, session.get(url) as response:
        text = await response.text()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name in ("cordwatch_events_ingested", "cordwatch_dead_letters"):
            totals[family.name] = sum(
                s.value
                for s in family.samples
                if s.name.endswith("_total") and s.labels.get("topic") in INBOUND
            )
    return totals


def _summary(
    feed: list[FeedMessage], outputs: _OutputWatcher, metrics: dict[str, float], *, url: str
) -> bool:
    from streams.topics import DEAD_LETTERS, PATIENT_EVENTS

    sent = Counter(m.topic for m in feed)
    parked = Counter(d["topic"] for d in outputs.dead)
    valid_sent = sum(m.expect_valid for m in feed)
    print(flush=True)
    print(f"{'inbound topic':<38}{'sent':>6}{'dead-lettered':>15}", flush=True)
    for topic in sorted(sent):
        print(f"{topic:<38}{sent[topic]:>6}{parked[topic]:>15}", flush=True)
    for letter in outputs.dead:
        print(f"  dead letter from {letter['topic']}: {letter['reason']}", flush=True)
    print(flush=True)
    print(f"{PATIENT_EVENTS:<38}{len(outputs.forwarded):>6} events (expected {valid_sent})")
    print(
        f"{DEAD_LETTERS:<38}{len(outputs.dead):>6} dead letters (expected {len(feed) - valid_sent})"
    )
    for kind, count in sorted(outputs.downstream.items()):
        print(f"  pathway output: {count} x {kind}", flush=True)
    ingested = metrics.get("cordwatch_events_ingested", 0.0)
    dead = metrics.get("cordwatch_dead_letters", 0.0)
    print(
        f"metrics: cordwatch_events_ingested_total={ingested:.0f} "
        f"cordwatch_dead_letters_total={dead:.0f} at {url}/metrics",
        flush=True,
    )
    ok = (len(outputs.forwarded), len(outputs.dead)) == (valid_sent, len(feed) - valid_sent)
    ok = ok and (ingested, dead) == (valid_sent, len(feed) - valid_sent)
    print("all messages accounted for" if ok else "MISMATCH: see the counts above", flush=True)
    return ok


async def _until_interrupted(worker: _WorkerProcess) -> None:
    import asyncio
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    while not stop.is_set() and worker.process.poll() is None:
        try:
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        except TimeoutError:
            continue
