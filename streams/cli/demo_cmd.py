"""`cordwatch demo` (what `make run` runs): a hospital feed in, the on-call alerts out, live.

Starts the embedded broker (unless CORDWATCH_KAFKA_BOOTSTRAP is set) and a worker process on the
migrated audit store, publishes examples/events.jsonl (two messages malformed on purpose) and
echoes the worker's ingest log lines, then runs the simulated hospital (services.simulation):
seeded patient stories backdated about a day so that their 24-hour deadlines pass during the
demo. Every alert on cordwatch.alerts is printed as it fires, patients as pseudonyms only. After
--duration seconds (or Ctrl-C with --forever) it prints what came out, what would fire next,
where the audit store is, and stops broker and worker.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ORDER = 1
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "events.jsonl"
DEFAULT_DURATION_SECONDS = 75.0
# Chosen from replays of seeds 1-24: suspected MESCCs, live breaches and warnings, a rule-out.
DEFAULT_SEED = 9
DEFAULT_PATIENTS = 18
DEFAULT_RATE = 15.0
INVALID_FRACTION = 0.02
PROGRESS_EVERY_SECONDS = 15.0
QUIET_PROGRESS_SECONDS = 300.0


def register(subparsers: Any) -> None:
    """Add the `demo` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="run broker + worker + simulated hospital; show alerts as they fire",
        description=__doc__,
    )
    parser.add_argument("--events", type=Path, default=EXAMPLES, help="JSON-lines feed to publish")
    parser.add_argument(
        "--duration",
        type=float,
        default=DEFAULT_DURATION_SECONDS,
        help="seconds the simulated hospital runs after the examples (default %(default)s; "
        "0: examples only)",
    )
    parser.add_argument(
        "--forever",
        "--keep-running",
        dest="forever",
        action="store_true",
        help="keep the simulated hospital and the worker running until Ctrl-C",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="simulator seed")
    parser.add_argument(
        "--patients",
        type=int,
        default=DEFAULT_PATIENTS,
        help="simulated patient stories (a third placed so warnings, not deadlines, pass live)",
    )
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="simulator messages per second"
    )
    parser.add_argument(
        "--timeout", type=float, default=45.0, help="seconds to wait for ingest's outputs"
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


@dataclass(frozen=True)
class DemoOptions:
    """What the command line asked for."""

    duration: float
    forever: bool
    seed: int
    patients: int
    rate: float
    timeout: float


def run(args: argparse.Namespace) -> int:
    """Run the demo; exit 0 when every message came out where it should, 130 on Ctrl-C."""
    import asyncio

    if args.duration < 0 or args.rate <= 0 or args.patients < 0:
        print("cordwatch demo: --duration, --patients >= 0 and --rate > 0", file=sys.stderr)
        return 2
    options = DemoOptions(
        duration=args.duration,
        forever=args.forever,
        seed=args.seed,
        patients=args.patients,
        rate=args.rate,
        timeout=args.timeout,
    )
    console = Console(colour=_wants_colour())
    feed = load_feed(args.events)
    store = _migrate_store(console)
    try:
        return asyncio.run(_demo(feed, options=options, console=console, store=store))
    except (KeyboardInterrupt, asyncio.CancelledError):
        console.line("demo", "interrupted; broker and worker stopped")
        return 130


def _wants_colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


_STYLES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "magenta": "35",
    "cyan": "36",
    "alarm": "1;97;41",
}
_TYPE_STYLE = {
    "mescc_suspected": "magenta",
    "timer_warning": "yellow",
    "timer_breached": "red",
    "escalation": "alarm",
    "breach_retracted": "green",
    "episode_closed": "dim",
}
_PRIORITY_STYLE = {"critical": "red", "high": "yellow", "routine": "dim"}


