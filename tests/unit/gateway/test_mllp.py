"""MLLP framing and HL7 ACKs (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.gateway.mllp import (
    AckCode,
    FrameDecoder,
    FrameTooLargeError,
    ack_code,
    build_ack,
    frame,
    read_header,
)
from services.gateway.result import Refused

MSG = b"MSH|^~\\&|RIS|NORTH|CW|HUB|20260105||ORU^R01^ORU_R01|C-77|P|2.4\rPID|1||X^^^A^MR"


def test_frames_split_across_reads_with_noise_between_them() -> None:
    decoder = FrameDecoder(max_bytes=1024)
    stream = b"\r\n" + frame(MSG) + b"\n" + frame(b"MSH|second")
    frames = [f for i in range(0, len(stream), 7) for f in decoder.feed(stream[i : i + 7])]
    assert frames == [MSG, b"MSH|second"]


def test_a_frame_over_the_cap_is_an_error_before_its_end_arrives() -> None:
    decoder = FrameDecoder(max_bytes=16)
    with pytest.raises(FrameTooLargeError):
        decoder.feed(b"\x0b" + b"x" * 40)


def test_ack_echoes_the_control_id_and_swaps_sender_and_receiver() -> None:
    now = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    ack = build_ack(read_header(MSG), AckCode.AA, control_id="A1", now=now).decode()
    msh, msa = ack.split("\r")
    assert msh == "MSH|^~\\&|CORDWATCH|HUB|RIS|NORTH|20260105083000+0000||ACK^R01^ACK|A1|P|2.4"
    assert msa == "MSA|AA|C-77"


def test_error_ack_carries_err_with_the_table_0357_code() -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    ack = build_ack(read_header(MSG), AckCode.AE, control_id="A2", now=now,
                    reason=Refused.MISSING_FIELD, detail="MSH-10|is empty")  # fmt: skip
    err = ack.decode().split("\r")[2]
    assert err == "ERR||MSH^1|101^Required field missing^HL70357|E||||missing_field: MSH-10is empty"


@pytest.mark.parametrize(
    ("reason", "code"),
    [(None, AckCode.AA), (Refused.UNSUPPORTED_MESSAGE, AckCode.AR), (Refused.NOT_HL7, AckCode.AR),
     (Refused.NO_PATIENT_IDENTIFIER, AckCode.AE), (Refused.BAD_TIMESTAMP, AckCode.AE)],
)  # fmt: skip
def test_ack_codes(reason: Refused | None, code: AckCode) -> None:
    assert ack_code(reason) is code
