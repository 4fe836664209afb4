"""The examples feed: read from its JSON-lines file, publish it, show ingest's verdicts."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.demo.console import Console
    from streams.demo.lines import Ref
    from streams.demo.watcher import AlertWatcher


@dataclass(frozen=True)
class FeedMessage:
    """One line of the feed: where it goes, its key and its exact bytes."""

    topic: str
    key: bytes | None
    value: bytes
    expect_valid: bool
    event_type: str
    patient_id: str | None


def load_feed(path: Path) -> list[FeedMessage]:
    """Read the feed; a line has `value` (an event) or `raw` (bytes as sent, often invalid)."""
    messages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        entry = json.loads(line)
        value = entry.get("value")
        patient = value.get("patient_id") if isinstance(value, dict) else None
        key = entry.get("key", patient)
        raw = entry["raw"].encode() if "raw" in entry else json.dumps(value).encode()
        if "topic" not in entry:
            raise SystemExit(f"{path}:{number}: every line needs a topic")
        messages.append(
            FeedMessage(
                topic=entry["topic"],
                key=None if key is None else str(key).encode(),
                value=raw,
                expect_valid="raw" not in entry,
                event_type=str(value.get("event_type", "?")) if isinstance(value, dict) else "?",
                patient_id=patient if patient is not None else key,
            )
        )
    return messages


def expected_counts(feed: list[FeedMessage]) -> tuple[int, int]:
    """How many of the feed's messages ingest should forward, and how many it should park."""
    valid = sum(m.expect_valid for m in feed)
    return valid, len(feed) - valid


async def publish_examples(
    feed: list[FeedMessage],
    *,
    watcher: AlertWatcher,
    settings: Any,
    bootstrap: str,
    console: Console,
    ref: Ref,
    within: float,
) -> None:
    """Publish the shipped examples, wait for ingest's verdicts, show the per-topic table."""
    import asyncio

    from aiokafka import AIOKafkaProducer

    from streams.broker import client_options

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        **client_options(settings),
    )
    await producer.start()
    try:
        for message in feed:
            await producer.send_and_wait(message.topic, message.value, key=message.key)
            label = message.event_type if message.expect_valid else "(malformed on purpose)"
            console.line("feed", f"{message.topic:<36} {label:<26} {ref(message.patient_id)}")
    finally:
        await producer.stop()
    valid, invalid = expected_counts(feed)
    await watcher.wait_for(valid=valid, invalid=invalid, within=within)
    await asyncio.sleep(2.0)  # the pathway's alerts follow ingest by a moment
    show_topics(feed, dead=watcher.dead, console=console)
    if any(alert.get("detected_late") for alert in watcher.alerts.values()):
        console.line(
            "note",
            "the examples are dated March 2026: their deadlines passed long ago, so breaches "
            "fire at once (late) and are retracted when the on-time care records arrive",
            style="dim",
        )


def show_topics(feed: list[FeedMessage], *, dead: list[dict[str, Any]], console: Console) -> None:
    """The per-topic table of what was sent and what ingest dead-lettered, then each reason."""
    sent = Counter(m.topic for m in feed)
    parked = Counter(d["topic"] for d in dead)
    console.raw()
    console.raw(f"{'inbound topic':<38}{'sent':>6}{'dead-lettered':>15}")
    for topic in sorted(sent):
        console.raw(f"{topic:<38}{sent[topic]:>6}{parked[topic]:>15}")
    for letter in dead:
        console.raw(f"  dead letter from {letter['topic']}: {letter['reason']}")
    console.raw()
