"""The MLLP listener: HL7 v2 over TCP (TLS optional) to hl7.inbound, ACKed only once Kafka has it.

Each connection is read in order, one message at a time, as MLLP senders expect: a message is
written to hl7.inbound and its ACK sent only after the broker acknowledged the write (acks=all),
so an AA means the message is durable; a crash before that sends nothing and the sender resends.
The mapping is tried before the ACK only to choose AA, AE or AR; the gateway agent maps it again
from Kafka, and every message (refused ones too) is on hl7.inbound so nothing is lost.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from services.gateway.hl7_map import map_hl7
from services.gateway.mllp import (
    AckCode,
    FrameDecoder,
    FrameTooLargeError,
    ack_code,
    build_ack,
    frame,
    read_header,
)
from services.gateway.profile import SiteProfile
from services.gateway.result import Refusal, Refused
from streams.gateway.metrics import MllpMetrics

log = structlog.get_logger(__name__)

# (key, value) -> returns once the broker has acknowledged the record; raises when it cannot.
Publish = Callable[[bytes | None, bytes], Awaitable[None]]
# What the publish may raise when the broker is away; the sender gets AR and resends.
STORE_ERRORS: tuple[type[BaseException], ...] = (OSError, TimeoutError)


@dataclass(frozen=True)
class ListenerConfig:
    """Caps and timeouts of one listener."""

    max_connections: int = 64
    idle_timeout: float = 300.0
    max_message_bytes: int = 2 * 1024 * 1024
    ssl: ssl.SSLContext | None = None


class MllpListener:
    """An asyncio MLLP server that stores each message on Kafka before acknowledging it."""

    def __init__(
        self,
        *,
        publish: Publish,
        profile: SiteProfile,
        metrics: MllpMetrics,
        config: ListenerConfig,
        store_errors: tuple[type[BaseException], ...] = STORE_ERRORS,
    ) -> None:
        self._publish = publish
        self._profile = profile
        self._metrics = metrics
        self._config = config
        self._store_errors = store_errors
        self._open = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen; returns the bound address (port 0 picks a free one)."""
        self._server = await asyncio.start_server(
            self._on_connection, host, port, ssl=self._config.ssl, limit=2**16
        )
        address = self._server.sockets[0].getsockname()
        return str(address[0]), int(address[1])

    async def stop(self) -> None:
        """Stop accepting, then let each connection finish the message it is on."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if self._open >= self._config.max_connections:
            self._metrics.connections.labels("over_limit").inc()
            log.warning("mllp.connection_refused", reason="over_limit")
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._open += 1
        self._metrics.connections.labels("accepted").inc()
        self._metrics.open_connections.inc()
        reason = "peer"
        try:
            reason = await self._serve(reader, writer)
        except asyncio.CancelledError:
            reason = "shutdown"
        except (ConnectionError, ssl.SSLError, OSError) as exc:
            reason = "error"
            log.info("mllp.connection_error", error=type(exc).__name__)
        finally:
            self._open -= 1
            self._tasks.discard(task)
            self._metrics.open_connections.dec()
            self._metrics.closed.labels(reason).inc()
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str:
        decoder = FrameDecoder(max_bytes=self._config.max_message_bytes)
        while True:
            try:
                data = await asyncio.wait_for(reader.read(65536), self._config.idle_timeout)
            except TimeoutError:
                return "idle_timeout"
            if not data:
                return "peer"
            try:
                frames = decoder.feed(data)
            except FrameTooLargeError:
                ack = self._ack(b"", AckCode.AR, Refused.OVERSIZED, "message over the size cap")
                writer.write(frame(ack))
                await writer.drain()
                return "oversized"
            for raw in frames:
                received = time.perf_counter()
                writer.write(frame(await self._accept(raw)))
                await writer.drain()
                self._metrics.ack_seconds.observe(time.perf_counter() - received)

    async def _accept(self, raw: bytes) -> bytes:
        outcome = map_hl7(raw, profile=self._profile)
        reason, detail, key = None, "", None
        if isinstance(outcome, Refusal):
            reason, detail = outcome.reason, outcome.detail
        elif outcome:
            key = outcome[0].event.patient_id.encode("utf-8")
        if raw.strip():
            try:
                await self._publish(key, raw)
            except self._store_errors as exc:
                log.error("mllp.store_failed", error=type(exc).__name__)
                return self._ack(raw, AckCode.AR, None, "not stored; send it again")
        code = ack_code(reason)
        log.debug("mllp.acknowledged", ack=code.value, reason=reason.value if reason else None)
        return self._ack(raw, code, reason, detail)

    def _ack(self, raw: bytes, code: AckCode, reason: Refused | None, detail: str) -> bytes:
        self._metrics.messages.labels(code.value).inc()
        return build_ack(
            read_header(raw),
            code,
            control_id=uuid.uuid4().hex[:20],
            now=datetime.now(UTC),
            reason=reason,
            detail=detail,
        )


def server_ssl_context(
    *, certfile: str, keyfile: str, client_cafile: str | None = None
) -> ssl.SSLContext:
    """TLS for the listener; with a client CA, senders must present a certificate it signed."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    if client_cafile:
        context.load_verify_locations(client_cafile)
        context.verify_mode = ssl.CERT_REQUIRED
    return context
