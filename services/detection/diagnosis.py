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

from services.detection.lexicon.findings import LCH
from services.detection.matcher import compile_bytes

if TYPE_CHECKING:
    from services.detection.report import Report

_BENIGN_MIMIC = compile_bytes(
    r"\b(?:ha?emangioma\w*|hemangeoma|meningiomas?|schwann?omas?|neurilemm?omas?|neurinomas?|"
    r"neurofibromas?|neurogenic tumou?rs?|ganglioneuromas?|gangliogliomas?|"
    r"nerve sheath tumou?rs?|extra-?medullary ha?ema?topoie?sis|extra-?medullary "
    r"ha?emopoie?sis|abscess\w*|ha?ematomas?|sseh|burst fractures?|"
    r"tubercul\w*|pott'?s disease|osteoradionecrosis|osteomyelitis|"
    r"osteochondromas?|exostos[ie]s|osteoblastomas?|osteoid osteomas?|aneurysmal bone cysts?|"
    r"giant[- ]cell tumou?rs?|chondroblastomas?|angiolipomas?|brown tumou?rs?|"
    r"(?:herniated|sequestrated|sequestered|extruded|migrated) dis[ck](?: fragment)?|"
    r"dis[ck] (?:fragments?|herniation|sequestration|extrusion)|intervertebral dis[ck]|"
    # Langerhans cell histiocytosis (eosinophilic granuloma): the vertebra plana of children and
    # young adults, a non-metastatic cause of epidural soft tissue (WHO classification of bone
    # tumours, 5th ed., 2020, lists it apart from the malignant tumours)
    rf"{LCH}|"
    r"(?:inflammatory )?pseudotumou?rs?|paget'?s disease|paget disease|arachnoid cysts?)\b"
)
# Words that make a sentence report the definitive diagnosis rather than an imaging impression.
_DEFINITIVE = compile_bytes(
    r"\b(?:patholog\w*|histolog\w*|histopatholog\w*|biops\w*|excision\w*|excised|resect\w*|"
    r"surgery|surgical\w*|operat\w*|intra-?operativ\w*|specimen|cytolog\w*|frozen sections?|"
    # the operation that took the lesion out: spondylectomy, corpectomy, laminectomy
    r"\w+ectom(?:y|ies)|"
    r"immunohistochem\w*|identified as|consistent with|in keeping with|compatible with|"
    r"diagnostic of|characteristic of|"
    r"(?:proved|proven|found|shown|confirmed|turned out) to be|(?:confirmed|proven|proved) as|"
    r"diagnosis (?:of|was)|working diagnosis|"
    r"diagnosed (?:as|with)|"
    # a case report's own subject: "we present two patients with extradural schwannoma"
    r"we (?:present|report|describe)|(?:a|this|the present) case of)\b"
)
# A sentence that states a hypothesis, a differential or a general truth: its malignancy is not
# this patient's diagnosis ("interpreted as metastatic disease", "most often meningiomas").
_HYPOTHESIS = compile_bytes(
    r"\b(?:interpreted|thought|considered|suspected|suspicion|presumed|presumptive|initially|"
    r"differential|mimic\w*|most often|misdiagnos\w*|impression of|favou?red|rule out|r/o|"
    r"mistaken|believed|resembl\w*|indicating)\b"
)
# "Diagnosis:" or "Final diagnosis:" as a header, not "Differential diagnosis:".
_DIAGNOSIS_HEADER = compile_bytes(
    # a teaching file's or quiz's "Answer:" line names its diagnosis too
    r"(?:^|\n|\. ) *(?:final |histological |pathological |working )?(?:diagnosis|answer):"
)
_DIFFERENTIAL = compile_bytes(r"\bdifferential(?: diagnos[ie]s)?\b|\bddx\b")
_LIST_ITEM = compile_bytes(r" *(?:[-*]|[0-9]+[.)]|[a-z][.)]) ")
# Cause words that are only the generic noun ("a tumour"; a schwannoma is a tumour too).
# "A malignant tumour" too: what the imaging called it, overturned by a named benign diagnosis
# ("a malignant compression fracture" names a malignancy of its own).
_GENERIC_MALIGNANT = compile_bytes(r"(?:tumou?r\w*|tumer|neoplas\w*|mass\w*|lesions?)")
_MALIGNANT_WORD = compile_bytes(r"malignan\w*")
_GENERIC_AFTER_MALIGNANT = compile_bytes(r" (?:tumou?r|lesion|neoplasm|process|mass)s?\b")


