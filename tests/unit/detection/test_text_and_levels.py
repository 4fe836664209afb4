"""The text layer (offsets, sections, sentences) and the level notation parser."""

from __future__ import annotations

import pytest

from services.detection.levels import LEVEL_RULES, ordered, parse
from services.detection.matcher import Layer
from services.detection.text import normalise, split

_LEVELS = Layer(LEVEL_RULES)


def _levels(text: str) -> list[tuple[str, ...]]:
    data = normalise(text)
    return [named for s, e, r in _LEVELS.find(data) if (named := parse(data, s, e, r))]


def test_normalise_keeps_every_offset() -> None:
    text = "İstanbul – EPIDURAL\ttumour\\.br\\T4~T5 \u00e9"
    data = normalise(text)
    assert len(data) == len(text)
    assert data[text.index("EPIDURAL") : text.index("EPIDURAL") + 8] == b"epidural"
    assert data.count(b"\n") == 2  # the HL7 break and the tilde


def test_sections_and_parts() -> None:
    text = (
        "MRI T SPINE\nHISTORY: ?cord compression\nFINDINGS: One. Two.\n"
        "IMPRESSION: Three.\nADDENDUM (01/02/2024 10:30): Four.\nFINAL IMPRESSION: Five."
    )
    got = [(text[s.start : s.end], s.section, s.part) for s in split(normalise(text))]
    assert got == [
        ("MRI T SPINE", "title", 0),
        ("?cord compression", "history", 0),
        ("One.", "findings", 0),
        ("Two.", "findings", 0),
        ("Three.", "impression", 0),
        ("Four.", "addendum", 1),
        ("Five.", "impression", 1),
    ]


def test_one_line_history_does_not_swallow_the_next_line() -> None:
    text = "Indication: back pain.\nEpidural tumour at T4."
    sections = [s.section for s in split(normalise(text))]
    assert sections == ["history", None]


def test_abbreviations_and_numbers_do_not_end_sentences() -> None:
    text = "FINDINGS: Dr. Smith reviewed 1. the T4 lesion, approx. 2 cm. Next sentence."
    got = [text[s.start : s.end] for s in split(normalise(text))]
    assert got == ["Dr. Smith reviewed 1. the T4 lesion, approx. 2 cm.", "Next sentence."]


def test_letter_summary_paragraph_is_an_impression() -> None:
    text = "Dear Dr X,\n\nThere is a lesion.\n\nIn summary, epidural disease at T4."
    assert split(normalise(text))[-1].section == "impression"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at T4-6", [("T4", "T5", "T6")]),
        ("from C7 through T2", [("C7", "T1", "T2")]),
        ("L5/S1", [("L5", "S1")]),
        ("T 11", [("T11",)]),
        ("thoracolumbar junction", [("T12", "L1")]),
        ("T1 and T2 hyperintense lesion at T8", [("T8",)]),
        ("on T2 and at L3", [("L3",)]),
        ("T2/STIR hyperintensity", []),
        ("C8 and T13 and L6", []),
        ("through the T11-T12 neural foramen", []),
        ("T6 to T4", [("T6",)]),
        ("at D11-D12", [("T11", "T12")]),  # dorsal numbering
        ("D4-6", [("T4", "T5", "T6")]),
        ("from D12 to L1", [("T12", "L1")]),
        ("vitamin D3 replacement", []),
        ("from T nine to T ten", [("T9", "T10")]),  # speech recognition spells the numbers
        ("at L one", [("L1",)]),
        ("T two weighted images", []),
        ("at one level", []),
        ("at Th9", [("T9",)]),  # Scandinavian and German abbreviation
        ("tumour Th8-Th10", [("T8", "T9", "T10")]),
        ("from Th7 through Th9", [("T7", "T8", "T9")]),
        ("Th12/L1", [("T12", "L1")]),
        ("the thecal sac", []),
        ("at BWK 10", [("T10",)]),  # German vertebral-body abbreviation
        ("enhancing on post-contrast T1, at L2", [("L2",)]),
        ("LWK 2/3", [("L2", "L3")]),
        ("ASIA grade D 1 week ago", []),
        ("sagittal T1 (Fig. 3) and T2 (Fig. 4) at L3", [("L3",)]),  # sequences before figures
        ("at T-8", [("T8",)]),  # a hyphen after the letter
        ("T-2 weighted images", []),
        ("from T3 to mid-T8", [("T3", "T4", "T5", "T6", "T7", "T8")]),
        ("from the T3-4 to the T7-8 level", [("T3", "T4", "T5", "T6", "T7", "T8")]),
    ],
)
def test_level_notations(text: str, expected: list[tuple[str, ...]]) -> None:
    assert _levels(text) == expected


def test_ordered_is_cranio_caudal() -> None:
    assert ordered({"S1", "C2", "T12", "L1", "T2"}) == ["C2", "T2", "T12", "L1", "S1"]


def test_accented_latin_letters_fold_to_their_base_letter_in_place() -> None:
    text = "Compresión médullaire, Kümmell"
    data = normalise(text)
    assert data == b"compresion medullaire, kummell"
    assert len(data) == len(text)