class Console:
    """Prefixed lines, one lock for the worker-echo thread and the event loop, optional colour."""

    def __init__(self, *, colour: bool) -> None:
        self.colour = colour
        self._lock = threading.Lock()

    def paint(self, text: str, style: str | None) -> str:
        """Wrap ``text`` in an ANSI style when colour is on."""
        if not self.colour or style is None:
            return text
        return f"\x1b[{_STYLES[style]}m{text}\x1b[0m"

    def line(self, prefix: str, text: str, *, style: str | None = None) -> None:
        """One `prefix | text` line."""
        self.raw(f"{self.paint(f'{prefix:<7}|', 'dim')} {self.paint(text, style)}")

    def raw(self, text: str = "") -> None:
        """A line as given."""
        with self._lock:
            print(text, flush=True)


def _migrate_store(console: Console) -> str:
    """Bring the audit store's schema up to date, as `cordwatch db upgrade` would; its URL."""
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
    console.line("store", f"audit store {shown} at schema revision {revision}")
    return url


async def _demo(
    feed: list[FeedMessage], *, options: DemoOptions, console: Console, store: str
) -> int:
    import asyncio
    import secrets
    import signal
    import time

    from services.config import get_settings
    from services.logging import configure_logging, pseudonymise
    from services.policy import DEFAULT_POLICY_PATH, load_policy
    from streams.bootstrap import prepare_cluster, start_embedded_broker
    from streams.broker import free_port

    settings = get_settings()
    configure_logging(settings.model_copy(update={"log_level": "WARNING"}))
    # `kill` stops the demo like Ctrl-C does: through the cleanup below.
    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()

    def on_term() -> None:
        # Once: a second SIGTERM takes the default action (the kernel then stops the children).
        loop.remove_signal_handler(signal.SIGTERM)
        main.cancel()

    loop.add_signal_handler(signal.SIGTERM, on_term)
    # One pseudonym key for the demo's lines and the worker's, so a patient's lines match.
    key = secrets.token_hex(32)
    ref = _pseudonymiser(pseudonymise, key.encode())
    # The packaged policy (real 24-hour windows): the simulator's backdating assumes them.
    policy = load_policy(DEFAULT_POLICY_PATH)
    broker = start_embedded_broker(settings) if settings.embedded else None
    bootstrap = broker.bootstrap if broker else settings.kafka_bootstrap
    worker: _WorkerProcess | None = None
    watcher: _Watcher | None = None
    reader: asyncio.Task[None] | None = None
    interrupted = False
    sim = _SimCounts()
    url = ""
    began = time.monotonic()
    try:
        kind = f"embedded Tansu, in memory, pid {broker.pid}" if broker else "Kafka"
        console.line("broker", f"{kind} at {bootstrap}")
        await prepare_cluster(settings, bootstrap)
        web_port = free_port(settings.web_host)
        started = time.monotonic()
        worker = _WorkerProcess.start(
            bootstrap=bootstrap,
            web_port=web_port,
            key=key,
            policy=DEFAULT_POLICY_PATH,
            log_dir=settings.data_dir,
            console=console,
        )
        url = f"http://{settings.web_host}:{web_port}"
        await worker.wait_ready(url, within=60.0)
        ready_in = time.monotonic() - started
        console.line("worker", f"pid {worker.process.pid} ready in {ready_in:.1f}s; {url}/metrics")
        watcher = _Watcher(bootstrap=bootstrap, settings=settings, console=console, ref=ref)
        await watcher.start()
        reader = asyncio.create_task(watcher.run())
        try:
            await _examples(
                feed,
                watcher=watcher,
                settings=settings,
                bootstrap=bootstrap,
                console=console,
                ref=ref,
                within=options.timeout,
            )
            worker.echo_ingest = False  # from here on the alerts are the story
            if options.duration > 0 or options.forever:
                await _simulate(
                    options,
                    sim=sim,
                    watcher=watcher,
                    worker=worker,
                    settings=settings,
                    bootstrap=bootstrap,
                    console=console,
                    policy=policy,
                )
            if worker.process.poll() is None:
                valid = sum(m.expect_valid for m in feed) + sim.valid
                invalid = len(feed) - sum(m.expect_valid for m in feed) + sim.invalid
                await watcher.wait_for(valid=valid, invalid=invalid, within=options.timeout)
                await asyncio.sleep(1.5)  # the pathway reacts to the last events a moment later
        except asyncio.CancelledError:
            interrupted = True
            main.uncancel()
            console.raw()
            console.line("demo", "interrupted: stopping; what came out so far:")
        metrics = await _scrape(f"{url}/metrics") if worker.process.poll() is None else {}
        ok = _Report(
            feed=feed,
            sim=sim,
            watcher=watcher,
            metrics=metrics,
            url=url,
            store=store,
            policy=policy,
            console=console,
            elapsed=time.monotonic() - began,
        ).show()
        return 130 if interrupted else (0 if ok else 1)
    finally:
        # Each step runs even when the one before it fails or is interrupted.
        try:
            if reader is not None:
                reader.cancel()
            if watcher is not None:
                await watcher.stop()
        finally:
            try:
                if worker is not None:
                    worker.stop()
            finally:
                if broker is not None:
                    broker.stop()
                    console.line("broker", "stopped")