def _generic(data: bytes, start: int, end: int) -> bool:
    """Whether a cause word is only the generic noun: "tumour", or "malignant" of a "malignant
    tumour" or "malignant lesion"."""
    if _GENERIC_MALIGNANT.fullmatch(data[start:end]) is not None:
        return True
    if _MALIGNANT_WORD.fullmatch(data[start:end]) is not None:
        return _GENERIC_AFTER_MALIGNANT.match(data, end) is not None or (
            _GENERIC_MALIGNANT.match(data, end + 1) is not None
        )
    return False


_QUESTION = compile_bytes(r"\?|\b(?:query|exclude|rule out|r/o)\b")
# In a title, "X mimicking Y" and "X resembling Y" name X as the diagnosis; only doubt about
# the title's own subject makes it a question.
_TITLE_HYPOTHESIS = compile_bytes(
    r"\b(?:suspected|suspicion|possible|probable|presumed|differential|versus|vs)\b"
)

# What follows "but" or "however" is what was found; what precedes it may be the hypothesis
# it overturned ("a haematoma was suspected, but histology confirmed lymphoma").
_CONTRAST = compile_bytes(r"\b(?:but|however|whereas|instead|yet)\b")


EVERYWHERE: frozenset[str] = frozenset()


def benign_diagnosis(report: Report) -> frozenset[str] | None:
    """The levels a benign mimic named as the diagnosis owns (EVERYWHERE when its sentence
    names none), or None: no such diagnosis, or the report names a malignancy of its own.

    A level keeps the rule from reaching past its lesion: "the L2 lesion is consistent with a
    haemangioma" says nothing of the epidural tumour at T7."""
    data = report.data
    if _BENIGN_MIMIC.search(data) is None:  # most reports name none: one scan decides
        return None
    levels: set[str] = set()
    everywhere = named = False
    listed = _differential_items(report)
    for i, s in enumerate(report.sentences):
        if _BENIGN_MIMIC.search(data, s.start, s.end) is None:
            continue
        if s.section == "title":  # "Haemangioma causing cord compression", not "Metastasis
            # resembling a disc herniation" (that title's diagnosis is the metastasis)
            stated = _QUESTION.search(data, s.start, s.end) is None and not states_malignancy(
                data, s.start, s.end
            )
        elif report.readable[i]:
            header = _under_diagnosis_header(report, i) and i not in listed
            stated = any(
                _BENIGN_MIMIC.search(data, start, end) is not None
                and (header or _DEFINITIVE.search(data, start, end) is not None)
                and _HYPOTHESIS.search(data, start, end) is None
                for start, end in _clauses(data, s.start, s.end)
            )
        else:
            stated = False
        if stated:
            named = True
            own = {name for _, names in report.levels[i] for name in names}
            levels |= own
            everywhere = everywhere or not own
    if not named or _malignancy_of_its_own(report, listed):
        return None
    return EVERYWHERE if everywhere else frozenset(levels)


def _differential_items(report: Report) -> set[int]:
    """Sentences that are items of a list a "Differential diagnosis:" line opens: each names a
    possibility, not this patient's disease."""
    data = report.data
    items: set[int] = set()
    open_list = stub = False
    previous_end = 0
    for i, s in enumerate(report.sentences):
        # a header cut off as a sentence of its own ("Differential" / "Diagnosis: ...")
        heading = stub or _DIFFERENTIAL.search(data, previous_end, s.start) is not None
        stub = False
        if _DIFFERENTIAL.search(data, s.start, s.end) is not None:
            open_list = True
            stub = s.end - s.start <= len(b"differential diagnosis")
        elif heading or (open_list and _LIST_ITEM.match(data, s.start) is not None):
            # the sentence a "Differential diagnosis:" header opens, and the list after it
            open_list = True
            items.add(i)
        else:
            open_list = False
        previous_end = s.end
    return items


def _under_diagnosis_header(report: Report, i: int) -> bool:
    """Whether sentence i opens a "Diagnosis:" or "Final diagnosis:" section."""
    s = report.sentences[i]
    previous_end = report.sentences[i - 1].end if i else 0
    # the header may open the sentence itself ("Answer: tuberculous spondylitis")
    return _DIAGNOSIS_HEADER.search(report.data, previous_end, min(s.end, s.start + 24)) is not None


