"""A small deterministic keyword detector for the replay golden files.

The golden files pin the pathway's behaviour, not the real detector's (which improves on its own
schedule); this stand-in reads the example reports the way a careful reader would, and the real
detector is checked separately against the same examples' episode outcomes.
"""

from __future__ import annotations

import re

from models.detection import Detection, Evidence

_SENTENCE = re.compile(r"[^.\n]+[.\n]?")
_SUSPECT = re.compile(r"epidural (tumou?r|disease)|cord compression", re.IGNORECASE)
_NEGATED = re.compile(r"\bno (epidural|cord|spinal cord)\b|without epidural", re.IGNORECASE)
_GRADE = re.compile(r"ESCC grade (1a|1b|1c|2|3)\b")
_LEVEL = re.compile(r"\b([CTLS])(\d{1,2})\b")
# Malignant disease touching the canal without the words of suspicion: a human should look.
_REVIEW = re.compile(r"metasta\w*[^.]*\b(abut|abutting|contacts?|touch\w*)\b[^.]*thecal sac", re.I)
# A canal narrowed by a cause the report does not name, in a patient with a named cancer.
_CANAL = re.compile(r"[^.\n]*narrow\w* of the spinal canal[^.\n]*", re.IGNORECASE)
_MALIGNANCY = re.compile(r"\bcarcinoma\b", re.IGNORECASE)
_EXCLUDES = re.compile(r"no epidural disease.*no (?:spinal )?cord", re.IGNORECASE | re.DOTALL)


def keyword_detect(text: str, *, modality: str | None = None, exam: str | None = None) -> Detection:
    """Suspected when a non-negated sentence names epidural tumour or cord compression."""
    hits = [
        m
        for m in _SENTENCE.finditer(text)
        if _SUSPECT.search(m.group()) and not _NEGATED.search(m.group())
    ]
    if not hits:
        review = _REVIEW.search(text)
        if review is None and _MALIGNANCY.search(text):
            review = _CANAL.search(text)
        if review is not None:
            sentence = review.group().strip()
            evidence = [
                Evidence(field="review_needed", rule="keyword", sentence=sentence,
                         start=review.start(), end=review.end())
            ]  # fmt: skip
            return Detection(review_needed=True, evidence=evidence)
        return Detection(excludes_mescc=bool(_EXCLUDES.search(text)))
    grades = [g for m in hits for g in _GRADE.findall(m.group())]
    levels: list[str] = []
    for m in hits:
        for spine, number in _LEVEL.findall(m.group()):
            level = f"{spine}{number}"
            if level not in levels:
                levels.append(level)
    grade = max(grades) if grades else None
    first = hits[0]
    return Detection(
        suspected_mescc=True,
        escc_grade=grade,
        high_grade=grade in ("2", "3"),
        levels=levels,
        retropulsion="retropuls" in text.lower(),
        evidence=[
            Evidence(
                field="suspected_mescc",
                rule="keyword",
                sentence=first.group().strip(),
                start=first.start(),
                end=first.end(),
            )
        ],
    )
