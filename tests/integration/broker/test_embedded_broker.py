"""The embedded broker: real Kafka protocol, a free loopback port, and no process left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from streams.broker import EmbeddedBroker, TopicLayoutError, ensure_topics, pid_alive
from tests.conftest import TEST_PARTITIONS

pytestmark = pytest.mark.broker
ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable


def wait_gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def tansu_pids_on(port: int) -> list[int]:
    """Live processes whose command line listens on `port` (a leaked broker would show here)."""
    marker = f"tcp://127.0.0.1:{port}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker in cmdline and pid_alive(int(entry.name)):
                found.append(int(entry.name))
    return found


async def test_session_broker_serves_every_topic_with_one_partition_count(broker: str) -> None:
    from streams.topics import all_topic_names

    host, _, port = broker.partition(":")
    assert host == "127.0.0.1"
    assert int(port) > 0
    admin = AIOKafkaAdminClient(bootstrap_servers=broker)
    await admin.start()
    try:
        described = await admin.describe_topics(list(all_topic_names()))
    finally:
        await admin.close()
    counts = {entry["topic"]: len(entry["partitions"]) for entry in described}
    assert counts == dict.fromkeys(all_topic_names(), TEST_PARTITIONS)


async def test_existing_topics_with_another_partition_count_are_refused(broker: str) -> None:
    with pytest.raises(TopicLayoutError, match="partition count"):
        await ensure_topics(
            broker, ["cordwatch.patient-events"], partitions=TEST_PARTITIONS * 2, replication=1
        )


def test_stop_reaps_the_broker_and_is_idempotent() -> None:
    embedded = EmbeddedBroker().start()
    pid, port = embedded.pid, embedded.port
    assert pid_alive(pid)
    embedded.stop()
    embedded.stop()
    assert not pid_alive(pid)
    assert tansu_pids_on(port) == []


def test_sigkill_of_the_owner_takes_the_broker_with_it() -> None:
    script = textwrap.dedent(
        """
        import time
        from streams.broker import EmbeddedBroker
        broker = EmbeddedBroker().start()
        print(broker.pid, broker.port, flush=True)
        time.sleep(60)
        """
    )
    owner = subprocess.Popen([PYTHON, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    pid, port = (int(part) for part in owner.stdout.readline().split())
    assert pid_alive(pid)
    owner.send_signal(signal.SIGKILL)  # no atexit, no finally: only the kernel can clean up
    owner.wait()
    assert wait_gone(pid), "the broker outlived its SIGKILLed owner"
    assert tansu_pids_on(port) == []


def test_cordwatch_broker_command_stops_its_broker_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "CORDWATCH_KAFKA_BOOTSTRAP": "", "CORDWATCH_PARTITIONS": "2"}
    command = subprocess.Popen(
        [str(Path(PYTHON).parent / "cordwatch"), "broker"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert command.stdout is not None
    pid = bootstrap = None
    for line in command.stdout:
        if line.startswith("{") and json.loads(line)["event"] == "broker.embedded_started":
            pid = json.loads(line)["pid"]
        if line.startswith("export CORDWATCH_KAFKA_BOOTSTRAP="):
            bootstrap = line.strip().split("=", 1)[1]
            break
    assert pid is not None
    assert bootstrap is not None
    assert pid_alive(pid)
    command.send_signal(signal.SIGINT)
    assert command.wait(timeout=15) == 0
    assert wait_gone(pid)
    assert tansu_pids_on(int(bootstrap.rsplit(":", 1)[1])) == []


def test_session_fixture_leaves_no_process_after_the_session(tmp_path: Path) -> None:
    probe = ROOT / "tests" / "integration" / "broker" / "probe_session_fixture.py"
    out = tmp_path / "bootstrap.txt"
    result = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
        cwd=ROOT,
        env={**os.environ, "CORDWATCH_PROBE_OUT": str(out)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    port = int(out.read_text().rsplit(":", 1)[1])
    assert tansu_pids_on(port) == []


async def test_unreachable_cluster_fails_with_a_named_error() -> None:
    from streams.broker import BrokerError, free_port, wait_ready

    with pytest.raises(BrokerError, match=r"no metadata from 127\.0\.0\.1"):
        await wait_ready(f"127.0.0.1:{free_port()}", within=1.0)
