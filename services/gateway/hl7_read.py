"""HL7 v2 bytes to python-hl7 messages: framing, MSH-18 character sets, broken OBX-5 lines.

python-hl7 (the ``hl7`` package) does the parsing and unescaping (``\\F\\``, ``\\.br\\``,
``\\X0D\\``); this module only prepares what real interfaces send so that it can: messages in one
file or MLLP stream, LF or CRLF segment ends, and report lines whose line breaks were sent raw
inside OBX-5 (a sender's bug seen in the field: the next line does not start with a segment id).
"""

from __future__ import annotations

import re

import hl7
from hl7.containers import Message, Segment

from services.gateway.result import RefusalError, Refused

MLLP_START = b"\x0b"
MLLP_END = b"\x1c\x0d"
# Well above a long radiology report (MLLP senders rarely exceed 1 MB per message).
MAX_MESSAGE_BYTES = 2 * 1024 * 1024

_SEGMENT_START = re.compile(r"^[A-Z][A-Z0-9]{2}(\||$)")
_LINE_END = re.compile(r"\r\n|\r|\n")

# MSH-18 values (HL7 table 0211) to Python codecs. None of the table's Asian sets is sent to us.
_CHARSETS: dict[str, str] = {
    "": "utf-8",
    "ASCII": "utf-8",  # UTF-8 is a superset; senders that say ASCII often send Latin-1 bytes
    "UNICODE UTF-8": "utf-8",
    "UNICODE": "utf-8",
    "UTF-8": "utf-8",
    "8859/1": "latin-1",
    "8859/15": "iso8859-15",
    "8859/2": "iso8859-2",
    "WINDOWS-1252": "cp1252",
    "CP1252": "cp1252",
}


def split_stream(data: bytes) -> list[bytes]:
    """The messages in a file or stream: MLLP frames, or blocks starting at each MSH segment."""
    if MLLP_START in data:
        frames = []
        for chunk in data.split(MLLP_START)[1:]:
            body, _, _ = chunk.partition(b"\x1c")
            if body.strip():
                frames.append(body)
        return frames
    messages: list[list[bytes]] = []
    for line in re.split(rb"\r\n|\r|\n", data):
        if line.startswith(b"MSH"):
            messages.append([line])
        elif messages and line.strip():
            messages[-1].append(line)
        elif messages and not line.strip():
            # Blank lines separate messages in files, but may also sit inside a raw OBX-5 line
            # break; keep them only while the message continues with a non-segment line.
            messages[-1].append(b"")
    return [b"\r".join(_strip_trailing_blank(lines)) for lines in messages]


def _strip_trailing_blank(lines: list[bytes]) -> list[bytes]:
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def decode(raw: bytes) -> str:
    """The message text, decoded with the character set its MSH-18 names."""
    if not raw.strip():
        raise RefusalError(Refused.EMPTY, "message is empty")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise RefusalError(Refused.OVERSIZED, f"message is over {MAX_MESSAGE_BYTES} bytes")
    raw = raw.strip(b"\x0b\x1c\r\n ")
    if not raw.startswith(b"MSH") or len(raw) < 8:
        raise RefusalError(Refused.NOT_HL7, "message does not start with an MSH segment")
    separator = raw[3:4]
    first_line = re.split(rb"\r|\n", raw, maxsplit=1)[0]
    fields = first_line.split(separator)
    # fields[0] is "MSH" and fields[1] is MSH-2, so MSH-n is fields[n - 1].
    declared = fields[17].split(b"~")[0].strip() if len(fields) > 17 else b""
    name = declared.decode("ascii", errors="replace").upper()
    codec = _CHARSETS.get(name)
    if codec is None:
        raise RefusalError(Refused.UNSUPPORTED_CHARSET, "MSH-18 names an unsupported charset")
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        if name:
            raise RefusalError(
                Refused.UNSUPPORTED_CHARSET, "message bytes do not match the MSH-18 charset"
            ) from None
        # No MSH-18: HL7 says ASCII, real senders mean Windows-1252 more often than not.
        return raw.decode("cp1252", errors="replace")


def parse(raw: bytes) -> Message:
    """One HL7 v2 message, parsed by python-hl7 after repairing broken line ends."""
    text = decode(raw)
    separator = text[3]
    encoding = text[4:].split(separator, 1)[0]
    delimiters = separator + encoding
    if (
        len(encoding) not in (4, 5)
        or len(set(delimiters)) != len(delimiters)
        or any(c.isalnum() or c.isspace() for c in delimiters)
    ):
        raise RefusalError(Refused.NOT_HL7, "MSH-1/MSH-2 are not five distinct delimiters")
    escape = encoding[2]
    segments: list[str] = []
    blank = 0
    for line in _LINE_END.split(text):
        if not line:
            blank += 1
        elif _SEGMENT_START.match(line.replace(separator, "|", 1)) or not segments:
            segments.append(line)
            blank = 0
        else:
            # A raw line break inside OBX-5 (or NTE-3): keep it (and blank lines before it) as
            # HL7 line breaks; blank lines between segments are dropped.
            segments[-1] += f"{escape}.br{escape}" * (blank + 1) + line
            blank = 0
    try:
        message = hl7.parse("\r".join(segments))
    # python-hl7 asserts its own parse plan; a message that trips it is not parseable HL7.
    except (hl7.ParseException, ValueError, IndexError, KeyError, AssertionError):
        raise RefusalError(Refused.NOT_HL7, "python-hl7 could not parse the message") from None
    if not len(message) or str(message[0][0]) != "MSH":
        raise RefusalError(Refused.NOT_HL7, "message does not start with an MSH segment")
    return message


def get(segment: Segment, field: int, rep: int = 1, comp: int = 1, sub: int = 1) -> str:
    """One unescaped value (1-based field, repetition, component, subcomponent), "" if absent."""
    try:
        value = segment.extract_field(
            field_num=field, repeat_num=rep, component_num=comp, subcomponent_num=sub
        )
    except (IndexError, KeyError, TypeError, ValueError):
        return ""
    return str(value)


def repetitions(segment: Segment, field: int) -> int:
    """How many repetitions a field has (0 when absent or empty)."""
    if field >= len(segment):
        return 0
    value = segment[field]
    if not str(value):
        return 0
    return len(value) if isinstance(value, hl7.Field) else 1


def segments(message: Message, name: str) -> list[Segment]:
    """Every segment with this id, in message order."""
    return [s for s in message if str(s[0]) == name]


def first(message: Message, name: str) -> Segment | None:
    """The first segment with this id, or None."""
    found = segments(message, name)
    return found[0] if found else None
