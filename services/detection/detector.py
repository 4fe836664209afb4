"""detect(): one radiology report in, a Detection with evidence for every field out.

Pure: no I/O, no logging, no clock. The verdict follows how radiologists write: a history or
indication asks, it does not find; the impression outranks the findings; a later addendum that
is decisive replaces what came before it; a finding counts only when it is current, asserted or
suspected (hedges count, NICE NG234: suspected MSCC is treated as MSCC), and caused by tumour.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from models.detection import HIGH_GRADES, Detection, SinsImaging
from services.detection.diagnosis import names_malignancy
from services.detection.evidence import EvidenceLog, built
from services.detection.levels import ordered
from services.detection.lexicon.findings import EXTRADURAL
from services.detection.matcher import compile_bytes
from services.detection.prefilter import may_detect
from services.detection.report import (
    EPIDURAL_NAMED,
    NARROWED_CANAL,
    TARGET_ROLES,
    Mention,
    Report,
    valid_cue,
)
from services.detection.sins_extract import extract_sins, index_level
from services.detection.text import lowered, normalised, scan_from, split

_NO_SINS = SinsImaging()
GRADE_RANK = {"0": 0, "1a": 1, "1b": 2, "1c": 3, "2": 4, "3": 5}
# Radiographs and bone scans cannot show the epidural space (NICE NG234 1.4: MRI is the test);
# from them only an explicit statement of cord compression counts.
_NO_EPIDURAL_VIEW = frozenset({"XR", "NM"})
# Verbs by which an addendum gives an earlier finding another cause.
_REATTRIBUTION = compile_bytes(
    r"\b(?:represents?|represented|reflects?|corresponds? to|is (?:in fact |actually )?(?:a|an|"
    r"the)|in keeping with|consistent with|attributable to|due to|is in fact|was in fact)\b"
)
# Exam names that include the spine; "CT CHEST" or "CTPA" see vertebrae only in passing.
_SPINE_EXAM_WORDS = (
    "spine",
    "spinal",
    "cervical",
    "thoracic",
    "lumbar",
    "sacr",
    "myelo",
    "whole body",
    "skull base",
    "pet",
    "bone",
)
# Words of an exam name or report title that give the modality (checked as whole words).
_MODALITY_WORDS = (
    ("PET-CT", (b"pet", b"pet-ct", b"pet/ct", b"petct", b"fdg", b"psma")),
    ("NM", (b"nm", b"scintigraphy", b"isotope", b"spect", b"scan:bone", b"mdp", b"hdp")),
    ("MR", (b"mri", b"mr", b"magnetic")),
    ("CT", (b"ct", b"computed", b"myelogram", b"myelography", b"cta")),
    ("XR", (b"xr", b"x-ray", b"xray", b"radiograph", b"radiographs", b"film", b"views")),
)
# A study that can see the epidural space, named beside a bone scan in the same first line.
_CROSS_SECTIONAL_WORDS = frozenset(
    word for name, names in _MODALITY_WORDS if name in ("PET-CT", "MR", "CT") for word in names
)


_DEFAULT_FIELDS = dict(Detection().__dict__)


def _no_detection() -> Detection:
    """``Detection()`` without validating its defaults again: most reports a hospital sends
    take this path, where validation was a third of the cost."""
    fields = {**_DEFAULT_FIELDS, "levels": [], "sins_imaging": _NO_SINS, "evidence": []}
    made = built(Detection, fields)
    object.__setattr__(made, "__pydantic_fields_set__", set())  # Detection() sets none
    return made


def detect(
    text: str, *, modality: str | None = None, exam: str | None = None, prefilter: bool = True
) -> Detection:
    """Read one report and say whether it describes suspected MESCC, with evidence.

    ``prefilter=False`` runs the engine on every report (tests prove the prefilter exact)."""
    text = text if isinstance(text, str) else ""
    translated, lower = lowered(text)  # translated and lower-cased once, for both scans
    if prefilter and not may_detect(scan_from(lower)):  # exact: the engine says nothing either
        return _no_detection()
    data = normalised(translated, lower)
    sentences = split(data)
    if not sentences:
        return _no_detection()
    if _brain_study(exam, data):  # "epidural metastases" of the skull: no spinal canal here
        return _no_detection()
    report = Report(data, sentences)
    kind = _modality(modality, exam, data)
    log = EvidenceLog(text, data, sentences)

    positives, negations, superseded = _verdict(report, kind)
    if superseded:  # a reversing addendum: what it replaced no longer describes the patient
        report.drop_parts(superseded)
    suspected = bool(positives)
    for m in positives[:6]:
        log.add("suspected_mescc", m)

    grade, grade_from = _grade(report, positives, kind, _spine_exam(exam))
    for m in grade_from[:3]:
        log.add("escc_grade", m)
    levels: set[str] = set()
    for m in positives:
        found = report.levels_of(m)
        levels.update(found)
        if found and len(log.of("levels")) < 8:
            log.add("levels", m)
    if positives and not levels:
        for m in _lesion_levels(report, positives):
            levels.update(report.levels_of(m) or _SACRUM_LEVELS)
            log.add("levels", m)

    index = index_level(report, positives, grade)
    bone_disease = suspected or grade == "0" or report.metastasis_affirmed
    sins = extract_sins(report, index, log) if bone_disease else None

    cord_signal = _first_current(report, "cord_signal", log)
    retropulsion = _first_current(report, "retropulsion", log)
    excludes = (
        not suspected
        and kind not in _NO_EPIDURAL_VIEW
        and bool(negations["epidural"] or negations["metastasis"])
        and bool(negations["compression"])
    )
    if excludes:
        for m in (
            *negations["epidural"][:2],
            *negations["metastasis"][:1],
            *negations["compression"][:2],
        ):
            log.add("excludes_mescc", m)

    review = [] if suspected else _review_cues(report, kind)
    if not review and not suspected:
        review = _clinical_cues(report, negations)
    for m in review[:3]:
        log.add("review_needed", m)

    return built(  # Detection.model_construct(...) of every field, in the fields' order
        Detection,
        {
            "suspected_mescc": suspected,
            "escc_grade": grade,
            "high_grade": grade in HIGH_GRADES,
            "levels": ordered(levels) if suspected else [],
            "sins_imaging": sins if sins is not None else _NO_SINS,
            "cord_signal": cord_signal,
            "excludes_mescc": excludes,
            "retropulsion": retropulsion,
            "review_needed": bool(review),
            "evidence": log.items,
        },
    )


def _review_cues(report: Report, kind: str) -> list[Mention]:
    """Why a report that is not suspected still needs a human look, or nothing.

    Malignant spine disease touches the canal, cord or roots, but the words fall short of
    "suspected" (DESIGN.md section 4): a canal narrowed by something the report does not name,
    a compression whose benign cause was only presumed, or epidural tumour on a study that
    cannot show the epidural space; failing those, a named malignancy in a sentence that names
    the canal, foramen, thecal sac or roots in words no finding rule reads (the safety net for
    wording the tables have not met). Stated benign causes and denied findings ask nothing.
    """
    if not (report.malignancy_named or report.metastasis_affirmed):
        return _unexplained_cues(report)
    cues: list[Mention] = []
    for ms in report.mentions:
        for m in ms:
            if m.rule.role not in ("epidural", "mass", "mscc") or not m.assertion.current:
                continue
            if report.inside_dura(m.sentence):  # a compartment the report names: not epidural
                continue
            if m.cause == "malignant" or report.cause_presumed(m):
                cues.append(m)
    return cues or _compartment_cues(report)


def _unexplained_cues(report: Report) -> list[Mention]:
    """In a report that names no malignancy: a current epidural mass or a compressed cord, sac
    or roots outside the dura, whose cause no words state as benign (no benign diagnosis, no
    benign lesion named without a hedge, only a shape such as "dumbbell" or a fracture): the
    report explains it by nothing, so a human should look rather than hear nothing."""
    if report.benign_diagnosis is not None or _benign_stated(report):
        return []
    resolved = _resolutions(report)
    for ms in report.mentions:
        for m in ms:
            if (
                m.rule.role in ("epidural", "mass", "mscc")
                and m.assertion.current
                and not m.assertion.negated
                and m.rule.name not in NARROWED_CANAL
                and not report.inside_dura(m.sentence)
                and not report.at_skull_base(m.sentence)
                and not _gone_later(report, resolved, m)  # not what a later study saw gone
            ):
                return [m]
    return []


def _benign_stated(report: Report) -> bool:
    """Whether words offer a benign cause, stated or only suggested: a benign lesion or entity
    other than a shape ("dumbbell"), an excess of epidural fat, or a degenerative word beside a
    finding ("a disc bulge compressing the sac")."""
    return any(
        m.rule.role == "benign"
        and m.rule.name != "dumbbell_shape"
        and not m.assertion.negated
        and (m.rule.value == "strong" or report.cause_of_a_finding(m))
        for ms in report.mentions
        for m in ms
    )


# The canal and what it holds, named beside a tumour in words the finding rules do not read
# ("a sacral metastasis extending to the S1 nerve root", "a neuroblastoma reaching the canal").
_CANAL_AND_CONTENTS = (
    rf"canal|epidural|{EXTRADURAL}|intraspinal|foram\w*|thecal|dural sac|nerve roots?|"
    r"(?:spinal )?cord|conus(?: medullaris)?|cauda equina"
)
_COMPARTMENT_WORDS = compile_bytes(rf"\b(?:{_CANAL_AND_CONTENTS}|extra-?axial|corda equina)\b")
_DENIAL_WORDS = compile_bytes(r"\b(?:no|not|without|nor|free|spar\w*|intact|normal|patent)\b")


def _compartment_cues(report: Report) -> list[Mention]:
    """A named malignancy and the canal, cord or roots in one sentence, with no word that
    denies or spares them and no finding the rules could read: a human should look."""
    data = report.data
    for m in _named_malignancies(report):
        if report.readable[m.sentence] and not report.inside_dura(m.sentence):
            s = report.sentences[m.sentence]
            if (
                _COMPARTMENT_WORDS.search(data, s.start, s.end) is not None
                and _DENIAL_WORDS.search(data, s.start, s.end) is None
            ):
                return [m]
    return []


def _named_malignancies(report: Report) -> Iterator[Mention]:
    """The current mentions that name a malignancy in so many words, in reading order."""
    for ms in report.mentions:
        for m in ms:
            if (
                m.rule.role in ("metastasis", "malignant")
                and m.rule.value != "presumed"
                and valid_cue(m)
                and m.assertion.current
            ):
                yield m


# What a patient with cord or cauda equina compression shows, and where the text places disease
# in or beside the canal: with a malignancy named in the spine and nothing denied, a report the
# finding rules cannot read still asks for a human look (the last net of DESIGN.md section 4).
_CANAL_OR_DEFICIT = compile_bytes(
    rf"\b(?:{_CANAL_AND_CONTENTS}|intra-?canal\w*|"
    r"para(?:paresis|paretic|plegia|plegic)|tetra(?:paresis|plegia)|quadri(?:paresis|plegia)|"
    r"myelopath\w*|(?:leg|lower limb|lower extremit\w*) weakness|weakness (?:of|in) (?:the |both )?"
    r"(?:legs|lower limbs|lower extremities)|urinary retention|sphincter|saddle an(?:a)?esthesia|"
    r"decompress\w*|laminectom\w*)\b"
)
_SPINE_WORDS = compile_bytes(
    r"\b(?:spin\w*|vertebr\w*|cervical|thoracic|dorsal|lumbar|sacr\w*|[ctl] ?\d{1,2}|d\d{1,2}|"
    r"pedicle|lamina|posterior elements?|paravertebral|paraspinal)\b"
)
_INTRADURAL_NAMED = compile_bytes(
    r"\b(?:intradural|intra-dural|intramedullary|leptomening\w*|subarachnoid|drop metasta\w*)"
)


def _clinical_cues(report: Report, negations: dict[str, list[Mention]]) -> list[Mention]:
    """A named malignancy in the spine, and the canal, cord, roots or a deficit of them named
    anywhere, in a report that denies no epidural disease or compression, names no benign
    diagnosis and places nothing inside the dura: the words fall short of any finding rule, but
    a human should look (issue 10's safety net)."""
    if not report.malignancy_named or negations["epidural"] or negations["compression"]:
        return []
    if report.benign_diagnosis is not None or report.benign_context:
        return []
    data = report.data
    if _CANAL_OR_DEFICIT.search(data) is None or _INTRADURAL_NAMED.search(data) is not None:
        return []
    if not any(  # the canal or a deficit named in a sentence that does not deny or spare it
        _CANAL_OR_DEFICIT.search(data, s.start, s.end) is not None
        and _DENIAL_WORDS.search(data, s.start, s.end) is None
        for s in report.sentences
    ):
        return []
    for m in _named_malignancies(report):
        s = report.sentences[m.sentence]
        if report.spine_context[m.sentence] and _SPINE_WORDS.search(data, s.start, s.end):
            return [m]
    return []


_MYELOGRAM = re.compile(r"\bmyelo(?:gram|graphy|graphic)")


def _modality(modality: str | None, exam: str | None, data: bytes) -> str:
    given = (modality or "").strip().upper().replace(" ", "")
    aliases = {
        "MRI": "MR",
        "PET": "PET-CT",
        "PETCT": "PET-CT",
        "PET/CT": "PET-CT",
        "CR": "XR",
        "DX": "XR",
        "X-RAY": "XR",
        "XRAY": "XR",
        "BONESCAN": "NM",
    }
    given = aliases.get(given, given)
    if given == "XR" and _MYELOGRAM.search((exam or "").lower()):
        return "CT"  # a myelogram fills the thecal sac: it shows an extradural block or defect
    if given in ("MR", "CT", "PET-CT", "XR", "NM"):
        return given
    first_line = data[: data.find(b"\n")] if b"\n" in data[:200] else data[:120]
    probe = (exam or "").lower().encode("ascii", "ignore") + b" " + first_line
    words = set(probe.replace(b"/", b" ").replace(b"(", b" ").replace(b")", b" ").split())
    cross_sectional = words.intersection(_CROSS_SECTIONAL_WORDS)
    if not cross_sectional and (b"bone scan" in probe or b"bone scintigra" in probe):
        return "NM"
    for name, names in _MODALITY_WORDS:
        if name == "NM" and cross_sectional:
            continue  # "Bone scan and MRI showed ...": the MRI can see the epidural space

        if words.intersection(names):
            return name
    return "MR"  # spine reports are MRI unless they say otherwise


# Rule values of a compression: of the cord (2), of the thecal sac (2t), and a displacement that
# is compression unless CSF is still seen around the cord (2d; ../shared/corpus/README.md).
_COMPRESSION_VALUES = ("2", "2t", "2d")
_NEURAL_WORDS = compile_bytes(
    r"\b(?:thecal|dural sac|the sac|cord|conus|cauda|roots?|csf|cerebrospinal|subarachnoid|"
    r"mass effect)\b"
)
# Words by which a report says the sac or cord is spared.
_UNTOUCHED = compile_bytes(
    r"\b(?:without|no|not|nor|spar\w*|free|patent|preserved|normal|intact|unremarkable|"
    r"maintained|clear of|away from)\b"
)
# A displaced cord said not to be indented or compressed: displacement without indentation is
# contact, 1c (../shared/corpus/README.md).
_NOT_INDENTED = compile_bytes(
    r"\b(?:without|no|not|but not) (?:\w+ ){0,2}(?:indent\w*|compress\w*|deform\w*|flatten\w*)"
)
# Any word of a lesion or of oncology. A report with none of them ("severe cervical cord
# compression, maximal at C5/6; compression ratio 0.37") describes compression by nothing the
# reader can call tumour: the corpus README asks for compression caused by tumour, metastasis or
# a pathological fracture, so a cause presumed from silence alone is not enough there.
_LESION_WORDS = compile_bytes(
    r"\b(?:mass\w*|tumou?r\w*|lesion\w*|soft[ -]tissue|neoplas\w*|deposit\w*|metasta\w*|"
    r"malignan\w*|cancer\w*|\w*carcinoma\w*|\w*sarcoma\w*|lymphoma\w*|myeloma\w*|"
    r"plasmacytoma\w*|chordoma\w*|melanoma\w*|epidural|extra-?dural|intraspinal|destr\w*|"
    r"lytic|blastic|sclerotic|infiltrat\w*|enhanc\w*|collapse\w*|fracture\w*|component|"
    r"oncolog\w*|mscc|mescc|escc|bilsky|sosg)"
)
# A broken bone and its retropulsed fragment: MSCC only when the fracture is malignant (corpus
# README: "a pathological (malignant) fracture / retropulsed fragment"). A report that names
# the fracture and no tumour, lesion or destroyed bone anywhere describes a traumatic or
# osteoporotic one; the lesion words below are any that could make it pathological.
_FRACTURE_WORDS = compile_bytes(r"\b(?:\w*fractur\w*|fx|retro-?puls\w*|fragments?)\b")
_TUMOUR_WORDS = compile_bytes(
    r"\b(?:mass\w*|tumou?r\w*|lesion\w*|soft[ -]tissue|neoplas\w*|deposit\w*|metasta\w*|"
    r"malignan\w*|cancer\w*|\w*carcinoma\w*|\w*sarcoma\w*|lymphoma\w*|myeloma\w*|"
    r"plasmacytoma\w*|chordoma\w*|melanoma\w*|destr\w*|lytic|blastic|sclerotic|infiltrat\w*|"
    r"enhanc\w*|patholog\w*|marrow|oncolog\w*|mscc|mescc|escc|bilsky|sosg)\b"
)
# Below the conus (about L2 and lower) the thecal sac holds the cauda equina, so a compressed
# sac there is a compressed cauda equina: graded by the cord's words (../shared/corpus/README.md;
# Bilsky et al. 2010 grade the cauda equina by the thecal sac and roots).
_CAUDA_LEVELS = frozenset({"L2", "L3", "L4", "L5", "S1", "S2", "S3", "S4", "S5", "SACRUM"})


def _below_conus(report: Report, m: Mention) -> bool:
    """Whether every level named in the mention's sentence lies at the cauda equina."""
    named = [level for _, levels in report.levels[m.sentence] for level in levels]
    return bool(named) and all(level.upper() in _CAUDA_LEVELS for level in named)


def _is_positive(report: Report, m: Mention, kind: str) -> bool:
    role = m.rule.role
    if role not in ("epidural", "mass", "mscc", "escc", "grade"):
        return False
    if not m.assertion.current or m.cause != "malignant":
        return False
    owned = report.benign_diagnosis
    if owned is not None and role not in ("escc", "grade"):
        where = report.levels_of(m)
        if not owned or not where or owned.intersection(where):
            return False  # the mass is the benign mimic the report names as its diagnosis
    if role in ("escc", "grade"):
        return m.grade is not None and m.grade != "0"
    if role in ("mass", "epidural") and report.inside_dura(m.sentence):
        return False  # an intradural or intramedullary lesion's mass effect is not epidural
    if role in ("mass", "epidural") and report.at_skull_base(m.sentence):
        return False  # "a clival chordoma with extradural extension" is inside the skull
    if role == "epidural" and _placed_inside_dura_by_mri(report, m.sentence):
        return False
    if m.rule.name in _COATING and _coats_inside_dura(report):
        return False  # tumour enveloping the cord and roots, in a report of leptomeningeal disease
    if (
        m.rule.name in NARROWED_CANAL
        and report.cause_presumed(m)
        and not report.metastasis_affirmed
        and not _bone_destroyed(report, m.sentence)
        and not _epidural_named(report, m.sentence)
        and not (_soft_tissue_named(report, m.sentence) and _bone_destroyed_anywhere(report))
        and not (report.malignancy_named and _mass_narrows(report, m))
        and not (
            m.rule.name in ("canal_obliterated", "canal_filled")
            and (report.malignancy_named or _bone_destroyed_anywhere(report))
        )
    ):
        # A narrowed canal is tumour's only when the report names tumour in the spine, or bone
        # destroyed beside it ("a mass replaces the sacrum and obliterates the sacral canal");
        # a canal obliterated by an unnamed mass, in a patient with a named malignancy, is too
        # (degeneration narrows a canal; it seldom obliterates one without naming the disc).
        return False
    if (
        role == "mass"
        and report.cause_presumed(m)
        and not report.malignancy_named
        and m.rule.name != "canal_filled"  # tissue filling the canal is in the canal
        and _LESION_WORDS.search(report.data.replace(b"lateral mass", b"")) is None
        and not names_malignancy(report.data, 0, len(report.data))
    ):
        return False  # compression of the cord by nothing named: not tumour's by any word
    if (
        role in ("mass", "epidural")
        and report.cause_presumed(m)
        and not report.malignancy_named
        and _fracture_named(report, m.sentence)
        and _TUMOUR_WORDS.search(report.data) is None
    ):
        return False  # a fractured bone's fragment, in a report that names no tumour at all
    if kind in _NO_EPIDURAL_VIEW:
        return role == "mscc" or (role == "mass" and m.rule.value in _COMPRESSION_VALUES)
    return True


# Tumour that envelops or coats the cord and roots is the leptomeningeal pattern when the report
# names leptomeningeal or intradural disease and nothing epidural or extradural anywhere.
_COATING = frozenset({"sac_or_cord_encased", "encases_sac_or_cord"})
_LEPTOMENINGEAL = compile_bytes(
    r"\b(?:leptomening\w*|intradural|carcinomatous meningitis|drop metasta\w*)"
)


def _coats_inside_dura(report: Report) -> bool:
    return (
        _LEPTOMENINGEAL.search(report.data) is not None
        and EPIDURAL_NAMED.search(report.data) is None
    )


def _fracture_named(report: Report, i: int) -> bool:
    s = report.sentences[i]
    return _FRACTURE_WORDS.search(report.data, s.start, s.end) is not None


def _bone_destroyed(report: Report, i: int) -> bool:
    """Whether sentence i says a bone is destroyed or taken over (a presumed tumour's sign)."""
    return any(
        x.rule.name == "destructive" and x.assertion.current and not x.assertion.negated
        for x in report.mentions[i]
    )


# The sacrum's segments, for a canal finding that names the sacrum and no number (the corpus
# README lists levels S1..S5; "the sacral canal is obliterated" is all of them).
_SACRUM_LEVELS = ("S1", "S2", "S3", "S4", "S5")
_SACRUM_WORDS = compile_bytes(r"\bsacr(?:um|al canal)\b")


def _lesion_levels(report: Report, positives: list[Mention]) -> list[Mention]:
    """Where a finding that names no level lies: the lesion the text places elsewhere.

    A case description or caption often names the vertebra once ("the 2nd lumbar vertebral
    body") and the epidural invasion lines later. The first current tumour or epidural mention
    with a level stands for the lesion; failing that, a canal finding in the sacrum."""
    for ms in report.mentions:
        for m in ms:
            if (
                m.rule.role in ("epidural", "mass", "mscc", "metastasis", "malignant")
                and m.assertion.current
                and not m.assertion.negated
                and report.readable[m.sentence]
                and report.levels[m.sentence]
                and not report.inside_dura(m.sentence)
            ):
                return [m]
    seen: set[int] = set()  # each sentence once: it can hold thousands of positives
    for m in positives:
        if m.sentence in seen:
            continue
        seen.add(m.sentence)
        s = report.sentences[m.sentence]
        if _SACRUM_WORDS.search(report.data, s.start, s.end) is not None:
            return [m]
    return []


_FUNCTIONAL_STUDY = compile_bytes(r"\b(?:pet|fdg|psma|scintigra\w*|bone scan|spect)\b")
_MRI_WORDS = compile_bytes(r"\b(?:mri|mr|magnetic resonance)\b")


def _placed_inside_dura_by_mri(report: Report, i: int) -> bool:
    """Whether a PET or scintigraphy finding "in the epidural space" (sentence i) is one a
    later MRI sentence places inside the dura ("An MRI confirmed a nodule in the ventral
    subarachnoid space (intradural, extramedullary)"): MRI shows the compartment that PET,
    at its resolution, only approximates, so its reading decides."""
    s = report.sentences[i]
    if _FUNCTIONAL_STUDY.search(report.data, s.start, s.end) is None:
        return False
    for j in range(i + 1, len(report.sentences)):
        later = report.sentences[j]
        if (
            report.readable[j]
            and _MRI_WORDS.search(report.data, later.start, later.end) is not None
            and report.inside_dura(j)
        ):
            return True
    return False


def _epidural_named(report: Report, i: int) -> bool:
    """Whether sentence i names epidural disease ("extradural soft tissue from
    T1 to L1 with several levels of canal compromise"): what narrows its canal is that tissue,
    by convention a tumour's (lexicon/findings.py) unless a benign cause is named."""
    return any(
        x.rule.role == "epidural"
        and x.assertion.current
        and not x.assertion.negated
        and x.cause == "malignant"
        for x in report.mentions[i]
    )


def _mass_narrows(report: Report, m: Mention) -> bool:
    """Whether a mass in the narrowed canal's own clause is what narrows it ("the sacral mass
    compressing the spinal canal"): not a degenerative stenosis, in a patient with cancer."""
    scope = report.scopes[m.sentence]
    return any(
        x.rule.name in ("mass_word", "destructive")
        and x.assertion.current
        and scope.same_clause(x.start, m.start)
        for x in report.mentions[m.sentence]
    )


_SOFT_TISSUE = compile_bytes(
    r"\b(?:soft[ -]tissue (?:extension|component|mass)|extra-?osseous|tumou?r extension)\b"
)


def _soft_tissue_named(report: Report, i: int) -> bool:
    """Whether sentence i names the soft tissue a destroyed bone gives off ("significant
    narrowing of the sacral canal with soft tissue extension")."""
    s = report.sentences[i]
    return _SOFT_TISSUE.search(report.data, s.start, s.end) is not None


def _bone_destroyed_anywhere(report: Report) -> bool:
    """Whether the report says a bone is destroyed or replaced by a mass anywhere ("a mass
    replaces much of the sacrum. ... The sacral canal is obliterated within the mass.")."""
    return any(_bone_destroyed(report, i) for i in range(len(report.sentences)))


def _negation_kind(report: Report, m: Mention) -> str | None:
    """Which global negation a mention states, if any ("no epidural disease")."""
    a = m.assertion
    role = m.rule.role
    if role in ("escc", "grade") and m.grade == "0" and a.current:
        return "epidural"
    if not a.negated or a.partial:
        return None
    scope = report.scopes[m.sentence]
    own_levels = any(scope.same_clause(pos, m.start) for pos, _ in report.levels[m.sentence])
    if own_levels and not a.global_:
        return None
    if role == "epidural":
        return "epidural"
    if role == "mscc" or (role == "mass" and m.rule.value in _COMPRESSION_VALUES):
        return "compression"
    if role == "metastasis" and report.spine_context[m.sentence]:
        return "metastasis"
    return None


def _verdict(report: Report, kind: str) -> tuple[list[Mention], dict[str, list[Mention]], set[int]]:
    by_part: dict[int, list[Mention]] = {}
    negated_by_part: dict[int, list[Mention]] = {}
    negations: dict[str, list[Mention]] = {"epidural": [], "compression": [], "metastasis": []}
    for mentions in report.mentions:
        for m in mentions:
            part = report.sentences[m.sentence].part
            if _is_positive(report, m, kind):
                by_part.setdefault(part, []).append(m)
                continue
            negation = _negation_kind(report, m)
            if negation is not None:
                negations[negation].append(m)
                if negation != "compression":
                    negated_by_part.setdefault(part, []).append(m)
    _withdraw_denied_levels(report, by_part)
    decisive = [p for p in set(by_part) | set(negated_by_part) if p > 0]
    if decisive:
        last = max(decisive)
        if last not in by_part:  # the final addendum rules MESCC out
            return [], negations, {p for p in range(last)}
        earlier = [
            m for p, ms in by_part.items() if p < last and p not in negated_by_part for m in ms
        ]
        renamed = _renamed_as_tumour(report, by_part[last], last)
        return [*by_part[last], *earlier, *renamed], negations, set()
    main = _unclarified([m for p, ms in by_part.items() for m in ms], report)
    in_impression = [m for m in main if report.sentences[m.sentence].section == "impression"]
    impression_negates = any(
        report.sentences[m.sentence].section == "impression"
        for ms in negated_by_part.values()
        for m in ms
    )
    if main and not in_impression and impression_negates:
        return [], negations, set()  # the impression outranks a finding it contradicts
    main = _resolved_at_follow_up(report, main)
    main.sort(key=lambda m: (report.sentences[m.sentence].section != "impression", m.start))
    return main, negations, set()


# A later study, named as such: "follow-up MRI", "after five courses of chemotherapy", "three
# months later". Case reports and captions tell the first scan and then the one after treatment.
# A resolution the text puts down to a treatment ("glucocorticoids caused disappearance of the
# extradural tumour") is such a later state too.
_FOLLOW_UP = compile_bytes(
    r"\b(?:follow-?up|after (?:\w+ ){0,4}(?:chemotherapy|chemo|radiotherapy|radiation|treatment|"
    r"courses?|cycles?|surgery|decompression|months?|weeks?|days?)|(?:days?|weeks?|months?|years?) "
    r"later|post-?treatment|post-?radiotherapy|restaging|treated|treatment|therapy|chemotherapy|"
    r"radiotherapy|steroids?|glucocorticoids?|corticosteroids?|dexamethasone)\b"
)
# "a complete epidural tumour response": the ignore rule of that name hides its tumour word.
# So does a pronoun for the disease just described: "follow-up MRI shows its resolution".
_COMPLETE_RESPONSE = compile_bytes(
    rf"\b(?:complete|total) (?:(?:radiological|radiographic|metabolic|treatment) )?"
    rf"(?:epidural |{EXTRADURAL} )?(?:tumou?r )?(?:response|remission|resolution)\b|"
    r"\b(?:its|their) (?:complete |near[- ]complete )?(?:resolution|disappearance)\b|"
    r"\b(?:it|they) (?:has|have) (?:since |now |completely )?(?:resolved|disappeared)\b"
)
_RESOLUTION_TRIGGERS = frozenset({"resolution", "has_resolved", "complete_response"})


def _resolved_at_follow_up(report: Report, positives: list[Mention]) -> list[Mention]:
    """The positives a later follow-up study reports gone: "MRI showed an epidural mass with
    cord compression. After chemotherapy, follow-up MRI showed resolution of cord
    compression." The text ends with the patient's current state, which has no MSCC. A
    finding at other levels than the resolved one stands, as does one in or after the
    follow-up sentence."""
    if not positives:
        return positives
    resolved = _resolutions(report)
    return [m for m in positives if not _gone_later(report, resolved, m)] if resolved else positives


def _resolutions(report: Report) -> list[tuple[int, set[str]]]:
    """The follow-up sentences that report epidural disease resolved, each with the levels it
    was at (none: anywhere)."""
    if _FOLLOW_UP.search(report.data) is None:
        return []
    resolved: list[tuple[int, set[str]]] = []
    for i, s in enumerate(report.sentences):
        # the sentence and the header before it ("After treatment: (B) ...")
        start = report.sentences[i - 1].end if i else 0
        if not report.readable[i] or _FOLLOW_UP.search(report.data, start, s.end) is None:
            continue
        gone = [
            m
            for m in report.mentions[i]
            if m.rule.role in ("epidural", "mass", "mscc")
            and m.assertion.historical
            and any(t[2].name in _RESOLUTION_TRIGGERS for t in m.assertion.triggers)
        ]
        # where the resolved disease was: its levels, else its sentence's, else its region
        named = {name for _, names in report.levels[i] for name in names}
        if gone:
            where = {level for m in gone for level in report.levels_of(m)}
            resolved.append((i, where or named or report.region_of(i)))
        elif _COMPLETE_RESPONSE.search(report.data, s.start, s.end) is not None:
            resolved.append((i, named or report.region_of(i)))
    return resolved


def _gone_later(report: Report, resolved: list[tuple[int, set[str]]], m: Mention) -> bool:
    """Whether a resolution after the mention's sentence covers its levels."""
    where = set(report.levels_of(m))
    return any(
        j > m.sentence and (not levels or not where or bool(levels & where))
        for j, levels in resolved
    )


def _withdraw_denied_levels(report: Report, by_part: dict[int, list[Mention]]) -> None:
    """Drop earlier findings at the levels a later addendum denies ("the tissue at T10 is a
    disc herniation, not epidural tumour"); findings at other levels stand."""
    denied: dict[int, set[str]] = {}
    for ms in report.mentions:
        for m in ms:
            part = report.sentences[m.sentence].part
            if part == 0 or m.rule.role not in ("epidural", "mscc"):
                continue
            if m.assertion.negated and not m.assertion.partial:
                denied.setdefault(part, set()).update(report.levels_of(m))
    for i, ms in enumerate(report.mentions):
        part = report.sentences[i].part
        if part and _reattributes(report, i, ms):
            denied.setdefault(part, set()).update(report.levels_of(ms[0]))
    if not denied:
        return
    for part in list(by_part):
        later = set().union(*(levels for p, levels in denied.items() if p > part))
        if not later:
            continue
        kept = [m for m in by_part[part] if not _all_denied(report.levels_of(m), later)]
        if kept:
            by_part[part] = kept
        else:
            del by_part[part]


def _reattributes(report: Report, i: int, mentions: list[Mention]) -> bool:
    """An addendum sentence that gives an earlier finding a benign cause ("the tissue at L4
    corresponds to a synovial cyst") and asserts no tumour of its own."""
    if not any(
        m.rule.role == "benign" and m.rule.value == "strong" and valid_cue(m) for m in mentions
    ):
        return False
    if any(_is_positive(report, m, "MR") for m in mentions):
        return False
    s = report.sentences[i]
    return _REATTRIBUTION.search(report.data, s.start, s.end) is not None


def _renamed_as_tumour(report: Report, final: list[Mention], last: int) -> list[Mention]:
    """Earlier descriptions of a lesion that the final addendum re-attributes to tumour ("the
    epidural collection at T8 represents tumour rather than haematoma"): the canal they
    describe ("indenting the thecal sac") is now tumour's, so they count towards its grade."""
    renaming = [
        m
        for m in final
        if _REATTRIBUTION.search(
            report.data, report.sentences[m.sentence].start, report.sentences[m.sentence].end
        )
    ]
    where = {level for m in renaming for level in report.levels_of(m)}
    if not where:
        return []
    return [
        replace(m, cause="malignant")  # a copy: the report's own reading is left as written
        for ms in report.mentions
        for m in ms
        if report.sentences[m.sentence].part < last
        and m.rule.role in ("epidural", "mass")
        and m.cause != "malignant"
        and m.assertion.current
        and where.intersection(report.levels_of(m))
    ]


def _all_denied(levels: tuple[str, ...], denied: set[str]) -> bool:
    return bool(levels) and set(levels) <= denied


def _unclarified(positives: list[Mention], report: Report) -> list[Mention]:
    """Drop a hedged finding that a later sentence of the same part rules out at its level
    ("Possible epidural tissue at T6. ... this is a venous plexus; no epidural tumour at T6.")."""
    hedged = [m for m in positives if m.assertion.hedged]
    if not hedged:
        return positives
    denials = [
        m
        for ms in report.mentions
        for m in ms
        if m.rule.role in ("epidural", "mscc")
        and m.assertion.negated
        and not m.assertion.partial
        and m.cause == "malignant"
    ]
    dropped: set[int] = set()
    for m in hedged:
        where = set(report.levels_of(m))
        for denial in denials:
            if denial.sentence <= m.sentence:
                continue
            if report.sentences[denial.sentence].part != report.sentences[m.sentence].part:
                continue
            denied = set(report.levels_of(denial))
            if not denied or not where or denied & where:
                dropped.add(id(m))
                break
    return [m for m in positives if id(m) not in dropped]


def _grade(
    report: Report, positives: list[Mention], kind: str, spine_exam: bool
) -> tuple[str | None, list[Mention]]:
    if not positives:
        return _negative_grade(report, kind, spine_exam)
    unassessable = _unassessable(report)
    for m in positives:
        if m.rule.role not in ("escc", "grade"):
            m.grade = _descriptive_grade(report, m, kind, unassessable)
    stated = [m for m in positives if m.grade is not None and m.rule.role in ("escc", "grade")]
    graded = stated or [m for m in positives if m.grade is not None]
    if not graded:
        return None, []
    # Ties go to a compression over a bare epidural mention: it names what the grade measures.
    best = max(graded, key=lambda m: (GRADE_RANK[m.grade or "0"], m.rule.role == "mass"))
    if stated:  # a stated grade is the radiologist's own reading: the index level follows it
        for m in positives:
            if m.rule.role not in ("escc", "grade") and m.grade != best.grade:
                m.grade = None
    qualifiers = [
        x
        for x in report.mentions[best.sentence]
        if x.rule.role in ("csf_absent", "csf_present", "severity")
    ]
    return best.grade, [best, *qualifiers[:2]]


_BRAIN_EXAM = re.compile(
    r"\b(?:brain|head|cranial|skull|orbits?|pituitary|iacs?|neck soft tissue)\b"
)
_SPINAL_WORDS_ANYWHERE = compile_bytes(
    r"\b(?:spin\w*|vertebr\w*|(?:spinal )?cord|cauda|conus|thecal|sacr\w*|lumbar|thoracic|"
    r"cervical|paraspinal|paravertebral|myelopath\w*|radicul\w*)\b"
)


def _brain_study(exam: str | None, data: bytes) -> bool:
    """Whether the exam is of the brain or head and the text names no part of the spine."""
    if not exam or _spine_exam(exam) or _BRAIN_EXAM.search(exam.lower()) is None:
        return False
    return _SPINAL_WORDS_ANYWHERE.search(data) is None


def _spine_exam(exam: str | None) -> bool:
    """Whether the exam looked at the spine (an unnamed exam is taken to have)."""
    if not exam:
        return True
    name = exam.lower()
    return any(word in name for word in _SPINE_EXAM_WORDS)


def _canal_commented(report: Report) -> bool:
    return any(m.rule.role in TARGET_ROLES for ms in report.mentions for m in ms)


def _negative_grade(
    report: Report, kind: str, spine_exam: bool
) -> tuple[str | None, list[Mention]]:
    zero = [
        m
        for ms in report.mentions
        for m in ms
        if m.rule.role in ("escc", "grade") and m.grade == "0" and m.assertion.current
    ]
    if zero:
        return "0", zero[:1]
    # A bone metastasis seen in passing on a chest or body study is grade 0 only when the
    # report says something of the canal (ESCC is graded on the canal, Bilsky 2010).
    looked = spine_exam or _canal_commented(report)
    if (
        report.metastasis_affirmed
        and kind in ("MR", "CT", "PET-CT")
        and looked
        and not _unassessable(report)
    ):
        cues = [
            m
            for ms in report.mentions
            for m in ms
            if m.rule.role == "metastasis"
            and m.assertion.current
            and report.spine_context[m.sentence]
        ]
        return "0", cues[:1]
    return None, []


def _unassessable(report: Report) -> bool:
    return report.unassessable


def _descriptive_grade(report: Report, m: Mention, kind: str, unassessable: bool) -> str | None:
    role = m.rule.role
    if role == "epidural":
        if kind != "MR" or unassessable:
            return None
        # "complete effacement of CSF around the cord by epidural tumour" is grade 3 as written
        if _sentence_cues(report, m)[0]:
            return "3"
        # 1a says the tumour touches nothing; a report silent on the thecal sac and cord has
        # not said so, and its grade is undetermined (../shared/corpus/README.md).
        # The sac or cord must be spoken of where the finding is (its sentence or the one that
        # continues it): "the spinal cord" in a history line says nothing of this tumour.
        return "1a" if _said_spared_near(report, m.sentence) else None
    if role == "mscc":
        # "Metastatic cord compression at T7", "a mass causing SCC": a compressed cord with
        # nothing said of the CSF is 2, with the CSF words or severity of its sentence 3
        # (../shared/corpus/README.md); CT needs those words, as for any compression.
        absent, present, level_of_severity = _sentence_cues(report, m)
        if absent or level_of_severity == "severe":
            return "3"
        if kind != "MR" and not present:
            return None
        return "2"
    if role != "mass":
        return None
    csf_absent, csf_present, severity = _sentence_cues(report, m)
    value = m.rule.value
    if value == "3":  # "completely effaces the thecal sac": the words say no CSF is left
        csf_absent = True
    # CT shows the canal less well than MRI: a grade needs the radiologist's own CSF or severity
    # words ("severe compression of the conus" is grade 3 on any modality, Bilsky 2010).
    # A thecal sac the CT report itself calls indented (1b), a cord it calls abutted (1c) or
    # compressed (2: "compression with nothing said about CSF", ../shared/corpus/README.md) is
    # graded as written; a narrowed canal or sac needs the CSF or severity words CT shows poorly.
    if kind != "MR" and (
        m.assertion.hedged
        or not (
            csf_absent
            or csf_present
            or value in ("1b", "1c")
            or (value in ("2", "2d") and m.rule.name not in NARROWED_CANAL)
            or (severity == "severe" and value in _COMPRESSION_VALUES)
        )
    ):
        return None
    if value == "2d":  # displaced: compressed unless the CSF is said to be still around it
        if csf_absent or severity == "severe":
            return "3"
        s = report.sentences[m.sentence]
        if csf_present or _NOT_INDENTED.search(report.data, m.end, s.end) is not None:
            return "1c"  # "displacement of the cord, but without cord indentation"
        return "2"
    if value in ("2", "2t", "3"):
        if csf_absent:
            return "3"
        if csf_present:
            return "2"
        if severity == "severe":
            return "3"
        if value == "2t":
            return "2" if severity == "moderate" or _below_conus(report, m) else "1b"
        return "2"
    if value == "1b" and (csf_absent or severity == "severe"):
        # the sac narrowed until no CSF is left around the cord, or severely: as a severely
        # narrowed canal, 3 (../shared/corpus/README.md)
        return "3"
    return value


def _said_spared_near(report: Report, i: int) -> bool:
    """Whether sentence i, or the sentence that continues it, says the sac, cord or CSF is
    untouched ("without deformity of the thecal sac", "the cord is not contacted"): 1a is
    tumour that touches nothing, which a report must say (../shared/corpus/README.md)."""
    last = i + 1 if _continues(report, i) else i
    start, end = report.sentences[i].start, report.sentences[last].end
    data = report.data
    return (
        _NEURAL_WORDS.search(data, start, end) is not None
        and _UNTOUCHED.search(data, start, end) is not None
    )


def _sentence_cues(report: Report, m: Mention) -> tuple[bool, bool, str | None]:
    """CSF and severity words that qualify a compression, in its sentence or the next one."""
    absent = present = False
    severity: str | None = None
    i = m.sentence
    candidates = list(report.mentions[i])
    # The qualifier may follow in the next sentence or two ("... narrowing of the thecal sac.
    # Extensive osseous metastases.\nCSF: complete effacement"), until another finding begins.
    j = i
    while j < i + 2 and _continues(report, j):
        following = report.mentions[j + 1]
        if any(x.rule.role in ("mass", "epidural") for x in following):
            break
        candidates.extend(following)
        j += 1
    for x in candidates:
        role = x.rule.role
        # A denied statement says the opposite: "no CSF is seen around it" leaves none, "without
        # complete effacement of the CSF" leaves some.
        if role in ("csf_absent", "csf_present"):
            if (role == "csf_absent") != x.assertion.negated:
                absent = True
            else:
                present = True
        elif (
            role == "severity"
            and x.sentence == i
            and (m.start - 40 <= x.start <= m.end)
            and severity != "severe"
        ):
            severity = x.rule.value
    return absent, present, severity


def _continues(report: Report, i: int) -> bool:
    """Whether sentence i + 1 goes on describing sentence i's finding: on the same line, or on
    the next line of the same section naming no other level ("Epidural tumour at T6.\nComplete
    effacement of the CSF around the cord."). A line that names a level of its own describes
    that level, as list-style findings do."""
    if i + 1 >= len(report.sentences):
        return False
    here, after = report.sentences[i], report.sentences[i + 1]
    if after.line == here.line:
        return True
    if after.line != here.line + 1 or after.section != here.section or after.part != here.part:
        return False
    named = {n for _, names in report.levels[i + 1] for n in names}
    return not named or named <= {n for _, names in report.levels[i] for n in names}


def _first_current(report: Report, role: str, log: EvidenceLog) -> bool:
    for mentions in report.mentions:
        for m in mentions:
            if m.rule.role == role and m.assertion.current:
                log.add(role, m)
                return True
    return False