def _pseudonymiser(pseudonymise: Any, key: bytes) -> Any:
    def ref(patient_id: str | None) -> str:
        return "-" if patient_id is None else pseudonymise(patient_id, key=key)

    return ref


_WORKER_MAIN = "import sys; from streams.cli import main; sys.exit(main(['worker']))"


class _WorkerProcess:
    """`cordwatch worker` as a child process; its ingest log lines are echoed compactly."""

    def __init__(self, process: Any, log_path: Path, console: Console) -> None:
        self.process = process
        self.log_path = log_path
        self.console = console
        self.echo_ingest = True

    @classmethod
    def start(
        cls,
        *,
        bootstrap: str,
        web_port: int,
        key: str,
        policy: Path,
        log_dir: Path,
        console: Console,
    ) -> _WorkerProcess:
        import subprocess

        from streams.broker import spawn_owned

        env = {
            **os.environ,
            "CORDWATCH_KAFKA_BOOTSTRAP": bootstrap,
            "CORDWATCH_WEB_PORT": str(web_port),
            "CORDWATCH_PSEUDONYM_KEY": key,
            "CORDWATCH_LOG_FORMAT": "json",
            "CORDWATCH_POLICY": str(policy),
        }
        # Tansu holds a first JoinGroup for half the session timeout: 6 s (Kafka's minimum by
        # default) gets a newcomer to a ready worker sooner than the production default.
        env.setdefault("CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS", "6")
        process = spawn_owned([sys.executable, "-c", _WORKER_MAIN], stdout=subprocess.PIPE, env=env)
        log_path = log_dir / "demo-worker.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        worker = cls(process, log_path, console)
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
                failed = entry.get("level") in ("error", "critical")
                if failed or (self.echo_ingest and event.startswith("ingest.")):
                    detail = entry.get("event_type") or entry.get("reason") or entry.get("error")
                    where = f"{entry.get('topic')} p{entry.get('partition')}@{entry.get('offset')}"
                    who = entry.get("patient_ref", "")
                    style = "red" if failed else None
                    self.console.line(
                        "worker", f"{event:<22} {where:<42} {detail} {who}", style=style
                    )

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
        self.console.line("worker", f"stopped (exit {code}); full log in {self.log_path}")


