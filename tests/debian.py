"""Debian packages the tests need (chromium, prometheus), installed by the tests' own setup.

CI starts from a machine with only Python: where a package is missing and the tests run as root
on a Debian-like system, it is installed with apt-get, so every install step lives in the repo.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def _apt_install(package: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", package]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:  # stale or empty package lists on a fresh image
        subprocess.run(
            ["apt-get", "update"], env=env, capture_output=True, timeout=600, check=False
        )
        done = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=900, check=False
        )
    return done


def ensure_package(package: str, *paths: Path) -> str | None:
    """Make ``paths`` exist by installing ``package``; None on success, else why they do not."""
    if all(path.exists() for path in paths):
        return None
    if os.name != "posix" or os.geteuid() != 0:
        return f"{package} is not installed and the tests are not root (apt-get install {package})"
    if shutil.which("apt-get") is None:
        return f"{package} is not installed and this system has no apt-get"
    done = _apt_install(package)
    if done.returncode != 0 or not all(path.exists() for path in paths):
        return f"apt-get install {package} failed ({done.returncode}): {done.stderr[-400:]}"
    return None
