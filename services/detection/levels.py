"""Vertebral levels as radiologists write them: "T4-6", "T4 to T6", "T4/5", "T 11", "T12-L1".

Ranges expand in cranio-caudal order across regions (C7-T2 is C7, T1, T2). MRI sequence names
(T1, T2 in "T2 hyperintense", "on T1") are not levels, and a disc or foramen ("T11-T12 neural
foramen") names a joint between two levels, not a diseased level.
"""

from __future__ import annotations

from services.detection.matcher import Rule

ORDER: tuple[str, ...] = (
    *(f"C{n}" for n in range(1, 8)),
    *(f"T{n}" for n in range(1, 13)),
    *(f"L{n}" for n in range(1, 6)),
    *(f"S{n}" for n in range(1, 6)),
)
RANK: dict[str, int] = {name: i for i, name in enumerate(ORDER)}

# Named junctions a radiologist uses instead of numbers (SINS junctional segments, Fisher 2010).
JUNCTIONS: dict[bytes, tuple[str, ...]] = {
    b"thoracolumbar": ("T12", "L1"),
    b"cervicothoracic": ("C7", "T1"),
    b"lumbosacral": ("L5", "S1"),
    b"craniocervical": ("C1", "C2"),
    b"craniovertebral": ("C1", "C2"),
    b"atlantoaxial": ("C1", "C2"),
    b"atlanto-axial": ("C1", "C2"),
}

# Number words one to twelve, as speech recognition writes level numbers.
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_SPOKEN = "(?:" + "|".join(_NUMBER_WORDS) + ")"
_ORDINAL_WORDS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}
_ORDINAL = "(?:" + "|".join(_ORDINAL_WORDS) + r"|(?:1[0-2]|[1-9])(?:st|nd|rd|th))"
_REGION_WORDS = {
    "cervical": "C",
    "thoracic": "T",
    "thoracal": "T",
    "dorsal": "T",
    "lumbar": "L",
    "sacral": "S",
}

LEVEL_RULES: tuple[Rule, ...] = (
    # "T8", "T 8", "T-8"; a range "T4-6", "T4 to mid-T8"; from one disc level to another,
    # "from the T3-4 to the T7-8 level" (T3 to T8).
    Rule(
        "level",
        r"[ctls][ -]?(?:1[0-2]|[1-9])(?: ?(?:-|to|through|thru|until|/) ?(?:the )?"
        r"(?:(?:mid|upper|lower)[- ])?(?:[ctls][ -]?|d)?(?:1[0-2]|[1-9]))?"
        r"(?: (?:to|through|thru|until) (?:the )?(?:(?:mid|upper|lower)[- ])?[ctls][ -]?"
        r"(?:1[0-2]|[1-9])(?: ?[-/] ?(?:[ctls] ?)?(?:1[0-2]|[1-9]))?)?",
        "level",
    ),
    # Dorsal numbering (D1-D12 for T1-T12), still written in European and South Asian reports
    # (Gray's Anatomy, 42nd ed., vertebral column: "thoracic (dorsal) vertebrae"). No space is
    # allowed after the "D", which would read "grade D 1" as a level.
    Rule(
        "dorsal_level",
        r"d(?:1[0-2]|[1-9])(?: ?(?:-|to|through|thru|until|/) ?(?:the )?(?:[dtl] ?)?"
        r"(?:1[0-2]|[1-9]))?",
        "level",
    ),
    # "Th9", "Th8-Th10", "Th12/L1": the thoracic abbreviation of Scandinavian and German reports.
    Rule(
        "th_level",
        r"th ?(?:1[0-2]|[1-9])(?: ?(?:-|to|through|thru|until|/) ?(?:the )?(?:th ?|[tl] ?)?"
        r"(?:1[0-2]|[1-9]))?",
        "level",
    ),
    # German vertebral-body abbreviations written in English reports: HWK, BWK, LWK
    # (Halswirbelkoerper, Brustwirbelkoerper, Lendenwirbelkoerper) for C, T, L.
    Rule(
        "german_level",
        r"(?:hwk|bwk|lwk) ?(?:1[0-2]|[1-9])(?: ?(?:-|to|/) ?(?:(?:hwk|bwk|lwk) ?)?"
        r"(?:1[0-2]|[1-9]))?",
        "level",
    ),
    # Levels as speech recognition spells them ("T nine to T ten"): the letter stands alone
    # and the number is a word, so "T2 weighted" stays a sequence and "at one level" no level.
    Rule(
        "spoken_level",
        rf"[ctls] {_SPOKEN}(?: ?(?:-|to|through|thru|until) ?(?:the )?(?:[ctls] )?{_SPOKEN})?",
        "level",
    ),
    # "The second and third cervical vertebrae", "the 2nd lumbar vertebral body", "the seventh
    # and eighth thoracic canals": case reports, and English written by non-native writers.
    Rule(
        "ordinal_level",
        rf"{_ORDINAL}(?: ?(?:and|to|through|-|or) ?(?:the )?{_ORDINAL})? "
        r"(?:cervical|thoracic|thoracal|dorsal|lumbar|sacral)",
        "level",
    ),
    # "Thoracal 1-2 vertebral level", "lumbar 3 vertebra": the region named as a word.
    Rule(
        "region_word_level",
        r"(?:cervical|thoracic|thoracal|dorsal|lumbar|sacral) (?:1[0-2]|[1-9])"
        r"(?: ?(?:-|to|and) ?(?:1[0-2]|[1-9]))?",
        "level",
    ),
    # "Vertebral levels counted from C2": how the levels were numbered, not a diseased level.
    Rule(
        "numbering_from",
        r"(?:counted|numbered|numbering|counting) (?:down |up )?from (?:the )?[ctls] ?\d{1,2}",
        "ignore",
    ),
    Rule(
        "junction",
        r"(?:thoracolumbar|cervicothoracic|lumbosacral|craniocervical|"
        r"craniovertebral|atlanto-?axial) junction",
        "junction",
    ),
)

