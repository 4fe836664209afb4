"""MLLP listener throughput to hl7.inbound, against a plain aiokafka producer in the same run.

    .venv/bin/python -m benchmarks.mllp [--messages 3000] [--connections 8]

One embedded Tansu broker. Both runs store the same HL7 messages (the simulated hospital's
events encoded as HL7 v2.5.1) on hl7.inbound with acks=all, one message in flight per
connection, as MLLP senders work: the listener run sends each over a raw TCP socket, waits for
its ACK, then sends the next (the listener maps it to pick AA/AE/AR, writes it, waits for the
broker, answers); the baseline run awaits send_and_wait per message from the same number of
tasks. The runs alternate (baseline, listener, baseline, listener) so they do not share the CPU;
figures are messages/s and the listener's ratio to the baseline of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from services.config import Settings
from services.gateway import HL7_INBOUND
from services.gateway.encode_hl7 import encode_hl7
from services.gateway.mllp import FrameDecoder, frame
from services.gateway.profile import SiteProfile
from services.logging import configure_logging
from services.simulation.feed import FeedConfig, generate
from streams.broker import EmbeddedBroker, ensure_topics
from streams.broker import wait_ready as wait_broker
from streams.gateway.metrics import MllpMetrics
from streams.gateway.mllp_server import ListenerConfig, MllpListener

PARTITIONS = 8


def hl7_messages(count: int) -> list[bytes]:
    """``count`` HL7 messages from the simulated hospital (repeated when it has fewer)."""
    feed = generate(FeedConfig(seed=4, start=datetime(2026, 1, 5, tzinfo=UTC), patients=200))
    encoded = [raw for m in feed if m.event and (raw := encode_hl7(m.event)) is not None]
    return list(itertools.islice(itertools.cycle(encoded), count))


def _producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)


async def baseline(bootstrap: str, messages: list[bytes], connections: int) -> float:
    """Messages/s for plain send_and_wait, one in flight per task."""
    producer = _producer(bootstrap)
    await producer.start()
    try:

        async def worker(share: list[bytes]) -> None:
            for raw in share:
                await producer.send_and_wait(HL7_INBOUND, value=raw)

        began = time.perf_counter()
        await asyncio.gather(*(worker(messages[i::connections]) for i in range(connections)))
        return len(messages) / (time.perf_counter() - began)
    finally:
        await producer.stop()


async def through_listener(bootstrap: str, messages: list[bytes], connections: int) -> float:
    """Messages/s through MLLP: send, wait for the ACK, send the next, on each connection."""
    producer = _producer(bootstrap)
    await producer.start()

    async def publish(key: bytes | None, value: bytes) -> None:
        await producer.send_and_wait(HL7_INBOUND, value=value, key=key)

    listener = MllpListener(
        publish=publish,
        profile=SiteProfile(),
        metrics=MllpMetrics.create(CollectorRegistry()),
        config=ListenerConfig(max_connections=connections),
    )
    host, port = await listener.start("127.0.0.1", 0)
    acks: list[bytes] = []

    async def client(share: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        decoder = FrameDecoder(max_bytes=1 << 20)
        for raw in share:
            writer.write(frame(raw))
            await writer.drain()
            got: list[bytes] = []
            while not got:
                got = decoder.feed(await reader.read(65536))
            acks.extend(got)
        writer.close()
        await writer.wait_closed()

    try:
        began = time.perf_counter()
        await asyncio.gather(*(client(messages[i::connections]) for i in range(connections)))
        rate = len(messages) / (time.perf_counter() - began)
    finally:
        await listener.stop()
        await producer.stop()
    accepted = sum(b"MSA|AA|" in ack for ack in acks)
    assert accepted == len(messages), f"{accepted} AA of {len(messages)}"
    return rate


async def main(count: int, connections: int) -> None:
    """Alternate the two runs twice on one broker and print the figures."""
    # As `cordwatch mllp` runs: INFO, so the listener's per-message debug line is not rendered
    # (unconfigured structlog prints every one, which the listener would pay for here only).
    configure_logging(Settings(log_level="INFO"))
    messages = hl7_messages(count)
    with EmbeddedBroker() as broker:
        await wait_broker(broker.bootstrap)
        await ensure_topics(broker.bootstrap, (HL7_INBOUND,), partitions=PARTITIONS, replication=1)
        await baseline(broker.bootstrap, messages[:200], connections)  # warm-up
        runs: dict[str, list[float]] = {"baseline": [], "mllp": []}
        for _ in range(2):
            runs["baseline"].append(await baseline(broker.bootstrap, messages, connections))
            runs["mllp"].append(await through_listener(broker.bootstrap, messages, connections))
    base, mllp = max(runs["baseline"]), max(runs["mllp"])
    print(f"messages={count} connections={connections} partitions={PARTITIONS}")
    print(f"baseline_aiokafka_send_and_wait_msgs_per_s={base:.0f} (runs {runs['baseline']})")
    print(f"mllp_listener_msgs_per_s={mllp:.0f} (runs {runs['mllp']})")
    print(f"mllp_vs_baseline_same_run={mllp / base:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.connections))
