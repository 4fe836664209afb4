"""On the real embedded broker with PostgreSQL: the database goes away mid-stream (the sink's
connections run through a TCP proxy that the test closes), comes back, and every episode change
ends up in the database exactly once, at its newest version."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import psycopg
import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy.engine import make_url

from services.store import make_engine, upgrade
from streams.broker import free_port, spawn_owned, terminate
from tests.conftest import TEST_PARTITIONS
from tests.integration.store.conftest import PG_URL, postgres_schema_url, postgres_unreachable
from tests.integration.store.dataset import MET, PENDING, E, S, episode, timer

pytestmark = [pytest.mark.broker, pytest.mark.postgres, pytest.mark.e2e, pytest.mark.slow]

EPISODES = 40


ROOT = Path(__file__).resolve().parents[3]


class SinkWorker:
    """`cordwatch worker` in a child process, configured only by the variables set here."""

    def __init__(self, *, bootstrap: str, app_id: str, database_url: str, workdir: Path) -> None:
        self.port = free_port()
        self.log = workdir / "worker.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")}
        self.env = {
            **base,
            "CORDWATCH_KAFKA_BOOTSTRAP": bootstrap,
            "CORDWATCH_APP_ID": app_id,
            "CORDWATCH_PARTITIONS": str(TEST_PARTITIONS),
            "CORDWATCH_WEB_PORT": str(self.port),
            "CORDWATCH_DATA_DIR": str(workdir / "var"),
            "CORDWATCH_DATABASE_URL": database_url,
            "CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS": "6",
            "PYTHONPATH": str(ROOT),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = spawn_owned(
                [sys.executable, "-c", "import sys; from streams.cli import main; "
                 "sys.exit(main(['worker']))"],
                stdout=out, env=self.env,
            )  # fmt: skip

    async def get(self, path: str) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{self.port}{path}") as response,
        ):
            return response.status, await response.text()

    async def wait_ready(self, within: float = 60.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            assert self.process is not None
            assert self.process.poll() is None, f"worker exited:\n{self.log_tail()}"
            with contextlib.suppress(aiohttp.ClientError):
                if (await self.get("/ready"))[0] == 200:
                    return
            await asyncio.sleep(0.2)
        raise AssertionError(f"worker not ready in {within:.0f} s:\n{self.log_tail()}")

    async def metric(self, name: str, **labels: str) -> float:
        _, body = await self.get("/metrics")
        total = 0.0
        for line in body.splitlines():
            head, _, value = line.rpartition(" ")
            if head.split("{", 1)[0] == name and all(
                f'{k}="{v}"' in head for k, v in labels.items()
            ):
                total += float(value)
        return total

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process, grace=15.0)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Proxy:
    """A TCP relay to PostgreSQL that can be cut (every connection dropped, new ones refused)."""

    def __init__(self, *, upstream_port: int) -> None:
        self.port = 0  # the first open() binds a free port; later ones reuse it
        self.upstream_port = upstream_port
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.relays: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.close()
        for task in list(self.relays):
            task.cancel()
        await asyncio.gather(*self.relays, return_exceptions=True)
        await self.server.wait_closed()
        self.server = None

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.relays.add(task)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self.writers -= {writer, up_writer}
            self.relays.discard(task)


def _changes(prefix: str) -> list[bytes]:
    t0 = datetime.now(UTC) - timedelta(hours=2)
    out = []
    for i in range(EPISODES):
        eid = f"{prefix}-{i:03d}"
        out += [
            episode(eid, t0, facility="E2E"),
            timer(eid, S, t0, facility="E2E", status=PENDING, version=2),
            timer(eid, E, t0, facility="E2E", status=PENDING, version=2),
            timer(eid, S, t0, facility="E2E", status=MET, met_after=timedelta(hours=1), version=3),
        ]
    return [c.model_dump_json().encode() for c in out]


async def _publish(bootstrap: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        for value in values:
            key = json.loads(value)["patient_id"].encode()
            await producer.send_and_wait("cordwatch.episode-changes", key=key, value=value)
    finally:
        await producer.stop()


def _rows(schema: str, prefix: str) -> dict[str, int]:
    url = make_url(PG_URL)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database,
                         options=f"-csearch_path={schema}") as conn:  # fmt: skip
        episodes = conn.execute(
            "select count(*) from episodes where episode_id like %s", (f"{prefix}%",)
        ).fetchone()
        timers = conn.execute(
            "select count(*), count(*) filter (where kind = 'steroids' and version = 3 "
            "and status = 'met') from timers where episode_id like %s", (f"{prefix}%",),
        ).fetchone()  # fmt: skip
    assert episodes is not None
    assert timers is not None
    return {"episodes": episodes[0], "timers": timers[0], "steroids_met": timers[1]}


async def _until(check: object, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"not reached within {within:.0f} s")


@contextlib.asynccontextmanager
async def pg_schema() -> AsyncIterator[str]:
    reason = postgres_unreachable()
    if reason:
        pytest.skip(reason)
    schema = f"cw_e2e_{uuid.uuid4().hex[:10]}"
    url = make_url(PG_URL)
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database,
                         autocommit=True) as admin:  # fmt: skip
        admin.execute(f'create schema "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(host=url.host, port=url.port, user=url.username,
                             dbname=url.database, autocommit=True) as admin:  # fmt: skip
            admin.execute(f'drop schema "{schema}" cascade')


async def test_database_outage_mid_stream_loses_nothing_and_writes_nothing_twice(
    broker: str, tmp_path: Path
) -> None:
    async with pg_schema() as schema:
        engine = make_engine(postgres_schema_url(schema))
        upgrade(engine=engine)
        engine.dispose()
        proxy = Proxy(upstream_port=make_url(PG_URL).port or 5432)
        await proxy.open()
        through_proxy = make_url(postgres_schema_url(schema)).set(port=proxy.port)
        prefix = f"e2e{uuid.uuid4().hex[:6]}"
        values = _changes(prefix)
        half = len(values) // 2
        worker = SinkWorker(
            bootstrap=broker, app_id=f"cw-sink-{prefix}", workdir=tmp_path,
            database_url=through_proxy.render_as_string(hide_password=False),
        )  # fmt: skip
        worker.start()
        try:
            await worker.wait_ready()
            await _publish(broker, values[:half])
            await _until(lambda: _rows(schema, prefix)["episodes"] == EPISODES // 2, 90)

            await proxy.cut()  # the database is gone for the sink
            await _publish(broker, values[half:])
            await asyncio.sleep(4)
            assert _rows(schema, prefix)["episodes"] == EPISODES // 2  # nothing got through
            await proxy.open()  # and back

            expected = {"episodes": EPISODES, "timers": 2 * EPISODES, "steroids_met": EPISODES}
            await _until(lambda: _rows(schema, prefix) == expected, 90)
            assert await worker.metric("cordwatch_sink_retries_total") >= 1
            # Rows, not changes: a batch holding v2 and v3 of a timer writes v3 only. (The count
            # also includes other tests' changes on the shared broker, hence >=.)
            written = await worker.metric("cordwatch_sink_records_total", result="written")
            assert written >= EPISODES * 3
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}\nrows: {_rows(schema, prefix)}\n{worker.log_tail()}"
            ) from exc
        finally:
            worker.stop()
            if proxy.server is not None:
                await proxy.cut()