async def _examples(
    feed: list[FeedMessage],
    *,
    watcher: _Watcher,
    settings: Any,
    bootstrap: str,
    console: Console,
    ref: Any,
    within: float,
) -> None:
    """Publish the shipped examples, wait for ingest's verdicts, show the per-topic table."""
    import asyncio

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
            console.line("feed", f"{message.topic:<36} {label:<26} {ref(message.patient_id)}")
    finally:
        await producer.stop()
    valid = sum(m.expect_valid for m in feed)
    await watcher.wait_for(valid=valid, invalid=len(feed) - valid, within=within)
    await asyncio.sleep(2.0)  # the pathway's alerts follow ingest by a moment
    sent = Counter(m.topic for m in feed)
    parked = Counter(d["topic"] for d in watcher.dead)
    console.raw()
    console.raw(f"{'inbound topic':<38}{'sent':>6}{'dead-lettered':>15}")
    for topic in sorted(sent):
        console.raw(f"{topic:<38}{sent[topic]:>6}{parked[topic]:>15}")
    for letter in watcher.dead:
        console.raw(f"  dead letter from {letter['topic']}: {letter['reason']}")
    console.raw()
    if any(alert.get("detected_late") for alert in watcher.alerts.values()):
        console.line(
            "note",
            "the examples are dated March 2026: their deadlines passed long ago, so breaches "
            "fire at once (late) and are retracted when the on-time care records arrive",
            style="dim",
        )


@dataclass
class _SimCounts:
    """What the simulated hospital published (produce() fills ``by_topic`` as it goes)."""

    by_topic: Counter[str] = field(default_factory=Counter)
    backlog: int = 0
    later: int = 0  # story events after the demo's end (published with --forever)

    @property
    def invalid(self) -> int:
        return self.by_topic["(invalid)"]

    @property
    def valid(self) -> int:
        return sum(n for t, n in self.by_topic.items() if t != "(invalid)") - self.invalid


async def _simulate(
    options: DemoOptions,
    *,
    sim: _SimCounts,
    watcher: _Watcher,
    worker: _WorkerProcess,
    settings: Any,
    bootstrap: str,
    console: Console,
    policy: Any,
) -> None:
    """Run the simulated hospital for the duration (or until cancelled), with progress lines."""
    import asyncio

    from streams.broker import client_options
    from streams.cli.simulate_cmd import produce

    now = datetime.now(UTC)
    plan = plan_feed(
        seed=options.seed,
        patients=options.patients,
        rate=options.rate,
        duration=options.duration or DEFAULT_DURATION_SECONDS,
        now=now,
        policy=policy,
    )
    end = now + timedelta(seconds=options.duration)
    sim.backlog = sum(1 for m in plan.messages if m.publish_at <= now)
    sim.later = 0 if options.forever else sum(1 for m in plan.messages if m.publish_at > end)
    _explain(options, plan=plan, now=now, console=console, policy=policy, backlog=sim.backlog)
    loop = asyncio.get_running_loop()
    began = loop.time()
    feeding = asyncio.create_task(
        produce(
            plan.messages,
            bootstrap=bootstrap,
            options=client_options(settings),
            partitions=settings.partitions,
            rate=options.rate,
            duration=None if options.forever else options.duration,
            follow=True,
            counts=sim.by_topic,
        )
    )
    shown: tuple[int, ...] = ()
    shown_at = began
    try:
        while True:
            left = PROGRESS_EVERY_SECONDS
            if not options.forever:
                left = min(left, options.duration - (loop.time() - began))
                if left <= 0:
                    break
            if feeding.done():
                await asyncio.sleep(left)  # everything published; the timers keep firing
            else:
                await asyncio.wait({feeding}, timeout=left)
            if feeding.done() and feeding.exception() is not None:
                raise feeding.exception()  # type: ignore[misc]
            if worker.process.poll() is not None:
                console.line("demo", f"the worker exited; see {worker.log_path}", style="red")
                break
            # A quiet --forever run reports every few minutes, not every 15 s.
            state = (sum(sim.by_topic.values()), len(watcher.forwarded), len(watcher.alerts))
            if state != shown or loop.time() - shown_at >= QUIET_PROGRESS_SECONDS:
                _progress(console, sim=sim, watcher=watcher, elapsed=loop.time() - began)
                shown, shown_at = state, loop.time()
    finally:
        if not feeding.done():
            feeding.cancel()
            await asyncio.gather(feeding, return_exceptions=True)
    console.line(
        "sim", f"{options.duration:.0f} s up: the simulated hospital stops publishing", style="dim"
    )


