"""A real Prometheus for the tests, installed from Debian's ``prometheus`` package on demand.

CI starts from a machine with only Python: when /usr/bin/prometheus is missing and the tests run
as root on a Debian-like system, ``ensure_prometheus`` installs it with apt-get (as the report
tests do for Chromium). Otherwise it returns why it cannot, for a skip reason. ``Prometheus``
runs the server on a free loopback port with a config built from the shipped one.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from streams.broker import free_port, spawn_owned, terminate
from tests.debian import ensure_package

PROMETHEUS = Path("/usr/bin/prometheus")
PROMTOOL = Path("/usr/bin/promtool")
ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "deploy" / "prometheus"


def ensure_prometheus() -> str | None:
    """Make prometheus and promtool available; None on success, else the reason they are not."""
    return ensure_package("prometheus", PROMETHEUS, PROMTOOL)


def scrape_config_for(*, target: str, rules: Path) -> dict[str, Any]:
    """The shipped prometheus.yml with the worker job pointed at ``target``, 1 s scrapes and
    evaluations, ``rules`` as the rule file and no Alertmanager (the tests read ALERTS)."""
    config: dict[str, Any] = yaml.safe_load((SHIPPED / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(rules)]
    config.pop("alerting", None)
    worker = next(j for j in config["scrape_configs"] if j["job_name"] == "cordwatch-worker")
    worker.pop("dns_sd_configs")
    worker["static_configs"] = [{"targets": [target]}]
    config["scrape_configs"] = [worker]
    return config


@dataclass
class Prometheus:
    """`prometheus` in a child process on a free loopback port."""

    workdir: Path
    config: dict[str, Any]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _log: Path = field(init=False)

    def start(self) -> Prometheus:
        self.port = free_port()
        path = self.workdir / "prometheus.yml"
        path.write_text(yaml.safe_dump(self.config))
        self._log = self.workdir / "prometheus.log"
        with self._log.open("wb") as log:
            self.process = spawn_owned(
                [
                    str(PROMETHEUS),
                    f"--config.file={path}",
                    f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                ],
                stdout=log,
            )
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_ready(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(f"prometheus exited:\n{self.log_tail()}")
                try:
                    async with session.get(f"{self.url}/-/ready") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"prometheus not ready in {within:.0f}s:\n{self.log_tail()}")

    async def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result (vector samples, or one scalar as a sample)."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.url}/api/v1/query", params={"query": expr}) as response,
        ):
            body = await response.json()
        assert body["status"] == "success", (expr, body)
        data = body["data"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    async def alerts(self, state: str = "firing") -> set[tuple[str, str]]:
        """(alertname, topic-or-instance) of the alerts in ``state``."""
        found = set()
        for sample in await self.query(f'ALERTS{{alertstate="{state}"}}'):
            labels = sample["metric"]
            found.add((labels["alertname"], labels.get("topic", labels.get("facility", ""))))
        return found

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process, grace=10.0)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])
