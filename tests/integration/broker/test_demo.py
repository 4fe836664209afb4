"""`make run` for a newcomer: the demo finishes on its own, accounts for every message, and
leaves no broker or worker behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from streams.broker import pid_alive

pytestmark = [pytest.mark.broker, pytest.mark.e2e, pytest.mark.slow]


def test_demo_runs_to_a_clean_finish(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CORDWATCH_")}
    env["CORDWATCH_DATA_DIR"] = str(tmp_path / "var")
    env["CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS"] = "4"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from streams.cli import main; sys.exit(main(['demo']))",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "all messages accounted for" in out
    assert re.search(r"cordwatch\.patient-events\s+15 events \(expected 15\)", out)
    assert re.search(r"cordwatch\.dead-letters\s+2 dead letters \(expected 2\)", out)
    assert "/metrics" in out
    # The demo's own lines show pseudonyms only.
    assert "MRN-" not in out
    pids = [int(p) for p in re.findall(r"\bpid (\d+)", out)]
    assert len(pids) == 2, "the demo names its broker and worker pids"
    assert not any(pid_alive(pid) for pid in pids)
    # A newcomer's first run shows no error from any agent (the demo migrates the store first).
    log = (tmp_path / "var" / "demo-worker.log").read_text()
    errors = [line for line in log.splitlines() if '"level": "error"' in line]
    assert errors == []
