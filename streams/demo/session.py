"""One demo run: store, broker, worker, watcher, examples, hospital, summary, then cleanup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from services.config import Settings
from streams.demo.console import Console, wants_colour
from streams.demo.feed import FeedMessage, expected_counts, load_feed, publish_examples
from streams.demo.gateway import GatewayDoors
from streams.demo.hospital import SimCounts, simulate
from streams.demo.lines import Ref
from streams.demo.options import DemoOptions
from streams.demo.paging import DemoPaging, demo_policy
from streams.demo.report import Report, scrape
from streams.demo.watcher import AlertWatcher
from streams.demo.worker import WorkerProcess


def run_demo(events: Path, *, options: DemoOptions, settings: Settings) -> int:
    """Run the demo; exit 0 when every message came out where it should, 130 on Ctrl-C."""
    import asyncio

    console = Console(colour=wants_colour())
    feed = load_feed(events)
    store = migrate_store(console, settings)
    try:
        return asyncio.run(
            _demo(feed, options=options, console=console, store=store, settings=settings)
        )
    except (KeyboardInterrupt, asyncio.CancelledError):
        console.line("demo", "interrupted; broker and worker stopped")
        return 130


def migrate_store(console: Console, settings: Settings) -> str:
    """Bring the audit store's schema up to date, as `cordwatch db upgrade` would; its URL."""
    from sqlalchemy.engine import make_url

    from services.store.engine import make_engine
    from services.store.migrations import upgrade

    url = settings.database_url
    engine = make_engine(url)
    try:
        revision = upgrade(engine=engine)
    finally:
        engine.dispose()
    shown = make_url(url).render_as_string(hide_password=True)
    console.line("store", f"audit store {shown} at schema revision {revision}")
    return url


async def _demo(
    feed: list[FeedMessage],
    *,
    options: DemoOptions,
    console: Console,
    store: str,
    settings: Settings,
) -> int:
    import asyncio
    import secrets
    import signal
    import time

    from services.logging import configure_logging, pseudonymise
    from services.policy import DEFAULT_POLICY_PATH, load_policy
    from streams.bootstrap import prepare_cluster, start_embedded_broker
    from streams.broker import free_port

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
    ref = pseudonymiser(pseudonymise, key.encode())
    # The packaged policy (real 24-hour windows): the simulator's backdating assumes them.
    policy = load_policy(DEFAULT_POLICY_PATH)
    # The worker's /fhir answers to this bearer token; the demo's FHIR door sends it.
    token = settings.api_token.get_secret_value() or secrets.token_urlsafe(32)
    # The worklist's sign-in: a coordinator with a fresh password, unless users are configured.
    users_file, demo_password = settings.users_file, None
    if users_file is None:
        users_file, demo_password = demo_users(settings.data_dir)
    broker = start_embedded_broker(settings) if settings.embedded else None
    bootstrap = broker.bootstrap if broker else settings.kafka_bootstrap
    worker: WorkerProcess | None = None
    watcher: AlertWatcher | None = None
    reader: asyncio.Task[None] | None = None
    doors: GatewayDoors | None = None
    paging: DemoPaging | None = None
    interrupted = False
    sim = SimCounts()
    url = ""
    began = time.monotonic()
    try:
        kind = f"embedded Tansu, in memory, pid {broker.pid}" if broker else "Kafka"
        console.line("broker", f"{kind} at {bootstrap}")
        await prepare_cluster(settings, bootstrap)
        web_port = free_port(settings.web_host)
        paging = DemoPaging(console=console, host=settings.web_host)
        await paging.start(data_dir=settings.data_dir, notify_port=free_port(settings.web_host))
        worker_policy = demo_policy(DEFAULT_POLICY_PATH, settings.data_dir / "demo-policy.yaml")
        policy = load_policy(worker_policy)
        started = time.monotonic()
        worker = WorkerProcess.start(
            bootstrap=bootstrap,
            web_port=web_port,
            key=key,
            policy=worker_policy,
            log_dir=settings.data_dir,
            console=console,
            api_token=token,
            users_file=users_file,
            extra_env=paging.env(),
        )
        url = f"http://{settings.web_host}:{web_port}"
        await worker.wait_ready(url, within=60.0)
        ready_in = time.monotonic() - started
        console.line("worker", f"pid {worker.process.pid} ready in {ready_in:.1f}s; {url}/metrics")
        if demo_password is not None:
            console.line("worklist", f"{url}/worklist  sign in as {DEMO_USER} / {demo_password}")
        watcher = AlertWatcher(bootstrap=bootstrap, settings=settings, console=console, ref=ref)
        await watcher.start()
        reader = asyncio.create_task(watcher.run())
        try:
            await publish_examples(
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
                doors = await GatewayDoors.open(
                    settings=settings,
                    bootstrap=bootstrap,
                    worker_url=url,
                    token=token,
                    console=console,
                    ref=ref,
                )
                await simulate(
                    options,
                    sim=sim,
                    watcher=watcher,
                    worker=worker,
                    settings=settings,
                    bootstrap=bootstrap,
                    console=console,
                    policy=policy,
                    door=doors,
                )
            if worker.process.poll() is None:
                feed_valid, feed_invalid = expected_counts(feed)
                valid = feed_valid + sim.valid
                invalid = feed_invalid + sim.invalid
                await watcher.wait_for(valid=valid, invalid=invalid, within=options.timeout)
                await asyncio.sleep(1.5)  # the pathway reacts to the last events a moment later
        except asyncio.CancelledError:
            interrupted = True
            main.uncancel()
            console.raw()
            console.line("demo", "interrupted: stopping; what came out so far:")
        if paging is not None:
            paging.summary()
        metrics = await scrape(f"{url}/metrics") if worker.process.poll() is None else {}
        ok = Report(
            feed=feed,
            sim=sim,
            watcher=watcher,
            metrics=metrics,
            url=url,
            store=store,
            policy=policy,
            console=console,
            elapsed=time.monotonic() - began,
            gateway=doors,
        ).show()
        return 130 if interrupted else (0 if ok else 1)
    finally:
        # Each step runs even when the one before it fails or is interrupted.
        try:
            try:
                if doors is not None:
                    await doors.close()
            finally:
                if reader is not None:
                    reader.cancel()
                if watcher is not None:
                    await watcher.stop()
        finally:
            try:
                if worker is not None:
                    worker.stop()
            finally:
                if paging is not None:
                    await paging.stop()
                if broker is not None:
                    broker.stop()
                    console.line("broker", "stopped")


def pseudonymiser(pseudonymise: Callable[..., str], key: bytes) -> Ref:
    """The demo's `ref`: a patient id as its keyed pseudonym, "-" when there is none."""

    def ref(patient_id: str | None) -> str:
        return "-" if patient_id is None else pseudonymise(patient_id, key=key)

    return ref


DEMO_USER = "demo.coordinator"


def demo_users(data_dir: Path) -> tuple[Path, str]:
    """A users file with one coordinator and a fresh random password (shown once on the console)."""
    import secrets

    import yaml

    from services.identity.credentials import hash_password

    password = secrets.token_urlsafe(12)
    entry = {"name": DEMO_USER, "display": "Demo coordinator", "role": "coordinator",
             "password": hash_password(password)}  # fmt: skip
    path = data_dir / "demo-users.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"users": [entry]}, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return path, password
