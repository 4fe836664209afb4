"""Ingest throughput on the embedded broker, against a plain aiokafka pass-through baseline.

    .venv/bin/python -m benchmarks.ingest [--messages 20000] [--log-level INFO]

Both runs read the same pre-produced backlog from the six hospital topics on one embedded
Tansu broker (8 partitions) and write every message on; they run one after the other so they
do not share the CPU. The baseline consumes and produces bytes untouched and commits offsets
after each flushed batch (at-least-once, like Faust); Cordwatch validates every message and
forwards it to cordwatch.patient-events or cordwatch.dead-letters. Also measured: worker
start-up time from process spawn to /ready. Tansu holds a first JoinGroup for half the session
timeout, so start-up is reported with that hold named.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

from models.events import INBOUND_TOPIC_EVENT_TYPES
from streams.broker import EmbeddedBroker, ensure_topics, free_port, spawn_owned, terminate
from streams.broker import wait_ready as wait_broker

PARTITIONS = 8
# The hospital's six topics (cordwatch.reviews carries the coordinator's verdicts, not a feed).
INBOUND = tuple(t for t in INBOUND_TOPIC_EVENT_TYPES if t.startswith("hospital."))
OUTPUTS = ("cordwatch.patient-events", "cordwatch.dead-letters")
PASSTHROUGH = "bench.passthrough"
INVALID_SHARE = 0.05
SESSION_TIMEOUT = 6.0  # Apache Kafka's minimum by default (group.min.session.timeout.ms)
WORKER_MAIN = "import sys; from streams.cli import main; sys.exit(main(['worker']))"
# The same worker with only the ingest role (and the HTTP pages), to separate ingest's cost
# from the pathway's, which reacts to every forwarded event in the full worker.
INGEST_ONLY_MAIN = (
    "import sys; from services.config import Role, load_settings; "
    "from streams.cli.worker_cmd import serve; "
    "sys.exit(serve(load_settings(), roles={Role.INGEST}))"
)

_FIELDS: dict[str, tuple[str, dict[str, object]]] = {
    "hospital.adt": ("admit", {"unit": "Oncology", "age": 66}),
    "hospital.imaging-reports": (
        "imaging_report",
        {
            "accession": "A-1",
            "status": "final",
            "modality": "MR",
            "exam": "MRI whole spine",
            "text": "Metastatic disease at T7 with epidural extension compressing the cord. " * 20,
        },
    ),
    "hospital.medication-administrations": (
        "medication_administration",
        {"administration_id": "M-1", "medication": "dexamethasone", "status": "completed"},
    ),
    "hospital.consults": ("consult_requested", {"consult_id": "C-1", "service": "neurosurgery"}),
    "hospital.procedures": (
        "procedure",
        {"procedure_id": "P-1", "procedure": "sbrt", "status": "completed"},
    ),
    "hospital.assessments": ("assessment", {"motor_strength": 4, "ambulatory": True}),
}


def make_feed(count: int, *, seed: int = 7) -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) messages, about INVALID_SHARE of them malformed."""
    rng = random.Random(seed)
    feed = []
    for i in range(count):
        topic = INBOUND[i % len(INBOUND)]
        patient = f"MRN-{rng.randrange(500):05d}"
        event_type, fields = _FIELDS[topic]
        event = {
            "event_id": f"bench-{i}",
            "event_type": event_type,
            "occurred_at": "2026-03-02T10:20:00+01:00",
            "patient_id": patient,
            "facility": rng.choice(("NORTH", "SOUTH")),
            **fields,
        }
        value = json.dumps(event).encode()
        if rng.random() < INVALID_SHARE:
            value = value[: len(value) // 2]  # truncated: not JSON
        feed.append((topic, patient.encode(), value))
    return feed


async def produce(bootstrap: str, feed: list[tuple[str, bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=False, acks="all", linger_ms=5
    )
    await producer.start()
    started = time.perf_counter()
    try:
        for topic, key, value in feed:
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()
    return len(feed) / (time.perf_counter() - started)


async def passthrough(bootstrap: str, total: int) -> float:
    """Baseline: consume the backlog and produce each message unchanged; events/s."""
    consumer = AIOKafkaConsumer(
        *INBOUND,
        bootstrap_servers=bootstrap,
        group_id="bench-passthrough",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=int(SESSION_TIMEOUT * 1000),
        heartbeat_interval_ms=1000,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, acks="all")
    await consumer.start()
    await producer.start()
    done, started = 0, None
    try:
        while done < total:
            batches = await consumer.getmany(timeout_ms=500, max_records=1000)
            if batches and started is None:
                started = time.perf_counter()
            for records in batches.values():
                for record in records:
                    await producer.send(PASSTHROUGH, record.value, key=record.key)
                done += len(records)
            if batches:
                await producer.flush()
                await consumer.commit()
        assert started is not None
        return total / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()


async def counted(url: str, session: aiohttp.ClientSession) -> float:
    """Messages ingest has finished with: forwarded plus parked, inbound topics only."""
    async with session.get(f"{url}/metrics") as response:
        text = await response.text()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name in ("cordwatch_events_ingested", "cordwatch_dead_letters")
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels.get("topic") in INBOUND
    )


def _migrated_sqlite(path: Path) -> str:
    from services.store import make_engine, upgrade

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        upgrade(engine=engine)
    finally:
        engine.dispose()
    return url


async def cordwatch(
    bootstrap: str, total: int, log_level: str, *, entry: str, app_id: str
) -> tuple[float, float, float]:
    """Cordwatch's worker on the same backlog: (start-up s to /ready, events/s, counters)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        # Ambient CORDWATCH_* settings (a developer's shell) must not leak into the worker.
        **{k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")},
        "CORDWATCH_KAFKA_BOOTSTRAP": bootstrap,
        "CORDWATCH_PARTITIONS": str(PARTITIONS),
        "CORDWATCH_WEB_PORT": str(port),
        "CORDWATCH_APP_ID": app_id,
        "CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS": str(SESSION_TIMEOUT),
        "CORDWATCH_LOG_LEVEL": log_level,
        "CORDWATCH_DATA_DIR": tempfile.mkdtemp(prefix="cordwatch-bench-"),
    }
    # The worker refuses an audit store behind the code's schema: give it a migrated one.
    env["CORDWATCH_DATABASE_URL"] = _migrated_sqlite(Path(env["CORDWATCH_DATA_DIR"]) / "audit.db")
    log = Path(env["CORDWATCH_DATA_DIR"]) / "worker.log"
    with log.open("wb") as out:
        spawned = time.perf_counter()
        worker = spawn_owned([sys.executable, "-c", entry], stdout=out, env=env)
        try:
            async with aiohttp.ClientSession() as session:
                ready = await _poll_ready(url, session, worker)
            startup = ready - spawned
            # Progress is read from the output topics' end offsets, not /metrics: scraping the
            # worker would spend the worker's own CPU on the measurement.
            # Progress from ingest's own counters (inbound topics only: other agents of the
            # worker also write to the output topics), polled slowly so the measurement costs
            # the worker little CPU.
            async with aiohttp.ClientSession() as session:
                while (ingested := await counted(url, session)) < total:
                    if worker.poll() is not None:
                        raise SystemExit(f"worker exited; see {log}")
                    await asyncio.sleep(0.25)
            rate = total / (time.perf_counter() - ready)
        finally:
            terminate(worker, grace=20.0)
    return startup, rate, ingested


async def _poll_ready(
    url: str, session: aiohttp.ClientSession, worker: subprocess.Popen[bytes]
) -> float:
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        if worker.poll() is not None:
            raise SystemExit("the worker exited before it was ready")
        try:
            async with session.get(f"{url}/ready") as response:
                if response.status == 200:
                    return time.perf_counter()
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise SystemExit("the worker was not ready within 120 s")


async def output_total(bootstrap: str, topics: tuple[str, ...]) -> int:
    """Records on `topics`, counted by reading them (Tansu's end offsets can be one short)."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    total, idle_since = 0, time.monotonic()
    try:
        while time.monotonic() - idle_since < 1.0:
            batches = await consumer.getmany(timeout_ms=200, max_records=5000)
            if batches:
                total += sum(len(records) for records in batches.values())
                idle_since = time.monotonic()
        return total
    finally:
        await consumer.stop()


async def main(messages: int, log_level: str) -> None:
    from streams.topics import all_topic_names

    feed = make_feed(messages)
    invalid = sum(1 for _, _, v in feed if not v.endswith(b"}"))
    with EmbeddedBroker() as broker:
        bootstrap = broker.bootstrap
        await wait_broker(bootstrap)
        await ensure_topics(bootstrap, all_topic_names(), partitions=PARTITIONS, replication=1)
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        await admin.create_topics([NewTopic(PASSTHROUGH, PARTITIONS, 1)])
        await admin.close()
        produce_rate = await produce(bootstrap, feed)
        base = await passthrough(bootstrap, len(feed))
        only = await cordwatch(
            bootstrap, len(feed), log_level, entry=INGEST_ONLY_MAIN, app_id="bench-ingest"
        )
        full = await cordwatch(
            bootstrap, len(feed), log_level, entry=WORKER_MAIN, app_id="bench-full"
        )
        forwarded = await output_total(bootstrap, OUTPUTS)
    print(
        f"backlog: {len(feed)} messages ({invalid} malformed) on {len(INBOUND)} topics x "
        f"{PARTITIONS} partitions, embedded Tansu at {bootstrap}; worker log level {log_level}"
    )
    print(f"  produce (aiokafka, acks=all)              {produce_rate:10.0f} msg/s")
    print(f"  baseline: aiokafka consume -> produce     {base:10.0f} events/s   1.00")
    for label, (startup, rate, ingested) in (
        ("cordwatch ingest agents only", only),
        ("cordwatch full worker (+ pathway)", full),
    ):
        print(f"  {label:<40} {rate:10.0f} events/s   {rate / base:.3f} x baseline")
        print(
            f"    start-up, spawn to /ready              {startup:10.2f} s; counters {ingested:.0f}"
        )
    print(
        f"  records on patient-events + dead-letters  {forwarded:10d} "
        f"(two runs: expected >= {2 * len(feed)})"
    )
    print(f"  (start-up includes Tansu's first-join hold of ~{SESSION_TIMEOUT / 2:.0f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.log_level.upper()))
