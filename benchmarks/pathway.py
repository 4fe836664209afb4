"""The pathway under Faust on the embedded broker: throughput, latency, deadlines at scale, memory.

    .venv/bin/python -m benchmarks.pathway [--events 3000] [--rates 200,100] [--latency-seconds 15]
        [--feed-rate 200] [--feed-seconds 15] [--episodes 100000] [--due 1000] [--partitions 4]
        [--detector real|stand-in] [--only speed|recovery]

`--only speed` runs parts 1-2, `--only recovery` parts 3-4 (with `--episodes` and `--due`).

1. Throughput, inbound topic -> alert topic: N imaging reports (N new patients) published to
   hospital.imaging-reports; time until the N-th mescc_suspected alert is on cordwatch.alerts
   (ingest agent, patient stream, pathway agent, both with acknowledged sends). Baseline in the
   same run on the same broker: a Faust pass-through agent (bytes in, `await topic.send`, bytes
   out) over the same N messages. Both run as worker processes, one after the other. Also the
   worker's CPU time per event (all threads, from /proc) over the same window: on a shared
   machine it moves less than the rates, and its ratio is the throughput ratio when CPU-bound.
2. Latency, two readings of the goal "report published -> mescc_suspected alert at 200 events/s":
   a. All reports: MESCC-positive reports of new patients at fixed rates (200/s, then 100/s),
      the most expensive event there is (each opens an episode and writes about 8 messages);
      the worst case, and on a 2-core machine the worker saturates at 200/s. Time from the
      producer's send to the alert's arrival at a consumer in this process (same clock).
   b. `[feed 200/s mixed]`: a hospital's feed at that total rate is mostly cheaper events. The
      project's simulator (services.simulation, fixed seed, no invalid messages, patient ids
      prefixed per run) publishes its stories' admissions/ADT, medication administrations,
      assessments, consults, procedures and imaging reports (about 12 % of messages) in its
      order to their own inbound topics at `--feed-rate` for `--feed-seconds`. Each
      mescc_suspected alert of those patients is measured from the send of that patient's
      latest report sent before the alert arrived (and, as an upper bound, from the first since
      its previous alert). Also the share of reports, per-topic counts, the achieved rate and
      the worker's CPU per event over the run. The simulator's story mix is a demonstration mix
      (most stories are MESCC), so positive reports are more common than in a real hospital.
3. Deadlines with many open episodes: `--episodes` open episodes (states built by the same
   reducer) are written to the table's changelog; the worker is restarted and recovers them
   (timed), then `--due` new patients with deadlines a few seconds ahead are published; for each
   breach alert, arrival time minus deadline.
4. Memory: the worker's resident set (VmRSS, VmHWM) with those episodes in its table.
Run on a 2-core machine shared with other work; the figures move between runs by +-20 %.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams.broker import EmbeddedBroker, ensure_topics, free_port, spawn_owned, terminate
from streams.broker import wait_ready as wait_broker

ROOT = Path(__file__).resolve().parents[1]
ALERTS = "cordwatch.alerts"
REPORTS = "hospital.imaging-reports"
PASS_IN, PASS_OUT = "bench.pass-in", "bench.pass-out"
APP_ID = "bench-pathway"
FEED_SEED = 20261123  # the mixed feed's stories: the same in every run
IDLE_SECONDS = 3.0  # the worker's idle CPU is measured over this long before the feed
# What the worker has taken off cordwatch.patient-events: folded, no-op (redelivered) or parked.
PROCESSED_METRICS = (
    "cordwatch_pathway_events_total",
    "cordwatch_pathway_noop_events_total",
    "cordwatch_dead_letters_total",
)
REPORT_TEXT = (
    "MRI WHOLE SPINE WITH AND WITHOUT CONTRAST.\n"
    "CLINICAL HISTORY: Known lung cancer, new back pain and leg weakness.\n"
    "FINDINGS: There is a pathological compression fracture of T8 with epidural tumour "
    "extending into the spinal canal, causing high-grade spinal cord compression (ESCC grade 3) "
    "at T8. Multiple other vertebral metastases.\n"
    "IMPRESSION: Metastatic epidural spinal cord compression at T8, Bilsky grade 3."
)


def report(patient: str, at: datetime) -> bytes:
    """One contract-valid imaging report that suspects MESCC."""
    return json.dumps(
        {
            "event_id": f"rep-{patient}",
            "event_type": "imaging_report",
            "occurred_at": at.isoformat(),
            "patient_id": patient,
            "facility": "BENCH",
            "accession": f"ACC-{patient}",
            "status": "final",
            "modality": "MR",
            "exam": "MRI whole spine",
            "text": REPORT_TEXT,
        }
    ).encode()


def stand_in_detect(text: str, *, modality: str | None = None, exam: str | None = None) -> Any:
    """Constant-time stand-in with the real detector's verdict on REPORT_TEXT."""
    from models.detection import Detection

    return Detection(suspected_mescc=True, escc_grade="3", high_grade=True, levels=["T8"])


