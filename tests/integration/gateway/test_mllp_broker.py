"""The MLLP listener on the real embedded broker, driven by a raw-socket MLLP client."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer

from services.gateway.encode_hl7 import encode_hl7
from services.gateway.hl7_map import map_hl7
from services.gateway.mllp import frame
from services.gateway.profile import SiteProfile
from services.simulation.feed import FeedConfig, generate
from streams.broker import EmbeddedBroker
from tests.conftest import start_prepared_broker, stop_and_check
from tests.integration.gateway.mllp_client import control_id, exchange, msa, start_listener

pytestmark = [pytest.mark.broker, pytest.mark.slow]

MESSAGES = [
    raw
    for m in generate(FeedConfig(seed=11, start=datetime(2026, 1, 5, tzinfo=UTC), patients=3))
    if m.event is not None and (raw := encode_hl7(m.event)) is not None
][:6]


@pytest_asyncio.fixture(loop_scope="session")
async def own_broker() -> AsyncIterator[EmbeddedBroker]:
    """A broker of this module's own: one test stops it with SIGSTOP."""
    embedded = await start_prepared_broker()
    try:
        yield embedded
    finally:
        os.kill(embedded.pid, signal.SIGCONT)
        stop_and_check(embedded)


@pytest.fixture
def listener(own_broker: EmbeddedBroker) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    process, port = start_listener(own_broker.bootstrap)
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


async def inbound_copies(bootstrap: str, wanted: str) -> list[bytes]:
    """Every record on hl7.inbound whose MSH-10 is ``wanted``."""
    consumer = AIOKafkaConsumer(
        "hl7.inbound", bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        found: list[bytes] = []
        batches = await consumer.getmany(timeout_ms=3000)
        while batches:
            for records in batches.values():
                found += [r.value for r in records if r.value and control_id(r.value) == wanted]
            batches = await consumer.getmany(timeout_ms=1000)
        return found
    finally:
        await consumer.stop()


async def test_each_message_is_on_kafka_when_its_aa_arrives(
    own_broker: EmbeddedBroker, listener: tuple[subprocess.Popen[bytes], int]
) -> None:
    _, port = listener
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for raw in MESSAGES[:3]:
            ack = await asyncio.to_thread(exchange, sock, raw)
            assert ack is not None
            assert msa(ack)[1:3] == ["AA", control_id(raw)]
            assert await inbound_copies(own_broker.bootstrap, control_id(raw)) == [raw]
        unsupported = b"MSH|^~\\&|SCHED|NORTH|CW|NORTH|20260105||SIU^S12|SIU-1|P|2.5"
        ack = await asyncio.to_thread(exchange, sock, unsupported)
        assert ack is not None
        assert msa(ack)[1] == "AR"
        assert "|200^Unsupported message type^HL70357|" in ack.decode()
        wrong_patient = MESSAGES[3].replace(b"^^^CWDEMO^MR", b"^^^OTHER^MR")
        ack = await asyncio.to_thread(exchange, sock, wrong_patient)
        assert ack is not None
        assert msa(ack)[1] == "AE"
        assert b"no_patient_identifier" in ack
        assert b"MRN" not in ack  # the refusal names fields, never the patient


async def test_sigkill_before_the_kafka_ack_sends_no_aa_and_the_resend_is_a_no_op(
    own_broker: EmbeddedBroker,
) -> None:
    raw = MESSAGES[5]
    process, port = start_listener(own_broker.bootstrap)
    try:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            os.kill(own_broker.pid, signal.SIGSTOP)  # the broker cannot acknowledge anything
            try:
                sock.settimeout(2.0)
                sock.sendall(frame(raw))
                with pytest.raises(TimeoutError):
                    sock.recv(65536)  # no ACK while Kafka has not acknowledged
                process.send_signal(signal.SIGKILL)
                process.wait(10)
                sock.settimeout(5.0)
                assert sock.recv(65536) == b""  # closed with no ACK at all
            finally:
                os.kill(own_broker.pid, signal.SIGCONT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    again, port = start_listener(own_broker.bootstrap)
    try:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            ack = await asyncio.to_thread(exchange, sock, raw)
        assert ack is not None
        assert msa(ack)[1:3] == ["AA", control_id(raw)]
    finally:
        again.terminate()
        again.wait(10)
    copies = await inbound_copies(own_broker.bootstrap, control_id(raw))
    # The killed listener's request may have reached the broker: then the message is there twice,
    # and both copies are the same events (same event_id and content), which downstream drops.
    assert 1 <= len(copies) <= 2
    mapped = [map_hl7(copy, profile=SiteProfile()) for copy in copies]
    assert all(m == mapped[0] for m in mapped)
    assert isinstance(mapped[0], list)
    assert mapped[0][0].event.event_id == control_id(raw)
