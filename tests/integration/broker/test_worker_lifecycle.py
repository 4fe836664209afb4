"""`cordwatch worker` with its own embedded broker: the broker goes when the worker goes,
whether the worker is stopped with Ctrl-C or killed outright."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from streams.broker import free_port, pid_alive
from tests.integration.pathway.harness import migrated_sqlite

pytestmark = [pytest.mark.broker, pytest.mark.slow]
WORKER_MAIN = "import sys; from streams.cli import main; sys.exit(main(['worker']))"


def start_worker(tmp_path: Path, port: int) -> tuple[subprocess.Popen[str], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")}
    env |= {
        "CORDWATCH_WEB_PORT": str(port),
        "CORDWATCH_DATA_DIR": str(tmp_path / "var"),
        "CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS": "4",
        "CORDWATCH_PARTITIONS": "2",
        # The worker refuses a database behind the code's schema: give it a migrated one.
        "CORDWATCH_DATABASE_URL": migrated_sqlite(tmp_path / "audit.db"),
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER_MAIN], env=env, stdout=subprocess.PIPE, text=True
    )
    assert worker.stdout is not None
    for line in worker.stdout:
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("event") == "broker.embedded_started":
            return worker, int(entry["pid"])
    raise AssertionError("the worker never started its broker")


def wait_gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def wait_ready(port: int, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("worker not ready")


def test_ctrl_c_stops_worker_then_broker(tmp_path: Path) -> None:
    port = free_port()
    worker, broker_pid = start_worker(tmp_path, port)
    try:
        wait_ready(port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            assert json.loads(response.read()) == {"status": "ok"}
        worker.send_signal(signal.SIGINT)
        assert worker.wait(timeout=30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate(timeout=10)  # drain the pipe so the child never blocks on it
    assert wait_gone(broker_pid)


def test_sigkill_of_the_worker_takes_its_broker_with_it(tmp_path: Path) -> None:
    worker, broker_pid = start_worker(tmp_path, free_port())
    assert pid_alive(broker_pid)
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=10)
    assert wait_gone(broker_pid), "the embedded broker outlived its SIGKILLed worker"