def pick_detector(name: str) -> tuple[Callable[..., Any], str]:
    """The detector to use, and what to print about it."""
    if name == "real":
        try:
            from services.detection import detect
        except ImportError:
            return stand_in_detect, "stand-in (services.detection not importable)"
        return detect, "real (services.detection)"
    return stand_in_detect, "stand-in"


# --- worker processes ----------------------------------------------------------------------------


def serve_pathway(detector: str) -> int:
    """Child: `cordwatch worker` with the chosen detector."""
    from services.config import Role, load_settings
    from services.policy import load_policy
    from streams.bootstrap import Pathway
    from streams.cli.worker_cmd import serve

    detect, _ = pick_detector(detector)
    settings = load_settings()
    # Without the audit sink: it is not on the inbound -> alert path, and without a migrated
    # database it stops consuming, which stalls the whole worker once Faust's buffer for its
    # topics is full (4096 messages).
    return serve(
        settings,
        roles={Role.INGEST, Role.PATHWAY},
        pathway=Pathway(policy=load_policy(settings.policy), detector=detect),
    )


def serve_passthrough() -> int:
    """Child: a Faust worker whose one agent forwards bytes from one topic to another."""
    import faust
    from faust.worker import Worker

    from services.config import load_settings
    from streams.app import broker_urls

    settings = load_settings()
    app = faust.App(
        "bench-passthrough",
        broker=broker_urls(settings),
        store="memory://",
        topic_partitions=settings.partitions,
        processing_guarantee="at_least_once",
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.kafka_session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, settings.kafka_session_timeout_seconds / 4),
        web_enabled=False,
        datadir=str(settings.data_dir / "faust-pass"),
    )
    source = app.topic(PASS_IN, key_serializer="raw", value_serializer="raw")
    sink = app.topic(PASS_OUT, key_serializer="raw", value_serializer="raw")

    @app.agent(source)
    async def forward(stream: Any) -> None:
        async for event in stream.events():
            await sink.send(key=event.key, value=event.value)

    worker = Worker(app, quiet=True, loglevel="WARNING")
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


class Child:
    """A worker process of this benchmark, logging to a file."""

    def __init__(self, mode: str, *, bootstrap: str, partitions: int, workdir: Path, **extra: str):
        self.web_port = free_port()
        self.log = workdir / f"{mode}-{time.monotonic_ns()}.log"
        (workdir / "var").mkdir(parents=True, exist_ok=True)
        database = workdir / "audit.db"
        if not database.exists():  # the worker refuses an unmigrated audit store
            from services.store import make_engine, upgrade

            engine = make_engine(f"sqlite:///{database}")
            try:
                upgrade(engine=engine)
            finally:
                engine.dispose()
        env = {
            **os.environ,
            "CORDWATCH_KAFKA_BOOTSTRAP": bootstrap,
            "CORDWATCH_APP_ID": APP_ID,
            "CORDWATCH_PARTITIONS": str(partitions),
            "CORDWATCH_WEB_PORT": str(self.web_port),
            "CORDWATCH_DATA_DIR": str(workdir / "var"),
            "CORDWATCH_DATABASE_URL": f"sqlite:///{database}",
            # BENCH_LOG_LEVEL=INFO: the worker's phases (join, changelog load, index) in its log.
            "CORDWATCH_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            "PYTHONPATH": str(ROOT),
            **extra,
        }
        with self.log.open("wb") as out:
            self.process = spawn_owned(
                [sys.executable, "-m", "benchmarks.pathway", "--serve", mode], stdout=out, env=env
            )
        self.started = time.monotonic()

    async def metric(self, *names: str) -> float:
        """Sum of the samples of these metrics on the worker's /metrics (0 when unreachable)."""
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{self.web_port}/metrics") as response,
            ):
                text = await response.text()
        except aiohttp.ClientError:
            return 0.0
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.split("{", 1)[0].split(" ", 1)[0] in names
        )

    def cpu_seconds(self) -> float:
        """CPU time (user + system, every thread) the worker has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> dict[str, float]:
        """VmRSS and VmHWM (peak) of the worker, in MiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}

    def stop(self) -> None:
        terminate(self.process, grace=15.0)
        if self.process.returncode not in (0, -15):
            print(f"  (worker exit {self.process.returncode}; log {self.log})")