_SEQUENCE_AFTER = (
    b"weighted",
    b"w ",
    b"hyper",
    b"hypo",
    b"iso",
    b"signal",
    b"flair",
    b"stir",
    b"fat",
    b"sequence",
    b"image",
    b"imaging",
    b"bright",
    b"dark",
    b"dixon",
    b"shortening",
    b"prolong",
    b"post",
    b"pre",
    b"gad",
    b"fs ",
    b"tse",
    b"fse",
    b"map",
    b"intens",
    b"-weighted",
    b"w/",
    b"mapping",
    b"relaxation",
    b"wi ",
    b"sagittal",
    b"axial",
    b"coronal",
    b"wi)",
    b"wi,",
    b"wi.",
    b"(fig",
)
# "T1 and T2 hyperintense": a second sequence name between the first and the signal word.
_SECOND_SEQUENCE = (
    b"and t1",
    b"and t2",
    b"and stir",
    b"or t1",
    b"or t2",
    b"/t1",
    b"/t2",
    b"/stir",
    b"-t2",
    b", t2",
    b",t2",
)
_SEQUENCE_BEFORE = frozenset(
    b"on high low intermediate sagittal axial coronal increased decreased bright dark both "
    b"heterogeneous homogeneous hyperintense hypointense isointense and/or pre post "
    b"post-contrast postcontrast pre-contrast precontrast contrast-enhanced post-gadolinium "
    b"gadolinium-enhanced fat-saturated fat-suppressed contrast".split()
)
_NOT_A_LEVEL_AFTER = (
    b"neural foram",
    b"foram",
    b"disc",
    b"interspace",
    b"intervertebral",
    b"facet",
    b"disk",
    b"level disc",
    b"dermatom",
)
# Levels an operation names ("instrumented stabilization L3-L5", "laminectomy of D2") are where
# the surgeon worked, not where the lesion is.
_OPERATION_BEFORE = frozenset(
    b"stabilization stabilisation fixation fusion laminectomy laminectomies laminotomy "
    b"corpectomy instrumentation vertebroplasty kyphoplasty hemilaminectomy".split()
)
_MAX = {"C": 7, "T": 12, "L": 5, "S": 5}
# A level in brackets after "superior" or "below" gives how far something else reaches (cord
# signal "superior (T6) and inferior (T9) to these levels"), not a level of the lesion.
_EXTENT_BEFORE = tuple(
    word + b" (" for word in (b"superior", b"inferior", b"above", b"below", b"cranial", b"caudal")
)


def _is_sequence(data: bytes, start: int, end: int) -> bool:
    after = data[end : end + 24].lstrip(b" ,-")
    for second in _SECOND_SEQUENCE:
        if after.startswith(second):
            after = after[len(second) :].lstrip(b" ,-")
            break
    if after.startswith(_SEQUENCE_AFTER):
        return True
    before = data[max(0, start - 16) : start].split()
    return bool(before) and before[-1].strip(b"(,") in _SEQUENCE_BEFORE


