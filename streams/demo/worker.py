"""`cordwatch worker` as the demo's child process, its ingest log lines echoed compactly."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from streams.demo.console import Console

_WORKER_MAIN = "import sys; from streams.cli import main; sys.exit(main(['worker']))"


class WorkerProcess:
    """`cordwatch worker` as a child process; its ingest log lines are echoed compactly."""

    def __init__(self, process: Any, log_path: Path, console: Console) -> None:
        self.process = process
        self.log_path = log_path
        self.console = console
        self.echo_ingest = True

    @classmethod
    def start(
        cls,
        *,
        bootstrap: str,
        web_port: int,
        key: str,
        policy: Path,
        log_dir: Path,
        console: Console,
        api_token: str,
        users_file: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> WorkerProcess:
        """Spawn the worker on this broker, port, pseudonym key and policy; echo its log."""
        import subprocess

        from streams.broker import spawn_owned

        env = {
            **os.environ,
            "CORDWATCH_KAFKA_BOOTSTRAP": bootstrap,
            "CORDWATCH_WEB_PORT": str(web_port),
            "CORDWATCH_PSEUDONYM_KEY": key,
            "CORDWATCH_LOG_FORMAT": "json",
            "CORDWATCH_POLICY": str(policy),
            # The /fhir endpoint (and the API) answer only to it; the demo's door sends it.
            "CORDWATCH_API_TOKEN": api_token,
        }
        if users_file is not None:  # the worklist's demo coordinator
            env["CORDWATCH_USERS_FILE"] = str(users_file)
        env.update(extra_env or {})  # the notify role, pointed at the demo's receivers
        # Tansu holds a first JoinGroup for half the session timeout: 6 s (Kafka's minimum by
        # default) gets a newcomer to a ready worker sooner than the production default.
        env.setdefault("CORDWATCH_KAFKA_SESSION_TIMEOUT_SECONDS", "6")
        process = spawn_owned([sys.executable, "-c", _WORKER_MAIN], stdout=subprocess.PIPE, env=env)
        log_path = log_dir / "demo-worker.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        worker = cls(process, log_path, console)
        threading.Thread(target=worker._echo, daemon=True).start()
        return worker

    def _echo(self) -> None:
        with self.log_path.open("wb") as log:
            for line in self.process.stdout:
                log.write(line)
                log.flush()
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                event = str(entry.get("event", ""))
                failed = entry.get("level") in ("error", "critical")
                if failed or (self.echo_ingest and event.startswith("ingest.")):
                    detail = entry.get("event_type") or entry.get("reason") or entry.get("error")
                    where = f"{entry.get('topic')} p{entry.get('partition')}@{entry.get('offset')}"
                    who = entry.get("patient_ref", "")
                    style = "red" if failed else None
                    self.console.line(
                        "worker", f"{event:<22} {where:<42} {detail} {who}", style=style
                    )

    async def wait_ready(self, url: str, *, within: float) -> None:
        """Poll the worker's /ready until 200; exit the demo if it dies or takes too long."""
        import asyncio
        import time

        import aiohttp

        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise SystemExit(f"the worker exited; see {self.log_path}")
                try:
                    async with session.get(f"{url}/ready") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise SystemExit(f"the worker was not ready within {within:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        """Terminate the worker (15 s grace) and say where its full log is."""
        from streams.broker import terminate

        code = terminate(self.process, grace=15.0)
        self.console.line("worker", f"stopped (exit {code}); full log in {self.log_path}")
