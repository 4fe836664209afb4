"""The primary tumour, from ICD-10 C-codes and histology words, as every score table needs it.

One vocabulary (``Primary``) feeds the radiosensitivity, Rades and Tokuhashi tables, so a code
is interpreted once. Codes of secondary sites (C77-C79) are ignored: they say where the cancer
spread, not where it began. Words refine codes (C34 with "small cell" is small-cell lung cancer).
When the inputs name several different primaries, every one is kept and the scores widen into a
range instead of picking one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from models.scoring import CodedDiagnosis


class Primary(StrEnum):
    BREAST = "breast"
    PROSTATE = "prostate"
    MYELOMA = "myeloma"
    LYMPHOMA = "lymphoma"
    LEUKAEMIA = "leukaemia"
    GERM_CELL = "germ_cell"
    LUNG_SMALL_CELL = "lung_small_cell"
    LUNG_NON_SMALL_CELL = "lung_non_small_cell"
    LUNG = "lung"  # histology not given
    KIDNEY = "kidney"
    MELANOMA = "melanoma"
    OSTEOSARCOMA = "osteosarcoma"
    BONE_SARCOMA = "bone_sarcoma"  # C40-C41 without histology
    SARCOMA = "sarcoma"  # any sarcoma but osteosarcoma
    HEPATOCELLULAR = "hepatocellular"
    THYROID = "thyroid"
    COLON = "colon"
    RECTUM = "rectum"
    STOMACH = "stomach"
    BLADDER = "bladder"
    OESOPHAGUS = "oesophagus"
    PANCREAS = "pancreas"
    GALLBLADDER = "gallbladder"
    UTERUS = "uterus"
    CARCINOID = "carcinoid"
    UNKNOWN_PRIMARY = "unknown_primary"
    OTHER = "other"


# ICD-10 (WHO 2019) chapter II three-character categories C00-C97 -> primary, as inclusive
# ranges of the number; the groupings of haematological and sarcoma codes follow issue 4.
_CODE_RANGES: tuple[tuple[int, int, Primary], ...] = (
    (15, 15, Primary.OESOPHAGUS),
    (16, 16, Primary.STOMACH),
    (18, 19, Primary.COLON),  # C18 colon, C19 rectosigmoid junction
    (20, 20, Primary.RECTUM),
    (22, 22, Primary.HEPATOCELLULAR),  # liver and intrahepatic bile ducts
    (23, 23, Primary.GALLBLADDER),
    (25, 25, Primary.PANCREAS),
    (33, 34, Primary.LUNG),  # trachea, bronchus and lung
    (40, 41, Primary.BONE_SARCOMA),
    (43, 43, Primary.MELANOMA),
    (45, 49, Primary.SARCOMA),  # mesothelial and soft tissue (issue 4 grouping)
    (50, 50, Primary.BREAST),
    (54, 55, Primary.UTERUS),  # corpus uteri, uterus part unspecified
    (61, 61, Primary.PROSTATE),
    (62, 62, Primary.GERM_CELL),  # testis
    (64, 65, Primary.KIDNEY),  # kidney, renal pelvis
    (67, 67, Primary.BLADDER),
    (73, 73, Primary.THYROID),
    (80, 80, Primary.UNKNOWN_PRIMARY),
    (81, 86, Primary.LYMPHOMA),  # Hodgkin, follicular, non-follicular, T/NK, other NHL
    (88, 88, Primary.LYMPHOMA),  # malignant immunoproliferative diseases
    (90, 90, Primary.MYELOMA),  # multiple myeloma and plasma cell neoplasms
    (91, 95, Primary.LEUKAEMIA),
    (96, 96, Primary.LYMPHOMA),  # other lymphoid, haematopoietic and related tissue
)
_SECONDARY = range(77, 80)  # C77-C79: secondary malignant neoplasms

_CODE = re.compile(r"^C(\d{2})")
_CARCINOID_CM = re.compile(r"^C7A")  # ICD-10-CM malignant neuroendocrine tumours

# Histology words -> primaries. "non-small cell" also matches the small-cell pattern; the
# small-cell reading is dropped when the non-small-cell one is present.
_WORDS: tuple[tuple[re.Pattern[str], tuple[Primary, ...]], ...] = tuple(
    (re.compile(p), primaries)
    for p, primaries in (
        (r"\bnon[- ]?small[- ]?cell\b|\bnsclc\b", (Primary.LUNG_NON_SMALL_CELL,)),
        (r"\bsmall[- ]?cell\b|\bsclc\b|\boat[- ]cell\b", (Primary.LUNG_SMALL_CELL,)),
        (r"\bmyeloma\b|\bplasmacytoma\b|\bplasma[- ]cell\b", (Primary.MYELOMA,)),
        (r"\blymphoma\b|\bhodgkin", (Primary.LYMPHOMA,)),
        (r"\bleuka?emi", (Primary.LEUKAEMIA,)),
        (r"\bseminoma\b|\bgerm[- ]cell\b|\btesticular\b|\btestis\b", (Primary.GERM_CELL,)),
        (r"\bosteosarcoma\b", (Primary.OSTEOSARCOMA,)),
        (r"(?<!osteo)sarcoma\b", (Primary.SARCOMA,)),
        (r"\bmelanoma\b", (Primary.MELANOMA,)),
        (r"\brenal\b|\bkidney\b|\brcc\b", (Primary.KIDNEY,)),
        (r"\bhepatocellular\b|\bhcc\b", (Primary.HEPATOCELLULAR,)),
        (r"\bthyroid\b", (Primary.THYROID,)),
        (r"\bcolorectal\b|\bbowel cancer\b", (Primary.COLON, Primary.RECTUM)),
        (r"\brect(?:um|al)\b", (Primary.RECTUM,)),
        (r"\bcolon(?:ic)?\b", (Primary.COLON,)),
        (r"\bbreast\b", (Primary.BREAST,)),
        (r"\bprostat", (Primary.PROSTATE,)),
        (r"\bcarcinoid\b", (Primary.CARCINOID,)),
        (r"\bgastric\b|\bstomach\b", (Primary.STOMACH,)),
        (r"\bbladder\b|\burothelial\b", (Primary.BLADDER,)),
        (r"\bo?esophag", (Primary.OESOPHAGUS,)),
        (r"\bpancrea", (Primary.PANCREAS,)),
        (r"\bgall ?bladder\b", (Primary.GALLBLADDER,)),
        (r"\buter(?:us|ine)\b|\bendometri", (Primary.UTERUS,)),
        (r"\bunknown primary\b|\bcup\b|\bprimary unknown\b", (Primary.UNKNOWN_PRIMARY,)),
        (r"\blung\b|\bbronch", (Primary.LUNG,)),
    )
)

# Phrases naming where the cancer spread, not where it began: "secondary malignant neoplasm of
# lung" (the ICD-10 C77-C79 display), "lung metastases", "metastases to the liver". Removed before
# the histology words are read, so "breast cancer with lung metastases" stays a breast primary.
_SECONDARY_PHRASES = re.compile(
    r"\bsecondary\b[^,;.]*"
    r"|\b[a-z]+ (?:metastas[ie]s|mets|deposits?)\b"
    r"|\bmetastas[ie]s (?:to|in|of) (?:the )?[a-z]+"
)

# A generic primary is dropped when a more specific one of the same organ is also named.
_REFINED_BY: dict[Primary, frozenset[Primary]] = {
    Primary.LUNG: frozenset({Primary.LUNG_SMALL_CELL, Primary.LUNG_NON_SMALL_CELL}),
    Primary.BONE_SARCOMA: frozenset({Primary.OSTEOSARCOMA, Primary.SARCOMA}),
}


@dataclass(frozen=True, slots=True)
class PrimaryFinding:
    """The candidate primaries and the codes or words that named them."""

    primaries: frozenset[Primary]
    matched: tuple[str, ...]

    @property
    def known(self) -> bool:
        """Whether anything named a primary."""
        return bool(self.primaries)


def identify(diagnoses: Iterable[CodedDiagnosis], primary_tumour: str | None) -> PrimaryFinding:
    """Candidate primaries from C-codes and histology words."""
    found: dict[Primary, str] = {}
    for dx in diagnoses:
        if not dx.system.upper().startswith("ICD-10"):
            continue  # SNOMED codes are not mapped; they stay unknown rather than guessed
        primary = _from_code(dx.code.strip().upper())
        if primary is not None:
            found.setdefault(primary, dx.code)
    if primary_tumour:
        text = _SECONDARY_PHRASES.sub(" ", primary_tumour.lower())
        for pattern, primaries in _WORDS:
            m = pattern.search(text)
            if m is None:
                continue
            for primary in primaries:
                found.setdefault(primary, m.group(0))
    if Primary.LUNG_NON_SMALL_CELL in found:
        found.pop(Primary.LUNG_SMALL_CELL, None)
    for generic, specific in _REFINED_BY.items():
        if generic in found and specific & found.keys():
            del found[generic]
    return PrimaryFinding(primaries=frozenset(found), matched=tuple(found.values()))


def _from_code(code: str) -> Primary | None:
    if _CARCINOID_CM.match(code):
        return Primary.CARCINOID
    m = _CODE.match(code)
    if not m:
        return None
    number = int(m.group(1))
    if number in _SECONDARY:
        return None
    for low, high, primary in _CODE_RANGES:
        if low <= number <= high:
            return primary
    return Primary.OTHER