@dataclass(frozen=True)
class FeedPlan:
    """The simulated feed for this run and where its clocks run out (seconds from now)."""

    messages: list[Any]  # both cohorts, in publication order
    breaching: list[Any]  # the cohort whose deadlines fall in [lead, lead + window]
    warning: list[Any]  # the cohort whose last warning points fall there instead
    lead: float
    window: float
    warning_shift: timedelta  # how much later the warning cohort's deadlines are

    @property
    def due_in_minutes(self) -> float:
        """The simulator's --due-in for the breaching cohort."""
        return self.window / 60


WARNING_SEED_OFFSET = 1000  # the warning cohort's seed: other patients, other stories


def plan_feed(
    *, seed: int, patients: int, rate: float, duration: float, now: datetime, policy: Any
) -> FeedPlan:
    """Place the stories so the day's backlog is in before the first clock runs out.

    The simulator's --due-in places deadlines in [start, start + window]. Two thirds of the
    patients get their deadlines in the live part of the demo, after the backlog has been
    published at ``rate`` (plus a margin) and a few seconds before the end, so the breaches are
    seen. The other third is placed (1 - last warning fraction) of the window later, so their last
    warning points pass live instead (18 h after suspicion with the packaged policy).
    """
    import heapq

    from models.outputs import TimerKind
    from services.simulation import FeedConfig, generate

    fractions = policy.warnings.fractions
    later = patients // 3 if fractions else 0
    shift = policy.window(TimerKind.STEROIDS) * (1 - max(fractions, default=1.0))

    def cohorts(start: datetime, window: float) -> tuple[list[Any], list[Any]]:
        def config(offset: int, count: int, at: datetime) -> Any:
            return FeedConfig(
                seed=seed + offset,
                start=at,
                patients=count,
                invalid_fraction=INVALID_FRACTION,
                due_within=timedelta(seconds=window),
            )

        breaching = list(generate(config(0, patients - later, start)))
        warning = list(generate(config(WARNING_SEED_OFFSET, later, start + shift)))
        return breaching, warning

    provisional = cohorts(now, max(duration, 1.0))
    backlog = sum(1 for cohort in provisional for m in cohort if m.publish_at <= now)
    lead = backlog / rate + 4.0
    window = max(5.0, duration - lead - 6.0)
    breaching, warning = cohorts(now + timedelta(seconds=lead), window)
    merged = list(heapq.merge(breaching, warning, key=lambda m: m.publish_at))
    return FeedPlan(merged, breaching, warning, lead, window, shift)


def _explain(
    options: DemoOptions,
    *,
    plan: FeedPlan,
    now: datetime,
    console: Console,
    policy: Any,
    backlog: int,
) -> None:
    from models.outputs import TimerKind

    steroids = policy.window(TimerKind.STEROIDS).total_seconds() / 3600
    review = policy.window(TimerKind.SURGICAL_EVALUATION).total_seconds() / 3600
    warnings = ", ".join(f"{f:.0%}" for f in policy.warnings.fractions)
    escalation = ", ".join(f"{d.total_seconds() / 60:.0f}" for d in policy.escalation_delays)
    first = now + timedelta(seconds=plan.lead)
    last = first + timedelta(seconds=plan.window)
    live = f"between {first:%H:%M:%S} and {last:%H:%M:%S} UTC"
    breaching = len({m.key for m in plan.breaching})
    warning = len({m.key for m in plan.warning})
    console.raw()
    console.line(
        "sim",
        f"simulated hospital: {breaching + warning} patient stories (seed {options.seed}), "
        f"{options.rate:g} messages/s, {INVALID_FRACTION:.0%} malformed on purpose",
        style="bold",
    )
    console.line(
        "sim",
        f"policy services/policy.yaml: steroids within {steroids:g} h and a spinal surgical "
        f"review within {review:g} h of suspicion; warnings at {warnings} of each window; "
        f"escalation {escalation} min after an unacknowledged breach",
    )
    console.line(
        "sim",
        f"backdated about a day: {backlog} messages of history arrive first; then the 24-hour "
        f"deadlines of {breaching} stories pass live {live} (like `cordwatch simulate --seed "
        f"{options.seed} --patients {breaching} --due-in {plan.due_in_minutes:.2f} --follow`)",
    )
    if warning:
        hours = (policy.window(TimerKind.STEROIDS) - plan.warning_shift).total_seconds() / 3600
        console.line(
            "sim",
            f"{warning} more stories are placed {plan.warning_shift.total_seconds() / 3600:g} h "
            f"later: their {max(policy.warnings.fractions):.0%} warning points ({hours:g} h after "
            f"suspicion) pass live instead, their deadlines after the demo",
        )
    console.line(
        "sim",
        "a report in the backlog opens its episode after some warning points have passed: "
        "each open timer pages for those once, at once (marked late)",
    )
    console.raw()


