"""`cordwatch convert` on files and standard input, as an integration engineer runs it."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.gateway.encode_fhir import encode_fhir
from services.gateway.encode_hl7 import encode_hl7
from services.simulation.feed import FeedConfig, generate
from streams.cli import main

EVENTS = [
    m.event
    for m in generate(FeedConfig(seed=5, start=datetime(2026, 1, 5, tzinfo=UTC), patients=3))
    if m.event is not None
]


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_mllp_framed_file_prints_each_event_and_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    encoded = [raw for e in EVENTS if (raw := encode_hl7(e)) is not None][:4]
    bad = b"MSH|^~\\&|X|Y|Z|W|20260105||SIU^S12|9|P|2.5"
    path = tmp_path / "feed.mllp"
    path.write_bytes(b"".join(b"\x0b" + raw + b"\x1c\r" for raw in [*encoded, bad]))
    assert main(["convert", str(path)]) == 1  # one message refused
    lines = _lines(capsys.readouterr().out)
    expected_ids = [e["event_id"] for e in EVENTS if encode_hl7(e) is not None][:4]
    assert [line.get("event_id") for line in lines[:4]] == expected_ids
    assert lines[4] == {"message": 5, "refused": "unsupported_message",
                        "detail": "MSH-9 is not a message type the gateway maps"}  # fmt: skip


def test_fhir_ndjson_on_stdin_with_explain(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    documents = b"\n".join(raw for e in EVENTS[:3] if (raw := encode_fhir(e)) is not None)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(documents)))
    assert main(["convert", "--explain"]) == 0
    lines = _lines(capsys.readouterr().out)
    assert [line["message"] for line in lines] == [1, 2, 3]
    first = lines[0]
    assert isinstance(first["event"], dict)
    assert isinstance(first["from"], dict)
    assert first["event"]["event_id"] == EVENTS[0]["event_id"]
    assert first["from"]["patient_id"].startswith("Encounter.subject identifier")


def test_blank_line_separated_hl7_with_another_assigning_authority(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = next(r for e in EVENTS if (r := encode_hl7(e)) is not None)
    path = tmp_path / "two.hl7"
    path.write_bytes(raw.replace(b"\r", b"\n") + b"\n\n" + raw.replace(b"\r", b"\n"))
    assert main(["convert", "--assigning-authority", "ELSEWHERE", str(path)]) == 1
    lines = _lines(capsys.readouterr().out)
    assert [line["refused"] for line in lines] == ["no_patient_identifier"] * 2


def test_a_referral_and_its_answer_explained_field_by_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    referral = (
        b"MSH|^~\\&|REFMGR|SOUTH|CW|SOUTH|20260105080000-0500||REF^I12^REF_I12|R1|P|2.5.1\n"
        b"RF1|P|U|NSG^Neurosurgery^L||I|RF-1|20260105091500-0500\n"
        b"PID|1||MRN7001^^^CWDEMO^MR||TESTPERSON^SAM\n"
    )
    answer = (
        b"MSH|^~\\&|NSG|SOUTH|CW|SOUTH|20260105160000-0500||RRI^I12^RRI_I12|R2|P|2.5.1\n"
        b"MSA|AA|R1\nRF1|A|U|NSG^Neurosurgery^L||I|RF-1|||20260105150000-0500\n"
        b"PID|1||MRN7001^^^CWDEMO^MR\n"
    )
    path = tmp_path / "referrals.hl7"
    path.write_bytes(referral + b"\n" + answer)
    assert main(["convert", "--explain", str(path)]) == 0
    first, second = _lines(capsys.readouterr().out)
    assert isinstance(first["event"], dict)
    assert isinstance(first["from"], dict)
    assert isinstance(second["event"], dict)
    assert isinstance(second["from"], dict)
    assert (first["event"]["event_type"], first["from"]["service"]) == (
        "consult_requested", "RF1-3 (referral type)")  # fmt: skip
    # Accepted without results: the consult is still to be done.
    assert second["event"]["event_type"] == "consult_requested"
    assert second["from"]["occurred_at"] == "RF1-9"
