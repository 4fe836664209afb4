"""MLLP framing and HL7 ACKs, pure: the listener in streams/gateway feeds bytes and sends these.

MLLP (HL7 v2 Minimal Lower Layer Protocol, release 2): <VT> message <FS><CR>. An ACK's MSA-1 is
AA (accepted, here: on Kafka), AE (content error) or AR (rejected: unsupported type, or Cordwatch
could not store it); AE and AR carry an ERR segment with an HL7 table 0357 code and a reason that
names fields, never values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from services.gateway.result import Refused
from services.gateway.times import hl7_format

START, END = b"\x0b", b"\x1c\x0d"


class FrameTooLargeError(Exception):
    """A frame grew past the size cap before its end block arrived."""


class FrameDecoder:
    """Splits a TCP byte stream into MLLP frames; bytes outside a frame are dropped."""

    def __init__(self, *, max_bytes: int) -> None:
        self._buffer = bytearray()
        self._max = max_bytes

    def feed(self, data: bytes) -> list[bytes]:
        """The frames completed by ``data``, in order."""
        self._buffer += data
        frames: list[bytes] = []
        while True:
            start = self._buffer.find(START)
            if start < 0:
                self._buffer.clear()  # noise between frames (keep-alive newlines)
                return frames
            end = self._buffer.find(b"\x1c", start)
            if end < 0:
                del self._buffer[:start]
                if len(self._buffer) > self._max + 1:
                    self._buffer.clear()
                    raise FrameTooLargeError
                return frames
            frames.append(bytes(self._buffer[start + 1 : end]))
            # The CR after FS is required by the standard; senders that omit it still get read.
            cut = end + 2 if self._buffer[end + 1 : end + 2] == b"\r" else end + 1
            del self._buffer[:cut]


def frame(message: bytes) -> bytes:
    """One message in an MLLP frame."""
    return START + message + END


class AckCode(StrEnum):
    """MSA-1 acknowledgment codes (HL7 table 0008, original mode)."""

    AA = "AA"
    AE = "AE"
    AR = "AR"


# HL7 table 0357 message error condition codes.
_ERROR_CODES: dict[Refused | None, tuple[str, str]] = {
    Refused.UNSUPPORTED_MESSAGE: ("200", "Unsupported message type"),
    Refused.MISSING_FIELD: ("101", "Required field missing"),
    Refused.NO_PATIENT_IDENTIFIER: ("101", "Required field missing"),
    Refused.BAD_TIMESTAMP: ("102", "Data type error"),
    Refused.UNSUPPORTED_STATUS: ("103", "Table value not found"),
    Refused.UNKNOWN_MODALITY: ("103", "Table value not found"),
    Refused.UNSUPPORTED_CHARSET: ("203", "Unsupported version id"),
    None: ("207", "Application internal error"),
}
# Refusals that are about what kind of message it is, not its content: AR, not AE.
_REJECTS = frozenset({Refused.UNSUPPORTED_MESSAGE, Refused.UNSUPPORTED_CHARSET, Refused.NOT_HL7,
                      Refused.EMPTY, Refused.OVERSIZED})  # fmt: skip


def ack_code(reason: Refused | None) -> AckCode:
    """AA when nothing was refused; AR for a message of a kind we do not take; else AE."""
    if reason is None:
        return AckCode.AA
    return AckCode.AR if reason in _REJECTS else AckCode.AE


@dataclass(frozen=True, slots=True)
class Header:
    """What an ACK echoes from the message's MSH (none of it PHI)."""

    separator: str = "|"
    sending_application: str = ""
    sending_facility: str = ""
    receiving_application: str = ""
    receiving_facility: str = ""
    control_id: str = ""
    processing_id: str = "P"
    version: str = "2.5.1"
    trigger: str = ""


def read_header(raw: bytes) -> Header:
    """The MSH fields an ACK needs, read without trusting the rest of the message."""
    if not raw.startswith(b"MSH") or len(raw) < 8:
        return Header()
    text = raw.split(b"\r", 1)[0].split(b"\n", 1)[0].decode("latin-1")
    sep = text[3]
    fields = text.split(sep)

    def field(n: int, comp: int = 0) -> str:
        # fields[0] is "MSH" and fields[1] is MSH-2, so MSH-n is fields[n - 1].
        value = fields[n - 1] if len(fields) >= n else ""
        parts = value.split(fields[1][:1] or "^") if len(fields) > 1 else [value]
        return parts[comp] if comp < len(parts) else ""

    return Header(
        separator=sep,
        sending_application=field(3, 0)[:64],
        sending_facility=field(4, 0)[:64],
        receiving_application=field(5, 0)[:64],
        receiving_facility=field(6, 0)[:64],
        control_id=field(10)[:199],
        processing_id=field(11, 0)[:3] or "P",
        version=field(12, 0)[:16] or "2.5.1",
        trigger=field(9, 1)[:8],
    )


def build_ack(
    header: Header,
    code: AckCode,
    *,
    control_id: str,
    now: datetime,
    reason: Refused | None = None,
    detail: str = "",
) -> bytes:
    """An ACK for the message ``header`` came from, with ERR when not AA."""
    clean = _plain(detail)[:200]
    msh = "|".join(
        [
            "MSH",
            "^~\\&",
            "CORDWATCH",
            _plain(header.receiving_facility),
            _plain(header.sending_application),
            _plain(header.sending_facility),
            hl7_format(now),
            "",
            f"ACK^{_plain(header.trigger)}^ACK" if header.trigger else "ACK",
            control_id,
            _plain(header.processing_id),
            _plain(header.version),
        ]
    )
    segments = [msh, f"MSA|{code.value}|{_plain(header.control_id)}"]
    if code is not AckCode.AA:
        number, text = _ERROR_CODES.get(reason, _ERROR_CODES[None])
        severity = "E"
        why = f"{reason.value}: {clean}" if reason is not None else clean
        segments.append(f"ERR||MSH^1|{number}^{text}^HL70357|{severity}||||{why}")
    return "\r".join(segments).encode("utf-8")


def _plain(value: str) -> str:
    """Echoed text with HL7 delimiters and control characters removed."""
    return "".join(ch for ch in value if ch not in "|^~\\&\r\n\x0b\x1c" and ch.isprintable())