def parse(data: bytes, start: int, end: int, rule: Rule) -> tuple[str, ...]:
    """The levels a level match names, in cranio-caudal order; () when it is not a level."""
    text = data[start:end]
    if rule.role == "ignore":
        return ()
    if rule.role == "junction":
        return JUNCTIONS.get(text.split()[0], ())
    if rule.name == "dorsal_level" and data[max(0, start - 8) : start].endswith(b"vitamin "):
        return ()  # "vitamin D3"
    if data[max(0, start - 12) : start].endswith(_EXTENT_BEFORE):
        return ()  # "cord signal superior (T6) and inferior (T9) to these levels"
    before = [w for w in data[max(0, start - 32) : start].split() if w not in (b"of", b"at")]
    if before and before[-1] in _OPERATION_BEFORE:
        return ()
    if rule.name in ("ordinal_level", "region_word_level"):
        if data[end : end + 16].lstrip(b" ").startswith(_NOT_A_LEVEL_AFTER):
            return ()  # "the lumbar 4-5 disc"
        return _worded(text)
    digits = text[1:].lstrip(b" -")[:2]
    if rule.name == "spoken_level":  # "t one", "t two": the sequence names, spoken
        digits = str(_NUMBER_WORDS.get(text[1:].split()[0].decode("ascii"), 0)).encode("ascii")
    if (
        text[:1] == b"t"
        and digits[:1] in (b"1", b"2")
        and not digits[1:2].isdigit()
        and _is_sequence(data, start, end)
    ):
        return ()
    if data[end : end + 16].lstrip(b" ").startswith(_NOT_A_LEVEL_AFTER):
        return ()
    return _expand(text)


def _worded(text: bytes) -> tuple[str, ...]:
    """ "second and third cervical" is C2-C3; "thoracal 1-2" is T1-T2."""
    words = text.decode("ascii").replace("-", " - ").split()
    region = next((_REGION_WORDS[w] for w in words if w in _REGION_WORDS), None)
    numbers = []
    for word in words:
        if word in _ORDINAL_WORDS:
            numbers.append(_ORDINAL_WORDS[word])
        elif word[:2].isdigit() or word[:1].isdigit():
            digits = word[:2] if word[:2].isdigit() else word[:1]
            numbers.append(int(digits))
    if region is None or not numbers or any(not 1 <= n <= _MAX[region] for n in numbers):
        return ()
    low, high = min(numbers), max(numbers)
    if high - low > 12:
        return ()
    return ORDER[RANK[f"{region}{low}"] : RANK[f"{region}{high}"] + 1]


def foramen_levels(data: bytes, start: int, end: int) -> tuple[str, ...]:
    """The two levels of a named foramen ("the T9-T10 foramen"); () for anything else."""
    if not data[end : end + 16].lstrip(b" ").startswith((b"foram", b"neural foram")):
        return ()
    return _expand(data[start:end])


def _expand(text: bytes) -> tuple[str, ...]:
    found = _EXPANDED.get(text)
    if found is None:
        if len(_EXPANDED) > 20_000:
            _EXPANDED.clear()
        found = _EXPANDED[text] = _expand_uncached(text)
    return found


_EXPANDED: dict[bytes, tuple[str, ...]] = {}


def _expand_uncached(text: bytes) -> tuple[str, ...]:
    words = text.decode("ascii")
    if any(word in words for word in _NUMBER_WORDS):  # "t nine to t ten": digits first
        words = " ".join(str(_NUMBER_WORDS.get(w, w)) for w in words.split())
    chars = words.upper().replace(" ", "")
    for german, region in (("HWK", "C"), ("BWK", "T"), ("LWK", "L")):
        chars = chars.replace(german, region)
    if chars[:1] == "D":  # dorsal numbering: D11-D12 is T11-T12 (no separator has a "D")
        chars = chars.replace("D", "T")
    for word in ("THE", "MID-", "UPPER-", "LOWER-", "MID", "UPPER", "LOWER"):
        chars = chars.replace(word, "")
    for region in "CTLS":  # "T-8" is T8: a hyphen after the letter is no range
        chars = chars.replace(region + "-", region)
    for sep in ("THROUGH", "THRU", "UNTIL", "TO", "-", "/"):
        chars = chars.replace(sep, "~") if sep in chars[1:] else chars
    tokens = chars.split("~")
    # the first and last levels named: "T3-4 to T7-8" runs from T3 to T8
    first, second = tokens[0], (tokens[-1] if len(tokens) > 1 else "")
    first = _thoracic(first)
    second = _thoracic(second)
    if second[:1] == "D" and second[1:].isdigit():  # "C7-D5": the dorsal T5
        second = "T" + second[1:]
    low = _level(first, first[:1])
    if low is None:
        return ()
    if not second:
        return (low,)
    high = _level(second, first[:1])
    if high is None or RANK[high] < RANK[low] or RANK[high] - RANK[low] > 12:
        return (low,)
    return ORDER[RANK[low] : RANK[high] + 1]


def _thoracic(token: str) -> str:
    """ "TH8" (the Scandinavian and German abbreviation) is T8."""
    return "T" + token[2:] if token[:2] == "TH" and token[2:3].isdigit() else token


def _level(token: str, region: str) -> str | None:
    if token[:1].isalpha():
        region, token = token[:1], token[1:]
    if not token.isdigit() or region not in _MAX:
        return None
    number = int(token)
    return f"{region}{number}" if 1 <= number <= _MAX[region] else None


def ordered(levels: set[str]) -> list[str]:
    """Levels in cranio-caudal order."""
    return sorted(levels, key=RANK.__getitem__)