def _progress(console: Console, *, sim: _SimCounts, watcher: _Watcher, elapsed: float) -> None:
    pending = watcher.pending_deadlines()
    upcoming = min(pending, default=None)
    nxt = (
        f"next deadline in {_span((upcoming - datetime.now(UTC)).total_seconds())}"
        if upcoming is not None
        else "no deadline pending"
    )
    console.line(
        "sim",
        f"+{elapsed:.0f}s published {sum(sim.by_topic.values()) - sim.invalid} "
        f"({sim.invalid} malformed) | ingested {len(watcher.forwarded)} | dead letters "
        f"{len(watcher.dead)} | alerts {len(watcher.alerts)} | {len(pending)} timers pending, "
        f"{nxt}",
        style="dim",
    )


class _Watcher:
    """Reads Cordwatch's outputs from their current end; prints each alert as it arrives."""

    def __init__(self, *, bootstrap: str, settings: Any, console: Console, ref: Any) -> None:
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
        from streams.topics import ALERTS, DEAD_LETTERS, INBOUND, PATIENT_EVENTS

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
                    # Only ingest's refusals; other agents park their own failures here.
                    if value.get("topic") in INBOUND:
                        self.dead.append(value)
                elif tp.topic == ALERTS:
                    self._alert(value)
                else:
                    self._change(value)

    def _alert(self, alert: dict[str, Any]) -> None:
        if alert["alert_id"] in self.alerts:
            return
        if not self.alerts:
            self.console.line(
                "alert",
                f"{'UTC':<8} {'type':<16} {'priority':<8} {'timer':<19} episode     patient"
                "             phone summary",
                style="dim",
            )
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


def format_alert(alert: dict[str, Any], *, ref: Any, paint: Any) -> str:
    """One line for one alert: time, type, priority, timer, short episode, pseudonym, summary."""
    at = datetime.fromisoformat(alert["at"]).astimezone(UTC)
    kind = alert["alert_type"]
    priority = alert["priority"]
    timer = alert.get("timer") or "-"
    late = " (late)" if alert.get("detected_late") else ""
    summary = " ".join(str(alert.get("summary", "")).split())
    # Catch-up pages are dimmed so the ones firing on time stand out.
    style = "dim" if late else _TYPE_STYLE.get(kind)
    return (
        f"{paint('alert  |', 'dim')} {at:%H:%M:%S} "
        f"{paint(f'{kind:<16}', style)} "
        f"{paint(f'{priority:<8}', _PRIORITY_STYLE.get(priority))} {timer:<19} "
        f"ep {alert['episode_id'][:8]} {ref(alert.get('patient_id'))}{late}  {summary}"
    )


