"""Headless Chromium for the report tests, installed from Debian's ``chromium`` package on demand.

CI starts from a machine with only Python: when /usr/bin/chromium is missing and the tests run
as root on a Debian-like system, ``ensure_chromium`` installs it with apt-get (the setup lives
in the repository, not in a runbook). Otherwise it returns why it cannot, for a skip reason.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from tests.debian import ensure_package

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def ensure_chromium() -> str | None:
    """Make /usr/bin/chromium available; None on success, else the reason it is not."""
    return ensure_package("chromium", CHROMIUM)


def render(html_file: Path, *, png: Path, size: tuple[int, int] = (1280, 1400)) -> tuple[str, str]:
    """Screenshot ``html_file`` into ``png`` and dump its DOM; return (dom, chromium stderr)."""
    with tempfile.TemporaryDirectory(prefix="cw-chromium-") as profile:
        base = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr"]
        url = html_file.resolve().as_uri()
        shot = subprocess.run(
            [*base, f"--window-size={size[0]},{size[1]}", f"--screenshot={png}", url],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        if shot.returncode != 0:
            raise RuntimeError(f"chromium exited {shot.returncode}: {shot.stderr[-800:]}")
        dom = subprocess.run(
            [*base, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
        )
    return dom.stdout, shot.stderr + dom.stderr
