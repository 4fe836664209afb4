"""Report text as the detector reads it: normalised bytes, sections and sentences with offsets.

Every offset produced here indexes the ORIGINAL text: normalisation only ever replaces one
character by one byte (and an HL7 line-break escape by a same-length run), so evidence can be
highlighted in the report exactly as the radiologist signed it.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from functools import partial
from itertools import pairwise
from typing import NamedTuple

from services.detection.lexicon.sections import (
    FINAL_READ_HEADERS,
    HEADER_KINDS,
    INLINE_IMPRESSION,
    KIND_PRIORITY,
)

# Unicode dashes, quotes and spaces to their ASCII look-alike; "~" is the HL7 repetition
# separator that flattened interfaces use as a line break (HL7 v2.5 section 2.5.5).
_TRANSLATE = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\t": " ",
        "\r": "\n",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "~": "\n",
        "\u2265": ">",
        "\u2264": "<",
    }
)
# Latin letters with a diacritic to their base letter, one code point for one ("compresión",
# "médula", "Kümmell", "Pötzl"): reports from many countries, and names, keep their accents, and
# a rule written in ASCII should read them. Only letters whose canonical decomposition starts
# with an ASCII letter (U+00C0-U+024F) are folded; the rest become spaces as before.
_TRANSLATE.update(
    {
        code: base[0]
        for code in range(0x00C0, 0x0250)
        if (base := unicodedata.normalize("NFD", chr(code)))[0].isascii()
        and base[0].isalpha()
        and code != 0x0130  # "İ" lowers to two code points; _lowered handles it
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
    return normalised(*lowered(text))


def normalised(translated: str | bytes, data: bytes) -> bytes:
    """``normalise`` from what ``lowered`` gave, so a caller that scanned ``scan_from`` of the
    same pair does not translate and lower the text twice."""
    if b":" in data or b"signed" in data or b"verified" in data:
        if isinstance(translated, bytes):  # ASCII text: its translation, decoded when needed
            translated = translated.decode("ascii")
        data = _break_inline_headers(translated, data)
    return _hl7_breaks(data)


def scan_bytes(text: str) -> bytes:
    """``normalise`` without its inline-header line breaks, for the prefilter: those only turn
    spaces into line breaks, and no rule the prefilter holds matches a line break where it
    would not match a space, so this text has every prefilter hit ``normalise``'s has."""
    return scan_from(lowered(text)[1])


def scan_from(data: bytes) -> bytes:
    """``scan_bytes`` from the bytes ``lowered`` gave."""
    return _hl7_breaks(data)


# For ASCII text, ``_TRANSLATE`` changes only these three characters.
_ASCII_TRANSLATE = bytes.maketrans(b"\t\r~", b" \n\n")


def lowered(text: str) -> tuple[str | bytes, bytes]:
    """The translated text (ASCII text as bytes: the same characters, decoded when needed) and
    its lower-case bytes with wrapped prose lines joined."""
    if text.isascii():  # most reports: bytes operations, the same result as the general path
        raw = text.encode("ascii").translate(_ASCII_TRANSLATE)
        data = raw.lower()  # ASCII lower-casing, as str.lower() on ASCII text
        if b"\n" in data:
            data = _set_bytes(data, _wrapped_breaks(raw), 0x20)
        return raw, data
    return _lowered(text)


def _lowered(text: str) -> tuple[str, bytes]:
    translated = text.translate(_TRANSLATE)
    lowered = translated.lower()
    if len(lowered) != len(translated):  # e.g. "İ" lowers to two code points: keep offsets
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in translated)
    data = lowered.encode("ascii", "cordwatch_space")
    if b"\n" in data:
        data = _join_wrapped_lines(translated, data)
    return translated, data


# A line break inside a sentence: text copied from a PDF or a fixed-width page wraps its lines
# ("Spinal cord compression is generally\nseen due to ..."). A lower-case word after a line
# that ends in a lower-case letter, a digit or a comma continues the sentence; headers and list
# items open with a capital or a digit, so they keep their line.
_WRAPPED = re.compile(r"(?<=[a-z0-9,])\n(?=[a-z])")
# The same on ASCII bytes, the line break first: the engine then looks only at line breaks.
_WRAPPED_BYTES = re.compile(rb"\n(?<=[a-z0-9,]\n)(?=[a-z])")


def _wrapped_breaks(raw: bytes) -> list[int]:
    return [m.start() for m in _WRAPPED_BYTES.finditer(raw)]


def _join_wrapped_lines(translated: str, data: bytes) -> bytes:
    """The line breaks of wrapped prose turned into spaces, one byte for one."""
    return _set_bytes(data, [m.start() for m in _WRAPPED.finditer(translated)], 0x20)