# --- measuring -----------------------------------------------------------------------------------


class Arrivals:
    """Arrival time per key of messages on a topic that pass `select`."""

    def __init__(self, bootstrap: str, topic: str, partitions: int, select: Callable[[Any], Any]):
        self.bootstrap, self.topic, self.partitions, self.select = (
            bootstrap,
            topic,
            partitions,
            select,
        )
        self.seen: dict[Any, float] = {}
        self.payloads: dict[Any, dict[str, Any]] = {}

    async def __aenter__(self) -> Arrivals:
        # A short fetch wait: on Tansu a multi-partition fetch only returns at its wait.
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20
        )
        await self.consumer.start()
        tps = [TopicPartition(self.topic, p) for p in range(self.partitions)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        self.task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=100)
            now = time.time()
            for messages in batch.values():
                for message in messages:
                    picked = self.select(message)
                    if picked is not None and picked[0] not in self.seen:
                        self.seen[picked[0]] = now
                        self.payloads[picked[0]] = picked[1]

    async def __aexit__(self, *_: object) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.consumer.stop()

    def reset(self, select: Callable[[Any], Any] | None = None) -> None:
        """Forget what arrived; optionally watch for something else from now on."""
        self.seen.clear()
        self.payloads.clear()
        if select is not None:
            self.select = select

    async def wait(self, count: int, within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if len(self.seen) >= count:
                return True
            await asyncio.sleep(0.05)
        return len(self.seen) >= count


def alerts_of(kind: str, prefix: str) -> Callable[[Any], Any]:
    def select(message: Any) -> Any:
        alert = json.loads(message.value)
        if alert["alert_type"] == kind and alert["patient_id"].startswith(prefix):
            return (alert["alert_id"], alert)
        return None

    return select


def by_value(message: Any) -> Any:
    return (message.value, {})


async def producer(bootstrap: str) -> AIOKafkaProducer:
    started = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=5
    )
    await started.start()
    return started


async def warm_up(
    send: Callable[[], Any], arrivals: Arrivals, child: Child, within: float = 90.0
) -> None:
    """Send one message until it comes out: the worker is up and its imports are warm."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise SystemExit(f"the worker exited; see {child.log}")
        await send()
        if await arrivals.wait(1, 3.0):
            return
    raise SystemExit("the worker did not come up; see its log")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def passthrough_rate(
    args: argparse.Namespace, bootstrap: str, workdir: Path
) -> tuple[float, float]:
    child = Child("passthrough", bootstrap=bootstrap, partitions=args.partitions, workdir=workdir)
    prod = await producer(bootstrap)
    try:
        async with Arrivals(bootstrap, PASS_OUT, args.partitions, by_value) as out:
            warm = 0

            async def send_warm() -> None:
                nonlocal warm
                warm += 1
                await prod.send_and_wait(PASS_IN, key=b"warm", value=f"warm-{warm}".encode())

            await warm_up(send_warm, out, child)
            out.reset()
            values = [report(f"PASS-{i}", datetime.now(UTC)) for i in range(args.events)]
            cpu = child.cpu_seconds()
            started = time.time()
            for i, value in enumerate(values):
                await prod.send(PASS_IN, key=f"PASS-{i}".encode(), value=value)
            await prod.flush()
            if not await out.wait(args.events, within=300):
                raise SystemExit(f"pass-through delivered {len(out.seen)}/{args.events}")
            cpu_ms = (child.cpu_seconds() - cpu) * 1000 / args.events
            return args.events / (max(out.seen.values()) - started), cpu_ms
    finally:
        await prod.stop()
        child.stop()


class Feed:
    """The simulator's messages, patient ids prefixed, in the order it publishes them."""

    def __init__(self, rate: float, seconds: float) -> None:
        from services.simulation.feed import FeedConfig, generate

        self.rate = rate
        self.prefix = f"FEED{rate:.0f}-"
        # Clinical time starts now: every 24-hour deadline (and its 50 % warning) lies hours
        # past the run, so no timer fires and the load is the events themselves. Admissions
        # 20 clinical minutes apart (the simulator's default); the run compresses days of
        # clinical time into seconds, which changes how far apart events are, not their mix.
        config = FeedConfig(
            seed=FEED_SEED, start=datetime.now(UTC), patients=None, invalid_fraction=0.0
        )
        self.messages: list[tuple[str, bytes, bytes]] = []  # topic, key, value
        self.topics: Counter[str] = Counter()
        self.positive_reports = 0
        for sim in islice(generate(config), int(rate * seconds)):
            assert sim.event is not None  # invalid_fraction=0: every message is contract-valid
            patient = self.prefix + sim.key  # the key is the patient id (the contract's rule)
            value = json.dumps({**sim.event, "patient_id": patient}, ensure_ascii=False)
            self.messages.append((sim.topic, patient.encode(), value.encode()))
            self.topics[sim.topic] += 1
            self.positive_reports += bool(sim.report and sim.report.suspected_mescc)

    @property
    def reports(self) -> int:
        return self.topics[REPORTS]


