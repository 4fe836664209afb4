"""Waiting on conditions measured on the system, never on fixed sleeps.

A loaded machine (2 shared cores) can make any step several times slower than on a quiet one;
a wait that polls a condition with a generous deadline adapts, a fixed sleep does not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def until(
    condition: Callable[[], Awaitable[bool]], what: str, *, within: float = 60.0
) -> None:
    """Poll `condition` every 0.1 s until it holds; fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within:.0f} s: {what}")


async def clock_past(instant: float) -> float:
    """Wait until the wall clock (Unix seconds) is strictly past `instant`; return the time."""
    now = time.time()
    while now <= instant:
        await asyncio.sleep(min(0.1, instant - now + 0.001))
        now = time.time()
    return now