def _set_bytes(data: bytes, positions: list[int], value: int) -> bytes:
    """``data`` with the byte at each position replaced by ``value``: offsets never move."""
    if not positions:
        return data
    out = bytearray(data)
    for at in positions:
        out[at] = value
    return bytes(out)


def _hl7_breaks(data: bytes) -> bytes:
    if b"\\" in data:
        for escape in _HL7_BREAKS:
            if escape in data:
                data = data.replace(escape, b"\n" + b" " * (len(escape) - 1))
    return data


# Words a section label is made of ("CLINICAL HISTORY", "REASON FOR EXAM", "FINAL IMPRESSION"):
# the header words themselves plus the few connectors and qualifiers labels use with them.
_LABEL_WORDS = frozenset(HEADER_KINDS) | {
    "for",
    "of",
    "and",
    "the",
    "exam",
    "final",
    "preliminary",
    "provisional",
    "additional",
    "radiological",
    "key",
    "main",
    "mri",
    "mr",
    "ct",
    "imaging",
}
# Sentence ends after which a Title-case label opens a section ("... cord compression. Findings:").
_SENTENCE_END = frozenset(".;!?)]")
# A signature block that an interface ran onto the end of the report's last line.
_INLINE_SIGNOFF = re.compile(
    rb" (?=(?:electronically (?:signed|verified|authori[sz]ed)|(?:reported|verified|dictated|"
    rb"signed|authori[sz]ed) by:))"
)


def _label_start(text: str, colon: int, *, headers_only: bool) -> int:
    """Where the label of up to four words that ends at ``colon`` begins, or -1.

    With ``headers_only`` the label must be a section header ("CLINICAL HISTORY", "REASON FOR
    EXAM"); otherwise any words will do ("Epidural space", "Cord signal").
    """
    start = -1
    end = colon
    while end > 0 and text[end - 1] == " ":
        end -= 1  # "FINDINGS :"
    if end > 0 and text[end - 1] == ")":  # "ADDENDUM (06/15/2024 08:40):"
        end = text.rfind("(", max(0, end - 40), end)
        while end > 0 and text[end - 1] == " ":
            end -= 1
    words = 0
    while words < 4 and end > 0:
        begin = end
        while begin > 0 and text[begin - 1].isalpha():
            begin -= 1
        word = text[begin:end].lower()
        if not word:
            break
        if headers_only and (word not in _LABEL_WORDS or (words == 0 and word not in HEADER_KINDS)):
            break
        start = begin
        words += 1
        end = begin
        if end > 0 and text[end - 1] in "/&-":
            end -= 1
        if end > 0 and text[end - 1] == " ":
            end -= 1
    return start


def _line_break_before_label(text: str, colon: int) -> int:
    """The space to turn into a line break before the label ending at ``colon``, or -1.

    A section header breaks the line when it opens with a capital; a sub-heading of another name
    ("Epidural space:", "Cord:") only when it opens a sentence.
    """
    for headers_only in (True, False):
        start = _label_start(text, colon, headers_only=headers_only)
        if start <= 0 or text[start - 1] != " " or not text[start].isupper():
            continue
        before = text[:start].rstrip(" ")
        if not before or before[-1] == "\n":
            return -1  # already at the start of a line
        label = text[start:colon]
        # A header label opening with a capital ("MRI findings:", "Impression:") heads a
        # section mid-line, but not a short one ("Re:", "Hx:") that prose can hold; another
        # label only when it opens a sentence.
        if before[-1] in _SENTENCE_END or (headers_only and (" " in label or len(label) > 4)):
            return start - 1
    return -1


# A word's first letter, not a lower-case ASCII one (a superset of the capitals a label opens
# with), after spaces that follow something on the same line: what a mid-line label needs.
_MAY_BREAK = re.compile(r"[^ ] +[^\W\d_a-z]")


def _break_inline_headers(text: str, data: bytes) -> bytes:
    """Start a new line at each section header an interface ran into the line before.

    Integration engines flatten reports onto one line ("CLINICAL HISTORY: ... FINDINGS: ...");
    read as one line, the whole report would belong to its first section. A label is a header
    mid-line when it opens with a capital and names a section, or opens a sentence. The space
    before it becomes a line break, one byte for one, so offsets into the report are unchanged.
    """
    breaks: list[int] = []
    colon = text.find(":")
    while colon > 0:
        # A break needs a label word opening with a capital after a space, with words before
        # it on its line; most colons have none ("FINDINGS:", "Alignment:", "08:40").
        segment = text[text.rfind("\n", 0, colon) + 1 : colon]
        if ")" in segment or _MAY_BREAK.search(segment) is not None:
            at = _line_break_before_label(text, colon)
            if at >= 0:
                breaks.append(at)
        colon = text.find(":", colon + 1)
    breaks.extend(match.start() for match in _INLINE_SIGNOFF.finditer(data))
    return _set_bytes(data, breaks, 0x0A)