async def processed(child: Child) -> float:
    """Events the worker's pathway has taken off cordwatch.patient-events so far."""
    # One scrape: rendering /metrics costs the worker tens of milliseconds of CPU.
    return await child.metric(*PROCESSED_METRICS)


async def feed_run(
    feed: Feed, child: Child, prod: AIOKafkaProducer, out: Arrivals
) -> dict[str, Any]:
    """Publish the mixed feed at its fixed total rate; latency of each mescc_suspected alert.

    A patient's alert is measured from the send of that patient's most recent imaging report
    sent before the alert arrived. With days of clinical time compressed into seconds, a
    patient's preliminary and final report can both be sent within one alert's latency, and the
    alert may come from the earlier one; so a second reading measures from the patient's first
    report since its previous alert, an upper bound.
    """
    out.reset(alerts_of("mescc_suspected", feed.prefix))
    reports_at: dict[bytes, list[float]] = {}
    # What the worker burns with nothing to do (consumer fetches, timer scans, sensors), so the
    # per-event figure can be read at low rates too.
    idle_cpu, idle_from = child.cpu_seconds(), time.monotonic()
    await asyncio.sleep(IDLE_SECONDS)
    idle = (child.cpu_seconds() - idle_cpu) / (time.monotonic() - idle_from)
    before = await processed(child)
    cpu = child.cpu_seconds()
    begin = time.monotonic()
    for i, (topic, key, value) in enumerate(feed.messages):
        await asyncio.sleep(max(0.0, begin + i / feed.rate - time.monotonic()))
        if topic == REPORTS:
            reports_at.setdefault(key, []).append(time.time())
        await prod.send(topic, key=key, value=value)
    await prod.flush()
    achieved = len(feed.messages) / (time.monotonic() - begin)
    # Drained when every message has come out of the pathway (folded, no-op or parked).
    deadline = time.monotonic() + 300
    while await processed(child) - before < len(feed.messages):
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    drained = time.monotonic() - begin
    cpu_ms = (child.cpu_seconds() - cpu) * 1000 / len(feed.messages)
    done = await processed(child) - before
    seen = -1
    while len(out.seen) != seen:  # alerts are acknowledged before the events count
        seen = len(out.seen)
        await asyncio.sleep(1.0)
    latest, first = [], []
    by_patient: dict[str, list[float]] = {}
    for alert_id, alert in out.payloads.items():
        by_patient.setdefault(alert["patient_id"], []).append(out.seen[alert_id])
    for patient, arrivals in by_patient.items():
        previous = float("-inf")
        for arrived in sorted(arrivals):
            sent = [t for t in reports_at.get(patient.encode(), []) if previous < t <= arrived]
            if sent:
                latest.append((arrived - max(sent)) * 1000)
                first.append((arrived - min(sent)) * 1000)
            previous = arrived
    return {
        "achieved": achieved,
        "drained_s": drained,
        "processed": done,
        "cpu_ms": cpu_ms,
        "idle": idle,
        "alerts": len(out.payloads),
        "patients": len(by_patient),
        "latest": latest,
        "first": first,
    }


