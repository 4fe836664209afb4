"""`cordwatch worker` with the real detector and one fault switch: a stalled deadline scan.

While the file named by CORDWATCH_TEST_STALL_FILE exists, every deadline scan blocks before it
starts, as a scan stuck on a send to an unreachable broker would: no TimerDue goes out, the
heartbeat stops, and the rest of the worker (ingest, pathway, census, /metrics) keeps running.
The switch lives only in this test entry point (a child process); the shipped code has none.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from streams.agents import deadline_scan
from streams.cli import main

_STALL = Path(os.environ["CORDWATCH_TEST_STALL_FILE"])
_scan = deadline_scan.scan


async def _scan_unless_stalled(*args: Any, **kwargs: Any) -> int:
    # The switch is a file the test creates: polled, as a stuck send would keep polling.
    while _STALL.exists():  # noqa: ASYNC110, ASYNC240
        await asyncio.sleep(0.2)
    return await _scan(*args, **kwargs)


if __name__ == "__main__":
    deadline_scan.scan = _scan_unless_stalled
    sys.exit(main(["worker"]))