class Sentence(NamedTuple):
    """A sentence of the report: its span, section kind, report part and line."""

    start: int
    end: int
    section: str | None  # title, history, technique, findings, impression, addendum or None
    part: int  # 0 for the signed report, 1.. for each addendum that follows it
    line: int


# tuple.__new__ builds a Sentence without the generated __new__'s Python-level call.
_sentence: Callable[[tuple[int, int, str | None, int, int]], Sentence] = partial(
    tuple.__new__, Sentence
)
_HEADER_BYTES = {word.encode(): kind for word, kind in HEADER_KINDS.items()}
_PRIORITY = {kind: rank for rank, kind in enumerate(KIND_PRIORITY)}
# A question written on the line after a one-line history ("Back pain. ?MSCC"). Literal
# alternation without quantifiers: the stdlib engine cannot backtrack on it.
_QUESTION = re.compile(rb"\?|r/o|rule out|query|evaluate for|assess for|to exclude|exclude ")
_LABEL_CHARS = b"abcdefghijklmnopqrstuvwxyz /&'-"
_ONE_LINE_KINDS = frozenset({"history", "technique", "title"})
# The first line of a signature block: who reported, verified or signed the report.
_SIGNOFF = re.compile(
    rb"(?:reported|verified|dictated|typed|transcribed|signed|authori[sz]ed|approved|checked|"
    rb"electronically signed|electronically verified) by\b|electronically (?:signed|verified|"
    rb"authori[sz]ed)|report (?:status|checked|verified|authori[sz]ed|signed)|(?:reporting |"
    rb"attending )?radiologist:|dr\.? [a-z]"
)
_CONTENT_KINDS = frozenset({None, "findings", "impression", "addendum"})
# One entry of a grading-scale legend a department prints under its reports ("1b = deformation
# of the thecal sac"). Fixed alternatives: the stdlib engine cannot backtrack on it.
_LEGEND_ENTRY = re.compile(rb"(?:^|[;,:(] ?)(?:0|1a|1b|1c|2|3) ?[=:]")
# A line that opens with the prior study describes that study, whatever else its label says.
_COMPARISON_WORDS = frozenset({b"comparison", b"comparisons", b"compared"})
# Fixed two-byte pattern: no quantifier, so the stdlib engine cannot backtrack on it.
_BOUNDARY = re.compile(rb"[.!?] ")
_ABBREVIATIONS = frozenset(
    b"dr mr mrs ms st vs approx e.g i.e eg ie fig no nos prof dept inc etc cf resp est".split()
)


def _header(line: bytes, colon: int) -> tuple[str | None, int]:
    """The section kind a line's leading "Label:" names, and where its content starts."""
    key = line[: colon + 1]
    known = _HEADERS_SEEN.get(key)
    if known is None:
        known = _parse_header(line, colon)
        if known[1] == colon + 1 or known[0] is None:  # cacheable: depends only on the label
            if len(_HEADERS_SEEN) > 10_000:
                _HEADERS_SEEN.clear()
            _HEADERS_SEEN[key] = known
    return known


_HEADERS_SEEN: dict[bytes, tuple[str | None, int]] = {}
# A figure's panels before and after a treatment are studies, not the treatment history.
_PANEL_WHEN = frozenset({b"before", b"after", b"pre", b"post"})
_PANEL_TREATMENT = frozenset(
    {b"treatment", b"therapy", b"radiotherapy", b"chemotherapy", b"surgery", b"operation"}
)


