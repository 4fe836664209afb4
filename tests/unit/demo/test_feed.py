"""The demo's examples feed: every line read with its exact bytes, the malformed ones known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.demo.console import Console
from streams.demo.feed import expected_counts, load_feed, show_topics
from streams.demo.options import EXAMPLES


def test_the_shipped_examples_load_with_two_malformed_on_purpose() -> None:
    feed = load_feed(EXAMPLES)
    assert expected_counts(feed) == (15, 2)
    malformed = [m for m in feed if not m.expect_valid]
    assert {m.event_type for m in malformed} == {"?"}
    assert all(m.key == m.patient_id.encode() for m in malformed if m.patient_id)
    first = feed[0]
    assert (first.topic, first.event_type, first.expect_valid) == ("hospital.adt", "admit", True)
    assert json.loads(first.value)["event_id"] == "adt-9001"


def test_value_lines_are_keyed_by_patient_and_raw_lines_sent_as_written(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        {"topic": "t.a", "value": {"event_type": "admit", "patient_id": "P1"}},
        {"topic": "t.b", "raw": "{not json", "key": "P2"},
        {"topic": "t.c", "value": ["no", "patient"]},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    first, second, third = load_feed(path)
    assert (first.key, first.patient_id, first.event_type) == (b"P1", "P1", "admit")
    assert first.value == json.dumps(lines[0]["value"]).encode()
    assert (second.key, second.value, second.expect_valid) == (b"P2", b"{not json", False)
    assert (third.key, third.patient_id, third.event_type) == (None, None, "?")


def test_a_line_without_topic_is_refused_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text('{"topic": "t", "value": {}}\n{"value": {}}\n', encoding="utf-8")
    with pytest.raises(SystemExit, match=r"feed\.jsonl:2: every line needs a topic"):
        load_feed(path)


def test_the_topic_table_sets_sent_against_dead_lettered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    feed = load_feed(EXAMPLES)
    dead = [{"topic": "hospital.consults", "reason": "bad timestamp"}]
    show_topics(feed, dead=dead, console=Console(colour=False))
    out = capsys.readouterr().out.splitlines()
    assert out[1] == f"{'inbound topic':<38}{'sent':>6}{'dead-lettered':>15}"
    consults = next(line for line in out if line.startswith("hospital.consults"))
    sent = sum(m.topic == "hospital.consults" for m in feed)
    assert consults == f"{'hospital.consults':<38}{sent:>6}{1:>15}"
    assert "  dead letter from hospital.consults: bad timestamp" in out
