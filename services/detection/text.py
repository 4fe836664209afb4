"""Report text as the detector reads it: normalised bytes, sections and sentences with offsets.

Every offset produced here indexes the ORIGINAL text: normalisation only ever replaces one
character by one byte (and an HL7 line-break escape by a same-length run), so evidence can be
highlighted in the report exactly as the radiologist signed it.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_right
from typing import NamedTuple

from services.detection.lexicon.sections import HEADER_KINDS, INLINE_IMPRESSION, KIND_PRIORITY

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


class Sentence(NamedTuple):
    """A sentence of the report: its span, section kind, report part and line."""

    start: int
    end: int
    section: str | None  # title, history, technique, findings, impression, addendum or None
    part: int  # 0 for the signed report, 1.. for each addendum that follows it
    line: int


_LABEL_CHARS = b"abcdefghijklmnopqrstuvwxyz /&'-"
_ONE_LINE_KINDS = frozenset({"history", "technique", "title"})
# Fixed two-byte pattern: no quantifier, so the stdlib engine cannot backtrack on it.
_BOUNDARY = re.compile(rb"[.!?] ")
_ABBREVIATIONS = frozenset(
    b"dr mr mrs ms st vs approx e.g i.e eg ie fig no nos prof dept inc etc cf resp est".split()
)


def _header(data: bytes, pos: int, colon: int, line_end: int) -> tuple[str | None, int]:
    """The section kind a line's leading "Label:" names, and where its content starts."""
    label = data[pos:colon]
    if b"(" in label and b")" not in label:  # "ADDENDUM (06/15/2024 08:40):"
        close = data.find(b")", colon, line_end)
        colon = data.find(b":", close, line_end) if close >= 0 else -1
        if colon < 0:
            return None, pos
        label = data[pos:colon]
    label = label.lstrip(b" *#>_=-").rstrip()
    if label[:1].isdigit():  # a numbered header "2. Impression:"
        label = label.lstrip(b"0123456789").lstrip(b".) ")
    base = label.split(b"(", 1)[0]
    if not base[:1].isalpha() or len(base) > 41 or base.translate(None, _LABEL_CHARS):
        return None, pos
    words = base.replace(b"/", b" ").replace(b"-", b" ").split()
    kinds = {HEADER_KINDS.get(word.decode()) for word in words}
    for kind in KIND_PRIORITY:  # "findings/impression" is an impression
        if kind in kinds:
            return kind, colon + 1
    return None, pos


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
        kind, content = _header(data, pos, colon, line_end) if colon >= 0 else (None, pos)
        if kind is not None:
            if kind == "addendum":
                part += 1
            section = kind
            seen_header = True
            content_start = content
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
    return data[start : start + 24].lstrip(b" ").startswith(INLINE_IMPRESSION)


def _split_line(
    data: bytes,
    start: int,
    end: int,
    section: str | None,
    part: int,
    line_no: int,
    out: list[Sentence],
) -> None:
    line = data[start:end]
    if not (b". " in line or b"? " in line or b"! " in line):
        _append(data, start, end, section, part, line_no, out)  # the common one-sentence line
        return
    sent_start = start
    for match in _BOUNDARY.finditer(line):
        stop = start + match.start()
        after = start + match.end()
        word_start = max(
            data.rfind(b" ", sent_start, stop), data.rfind(b"(", sent_start, stop), sent_start - 1
        )
        word = data[word_start + 1 : stop]
        if word in _ABBREVIATIONS or len(word) == 1 or (word.isdigit() and len(word) <= 2):
            continue  # "Dr.", initials, list numbers "1."
        _append(data, sent_start, after, section, part, line_no, out)
        sent_start = after
    _append(data, sent_start, end, section, part, line_no, out)


def _append(
    data: bytes,
    start: int,
    end: int,
    section: str | None,
    part: int,
    line: int,
    out: list[Sentence],
) -> None:
    piece = data[start:end]
    stripped = piece.strip(b" ")
    if stripped:
        start += piece.index(stripped[:1])
        out.append(Sentence(start, start + len(stripped), section, part, line))


def index_of(starts: list[int], position: int) -> int:
    """Index of the span (given by sorted starts) that contains ``position``."""
    return bisect_right(starts, position) - 1
