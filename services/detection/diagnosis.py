"""The final diagnosis a report gives, when it names one: the benign lesion that owns its mass.

Case reports, captions and teaching files tell a story: the imaging "was interpreted as
metastatic disease", then "pathology revealed a benign haemangioma". A radiologist's report can
do the same with a title ("Aggressive vertebral haemangioma causing cord compression"). Read
finding by finding, such a text is a tumour compressing the cord; read as a whole, its tumour is
the benign lesion named as the diagnosis. Benign lesions that compress the cord and are mistaken
for tumour at imaging are the recognised MESCC mimics: aggressive haemangioma, meningioma,
schwannoma and other nerve sheath tumours, extramedullary haematopoiesis, abscess and
tuberculosis, epidural haematoma, osteoradionecrosis (NICE NG234 section 1.4 asks for the
definitive diagnosis; Cole & Patchell, Lancet Neurol 2008;7:459-66, list the differential).

The rule: a benign mimic named as the diagnosis (a title, or a sentence that reports
histology, surgery or a proven diagnosis) decides, unless the report also names a specific
malignancy outside an interpretation it later overturns ("this was interpreted as metastases").
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from services.detection.matcher import compile_bytes

if TYPE_CHECKING:
    from services.detection.report import Report

_BENIGN_MIMIC = compile_bytes(
    r"\b(?:ha?emangioma\w*|hemangeoma|meningiomas?|schwannomas?|neurofibromas?|"
    r"nerve sheath tumou?rs?|extra-?medullary ha?ematopoie?sis|abscess\w*|ha?ematomas?|sseh|"
    r"tubercul\w*|pott'?s disease|osteoradionecrosis|osteomyelitis|"
    r"(?:herniated|sequestrated|sequestered|extruded|migrated) dis[ck](?: fragment)?|"
    r"dis[ck] (?:fragment|herniation|sequestration|extrusion))\b"
)
# Words that make a sentence report the definitive diagnosis rather than an imaging impression.
_DEFINITIVE = compile_bytes(
    r"\b(?:patholog\w*|histolog\w*|histopatholog\w*|biops\w*|excision\w*|excised|resect\w*|"
    r"surgery|surgical\w*|operat\w*|intra-?operativ\w*|specimen|cytolog\w*|"
    r"immunohistochem\w*|identified as|"
    r"(?:proved|proven|found|shown|confirmed|turned out) to be|diagnosis (?:of|was)|"
    r"diagnosed (?:as|with))\b"
)
# A sentence that states a hypothesis, a differential or a general truth: its malignancy is not
# this patient's diagnosis ("interpreted as metastatic disease", "most often meningiomas").
_HYPOTHESIS = compile_bytes(
    r"\b(?:interpreted|thought|considered|suspected|suspicion|presumed|presumptive|initially|"
    r"differential|mimic\w*|most often|misdiagnos\w*|impression of|favou?red|rule out|r/o|"
    r"mistaken|believed|resembl\w*)\b"
)
# Malignancy words that name a disease, not just "a tumour" (a schwannoma is a tumour too).
_GENERIC_MALIGNANT = compile_bytes(r"(?:tumou?r\w*|tumer|neoplas\w*|mass\w*|lesions?)")
_QUESTION = compile_bytes(r"\?|\b(?:query|exclude|rule out|r/o)\b")


# What follows "but" or "however" is what was found; what precedes it may be the hypothesis
# it overturned ("a haematoma was suspected, but histology confirmed lymphoma").
_CONTRAST = compile_bytes(r"\b(?:but|however|whereas|instead|yet)\b")


def benign_diagnosis(report: Report) -> bool:
    """Whether the report names a benign mimic as its diagnosis and no malignancy of its own."""
    data = report.data
    named = False
    for i, s in enumerate(report.sentences):
        if _BENIGN_MIMIC.search(data, s.start, s.end) is None:
            continue
        if s.section == "title":
            named = named or _QUESTION.search(data, s.start, s.end) is None
            continue
        if not report.readable[i]:
            continue
        for start, end in _clauses(data, s.start, s.end):
            if (
                _BENIGN_MIMIC.search(data, start, end) is not None
                and _DEFINITIVE.search(data, start, end) is not None
                and _HYPOTHESIS.search(data, start, end) is None
            ):
                named = True
    return named and not _malignancy_of_its_own(report)


def _clauses(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """The sentence cut at each contrasting conjunction."""
    cuts = [start]
    pos = start
    while (hit := _CONTRAST.search(data, pos, end)) is not None:
        cuts.append(hit.start())
        pos = hit.end()
    cuts.append(end)
    return list(pairwise(cuts))


def _malignancy_of_its_own(report: Report) -> bool:
    data = report.data
    for i, mentions in enumerate(report.mentions):
        if not mentions:
            continue
        sentence = report.sentences[i]
        clauses = _clauses(data, sentence.start, sentence.end)
        for m in mentions:
            if m.rule.role not in ("metastasis", "malignant") or m.rule.value == "presumed":
                continue
            if m.assertion.negated or m.assertion.hypothetical:
                continue
            if _GENERIC_MALIGNANT.fullmatch(data[m.start : m.end]) is not None:
                continue
            clause = next((c for c in clauses if c[0] <= m.start < c[1]), clauses[-1])
            if _HYPOTHESIS.search(data, clause[0], clause[1]) is None:
                return True
    return False


_NAMED_MALIGNANCY = compile_bytes(
    r"\b(?:\w*carcinoma\w*|\w*sarcoma\w*|chordomas?|lymphoma\w*|myeloma\w*|plasmacytomas?|"
    r"metasta\w*|melanoma\w*|leuka?emi\w*|malignan\w*|cancers?)\b"
)


def states_malignancy(data: bytes, start: int, end: int) -> bool:
    """Whether a title line states a malignancy ("Sacral chordoma", "Granulocytic sarcoma
    presenting as cord compression"), not a question about one ("MRI spine ?metastases"): the
    diagnosis a case or teaching file is filed under, read like its findings."""
    return (
        _NAMED_MALIGNANCY.search(data, start, end) is not None
        and _QUESTION.search(data, start, end) is None
        and _HYPOTHESIS.search(data, start, end) is None
    )
