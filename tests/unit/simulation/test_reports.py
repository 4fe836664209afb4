"""Simulated report texts vary, follow their truth, and agree with the real detector."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from services.simulation import SimMessage
from services.simulation.report_common import Patient
from services.simulation.report_layout import pick_layout, render
from services.simulation.report_negative import NEGATIVE_CATEGORIES, negative_study
from services.simulation.report_positive import POSITIVE_CATEGORIES, positive_study

PATIENT = Patient(age=67, sex="male", primary_phrase="metastatic prostate cancer", lesion="blastic")


def _reports(feed: list[SimMessage]) -> list[SimMessage]:
    return [m for m in feed if m.report is not None and m.event is not None]


def test_report_texts_come_from_many_templates(big_feed: list[SimMessage]) -> None:
    reports = _reports(big_feed)
    templates = {m.report.template for m in reports}  # type: ignore[union-attr]
    layouts = {t.split(":")[0] for t in templates}
    texts = {m.event["text"] for m in reports}  # type: ignore[index]
    assert len(templates) >= 80
    assert {"us_academic", "uk_nhs", "terse", "structured", "legacy_caps", "australian"} <= layouts
    assert "preliminary" in layouts
    assert len(texts) >= 0.9 * len({m.event["accession"] for m in reports})  # type: ignore[index]
    modalities = Counter(m.event["modality"] for m in reports)  # type: ignore[index]
    assert modalities.most_common(1)[0][0] == "MR"
    assert {"CT", "NM", "XR"} <= set(modalities)


def test_every_category_appears_in_a_large_feed(big_feed: list[SimMessage]) -> None:
    categories = {m.report.category for m in _reports(big_feed)}  # type: ignore[union-attr]
    assert set(NEGATIVE_CATEGORIES) <= categories
    assert set(POSITIVE_CATEGORIES) - {"escc_1a"} <= categories
    assert "ruled_out" in categories


@pytest.mark.parametrize("category", POSITIVE_CATEGORIES)
def test_positive_texts_name_their_levels(category: str) -> None:
    for seed in range(20):
        rng = random.Random(seed)
        study = positive_study(rng, PATIENT, category=category)
        report = render(study, rng, layout=pick_layout(rng))
        assert report.truth.suspected_mescc
        assert report.truth.levels
        assert report.truth.levels[0].upper() in report.text.upper()


@pytest.mark.parametrize("category", NEGATIVE_CATEGORIES)
def test_negative_texts_are_labelled_not_suspected(category: str) -> None:
    rng = random.Random(3)
    study = negative_study(rng, PATIENT, category=category)
    assert not study.truth.suspected_mescc
    assert study.truth.levels == ()


def test_unknown_categories_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        positive_study(random.Random(1), PATIENT, category="escc_9")
    with pytest.raises(ValueError, match="unknown"):
        negative_study(random.Random(1), PATIENT, category="fracture")


def test_real_detector_agrees_with_the_simulated_labels(big_feed: list[SimMessage]) -> None:
    detection = pytest.importorskip("services.detection")
    if not hasattr(detection, "detect"):
        pytest.skip("services.detection has not landed detect() yet")
    reports = [m for m in _reports(big_feed) if m.event["status"] != "cancelled"]  # type: ignore[index]
    agree = Counter()
    wrong: Counter[str] = Counter()
    for message in reports:
        event = message.event
        assert event is not None
        assert message.report is not None
        verdict = detection.detect(event["text"], modality=event["modality"], exam=event["exam"])
        ok = verdict.suspected_mescc == message.report.suspected_mescc
        agree[ok] += 1
        if not ok:
            wrong[message.report.category] += 1
    positives = sum(m.report.suspected_mescc for m in reports)  # type: ignore[union-attr]
    assert positives > 50
    rate = agree[True] / len(reports)
    assert rate >= 0.9, f"agreement {rate:.2%}; disagreements by category: {dict(wrong)}"
