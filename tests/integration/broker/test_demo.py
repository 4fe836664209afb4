"""`make run` for a newcomer: example events, then a simulated hospital whose alerts are printed as
they fire; the demo finishes on its own (or on Ctrl-C), accounts for every message, shows no
patient id and leaves no broker or worker behind."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.policy import DEFAULT_POLICY_PATH, load_policy
from streams.broker import pid_alive
from streams.demo.plan import plan_feed

_DEMO = "import sys; from streams.cli import main; sys.exit(main(['demo', *sys.argv[1:]]))"
# Simulated ids are MRN + 8 digits, the examples' MRN-1002xx.
_PATIENT_ID = re.compile(r"MRN-?\d")
_ALERT = re.compile(r"^alert\s+\| \d\d:\d\d:\d\d (\w+)\s+(critical|high|routine)\s+(\S+)\s+ep ")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")}
    env["CORDWATCH_DATA_DIR"] = str(tmp_path / "var")
    env["CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS"] = "4"
    return env


def _alerts(out: str) -> list[tuple[str, str, bool]]:
    """(alert type, timer, detected late) of every alert line printed."""
    found = []
    for line in out.splitlines():
        match = _ALERT.match(line)
        if match:
            found.append((match.group(1), match.group(3), "(late)" in line))
    return found


def _assert_nothing_left(out: str) -> None:
    pids = [int(p) for p in re.findall(r"\bpid (\d+)", out)]
    assert len(pids) == 2, "the demo names its broker and worker pids"
    assert not any(pid_alive(pid) for pid in pids)
    assert "broker | stopped" in out


@pytest.mark.broker
@pytest.mark.e2e
@pytest.mark.slow
def test_demo_shows_alerts_as_they_fire_and_finishes_on_its_own(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _DEMO, "--duration", "30", "--patients", "8"],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=150,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "all messages accounted for" in out
    forwarded = re.search(r"cordwatch\.patient-events\s+(\d+) events \(expected (\d+)\)", out)
    dead = re.search(r"cordwatch\.dead-letters\s+(\d+) dead letters \(expected (\d+)\)", out)
    assert forwarded
    assert forwarded.group(1) == forwarded.group(2)
    assert int(forwarded.group(1)) > 15, "the simulated hospital's events came after the examples"
    assert dead
    assert dead.group(1) == dead.group(2)
    assert int(dead.group(1)) >= 2
    assert "/metrics" in out
    alerts = _alerts(out)
    assert any(kind == "mescc_suspected" for kind, _, _ in alerts), out
    assert any(kind.startswith("timer_") for kind, _, _ in alerts), out
    # A breach that fired live, at its deadline: the backdating brought it into the demo.
    assert any(kind == "timer_breached" and not late for kind, _, late in alerts), out
    # Half the patients came through the hospital's own interfaces: HL7 v2 over the demo's MLLP
    # listener, each ACKed AA, and FHIR to the worker's /fhir, each 201/200; their alerts came out.
    gateway = re.search(
        r"interfaces: (\d+) HL7 v2 messages over MLLP \(ACK AA (\d+)\), (\d+) FHIR documents "
        r"to /fhir \(HTTP ((?:20[01] \d+(?:, )?)+)\) for ([1-9]\d*) patients",
        out,
    )
    assert gateway, out
    assert int(gateway.group(1)) > 5
    assert gateway.group(1) == gateway.group(2)
    assert int(gateway.group(3)) > 0
    assert re.search(r"their alerts, mapped from HL7 and FHIR .*mescc_suspected [1-9]", out), out
    assert "mllp   | ORU^R01" in out or "mllp   | ADT^A01" in out
    # The closing summary: alerts by type, episodes, what fires next, the store and the audit.
    assert re.search(r"^mescc_suspected\s+\d+\s+\d+\s+\d+\s+[1-9]", out, re.MULTILINE)
    assert re.search(r"episodes opened: [1-9]", out)
    assert "next to fire" in out or "nothing left to fire" in out
    assert str(tmp_path / "var" / "cordwatch.db") in out
    assert "cordwatch audit" in out
    # Pseudonyms only, in the demo's lines and in the alerts it prints.
    assert not _PATIENT_ID.search(out)
    assert re.search(r"\bp_[0-9a-f]{16}\b", out)
    _assert_nothing_left(out)
    # A newcomer's first run shows no error from any agent (the demo migrates the store first).
    log = (tmp_path / "var" / "demo-worker.log").read_text()
    errors = [line for line in log.splitlines() if '"level": "error"' in line]
    assert errors == []


@pytest.mark.broker
@pytest.mark.e2e
@pytest.mark.slow
def test_ctrl_c_during_the_live_feed_stops_everything_with_a_summary(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", _DEMO, "--forever", "--patients", "6"],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(x) for x in process.stdout or ()], daemon=True
    ).start()
    seen: list[str] = []
    deadline = time.monotonic() + 90
    try:
        # Interrupt once the simulated hospital's first alert is on screen.
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                continue
            if any(x.startswith("sim ") for x in seen) and _alerts(seen[-1]):
                break
        else:
            pytest.fail("no simulated alert within 90 s:\n" + "".join(seen))
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    time.sleep(0.5)
    while not lines.empty():
        seen.append(lines.get())
    out = "".join(seen)
    assert code == 130, out
    assert "interrupted: stopping" in out
    assert "== after" in out
    assert "alerts" in out
    assert not _PATIENT_ID.search(out)
    _assert_nothing_left(out)


def test_the_feed_is_placed_so_clocks_run_out_after_the_backlog_is_in() -> None:
    policy = load_policy(DEFAULT_POLICY_PATH)
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    plan = plan_feed(seed=9, patients=18, rate=15.0, duration=75.0, now=now, policy=policy)
    backlog = sum(1 for m in plan.messages if m.publish_at <= now)
    assert backlog / 15.0 < plan.lead
    assert plan.lead + plan.window < 75.0
    assert [m.publish_at for m in plan.messages] == sorted(m.publish_at for m in plan.messages)
    assert {m.key for m in plan.breaching}.isdisjoint(m.key for m in plan.warning)
    first = now + timedelta(seconds=plan.lead - 1)
    last = now + timedelta(seconds=plan.lead + plan.window + 1)
    day = timedelta(hours=24)  # the packaged policy's windows
    deadlines = {m.story.suspected_at + day for m in plan.breaching if m.story.suspected_at}
    assert deadlines, "the seed has suspected MESCC stories"
    assert all(first <= at <= last for at in deadlines)
    # The other cohort's last (75%) warning points pass live; its deadlines come 6 h later.
    points = {m.story.suspected_at + day * 0.75 for m in plan.warning if m.story.suspected_at}
    assert points
    assert all(first <= at <= last for at in points)