def _parse_header(line: bytes, colon: int) -> tuple[str | None, int]:
    label = line[:colon]
    if b"(" in label and b")" not in label:  # "ADDENDUM (06/15/2024 08:40):"
        close = line.find(b")", colon)
        colon = line.find(b":", close) if close >= 0 else -1
        if colon < 0:
            return None, 0
        label = line[:colon]
    label = label.lstrip(b" *#>_=-").rstrip()
    if label[:1].isdigit():  # a numbered header "2. Impression:"
        label = label.lstrip(b"0123456789").lstrip(b".) ")
    base = label.split(b"(", 1)[0]
    if base.split(b" ", 1)[0] in _COMPARISON_WORDS:  # "Comparison MRI 5 months ago: ..."
        return "technique", colon + 1
    if not base[:1].isalpha() or len(base) > 41 or base.translate(None, _LABEL_CHARS):
        return None, 0
    if any(phrase in base for phrase in FINAL_READ_HEADERS):
        return "addendum", colon + 1  # the final read that follows a preliminary one
    words = base.replace(b"/", b" ").replace(b"-", b" ").split()
    if b"case" in words:  # "Case presentation:", "Clinical case:": the case as found
        return "findings", colon + 1
    if _PANEL_WHEN.intersection(words) and _PANEL_TREATMENT.intersection(words):
        return "findings", colon + 1  # a caption's panel label: "Before treatment: (A) ..."
    best: str | None = None
    for word in words:
        kind = _HEADER_BYTES.get(word)
        if kind is not None and (best is None or _PRIORITY[kind] < _PRIORITY[best]):
            best = kind  # "findings/impression" is an impression
    return (best, colon + 1) if best is not None else (None, 0)


def split(data: bytes) -> list[Sentence]:
    """Split normalised text into sentences, each tagged with its section and report part."""
    out: list[Sentence] = []
    append = out.append
    section: str | None = None
    part = 0
    seen_header = one_line_section = signed = has_content = False
    pos = 0
    for line_no, line in enumerate(data.split(b"\n")):
        line_start = pos
        pos += len(line) + 1
        colon = line.find(b":", 0, 64)
        if colon > 0:
            kind, content = _HEADERS_SEEN.get(line[: colon + 1]) or _header(line, colon)
        elif 0 < len(line) <= 40 and len(line.split()) <= 3 and b"." not in line:
            kind, _ = _header(line, len(line))  # "FINDINGS" alone on its line
            content = len(line) if kind is not None else 0
        else:
            kind, content = None, 0
        if kind is not None:
            if kind == "addendum":
                part += 1
            section = kind
            seen_header = True
            # "Indication: 67M, back pain." covers its own line; a bare "HISTORY:" heads a block.
            one_line_section = kind in _ONE_LINE_KINDS and bool(line[content:].strip())
        elif not seen_header and line_no == 0 and b"." not in line and b"\n" in data.rstrip():
            section = "title"  # the exam title line of a report that has no header above it
        elif one_line_section and section == "history" and _QUESTION.search(line):
            pass  # "?cord compression" on the line after "Clinical details: ...": still asking
        elif section == "title" or one_line_section:
            section = None
            one_line_section = False
        elif section in _ONE_LINE_KINDS and not line.strip():
            section = None  # a blank line ends a history or technique block
        if kind is not None:
            signed = False  # a header after the signature (an addendum) opens content again
        elif signed or (has_content and len(line) <= 160 and _SIGNOFF.match(line.lstrip(b" *-_>"))):
            # The signature block and what follows it: names, verification, and department
            # boilerplate ("MRI requests for suspected MSCC must be discussed with ...").
            signed = True
            section = "signoff"
        body = line[content:] if content else line
        stripped = body.strip(b" ")
        has_content = has_content or (bool(stripped) and section in _CONTENT_KINDS)
        if not stripped:
            continue
        kind = section
        if section in ("findings", None) and stripped.startswith(INLINE_IMPRESSION):
            kind = "impression"  # "In summary, ..." closes a letter-style report
        if b"=" in body and len(_LEGEND_ENTRY.findall(body)) >= 3:
            kind = "legend"  # "ESCC grading: 0 = bone only; 1a = ...": the scale, not the patient
        base = line_start + content
        if not (b". " in body or b"? " in body or b"! " in body):  # one sentence: most lines
            first = base + body.index(stripped[:1])
            append(_sentence((first, first + len(stripped), kind, part, line_no)))
            continue
        cuts = [0]
        for match in _BOUNDARY.finditer(body):
            stop = match.start()
            sent_start = cuts[-1]
            word_start = max(
                body.rfind(b" ", sent_start, stop),
                body.rfind(b"(", sent_start, stop),
                sent_start - 1,
            )
            word = body[word_start + 1 : stop]
            if word in _ABBREVIATIONS or len(word) == 1 or (word.isdigit() and len(word) <= 2):
                continue  # "Dr.", initials, list numbers "1."
            cuts.append(match.end())
        cuts.append(len(body))
        for start, end in pairwise(cuts):
            piece = body[start:end]
            stripped = piece.strip(b" ")
            if stripped:
                first = base + start + piece.index(stripped[:1])
                append(_sentence((first, first + len(stripped), kind, part, line_no)))
    return out
