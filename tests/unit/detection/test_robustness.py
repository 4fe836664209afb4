"""Any input, however strange, gives a valid Detection, and never a crash or a stall."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.detection import Detection
from services.detection import detect
from services.detection.levels import RANK

_CLINICAL = [
    "no ",
    "not ",
    "epidural tumour ",
    "cord compression ",
    "T4-6 ",
    "T 11 ",
    "cannot be excluded ",
    "ESCC 2 ",
    "Bilsky 1c ",
    "\\.br\\",
    "~",
    "FINDINGS: ",
    "IMPRESSION: ",
    "ADDENDUM: ",
    "? ",
    "abuts the cord ",
    "no CSF ",
    "thecal sac ",
    "( ",
    ") ",
    "; ",
    "but ",
    "previously ",
    "retropulsed fragment ",
    "lytic ",
    "50% height loss ",
    "both pedicles ",
    "\n",
    ". ",
    "İ",
    "ß",
    "\u2013",
    "\x00",
    "\ud800",
]


def _valid(text: str, result: Detection) -> None:
    again = Detection.model_validate(result.model_dump())  # every field within its contract
    assert again == result
    assert result.high_grade == (result.escc_grade in ("2", "3"))
    assert result.levels == sorted(set(result.levels), key=RANK.__getitem__)
    if not result.suspected_mescc:
        assert result.levels == []
    for item in result.evidence:
        assert 0 <= item.start <= item.end <= len(text)
        assert item.sentence in text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_unicode(text: str) -> None:
    _valid(text, detect(text))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(_CLINICAL), max_size=60),
    st.sampled_from([None, "MR", "CT", "PET-CT", "XR", "NM", "", "weird"]),
)
def test_clinical_fragments_in_any_order(parts: list[str], modality: str | None) -> None:
    text = "".join(parts)
    _valid(text, detect(text, modality=modality, exam=text[:40]))


def test_empty_and_blank_text() -> None:
    for text in ("", " ", "\n\n", "~~~", "\\.br\\"):
        result = detect(text)
        _valid(text, result)
        assert not result.suspected_mescc


@pytest.mark.parametrize(
    "unit",
    [
        "no ",
        "epidural tumour compresses the cord at T4. ",
        "T1-",
        ".",
        "(",
        "~",
        "\\.br\\",
        "a" * 99 + " ",
        "compresses the the the ",
        "thecal sac, which is, ",
        "no CSF ",
        "ESCC 3 ",
        "FINDINGS:",
        "\u00e9",
        "12% ",
        " ",
    ],
)
def test_pathological_repetition_up_to_200000_chars(unit: str) -> None:
    text = (unit * (200_000 // len(unit) + 1))[:200_000]
    started = time.perf_counter()
    result = detect(text)
    elapsed = time.perf_counter() - started
    _valid(text, result)
    # Not a timing assertion on speed, a guard against a stall: linear work on 200 kB.
    assert elapsed < 60, f"{elapsed:.1f}s on {unit!r}"


def test_long_realistic_report() -> None:
    body = (
        "FINDINGS: Lytic metastasis at T6 with epidural tumour abutting the cord. "
        "No cord compression. Alignment normal.\n"
    )
    text = (body * (200_000 // len(body)))[:200_000]
    result = detect(text)
    _valid(text, result)
    assert result.suspected_mescc
    assert result.escc_grade == "1c"


def test_matcher_never_runs_out_of_dfa_memory(capfd: pytest.CaptureFixture[str]) -> None:
    # RE2 logs "DFA out of memory" to standard error when a table outgrows its budget; the
    # scan still works (linearly) but several times more slowly, so a table edit that causes
    # it must fail here rather than quietly slow production down.
    words = (
        "epidural",
        "tumour",
        "compresses",
        "the",
        "cord",
        "abuts",
        "thecal",
        "sac",
        "no",
        "CSF",
        "severe",
        "T4",
        "L5",
        "disc",
        "abscess",
        "metastasis",
        "without",
        "not",
        "cannot",
        "be",
        "excluded",
        "both",
        "pedicles",
        "40%",
        "height",
        "loss",
        "retropulsed",
        "fragment",
        "oedema",
        "ESCC",
        "2",
        "Bilsky",
        "1c",
        "into",
        "spinal",
        "canal",
    )
    text = " ".join(words[(i * 7) % len(words)] for i in range(30_000))
    detect(text)
    assert "out of memory" not in capfd.readouterr().err
