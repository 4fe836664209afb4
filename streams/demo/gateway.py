"""The demo hospital's own interfaces: part of the feed as HL7 v2 over MLLP and as FHIR R4.

Hospitals do not speak Cordwatch's JSON. For every other patient of the simulated hospital, the
demo sends what its RIS, PAS and eMAR would: admissions, reports, doses and consult orders as
HL7 v2 through an MLLP listener it starts (each message waits for its ACK, which comes only once
the message is on hl7.inbound), and the rest (assessments, procedures, consult results) as FHIR
resources POSTed to the worker's /fhir endpoint. The gateway maps them to the same canonical
events, so those patients' alerts are the ones their JSON would have raised
(tests/integration/gateway/test_alerts_equal.py shows it on a broker).
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry

from services.gateway import FHIR_INBOUND, HL7_INBOUND
from services.gateway.encode_fhir import encode_fhir
from services.gateway.encode_hl7 import encode_hl7
from services.gateway.mllp import FrameDecoder, frame
from services.simulation import SimMessage
from streams.demo.console import Console
from streams.demo.lines import Ref
from streams.gateway.metrics import MllpMetrics
from streams.gateway.mllp_kafka import hl7_producer, kafka_listener
from streams.gateway.mllp_server import MllpListener

# What the demo site's PAS, RIS, eMAR and order comms send as HL7; its nursing charting and
# theatre systems speak FHIR (HL7 could carry those too: BAR^P12, ORU^R01 with OBX codes).
HL7_KINDS = frozenset({"admit", "transfer", "discharge", "death", "update", "imaging_report",
                       "medication_administration", "consult_requested", "consult_completed",
                       "consult_cancelled"})  # fmt: skip
SHOWN_PER_DOOR = 3  # the first few messages of each door get a line; the rest are counted
ACK_TIMEOUT_SECONDS = 30.0


def through_gateway(patient_id: str) -> bool:
    """Whether this patient's hospital speaks HL7/FHIR in the demo (half, stable across runs)."""
    return zlib.crc32(patient_id.encode("utf-8")) % 2 == 0


@dataclass
class GatewayCounts:
    """What went through each door and how it was answered."""

    acks: Counter[str] = field(default_factory=Counter)  # HL7 ACK code -> messages
    statuses: Counter[int] = field(default_factory=Counter)  # FHIR HTTP status -> resources
    patients: set[str] = field(default_factory=set)

    @property
    def hl7(self) -> int:
        """HL7 messages sent over MLLP."""
        return sum(self.acks.values())

    @property
    def fhir(self) -> int:
        """FHIR documents POSTed."""
        return sum(self.statuses.values())


class GatewayDoors:
    """An MLLP listener on loopback with one client connection, and the worker's /fhir."""

    def __init__(
        self,
        *,
        listener: MllpListener,
        producer: Any,
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        http: aiohttp.ClientSession,
        fhir_url: str,
        token: str,
        console: Console,
        ref: Ref,
    ) -> None:
        self._listener, self._producer = listener, producer
        self._reader, self._writer = connection
        self._http, self._fhir_url, self._token = http, fhir_url, token
        self._console, self._ref = console, ref
        self.counts = GatewayCounts()

    @classmethod
    async def open(
        cls,
        *,
        settings: Any,
        bootstrap: str,
        worker_url: str,
        token: str,
        console: Console,
        ref: Ref,
    ) -> GatewayDoors:
        """Start the listener (a free loopback port, no TLS) and connect to it."""
        producer = hl7_producer(settings, bootstrap)
        await producer.start()
        listener = kafka_listener(
            settings,
            producer=producer,
            metrics=MllpMetrics.create(CollectorRegistry()),
            tls=False,
        )
        host, port = await listener.start("127.0.0.1", 0)
        connection = await asyncio.open_connection(host, port)
        console.line(
            "mllp",
            f"HL7 v2 listener on {host}:{port} (what `cordwatch mllp` runs): every other "
            "patient's admissions, reports, doses and consult orders arrive as HL7, the rest of "
            f"their record as FHIR to {worker_url}/fhir",
        )
        return cls(
            listener=listener,
            producer=producer,
            connection=connection,
            http=aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)),
            fhir_url=f"{worker_url}/fhir",
            token=token,
            console=console,
            ref=ref,
        )

    def takes(self, message: SimMessage) -> bool:
        """Valid messages of the gateway's patients; malformed ones stay JSON (dead letters)."""
        return message.event is not None and through_gateway(message.key)

    async def send(self, message: SimMessage) -> str:
        """Send one event through its door; the inbound topic it went to."""
        assert message.event is not None
        self.counts.patients.add(message.key)
        raw = encode_hl7(message.event) if message.event["event_type"] in HL7_KINDS else None
        if raw is not None:
            code = await self._exchange(raw)
            self.counts.acks[code] += 1
            if self.counts.hl7 <= SHOWN_PER_DOOR or code != "AA":
                kind = raw.split(b"\r", 1)[0].split(b"|")[8].decode()
                self._show("mllp", f"{kind:<16} {HL7_INBOUND:<14} ACK {code}", message, code)
            return HL7_INBOUND
        document = encode_fhir(message.event)
        assert document is not None, "every canonical type has a FHIR form"
        kind = json.loads(document)["resourceType"]
        path = "" if kind == "Bundle" else f"/{kind}"
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Content-Type": "application/fhir+json",
        }
        async with self._http.post(self._fhir_url + path, data=document, headers=headers) as reply:
            status = reply.status
            await reply.read()
        self.counts.statuses[status] += 1
        if self.counts.fhir <= SHOWN_PER_DOOR or status >= 300:
            ok = "AA" if status < 300 else "AE"
            self._show("fhir", f"{kind:<16} {FHIR_INBOUND:<14} HTTP {status}", message, ok)
        return FHIR_INBOUND

    async def _exchange(self, raw: bytes) -> str:
        """One framed message out, its ACK's MSA-1 back ("none" if the connection closed)."""
        self._writer.write(frame(raw))
        await self._writer.drain()
        decoder = FrameDecoder(max_bytes=1 << 20)
        while True:
            data = await asyncio.wait_for(self._reader.read(65536), ACK_TIMEOUT_SECONDS)
            if not data:
                return "none"
            if frames := decoder.feed(data):
                msa = next((s for s in frames[0].split(b"\r") if s.startswith(b"MSA|")), b"MSA|?")
                return msa.split(b"|")[1].decode("ascii", errors="replace")

    def _show(self, door: str, text: str, message: SimMessage, code: str) -> None:
        style = None if code == "AA" else "red"
        self._console.line(door, f"{text}  {self._ref(message.key)}", style=style)

    def summary(self) -> str:
        """One line: what each door carried and how it was answered."""
        acks = ", ".join(f"{code} {n}" for code, n in sorted(self.counts.acks.items()))
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(self.counts.statuses.items()))
        return (
            f"{self.counts.hl7} HL7 v2 messages over MLLP (ACK {acks or 'none'}), "
            f"{self.counts.fhir} FHIR documents to /fhir (HTTP {statuses or 'none'}) "
            f"for {len(self.counts.patients)} patients"
        )

    async def close(self) -> None:
        """Close the connection, the listener, its producer and the HTTP session."""
        try:
            self._writer.close()
            await self._listener.stop()
        finally:
            try:
                await self._producer.stop()
            finally:
                await self._http.close()