def pathway_child(args: argparse.Namespace, bootstrap: str, workdir: Path) -> Child:
    """A pathway worker with the benchmark's partitions and detector."""
    return Child(
        "pathway",
        bootstrap=bootstrap,
        partitions=args.partitions,
        workdir=workdir,
        BENCH_DETECTOR=args.detector,
    )


async def pathway_runs(args: argparse.Namespace, bootstrap: str, workdir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    # Built before the worker starts: the simulator's CPU is not the worker's.
    feed = Feed(args.feed_rate, args.feed_seconds) if args.feed_rate > 0 else None
    child = pathway_child(args, bootstrap, workdir)
    prod = await producer(bootstrap)
    try:
        async with Arrivals(
            bootstrap, ALERTS, args.partitions, alerts_of("mescc_suspected", "")
        ) as out:
            warm = 0

            async def send_warm() -> None:
                nonlocal warm
                warm += 1
                key = f"WARM-{warm}"
                await prod.send_and_wait(
                    REPORTS, key=key.encode(), value=report(key, datetime.now(UTC))
                )

            await warm_up(send_warm, out, child)
            results["startup_s"] = time.monotonic() - child.started
            # Throughput: a burst of new patients, inbound topic to alert topic.
            out.reset(alerts_of("mescc_suspected", "TPUT-"))
            values = [
                (f"TPUT-{i}", report(f"TPUT-{i}", datetime.now(UTC))) for i in range(args.events)
            ]
            cpu = child.cpu_seconds()
            started = time.time()
            for key, value in values:
                await prod.send(REPORTS, key=key.encode(), value=value)
            await prod.flush()
            if not await out.wait(args.events, within=600):
                raise SystemExit(f"pathway delivered {len(out.seen)}/{args.events}")
            results["rate"] = args.events / (max(out.seen.values()) - started)
            results["cpu_ms"] = (child.cpu_seconds() - cpu) * 1000 / args.events
            # Latency at fixed rates (the first is the goal's; later ones for comparison).
            results["latency"] = []
            for rate in args.rates:
                prefix = f"LAT{rate:.0f}-"
                out.reset(alerts_of("mescc_suspected", prefix))
                total = int(rate * args.latency_seconds)
                sent_at: dict[str, float] = {}
                begin = time.monotonic()
                for i in range(total):
                    await asyncio.sleep(max(0.0, begin + i / rate - time.monotonic()))
                    key = f"{prefix}{i}"
                    sent_at[key] = time.time()
                    value = report(key, datetime.now(UTC))
                    await prod.send(REPORTS, key=key.encode(), value=value)
                await prod.flush()
                achieved = total / (time.monotonic() - begin)
                await out.wait(total, within=120)
                latencies = [
                    (out.seen[a] - sent_at[p["patient_id"]]) * 1000 for a, p in out.payloads.items()
                ]
                results["latency"].append((achieved, len(latencies), total, latencies))
                await asyncio.sleep(2.0)  # let the backlog of one rate drain before the next
            # The mixed hospital feed at its total rate, after the all-reports runs have drained.
            if feed is not None:
                results["feed"] = (feed, await feed_run(feed, child, prod, out))
    finally:
        await prod.stop()
        child.stop()
    return results


def print_feed(feed: Feed, run: dict[str, Any], *, report_cpu_ms: float) -> None:
    label = f"[feed {feed.rate:.0f}/s mixed]"
    total = len(feed.messages)
    topics = ", ".join(
        f"{topic.removeprefix('hospital.')} {count}" for topic, count in feed.topics.most_common()
    )
    print(
        f"{label} {total} simulator messages (seed {FEED_SEED}) at {run['achieved']:.1f} "
        f"events/s achieved; imaging reports {feed.reports} = {100 * feed.reports / total:.1f} % "
        f"({feed.positive_reports} written MESCC-positive); per topic: {topics}"
    )
    lat, first = run["latest"], run["first"]
    if lat:
        print(
            f"{label} report -> mescc_suspected: p50 {pct(lat, 0.5):.0f} ms, "
            f"p99 {pct(lat, 0.99):.0f} ms, max {max(lat):.0f} ms over {len(lat)} alerts "
            f"({run['patients']} patients; goal p99 < 250 ms at 200/s); from the patient's first "
            f"report since its previous alert: p50 {pct(first, 0.5):.0f} ms, "
            f"p99 {pct(first, 0.99):.0f} ms"
        )
    else:
        print(f"{label} no mescc_suspected alert arrived")
    if run["alerts"] != len(lat):
        print(f"{label} {run['alerts'] - len(lat)} alerts with no report of theirs sent before")
    above_idle = run["cpu_ms"] - run["idle"] * run["drained_s"] * 1000 / total
    print(
        f"{label} worker CPU {run['cpu_ms']:.2f} ms/event over the run, {above_idle:.2f} ms above "
        f"the idle worker's {100 * run['idle']:.0f} % of a core (all-reports throughput run: "
        f"{report_cpu_ms:.2f} ms/event); {run['processed']:.0f}/{total} events processed "
        f"{run['drained_s']:.1f} s after the first send"
    )


async def build_states(args: argparse.Namespace, bootstrap: str) -> tuple[float, int]:
    """Write `--episodes` open-episode states (24 h timers, far from due) to the changelog.

    Each send is awaited to its acknowledgement and a failed one sent again; then the records
    are counted back: on a loaded machine Tansu was seen to keep 99 984 of 100 000 sends whose
    futures were never checked, and the wait for 100 000 indexed patients never ended. Returns
    the seconds taken and the number of patients on the changelog (what recovery must index).
    """
    from models.events import patient_event_adapter
    from services.pathway import handle
    from services.policy import load_policy
    from streams.patient_store import encode_state, partition_for

    policy = load_policy()
    detect, _ = pick_detector(args.detector)
    now = datetime.now(UTC)
    suspected = now - timedelta(hours=1)
    prod = await producer(bootstrap)
    changelog = f"{APP_ID}-patients-changelog"
    started = time.monotonic()
    try:
        records: list[tuple[bytes, bytes, int]] = []
        for i in range(args.episodes):
            patient = f"OPEN-{i}"
            event = patient_event_adapter.validate_json(report(patient, suspected))
            state, _ = handle(None, event, now, policy=policy, detector=detect)
            key = patient.encode()
            records.append((key, encode_state(state), partition_for(key, args.partitions)))
        while records:
            sent = [
                await prod.send(changelog, key=key, value=value, partition=partition)
                for key, value, partition in records
            ]
            results = await asyncio.gather(*sent, return_exceptions=True)
            records = [
                r for r, res in zip(records, results, strict=True) if isinstance(res, Exception)
            ]
    finally:
        await prod.stop()
    took = time.monotonic() - started
    return took, await count_keys(bootstrap, changelog, args.partitions)


async def count_keys(bootstrap: str, topic: str, partitions: int) -> int:
    """Distinct keys on a topic, read to its end offsets."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=16 << 20,
        fetch_max_bytes=64 << 20,
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        keys: set[bytes] = set()
        pending = {tp for tp in tps if ends[tp] > 0}
        while pending:
            for tp, messages in (await consumer.getmany(*pending, timeout_ms=500)).items():
                keys.update(m.key for m in messages if m.offset < ends[tp] and m.key)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        return len(keys)
    finally:
        await consumer.stop()


async def deadline_run(
    args: argparse.Namespace, bootstrap: str, workdir: Path, *, stored: int
) -> dict[str, Any]:
    """Restart with the big table, then breach `--due` fresh episodes a few seconds ahead."""
    results: dict[str, Any] = {}
    child = pathway_child(args, bootstrap, workdir)
    prod = await producer(bootstrap)
    window = timedelta(hours=24)  # the packaged policy's windows (both timers)
    try:
        # Phases: web up (the scan reports waiting), table recovered (waiting 0), all indexed.
        phases: dict[str, float] = {}
        while await child.metric("cordwatch_timer_service_indexed_patients") < stored:
            if child.process.poll() is not None:
                raise SystemExit(f"worker exited; see {child.log}")
            if time.monotonic() - child.started > 600:
                raise SystemExit("recovery took more than 10 minutes")
            waiting = await child.metric("cordwatch_timer_service_waiting")
            if waiting and "web" not in phases:
                phases["web"] = time.monotonic() - child.started
            if not waiting and "web" in phases and "recovered" not in phases:
                phases["recovered"] = time.monotonic() - child.started
            await asyncio.sleep(0.25)
        results["recovered_s"] = time.monotonic() - child.started
        results["phases"] = phases
        results["memory_recovered"] = child.memory_mb()
        async with Arrivals(
            bootstrap, ALERTS, args.partitions, alerts_of("timer_breached", "DUE-")
        ) as out:
            lead = 8.0  # publishing and ingesting them takes a few seconds
            due_at: dict[str, datetime] = {}
            start = datetime.now(UTC)
            for i in range(args.due):
                patient = f"DUE-{i}"
                due = start + timedelta(seconds=lead + 5.0 * i / args.due)
                due_at[patient] = due
                await prod.send(REPORTS, key=patient.encode(), value=report(patient, due - window))
            await prod.flush()
            await out.wait(2 * args.due, within=lead + 60)
            lateness = [
                out.seen[a] - due_at[p["patient_id"]].timestamp() for a, p in out.payloads.items()
            ]
            results["breach"] = (len(lateness), 2 * args.due, lateness)
            results["late_flagged"] = sum(p["detected_late"] for p in out.payloads.values())
        results["memory_after"] = child.memory_mb()
        results["indexed"] = await child.metric("cordwatch_timer_service_indexed_patients")
    finally:
        await prod.stop()
        child.stop()
    return results


async def fetch_wakeup_ms(bootstrap: str, topic: str, partitions: int) -> list[float]:
    """Produce-to-consume time of single messages with a 1500 ms fetch wait (Faust's value).

    Kafka answers a waiting fetch as soon as data arrives. Tansu does so for a fetch of one
    partition but ends a fetch of several partitions only at the wait: this is the
    reproduction, with plain aiokafka, of why Cordwatch shortens the wait on its consumers.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=1500
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await consumer.start()
    await producer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        took = []
        for _ in range(5):
            await asyncio.sleep(0.3)  # the consumer is inside a waiting fetch now
            started = time.monotonic()
            await producer.send_and_wait(topic, b"probe", partition=0)
            await consumer.getone()
            took.append((time.monotonic() - started) * 1000)
        return took[1:]  # the first includes the initial metadata round trips
    finally:
        await producer.stop()
        await consumer.stop()


async def speed_parts(args: argparse.Namespace, bootstrap: str, workdir: Path) -> None:
    """Parts 1 and 2: throughput against the pass-through, latency, start-up."""
    single = await fetch_wakeup_ms(bootstrap, PASS_OUT, 1)
    multi = await fetch_wakeup_ms(bootstrap, PASS_OUT, args.partitions)
    print(
        f"tansu       fetch wake-up (wait 1500 ms): one partition "
        f"{statistics.median(single):.0f} ms, {args.partitions} partitions "
        f"{statistics.median(multi):.0f} ms (worker fetch wait set to "
        f"CORDWATCH_KAFKA_FETCH_MAX_WAIT_MS)"
    )
    base, base_cpu = await passthrough_rate(args, bootstrap, workdir)
    print(
        f"throughput  Faust pass-through agent     {base:8.0f} events/s  ({args.events} events;"
        f" worker CPU {base_cpu:.2f} ms/event)"
    )
    runs = await pathway_runs(args, bootstrap, workdir)
    rate = runs["rate"]
    print(
        f"throughput  pathway (inbound -> alerts)   {rate:8.0f} events/s  "
        f"= {rate / base:.2f} x pass-through (goal >= 0.5)"
    )
    print(
        f"cpu         worker CPU per event: pathway {runs['cpu_ms']:.2f} ms, pass-through "
        f"{base_cpu:.2f} ms = {base_cpu / runs['cpu_ms']:.2f} x (the ratio when CPU-bound)"
    )
    for achieved, got, total, lat in runs["latency"]:
        if not lat:
            print(f"latency     at {achieved:.0f} events/s: no alert arrived")
            continue
        print(
            f"latency     report -> mescc_suspected at {achieved:.0f} events/s: "
            f"p50 {pct(lat, 0.5):.0f} ms, p99 {pct(lat, 0.99):.0f} ms, max {max(lat):.0f} ms "
            f"({got}/{total} alerts; goal p99 < 250 ms at 200/s)"
        )
    if "feed" in runs:
        print_feed(*runs["feed"], report_cpu_ms=runs["cpu_ms"])
    print(f"startup     worker spawn -> first alert {runs['startup_s']:.1f} s")


async def recovery_parts(args: argparse.Namespace, bootstrap: str, workdir: Path) -> None:
    """Parts 3 and 4: recovery of `--episodes` open episodes, breaches among them, memory."""
    built, stored = await build_states(args, bootstrap)
    print(
        f"deadlines   {args.episodes} open-episode states written to the changelog in {built:.0f} s"
        f" ({stored} patients on it)"
    )
    dl = await deadline_run(args, bootstrap, workdir, stored=stored)
    got, want, late = dl["breach"]
    within = sum(1 for x in late if x <= 2.0)
    print(
        f"recovery    restart -> {stored} episodes indexed "
        f"in {dl['recovered_s']:.1f} s (goal < 15 s; web up at "
        f"{dl['phases'].get('web', float('nan')):.1f} s, table recovered at "
        f"{dl['phases'].get('recovered', float('nan')):.1f} s); "
        f"RSS {dl['memory_recovered']['VmRSS']:.0f} MiB, "
        f"peak {dl['memory_recovered']['VmHWM']:.0f} MiB"
    )
    if late:
        print(
            f"breaches    {got}/{want} breach alerts, "
            f"{args.episodes + args.due} episodes open: deadline -> alert received "
            f"p50 {pct(late, 0.5):.2f} s, "
            f"p99 {pct(late, 0.99):.2f} s, max {max(late):.2f} s; "
            f"{within}/{want} within 2 s (goal: all); flagged late {dl['late_flagged']}"
        )
    else:
        print(f"breaches    0/{want} breach alerts arrived")
    mem = dl["memory_after"]
    print(
        f"memory      worker RSS {mem['VmRSS']:.0f} MiB, peak {mem['VmHWM']:.0f} MiB with "
        f"{dl['indexed']:.0f} indexed episodes (goal < 500 MiB)"
    )


async def main_async(args: argparse.Namespace) -> int:
    from streams.topics import all_topic_names

    _, note = pick_detector(args.detector)
    print(
        f"pathway benchmark: {args.partitions} partitions, detector {note}, {os.cpu_count()} CPUs"
    )
    workdir = Path(tempfile.mkdtemp(prefix="cordwatch-bench-pathway-"))
    with EmbeddedBroker() as broker:
        await wait_broker(broker.bootstrap)
        await ensure_topics(
            broker.bootstrap,
            [*all_topic_names(), PASS_IN, PASS_OUT, f"{APP_ID}-patients-changelog"],
            partitions=args.partitions,
            replication=1,
        )
        if args.only in (None, "speed"):
            await speed_parts(args, broker.bootstrap, workdir)
        if args.only in (None, "recovery") and args.episodes:
            await recovery_parts(args, broker.bootstrap, workdir)
    print(f"logs in {workdir}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument(
        "--rates",
        type=lambda text: [float(r) for r in text.split(",")],
        default=[200.0, 100.0],
        help="comma-separated publish rates for the latency runs (events/s)",
    )
    parser.add_argument("--latency-seconds", type=float, default=15.0)
    parser.add_argument(
        "--feed-rate",
        type=float,
        default=200.0,
        help="total rate of the mixed hospital feed latency run (events/s; 0 skips it)",
    )
    parser.add_argument("--feed-seconds", type=float, default=15.0)
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--detector", choices=("real", "stand-in"), default="real")
    parser.add_argument(
        "--only",
        choices=("speed", "recovery"),
        help="run only parts 1-2 (speed) or 3-4 (recovery, breaches, memory)",
    )
    parser.add_argument("--serve", choices=("pathway", "passthrough"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "pathway":
        profile = os.environ.get("BENCH_PROFILE")
        if profile:  # where the worker's CPU goes: BENCH_PROFILE=/tmp/worker.prof
            import cProfile

            profiler = cProfile.Profile()
            try:
                return profiler.runcall(serve_pathway, os.environ.get("BENCH_DETECTOR", "real"))
            finally:
                profiler.dump_stats(profile)
        return serve_pathway(os.environ.get("BENCH_DETECTOR", "real"))
    if args.serve == "passthrough":
        return serve_passthrough()
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
