"""The demo's terminal: prefixed lines, optional ANSI colour, one lock for two writers."""

from __future__ import annotations

import os
import sys
import threading

STYLES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "magenta": "35",
    "cyan": "36",
    "alarm": "1;97;41",
}


def wants_colour() -> bool:
    """Colour only on a terminal that has not opted out (NO_COLOR, TERM=dumb)."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


class Console:
    """Prefixed lines, one lock for the worker-echo thread and the event loop, optional colour."""

    def __init__(self, *, colour: bool) -> None:
        self.colour = colour
        self._lock = threading.Lock()

    def paint(self, text: str, style: str | None) -> str:
        """Wrap ``text`` in an ANSI style when colour is on."""
        if not self.colour or style is None:
            return text
        return f"\x1b[{STYLES[style]}m{text}\x1b[0m"

    def line(self, prefix: str, text: str, *, style: str | None = None) -> None:
        """One `prefix | text` line."""
        self.raw(f"{self.paint(f'{prefix:<7}|', 'dim')} {self.paint(text, style)}")

    def raw(self, text: str = "") -> None:
        """A line as given."""
        with self._lock:
            print(text, flush=True)