def _clauses(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """The sentence cut at each contrasting conjunction."""
    cuts = [start]
    pos = start
    while (hit := _CONTRAST.search(data, pos, end)) is not None:
        cuts.append(hit.start())
        pos = hit.end()
    cuts.append(end)
    return list(pairwise(cuts))


def _malignancy_of_its_own(report: Report, listed: set[int]) -> bool:
    """Whether a malignancy is named outside a hypothesis and outside a differential list."""
    data = report.data
    for i, mentions in enumerate(report.mentions):
        if not mentions or i in listed:
            continue
        sentence = report.sentences[i]
        doubt = _TITLE_HYPOTHESIS if sentence.section == "title" else _HYPOTHESIS
        clauses = _clauses(data, sentence.start, sentence.end)
        for m in mentions:
            if m.rule.role not in ("metastasis", "malignant") or m.rule.value == "presumed":
                continue
            # A past cancer ("five years earlier, a prostatectomy for carcinoma") is why the
            # mass was thought a metastasis, not what the pathology found.
            if m.assertion.negated or m.assertion.hypothetical or m.assertion.historical:
                continue
            if _generic(data, m.start, m.end):
                continue
            clause = next((c for c in clauses if c[0] <= m.start < c[1]), clauses[-1])
            if doubt.search(data, clause[0], clause[1]) is None:
                return True
    return False


_NAMED_MALIGNANCY = compile_bytes(
    r"\b(?:\w*carcinoma\w*|\w*sarcoma\w*|chordomas?|lymphoma\w*|myeloma\w*|plasmacytomas?|"
    r"metasta\w*|melanoma\w*|leuka?emi\w*|malignan\w*|cancers?|hodgkin\w*|ewing\w*|"
    r"neuroblastomas?|chloromas?|mpnst|paragangliomas?)\b"
)


def states_malignancy(data: bytes, start: int, end: int) -> bool:
    """Whether a title line states a malignancy ("Sacral chordoma", "Granulocytic sarcoma
    presenting as cord compression"), not a question about one ("MRI spine ?metastases"): the
    diagnosis a case or teaching file is filed under, read like its findings."""
    return (
        _NAMED_MALIGNANCY.search(data, start, end) is not None
        and _QUESTION.search(data, start, end) is None
        and _TITLE_HYPOTHESIS.search(data, start, end) is None
    )


def doubted(data: bytes, start: int, end: int) -> bool:
    """Whether the span holds a word of hypothesis ("considered", "thought", "suspected")."""
    return _HYPOTHESIS.search(data, start, end) is not None


def names_malignancy(data: bytes, start: int, end: int) -> bool:
    """Whether the span names a specific malignancy, not just "a tumour"."""
    return _NAMED_MALIGNANCY.search(data, start, end) is not None


# Words that report tissue, not imaging: the diagnosis a biopsy or an operation gave.
_TISSUE = compile_bytes(
    r"\b(?:patholog\w*|histolog\w*|histopatholog\w*|biops\w*|cytolog\w*|immunohistochem\w*|"
    r"specimen|excision\w*|resect\w*|frozen sections?|intra-?operativ\w*|"
    r"(?:proved|proven|turned out) to be|"
    r"(?:confirmed|proven|proved) (?:as|a|an|the)?|confirmed)\b"
)
_DENIED = compile_bytes(
    r"\b(?:no|not|negative|without|excluded|ruled out|free of|benign|non-?malignant)\b"
)


def malignancy_proven(data: bytes, spans: list[tuple[int, int]]) -> bool:
    """Whether one of the spans (readable sentences) reports a malignancy found in tissue:
    "histology confirmed diffuse large B-cell lymphoma", "biopsy: plasmacytoma".

    Case reports tell how the imaging was read and then what the tissue showed; a benign shape
    or a hedged benign impression ("a dumbbell mass suggestive of a nerve sheath tumour") is
    what the histology overturned. A clause that names a benign mimic, doubts, or denies is no
    such statement ("biopsy showed no malignancy", "thought to be lymphoma")."""
    if _TISSUE.search(data) is None:
        return False
    for start, end in spans:
        if _TISSUE.search(data, start, end) is None:
            continue
        for c_start, c_end in _clauses(data, start, end):
            if (
                _TISSUE.search(data, c_start, c_end) is not None
                and _NAMED_MALIGNANCY.search(data, c_start, c_end) is not None
                and _HYPOTHESIS.search(data, c_start, c_end) is None
                and _QUESTION.search(data, c_start, c_end) is None
                and _BENIGN_MIMIC.search(data, c_start, c_end) is None
                and _DENIED.search(data, c_start, c_end) is None
            ):
                return True
    return False
