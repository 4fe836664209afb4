"""Report text as the detector reads it: normalised bytes, sections and sentences with offsets.

Every offset produced here indexes the ORIGINAL text: normalisation only ever replaces one
character by one byte (and an HL7 line-break escape by a same-length run), so evidence can be
highlighted in the report exactly as the radiologist signed it.
"""

from __future__ import annotations

import codecs
from bisect import bisect_right
from dataclasses import dataclass

import re2

from services.detection.lexicon.sections import HEADER_KINDS, INLINE_IMPRESSION, KIND_PRIORITY
from services.detection.matcher import spans

# Unicode dashes, quotes and spaces to their ASCII look-alike; "~" is the HL7 repetition
# separator that flattened interfaces use as a line break (HL7 v2.5 section 2.5.5).
_TRANSLATE = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2212": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\t": " ", "\r": "\n",
        "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "~": "\n",
        "\u2265": ">", "\u2264": "<",
    }
)
# HL7 v2 formatted-text escapes for a line break, replaced by a same-length run.
_HL7_BREAKS = (b"\\.br\\", b"\\x0d\\\\x0a\\", b"\\x0d\\", b"\\x0a\\", b"\\.sp\\", b"\\.sp1\\")


def _to_space(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeEncodeError)
    return " " * (err.end - err.start), err.end


codecs.register_error("cordwatch_space", _to_space)


def normalise(text: str) -> bytes:
    """Lower-case ASCII bytes of the same length as ``text`` (non-ASCII letters become spaces)."""
    translated = text.translate(_TRANSLATE)
    lowered = translated.lower()
    if len(lowered) != len(translated):  # e.g. "İ" lowers to two code points: keep offsets
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in translated)
    data = lowered.encode("ascii", "cordwatch_space")
    if b"\\" in data:
        for escape in _HL7_BREAKS:
            if escape in data:
                data = data.replace(escape, b"\n" + b" " * (len(escape) - 1))
    return data


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of the report: its span, section kind, report part and line."""

    start: int
    end: int
    section: str | None  # title, history, technique, findings, impression, addendum or None
    part: int  # 0 for the signed report, 1.. for each addendum that follows it
    line: int


_HEADER = re2.compile(
    rb"(?m)^[ *#>_=-]*(?:\d{1,2}[.)] *)?([a-z][a-z /&'-]{0,40}?(?: *\([^)\n]{0,40}\))?) *:"
)
_ONE_LINE_KINDS = frozenset({"history", "technique", "title"})
_BOUNDARY = re2.compile(rb"[.!?]+(?: +|$)")
_ABBREVIATIONS = frozenset(
    b"dr mr mrs ms st vs approx e.g i.e eg ie fig no nos prof dept inc etc cf resp est".split()
)


def _header_kind(label: bytes) -> str | None:
    words = label.replace(b"/", b" ").replace(b"(", b" ").replace(b"-", b" ").split()
    kinds = {HEADER_KINDS.get(word.decode()) for word in words}
    for kind in KIND_PRIORITY:  # "findings/impression" is an impression
        if kind in kinds:
            return kind
    return None


def split(data: bytes) -> list[Sentence]:
    """Split normalised text into sentences, each tagged with its section and report part."""
    sentences: list[Sentence] = []
    section: str | None = None
    part = 0
    seen_header = False
    pos = 0
    length = len(data)
    line_no = 0
    one_line_section = False
    while pos <= length:
        nl = data.find(b"\n", pos)
        line_end = length if nl < 0 else nl
        content_start = pos
        colon = data.find(b":", pos, min(line_end, pos + 64))
        header = _HEADER.match(data, pos, line_end) if colon >= 0 else None
        kind = _header_kind(header.group(1)) if header is not None else None
        if header is not None and kind is not None:
            if kind == "addendum":
                part += 1
            section = kind
            seen_header = True
            content_start = header.end()
            # "Indication: 67M, back pain." covers its own line; a bare "HISTORY:" heads a block.
            one_line_section = kind in _ONE_LINE_KINDS and bool(
                data[content_start:line_end].strip()
            )
        elif not seen_header and line_no == 0 and b"." not in data[pos:line_end]:
            section = "title"  # the exam title line of a report that has no header above it
        elif section == "title" or one_line_section:
            section = None
            one_line_section = False
        elif section in _ONE_LINE_KINDS and not data[pos:line_end].strip():
            section = None  # a blank line ends a history or technique block
        kind = section
        if section in ("findings", None) and _starts_summary(data, content_start, line_end):
            kind = "impression"  # "In summary, ..." closes a letter-style report
        _split_line(data, content_start, line_end, kind, part, line_no, sentences)
        if nl < 0:
            break
        pos = nl + 1
        line_no += 1
    return sentences


def _starts_summary(data: bytes, start: int, end: int) -> bool:
    head = data[start:end].lstrip()[:20]
    return any(head.startswith(word) for word in INLINE_IMPRESSION)


def _split_line(
    data: bytes,
    start: int,
    end: int,
    section: str | None,
    part: int,
    line_no: int,
    out: list[Sentence],
) -> None:
    first = len(out)
    sent_start = start
    for stop, after in spans(_BOUNDARY, data, start, end):
        word_start = max(
            data.rfind(b" ", sent_start, stop), data.rfind(b"(", sent_start, stop), sent_start - 1
        )
        word = data[word_start + 1 : stop]
        if word in _ABBREVIATIONS or len(word) == 1 or (word.isdigit() and len(word) <= 2):
            continue  # "Dr.", initials, list numbers "1."
        _append(data, sent_start, after, section, part, line_no, out)
        sent_start = after
    _append(data, sent_start, end, section, part, line_no, out)
    if len(out) == first:  # keep one (empty) sentence per line so line numbering stays simple
        out.append(Sentence(start, start, section, part, line_no))


def _append(
    data: bytes,
    start: int,
    end: int,
    section: str | None,
    part: int,
    line: int,
    out: list[Sentence],
) -> None:
    while start < end and data[start] == 32:
        start += 1
    while end > start and data[end - 1] in b" \n":
        end -= 1
    if end > start:
        out.append(Sentence(start, end, section, part, line))


def index_of(starts: list[int], position: int) -> int:
    """Index of the span (given by sorted starts) that contains ``position``."""
    return bisect_right(starts, position) - 1
