"""The shipped rules and dashboards against a real Prometheus scraping a real worker.

One worker (real detector) on the session's embedded broker, fed by `cordwatch simulate`, and
Debian's Prometheus scraping it every second with the shipped rule file. The scenario, in order:

1. fresh start, nothing sent: the per-topic feed-silence rule fires for every busy feed (the
   series exist at zero, so silence is visible before the first event);
2. the simulator runs: those alerts resolve and stay resolved while it sends; every Prometheus
   expression of both dashboards and every series a rule reads returns data in its unit;
3. the feed stops and the deadline scan is stalled (worker_main's switch): feed silence fires
   again, the scan-stalled rule fires, and deadlines that pass during the stall are reported as
   past due without a breach page; breach pages nobody acknowledges fire their rule;
4. the worker is killed: the worker-down rule fires.
Rules never seen firing before their fault are asserted on every sample taken earlier.

The test copy of the rules shortens what would otherwise take an hour (TEST_TIMING below):
the rule expressions are otherwise the shipped ones, so a change to the shipped rules that
breaks a replacement fails here loudly instead of testing something else.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from streams.broker import free_port, spawn_owned, terminate
from tests.conftest import TEST_PARTITIONS
from tests.integration.pathway.harness import migrated_sqlite
from tests.integration.prometheus.server import (
    PROMTOOL,
    SHIPPED,
    Prometheus,
    ensure_prometheus,
    scrape_config_for,
)

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
CORDWATCH = str(Path(sys.executable).parent / "cordwatch")
PARTITIONS = str(TEST_PARTITIONS)
BUSY_FEEDS = ("hospital.adt", "hospital.imaging-reports", "hospital.medication-administrations")
# The feeds every simulated story uses several times: never SILENCE_WINDOW apart at 6 msg/s.
STEADY_FEEDS = ("hospital.adt", "hospital.imaging-reports")
SILENCE_WINDOW = "30s"  # a loaded 2-core CI machine can pause ingest for 20 s
# Exported by the notify worker (services.alerts.metrics), which this test does not start.
NOTIFY_SERIES = "cordwatch_page_"

# Rule -> (its `for:` in the test copy, [(shipped text, test text)]). Only durations and
# thresholds that would take minutes to hours change; the expressions stay as shipped.
TEST_TIMING: dict[str, tuple[str | None, list[tuple[str, str]]]] = {
    "CordwatchFeedSilent": ("5s", [("[1h]", f"[{SILENCE_WINDOW}]")]),
    "CordwatchTimerScanStalled": ("3s", [("> 60)", "> 5)")]),
    "CordwatchDeadlinePastDue": ("1s", []),
    "CordwatchCriticalPageUnacknowledged": (None, [("> 1800", "> 5")]),
    "CordwatchWorkerDown": ("3s", []),
}


def rules_for_the_test(path: Path) -> Path:
    """The shipped rules with TEST_TIMING applied; fails if a replacement no longer applies."""
    rules = yaml.safe_load((SHIPPED / "cordwatch-rules.yml").read_text())
    seen = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            if rule["alert"] not in TEST_TIMING:
                continue
            seen.add(rule["alert"])
            duration, replacements = TEST_TIMING[rule["alert"]]
            if duration is not None:
                rule["for"] = duration
            for old, new in replacements:
                assert old in rule["expr"], (rule["alert"], old)
                rule["expr"] = rule["expr"].replace(old, new)
    assert seen == set(TEST_TIMING)
    path.write_text(yaml.safe_dump(rules))
    return path


def _shipped_rules() -> list[dict[str, Any]]:
    rules = yaml.safe_load((SHIPPED / "cordwatch-rules.yml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def _dashboard_targets() -> list[tuple[str, str, str]]:
    """(dashboard panel title, unit, expr) of every Prometheus target of both dashboards."""
    found = []
    for path in sorted((SHIPPED / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                if "expr" in target:
                    found.append(
                        (panel["title"], panel["fieldConfig"]["defaults"]["unit"], target["expr"])
                    )
    return found


def check_unit(unit: str, title: str, values: list[float]) -> None:
    """The values read as their unit says: seconds are seconds (not ms), shares are shares."""
    assert values, title
    for v in values:
        assert math.isfinite(v), (title, v)
        assert v >= 0, (title, v)
    if unit == "s":
        # Latencies of a local worker are well under 5 s; read in ms (Faust's own unit) a p99
        # of a few ms would come out in the tens or hundreds. Ages stay within this test.
        limit = 5.0 if ("latency" in title.lower() or "time" in title.lower()) else 600.0
        assert max(values) < limit, (title, values)
    elif unit == "ops":
        assert max(values) < 1000, (title, values)
    elif unit == "percent":
        assert max(values) <= 100, (title, values)


def _values(samples: list[dict[str, Any]]) -> list[float]:
    return [float(s["value"][1]) for s in samples]


class Recorder:
    """Every alert seen firing (and, apart, pending) so far, with the phase first seen in."""

    def __init__(self, prom: Prometheus) -> None:
        self.prom = prom
        self.phase = "start"
        self.seen: dict[tuple[str, str], str] = {}
        self.pending: dict[tuple[str, str], str] = {}

    async def sample(self) -> set[tuple[str, str]]:
        firing = await self.prom.alerts("firing")
        for key in firing:
            self.seen.setdefault(key, self.phase)
        for key in await self.prom.alerts("pending"):
            self.pending.setdefault(key, self.phase)
        return firing

    async def until(
        self, check: Callable[[set[tuple[str, str]]], bool], *, within: float, what: str
    ) -> set[tuple[str, str]]:
        deadline = time.monotonic() + within
        while True:
            firing = await self.sample()
            if check(firing):
                return firing
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not within {within:.0f}s; firing: {sorted(firing)}")
            await asyncio.sleep(1.0)

    def first_seen(self, alertname: str, *, pending: bool = False) -> set[str]:
        seen = self.pending if pending else self.seen
        return {phase for (name, _), phase in seen.items() if name == alertname}


def _start_worker(
    bootstrap: str, workdir: Path, stall: Path
) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = free_port()
    log = workdir / "worker.log"
    env = {
        **os.environ,
        "CORDWATCH_KAFKA_BOOTSTRAP": bootstrap,
        "CORDWATCH_APP_ID": f"prom-{uuid.uuid4().hex[:8]}",
        "CORDWATCH_PARTITIONS": str(TEST_PARTITIONS),
        "CORDWATCH_WEB_PORT": str(port),
        "CORDWATCH_DATA_DIR": str(workdir / "var"),
        "CORDWATCH_DATABASE_URL": migrated_sqlite(workdir / "audit.db"),
        "CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS": "4",
        "CORDWATCH_METRICS_FACILITIES": "NORTH,SOUTH,CITY",  # the simulator's sites
        "CORDWATCH_LOG_FORMAT": "json",
        "CORDWATCH_TEST_STALL_FILE": str(stall),
        "PYTHONPATH": str(ROOT),
    }
    with log.open("wb") as out:
        process = spawn_owned(
            [sys.executable, "-m", "tests.integration.prometheus.worker_main"], stdout=out, env=env
        )
    return process, port, log


async def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    def tail() -> str:  # only read on failure
        return log.read_text()[-3000:]

    deadline = time.monotonic() + 90
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"worker exited:\n{tail()}")
            try:
                async with session.get(f"{url}/ready") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
    raise AssertionError(f"worker not ready:\n{tail()}")


def test_promtool_accepts_the_shipped_rules_and_config() -> None:
    reason = ensure_prometheus()
    if reason:
        pytest.skip(reason)
    for args in (
        ["check", "rules", str(SHIPPED / "cordwatch-rules.yml")],
        ["check", "config", str(SHIPPED / "prometheus.yml")],
    ):
        done = subprocess.run([str(PROMTOOL), *args], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "SUCCESS" in done.stdout


async def _simulate(bootstrap: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return spawn_owned(
            [
                CORDWATCH, "simulate", "--bootstrap", bootstrap,
                "--seed", "16", "--patients", "40", "--due-in", "2", "--rate", "6",
                "--invalid-fraction", "0.05",
            ],
            stdout=out,
            env={**os.environ, "PYTHONPATH": str(ROOT), "CORDWATCH_PARTITIONS": PARTITIONS},
        )  # fmt: skip


async def test_rules_fire_on_their_faults_and_dashboards_read_real_data(
    broker: str, tmp_path: Path
) -> None:
    reason = ensure_prometheus()
    if reason:
        pytest.skip(reason)
    stall = tmp_path / "stall-the-deadline-scan"
    worker, port, worker_log = _start_worker(broker, tmp_path, stall)
    target = f"127.0.0.1:{port}"
    prom = Prometheus(
        tmp_path, scrape_config_for(target=target, rules=rules_for_the_test(tmp_path / "rules.yml"))
    ).start()
    sim: subprocess.Popen[bytes] | None = None
    try:
        await prom.wait_ready()
        await _wait_ready(f"http://{target}", worker, worker_log)
        rec = Recorder(prom)

        # 1. Fresh start, nothing sent: each busy feed is silent, per topic.
        rec.phase = "fresh start"
        silent = {("CordwatchFeedSilent", topic) for topic in BUSY_FEEDS}
        await rec.until(lambda f: silent <= f, within=90, what="feed silence at a fresh start")

        # 2. The simulated hospital sends; silence resolves and stays resolved meanwhile.
        rec.phase = "feeding"
        sim = await _simulate(broker, tmp_path / "simulate.log")
        steady = {("CordwatchFeedSilent", topic) for topic in STEADY_FEEDS}
        await rec.until(lambda f: not (steady & f), within=30, what="silence resolving")
        rec.phase = "fed"
        while sim.poll() is None:
            firing = await rec.sample()
            assert not (steady & firing), "a feed that is sending reported silent"
            await asyncio.sleep(1.0)
        assert sim.returncode == 0, (tmp_path / "simulate.log").read_text()[-2000:]
        assert not (steady & await rec.sample())

        # Every dashboard expression and every series a rule reads, on real data.
        for title, unit, expr in _dashboard_targets():
            check_unit(unit, title, _values(await prom.query(expr)))
        for rule in _shipped_rules():
            for name in set(re.findall(r"\b(?:cordwatch|faust)_[a-z_]+\b|\bup\b", rule["expr"])):
                if name.startswith(NOTIFY_SERIES):
                    continue  # the notify worker's; test_rule_units replays those rules
                assert await prom.query(f'count({{__name__="{name}"}})'), (rule["alert"], name)
        age = "time() - cordwatch_timer_service_heartbeat_timestamp_seconds"
        check_unit("s", "heartbeat age", _values(await prom.query(age)))
        assert max(_values(await prom.query(age))) < 5  # the scan runs every second
        census_age = _values(await prom.query("time() - cordwatch_census_timestamp_seconds"))
        assert max(census_age) < 30  # every 15 s
        opened = _values(await prom.query("sum(cordwatch_open_episodes)"))
        assert opened[0] > 0  # the census saw the simulated episodes

        # 3. The feed has stopped; now the deadline scan stalls.
        rec.phase = "stalled"
        stall.touch()
        await rec.until(
            lambda f: ("CordwatchTimerScanStalled", "") in f, within=40, what="scan stalled"
        )
        await rec.until(lambda f: silent <= f, within=60, what="feed silence after the feed stops")
        await rec.until(
            lambda f: any(name == "CordwatchDeadlinePastDue" for name, _ in f),
            within=150,
            what="deadlines past due while the scan is stalled",
        )
        assert await prom.query('sum(cordwatch_pending_timers{state="past_due"}) > 0')
        # Breach pages went out for the deadlines that passed before the stall, and nobody
        # acknowledges them in this test.
        assert await prom.query("sum(cordwatch_unacknowledged_critical_alerts) > 0")
        await rec.until(
            lambda f: any(n == "CordwatchCriticalPageUnacknowledged" for n, _ in f),
            within=30,
            what="unacknowledged critical page",
        )

        # 4. The worker dies.
        rec.phase = "worker killed"
        terminate(worker, grace=0.5)
        await rec.until(
            lambda f: any(name == "CordwatchWorkerDown" for name, _ in f),
            within=30,
            what="worker down",
        )

        # Not before their faults.
        # Not even pending before the stall: the heartbeat never looked old while scans ran.
        assert rec.first_seen("CordwatchTimerScanStalled", pending=True) <= {"stalled"}
        assert rec.first_seen("CordwatchTimerScanStalled") == {"stalled"}
        assert rec.first_seen("CordwatchDeadlinePastDue") == {"stalled"}
        assert rec.first_seen("CordwatchWorkerDown") == {"worker killed"}
        # Only once breach pages had gone out (deadlines pass from the feed's start on).
        assert rec.first_seen("CordwatchCriticalPageUnacknowledged") <= {
            "feeding",
            "fed",
            "stalled",
        }
        assert rec.first_seen("CordwatchNoPartitionsAssigned") == set()
        assert rec.first_seen("CordwatchNoTimerService") == set()
        assert rec.first_seen("CordwatchTimerScanErrors") == set()
        feed_silence = {
            phase
            for (name, topic), phase in rec.seen.items()
            if name == "CordwatchFeedSilent" and topic in STEADY_FEEDS
        }
        assert feed_silence <= {"fresh start", "stalled"}, rec.seen
        # The simulator's broken messages (5%) were refused and alerted on.
        assert rec.first_seen("CordwatchDeadLetters") & {"feeding", "fed", "stalled"}
    except AssertionError:
        print(worker_log.read_text()[-4000:], file=sys.stderr)
        raise
    finally:
        if sim is not None:
            terminate(sim, grace=2.0)
        terminate(worker, grace=10.0)
        prom.stop()
