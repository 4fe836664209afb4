"""`cordwatch simulate`: options become the right feed, files are readable, the broker gets it."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from models.events import patient_event_adapter
from services.config import Settings
from services.ingest import Accepted, parse
from services.simulation import FeedConfig, generate
from streams.cli import build_parser, main
from streams.cli.simulate_cmd import SimulateUsageError, build_config

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["simulate", "--seed", "9", *argv])


def _run(options: argparse.Namespace) -> int:
    """The handler, given settings it must not need: a file or stdout needs no broker."""

    def unread() -> Settings:
        raise AssertionError("writing a feed read the settings")

    return int(options.handler(options, unread))


def test_backdate_starts_in_the_past_and_stops_at_now() -> None:
    config = build_config(_args("--backdate", "24", "--patients", "48"), now=NOW)
    assert config.start == NOW - timedelta(hours=24)
    assert config.horizon == NOW
    assert config.mean_gap == timedelta(minutes=30)  # 48 patients spread over 24 hours
    messages = list(generate(config))
    assert messages
    assert max(m.publish_at for m in messages) <= NOW


def test_follow_keeps_future_events_and_plain_runs_start_now() -> None:
    follow = build_config(_args("--backdate", "6", "--follow"), now=NOW)
    assert follow.horizon is None
    plain = build_config(_args(), now=NOW)
    assert plain.start == NOW
    assert plain.horizon is None
    assert plain.patients == 50
    assert build_config(_args("--count", "10"), now=NOW).patients is None


def test_due_in_places_deadlines_in_the_next_minutes() -> None:
    config = build_config(_args("--due-in", "15"), now=NOW)
    assert config.start == NOW
    assert config.horizon == NOW
    assert config.due_within == timedelta(minutes=15)
    assert config.patients == 50
    assert build_config(_args("--due-in", "15", "--follow"), now=NOW).horizon is None


@pytest.mark.parametrize(
    "argv",
    [
        ("--backdate", "-1"),
        ("--follow",),
        ("--rate", "-5"),
        ("--start", "2026-03-01T08:00"),
        ("--due-in", "10", "--backdate", "5"),
        ("--due-in", "0"),
    ],
)
def test_contradictory_options_are_refused(argv: tuple[str, ...]) -> None:
    with pytest.raises(SimulateUsageError):
        build_config(_args(*argv), now=NOW)


def test_out_file_in_kafka_format_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "feed.jsonl"
    argv = ["--patients", "12", "--invalid-fraction", "0.1", "--start", "2026-03-01T08:00:00Z"]
    options = _args(*argv, "--out", str(out))
    assert _run(options) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert any("raw" in line for line in lines)
    for line in lines:
        if "raw" in line:
            continue
        raw = json.dumps(line["value"]).encode("utf-8")
        verdict = parse(topic=line["topic"], key=line["key"].encode(), raw=raw, received_at=NOW)
        assert isinstance(verdict, Accepted)
    expected = [
        m.kafka_line()
        for m in generate(
            FeedConfig(
                seed=9, start=datetime(2026, 3, 1, 8, tzinfo=UTC), patients=12, invalid_fraction=0.1
            )
        )
    ]
    assert out.read_text(encoding="utf-8").splitlines() == expected


def test_demo_command_can_load_the_kafka_format(tmp_path: Path) -> None:
    demo = pytest.importorskip("streams.cli.demo_cmd")
    if not hasattr(demo, "load_feed"):
        pytest.skip("cordwatch demo has no file loader")
    out = tmp_path / "feed.jsonl"
    argv = _args("--patients", "5", "--invalid-fraction", "0.2", "--out", str(out))
    _run(argv)
    loaded = demo.load_feed(out)
    written = out.read_text(encoding="utf-8").splitlines()
    assert len(loaded) == len(written)
    assert sum(not m.expect_valid for m in loaded) == sum('"raw"' in line for line in written)


def test_replay_format_is_canonical_and_in_arrival_order(tmp_path: Path) -> None:
    out = tmp_path / "replay.jsonl"
    argv = _args(
        "--patients", "15", "--invalid-fraction", "0.2", "--format", "replay", "--out", str(out)
    )
    assert _run(argv) == 0
    received = []
    for line in out.read_text(encoding="utf-8").splitlines():
        document = json.loads(line)
        received.append(datetime.fromisoformat(document.pop("received_at")))
        patient_event_adapter.validate_python(document)
    assert received == sorted(received)
    assert len(received) > 100


def test_dry_run_duration_writes_what_the_rate_would_publish(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = _args("--dry-run", "--rate", "7", "--duration", "3")
    assert _run(argv) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 21
    assert "total\t21" in captured.err


def test_producing_without_a_broker_address_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    given = Settings(kafka_bootstrap="")
    assert main(["simulate", "--seed", "9", "--patients", "1"], settings=given) == 2
    assert "no Kafka bootstrap" in capsys.readouterr().err


@pytest.mark.broker
async def test_feed_reaches_the_embedded_broker_keyed_by_patient(broker: str) -> None:
    from aiokafka import AIOKafkaConsumer

    from services.simulation import INBOUND_TOPICS
    from streams.simulated_feed import produce

    config = FeedConfig(seed=777, start=NOW, patients=6, invalid_fraction=0.05)
    messages = list(generate(config))
    counts: Counter[str] = Counter()
    await produce(
        messages,
        bootstrap=broker,
        options={},
        partitions=4,
        rate=0,
        duration=None,
        follow=False,
        counts=counts,
    )
    assert sum(v for k, v in counts.items() if k != "(invalid)") == len(messages)
    # A wrong-key copy has the same bytes as its good message: identify a message by both.
    sent = Counter((m.topic, m.key.encode(), m.value) for m in messages)
    consumer = AIOKafkaConsumer(
        *INBOUND_TOPICS,
        bootstrap_servers=broker,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: Counter[tuple[str, bytes | None, bytes | None]] = Counter()
    try:
        for _ in range(20):
            batch = await consumer.getmany(timeout_ms=1000)
            for records in batch.values():
                for record in records:
                    found = (record.topic, record.key, record.value)
                    if found in sent:
                        seen[found] += 1
            if seen == sent:
                break
    finally:
        await consumer.stop()
    assert seen == sent


class _FakeProducer:
    """Records sends; stands in for AIOKafkaProducer where no broker is needed."""

    sent: ClassVar[list[tuple[str, bytes, bytes]]] = []
    options: ClassVar[dict[str, object]] = {}

    def __init__(self, **options: object) -> None:
        type(self).options = options

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def flush(self) -> None:
        return None

    async def send(self, topic: str, *, value: bytes, key: bytes) -> asyncio.Future[None]:
        type(self).sent.append((topic, key, value))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_follow_holds_future_events_until_their_time() -> None:
    from streams import simulated_feed

    async def no_admin(*_: object, **__: object) -> list[str]:
        return []

    _FakeProducer.sent = []
    wall = datetime.now(UTC)
    messages = list(generate(FeedConfig(seed=3, start=wall - timedelta(hours=30), patients=3)))
    past = [m for m in messages if m.publish_at <= wall]
    assert 0 < len(past) < len(messages)
    counts: Counter[str] = Counter()
    await simulated_feed.produce(
        messages,
        bootstrap="unused:9092",
        options={},
        partitions=4,
        rate=0,
        duration=0.5,
        follow=True,
        counts=counts,
        make_producer=_FakeProducer,
        ensure_topics=no_admin,
    )
    # What had happened by now went out; the rest waits for its clinical time.
    assert [value for _, _, value in _FakeProducer.sent] == [m.value for m in past]
    assert _FakeProducer.options["enable_idempotence"] is False
    assert _FakeProducer.options["acks"] == "all"