async def _scrape(url: str) -> dict[str, float]:
    import aiohttp
    from prometheus_client.parser import text_string_to_metric_families

    from streams.topics import INBOUND

    try:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            text = await response.text()
    except aiohttp.ClientError:
        return {}
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name in ("cordwatch_events_ingested", "cordwatch_dead_letters"):
            totals[family.name] = sum(
                s.value
                for s in family.samples
                if s.name.endswith("_total") and s.labels.get("topic") in INBOUND
            )
    return totals


@dataclass
class _Report:
    """The closing summary: counts, alerts, episodes, what fires next, where the store is."""

    feed: list[FeedMessage]
    sim: _SimCounts
    watcher: _Watcher
    metrics: dict[str, float]
    url: str
    store: str
    policy: Any
    console: Console
    elapsed: float

    def show(self) -> bool:
        """Print everything; True when every message came out where it should."""
        out = self.console
        out.raw()
        out.raw(out.paint(f"== after {self.elapsed:.0f} s ==", "bold"))
        ok = self._ingest()
        self._alerts()
        self._episodes()
        self._next()
        self._store()
        out.raw("all messages accounted for" if ok else "MISMATCH: see the counts above")
        return ok

    def _ingest(self) -> bool:
        from streams.topics import DEAD_LETTERS, PATIENT_EVENTS

        out, w = self.console, self.watcher
        valid = sum(m.expect_valid for m in self.feed) + self.sim.valid
        invalid = len(self.feed) - sum(m.expect_valid for m in self.feed) + self.sim.invalid
        out.raw(
            f"published: {len(self.feed)} example messages, {self.sim.valid + self.sim.invalid} "
            f"simulated ({self.sim.invalid} malformed on purpose)"
        )
        out.raw(f"{PATIENT_EVENTS:<38}{len(w.forwarded):>6} events (expected {valid})")
        out.raw(f"{DEAD_LETTERS:<38}{len(w.dead):>6} dead letters (expected {invalid})")
        reasons = Counter(d.get("reason_code", "?") for d in w.dead)
        if reasons:
            out.raw("  by reason: " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())))
        ingested = self.metrics.get("cordwatch_events_ingested", 0.0)
        dead = self.metrics.get("cordwatch_dead_letters", 0.0)
        out.raw(
            f"metrics: cordwatch_events_ingested_total={ingested:.0f} "
            f"cordwatch_dead_letters_total={dead:.0f} at {self.url}/metrics"
        )
        ok = (len(w.forwarded), len(w.dead)) == (valid, invalid)
        return ok and (ingested, dead) == (valid, invalid)

    def _alerts(self) -> None:
        out = self.console
        table: dict[str, Counter[str]] = {}
        for alert in self.watcher.alerts.values():
            row = table.setdefault(alert["alert_type"], Counter())
            row[alert["priority"]] += 1
            row["late"] += bool(alert.get("detected_late"))
        out.raw()
        header = f"{'alerts':<18}{'critical':>9}{'high':>6}{'routine':>8}{'total':>7}{'late':>6}"
        out.raw(header)
        order = (
            "mescc_suspected",
            "timer_warning",
            "timer_breached",
            "escalation",
            "breach_retracted",
            "episode_closed",
        )
        for kind in sorted(table, key=lambda k: order.index(k) if k in order else len(order)):
            row = table[kind]
            total = row["critical"] + row["high"] + row["routine"]
            out.raw(
                f"{kind:<18}{row['critical']:>9}{row['high']:>6}{row['routine']:>8}"
                f"{total:>7}{row['late']:>6}"
            )
        out.raw("  (late: raised after its moment had passed, e.g. history arriving in a backlog)")

    def _episodes(self) -> None:
        w = self.watcher
        statuses = Counter(status for _, status in w.episodes.values())
        outcomes = Counter(snap["status"] for _, snap, _ in w.timers.values())
        shown = ", ".join(f"{s.replace('_', ' ')} {n}" for s, n in sorted(statuses.items()))
        self.console.raw()
        self.console.raw(f"episodes opened: {len(w.episodes)} ({shown or 'none'})")
        if outcomes:
            self.console.raw(
                "timers: "
                + ", ".join(f"{s.replace('_', ' ')} {n}" for s, n in sorted(outcomes.items()))
            )

    def _next(self) -> None:
        """What would fire if the demo kept running, from the latest timer snapshots."""
        now = datetime.now(UTC)
        w, policy = self.watcher, self.policy
        open_episodes = {e for e, (_, status) in w.episodes.items() if status == "open"}
        warnings: list[datetime] = []
        deadlines: list[datetime] = []
        escalations: list[datetime] = []
        breach_pages = {
            (a["episode_id"], a.get("timer")): datetime.fromisoformat(a["at"])
            for a in w.alerts.values()
            if a["alert_type"] == "timer_breached"
        }
        for _, snap, episode in w.timers.values():
            started = datetime.fromisoformat(snap["started_at"])
            due = datetime.fromisoformat(snap["due_at"])
            if snap["status"] == "pending":
                points = [started + (due - started) * f for f in policy.warnings.fractions]
                warnings += [p for p in points if p > now]
                deadlines.append(due)
            elif (
                snap["status"] == "breached"
                and not snap.get("breach_retracted")
                and episode in open_episodes
                and (episode, snap["kind"]) in breach_pages
            ):
                paged = breach_pages[(episode, snap["kind"])]
                escalations += [paged + d for d in policy.escalation_delays if paged + d > now]
        lines = []
        if warnings:
            lines.append(_when("timer warning", warnings))
        if deadlines:
            lines.append(_when("deadline", deadlines, note="breach unless care is recorded"))
        if escalations:
            minutes = ", ".join(f"{d.total_seconds() / 60:g}" for d in policy.escalation_delays)
            note = f"{minutes} min after each unacknowledged breach page"
            lines.append(_when("escalation", escalations, note=note))
        if self.sim.later:
            lines.append(
                f"{self.sim.later} more story events (care, discharges) over the coming days"
            )
        self.console.raw()
        if lines:
            self.console.raw("next to fire if it kept running (`cordwatch demo --forever`):")
            for line in lines:
                self.console.raw(f"  {line}")
        else:
            self.console.raw("nothing left to fire: every timer is met, breached or cancelled")

    def _store(self) -> None:
        from sqlalchemy.engine import make_url

        url = make_url(self.store)
        where = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "sqlite" and url.database:
            where += f" ({Path(url.database).resolve()})"
        self.console.raw()
        self.console.raw(f"audit store: {where}: {self._stored()}")
        self.console.raw(
            "  time to treatment from it: .venv/bin/cordwatch audit --by day "
            "(add --episodes for one line per episode)"
        )

    def _stored(self) -> str:
        from sqlalchemy import text

        from services.store.engine import make_engine

        engine = make_engine(self.store)
        try:
            with engine.connect() as connection:
                episodes = connection.execute(text("SELECT count(*) FROM episodes")).scalar_one()
                timers = connection.execute(text("SELECT count(*) FROM timers")).scalar_one()
        except Exception as exc:  # the summary must not fail on a store problem
            return f"not readable ({type(exc).__name__})"
        finally:
            engine.dispose()
        return f"{episodes} episodes, {timers} timers in total (all runs)"


def _when(what: str, moments: list[datetime], *, note: str = "") -> str:
    """`3 deadlines (note): 17:53:09-17:53:20 UTC`."""
    first, last = min(moments).astimezone(UTC), max(moments).astimezone(UTC)
    span = f"at {first:%H:%M:%S}" if first == last else f"{first:%H:%M:%S}-{last:%H:%M:%S}"
    plural = "" if len(moments) == 1 else "s"
    return f"{len(moments)} {what}{plural}{f' ({note})' if note else ''}: {span} UTC"


def _span(seconds: float) -> str:
    """A wait in the unit a person would say it in."""
    if seconds < 120:
        return f"{max(seconds, 0):.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
