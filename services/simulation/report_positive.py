"""Simulated reports that describe epidural metastatic disease (label: suspected MESCC).

Grade wording follows the SOSG/Bilsky epidural spinal cord compression scale (Bilsky et al.,
J Neurosurg Spine 2010;13:324-328): 1a epidural without thecal sac deformity, 1b sac deformed,
1c cord abutted, 2 cord compressed with CSF visible, 3 no CSF visible. Hedged wording ("suspicious
for", "cannot exclude") counts as suspected, as in /work/shared/corpus/README.md.
"""

from __future__ import annotations

import random

from services.simulation.anatomy import CAUDA_EQUINA_LEVELS, neighbours, pick_level, spoken_range
from services.simulation.report_common import (
    Patient,
    ReportTruth,
    Study,
    ct_exam,
    history,
    mr_exam,
    mr_technique,
)

POSITIVE_CATEGORIES: tuple[str, ...] = (
    "escc_1a",
    "escc_1b",
    "escc_1c",
    "escc_2",
    "escc_3",
    "cauda_equina",
    "multilevel",
    "hedged",
    "ct_suspicious",
    "pet_suspicious",
)

_SIDES: tuple[str, ...] = ("ventral", "left ventrolateral", "right ventrolateral", "dorsal")

# Each grade has several phrasings; {lv} is the level text, {side} where in the canal.
_EPIDURAL: dict[str, tuple[str, ...]] = {
    "1a": (
        "There is minimal {side} epidural enhancing tissue at {lv} which does not deform the "
        "thecal sac.",
        "Early epidural extension of tumour at {lv}, confined to the epidural fat, without "
        "thecal sac deformity.",
        "A thin rim of epidural tumour lies behind the {lv} vertebral body; the thecal sac is not "
        "indented.",
    ),
    "1b": (
        "{Side} epidural tumour at {lv} deforms the thecal sac but does not reach the spinal cord.",
        "Epidural extension at {lv} indents the anterior thecal sac; CSF is preserved between the "
        "tumour and the cord, which is not abutted.",
        "Tumour extends from the vertebral body into the {side} epidural space at {lv}, effacing "
        "the ventral thecal sac without contacting the cord.",
    ),
    "1c": (
        "Epidural tumour at {lv} deforms the thecal sac and abuts the spinal cord without "
        "compressing it.",
        "{Side} epidural metastatic disease at {lv} contacts the cord; there is no cord deformity.",
        "Epidural soft tissue at {lv} abuts the ventral surface of the cord without displacing or "
        "compressing it.",
    ),
    "2": (
        "Epidural tumour at {lv} compresses the spinal cord, with CSF still visible around the "
        "cord.",
        "There is {side} epidural tumour at {lv} causing compression and displacement of the "
        "cord; some CSF remains visible around the cord.",
        "Moderate compression of the spinal cord by epidural metastatic tissue at {lv}, with the "
        "CSF signal around the cord partially preserved.",
    ),
    "3": (
        "Circumferential epidural tumour at {lv} severely compresses the spinal cord with complete "
        "effacement of the surrounding CSF.",
        "Epidural tumour at {lv} causes severe cord compression; no CSF is visible around the "
        "cord.",
        "High-grade compression of the spinal cord at {lv} by epidural metastasis, with "
        "obliteration of the CSF spaces.",
    ),
}

_GRADE_TAG: tuple[str, ...] = (
    "(ESCC {g})",
    "(Bilsky {g})",
    "(SOSG grade {g})",
    "",
    "- ESCC grade {g}",
)

_IMPRESSION: dict[str, tuple[str, ...]] = {
    "1a": (
        "Metastasis at {lv} with early epidural extension {tag}. No cord compression.",
        "Low-volume epidural disease at {lv} {tag}, not deforming the thecal sac.",
    ),
    "1b": (
        "Epidural metastatic disease at {lv} deforming the thecal sac without cord contact {tag}.",
        "Epidural tumour at {lv} {tag}. The cord is not abutted.",
    ),
    "1c": (
        "Epidural tumour abutting the cord at {lv} {tag}, without cord compression.",
        "Epidural metastasis at {lv} contacting the cord {tag}; impending cord compression.",
    ),
    "2": (
        "Metastatic epidural spinal cord compression at {lv} {tag}.",
        "MSCC at {lv} {tag}. CSF partially preserved.",
        "Epidural tumour compressing the cord at {lv} {tag}.",
    ),
    "3": (
        "Severe metastatic spinal cord compression at {lv} {tag}.",
        "Severe MSCC at {lv} with no CSF around the cord {tag}.",
        "High-grade epidural spinal cord compression at {lv} {tag}.",
    ),
}

_VAGUE_IMPRESSIONS: tuple[str, ...] = (
    "Spinal metastatic disease as detailed above.",
    "Progressive osseous metastases with the complications described.",
    "Findings as above; urgent oncology review advised.",
)

_LESION_WORDS: dict[str, tuple[str, ...]] = {
    "lytic": (
        "Lytic metastasis replacing the {l} vertebral body",
        "Destructive T1-hypointense lesion in the {l} vertebral body",
    ),
    "blastic": (
        "Sclerotic, T1 and T2 hypointense metastasis in the {l} vertebral body",
        "Blastic deposit occupying the {l} vertebral body",
    ),
    "mixed": (
        "Mixed lytic and sclerotic metastasis in the {l} vertebral body",
        "Heterogeneous metastatic deposit of mixed lytic-sclerotic type in {l}",
    ),
}
_COLLAPSE: tuple[tuple[str, str], ...] = (
    ("none", "; vertebral body height is maintained."),
    ("none", " without collapse."),
    ("lt50", " with pathological collapse of about 30% of its height."),
    ("gt50", " with pathological collapse of more than 50% of its height."),
)
_POSTEROLATERAL: tuple[str, ...] = (
    "The posterior elements are spared.",
    "Tumour extends into the right pedicle.",
    "Both pedicles and the lamina are involved.",
    "There is involvement of the left pedicle and facet joint.",
)
_CORD: dict[bool, tuple[str, ...]] = {
    True: (
        "Increased T2/STIR signal within the cord at {lv} in keeping with oedema.",
        "Intramedullary T2 hyperintensity at {lv}, compatible with compressive myelopathy.",
    ),
    False: (
        "Normal cord signal.",
        "No intrinsic cord signal abnormality. The conus terminates normally.",
        "The cord is otherwise normal in calibre and signal.",
    ),
}
_CAUDA: dict[str, tuple[str, ...]] = {
    "3": (
        "Epidural tumour at {lv} fills the spinal canal and severely compresses the cauda equina "
        "nerve roots, with no CSF visible in the thecal sac at this level.",
        "Large epidural mass at {lv} with severe compression of the cauda equina.",
    ),
    "2": (
        "Epidural tumour at {lv} compresses the thecal sac and crowds the cauda equina nerve "
        "roots; CSF is still seen between the roots.",
    ),
}
_HEDGED: tuple[tuple[str | None, str, str], ...] = (
    (
        "1a",
        "Subtle enhancing soft tissue in the ventral epidural space at {lv} is suspicious for "
        "early epidural extension.",
        "Suspected early epidural disease at {lv}.",
    ),
    (
        None,
        "Possible epidural soft tissue posterior to the {lv} vertebral body; epidural tumour "
        "cannot be excluded.",
        "Cannot exclude early epidural tumour at {lv}; correlate clinically.",
    ),
    (
        "1a",
        "Equivocal epidural enhancement at {lv}, likely representing early epidural "
        "extension of the adjacent metastasis.",
        "Likely early epidural extension at {lv} (?ESCC 1a).",
    ),
)
_OTHER_METS: tuple[str, ...] = (
    "Further small deposits in other vertebral bodies without epidural extension.",
    "Additional metastases in the sacrum and iliac bones.",
    "No other suspicious marrow lesion.",
    "Scattered further vertebral metastases, none with epidural disease.",
)


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _fill(template: str, **values: str) -> str:
    side = values.get("side", "")
    text = template.format(Side=_cap(side) if side else "", **values)
    for loose, tight in (("  ", " "), (" .", "."), (" ,", ","), (" ;", ";")):
        text = text.replace(loose, tight)
    return text


def _bone(rng: random.Random, patient: Patient, level: str, *, grade: str) -> str:
    words = rng.choice(_LESION_WORDS[patient.lesion]).format(l=level)
    collapses = _COLLAPSE if grade in {"2", "3"} else _COLLAPSE[:3]
    _, collapse = rng.choice(collapses)
    retro = ""
    if grade in {"2", "3"} and rng.random() < 0.25:
        retro = " Retropulsion of the posterior cortex narrows the canal."
    return f"{words}{collapse}{retro} {rng.choice(_POSTEROLATERAL)}"


def _epidural_study(
    rng: random.Random, patient: Patient, *, category: str, grade: str, levels: tuple[str, ...]
) -> Study:
    lv = spoken_range(rng, levels)
    worst = levels[len(levels) // 2]
    i_ep = rng.randrange(len(_EPIDURAL[grade]))
    i_imp = rng.randrange(len(_IMPRESSION[grade]))
    cord_signal = grade in {"2", "3"} and rng.random() < 0.4
    tag = rng.choice(_GRADE_TAG).format(g=grade)
    epidural = _fill(_EPIDURAL[grade][i_ep], lv=lv, side=rng.choice(_SIDES))
    findings = (
        ("Alignment", rng.choice(("Normal alignment.", "Alignment is maintained."))),
        ("Marrow", f"{_bone(rng, patient, worst, grade=grade)} {rng.choice(_OTHER_METS)}"),
        ("Epidural space", epidural),
        ("Cord", rng.choice(_CORD[cord_signal]).format(lv=worst)),
    )
    impression = (_fill(_IMPRESSION[grade][i_imp], lv=lv, tag=tag),)
    variant = f"e{i_ep}i{i_imp}"
    if rng.random() < 0.1:
        # A hard positive: the epidural disease is only in the findings; the impression is vague.
        impression = (rng.choice(_VAGUE_IMPRESSIONS),)
        variant = f"e{i_ep}vague"
    return Study(
        modality="MR",
        exam=mr_exam(rng, levels),
        history=history(rng, patient, levels=levels),
        technique=mr_technique(rng),
        findings=findings,
        impression=impression,
        truth=ReportTruth(category, True, grade, levels, False, f"{category}/{variant}"),
    )


def positive_study(rng: random.Random, patient: Patient, *, category: str) -> Study:
    """A study of ``category`` (one of POSITIVE_CATEGORIES) for this patient."""
    if category not in POSITIVE_CATEGORIES:
        raise ValueError(f"unknown positive category {category!r}")
    if category.startswith("escc_"):
        level = pick_level(rng, region=rng.choices(("T", "C"), (0.85, 0.15))[0])
        count = rng.choices((1, 2, 3), (0.6, 0.25, 0.15))[0]
        return _epidural_study(
            rng, patient, category=category, grade=category[5:], levels=neighbours(level, count)
        )
    builders = {
        "multilevel": _multilevel,
        "cauda_equina": _cauda_equina,
        "hedged": _hedged,
        "ct_suspicious": _ct_suspicious,
        "pet_suspicious": _pet_suspicious,
    }
    return builders[category](rng, patient)


def _multilevel(rng: random.Random, patient: Patient) -> Study:
    upper = pick_level(rng, region="T")
    lower_index = min(int(upper[1:]) + rng.randint(3, 6), 12)
    lower = f"T{lower_index}" if lower_index != int(upper[1:]) else "L1"
    grades = (rng.choice(("1b", "1c")), rng.choice(("2", "3")))
    worst = max(grades, key=("1a", "1b", "1c", "2", "3").index)
    first = _fill(rng.choice(_EPIDURAL[grades[0]]), lv=upper, side=rng.choice(_SIDES))
    second = _fill(rng.choice(_EPIDURAL[grades[1]]), lv=lower, side=rng.choice(_SIDES))
    findings = (
        ("Alignment", "Normal alignment."),
        ("Marrow", f"Multiple vertebral metastases. {_bone(rng, patient, lower, grade=worst)}"),
        ("Epidural space", f"Two sites of epidural disease. {first} {second}"),
        ("Cord", rng.choice(_CORD[False])),
    )
    impression = (
        f"Multilevel metastatic epidural disease: {upper} (ESCC {grades[0]}) and {lower} "
        f"(ESCC {grades[1]}).",
        f"Cord compression at {lower}." if grades[1] in {"2", "3"} else "",
    )
    return Study(
        modality="MR",
        exam=mr_exam(rng, (upper, lower)),
        history=history(rng, patient, levels=(upper,)),
        technique=mr_technique(rng),
        findings=findings,
        impression=tuple(line for line in impression if line),
        truth=ReportTruth("multilevel", True, worst, (upper, lower), False, "multilevel/two-site"),
    )


def _cauda_equina(rng: random.Random, patient: Patient) -> Study:
    start = rng.choice(CAUDA_EQUINA_LEVELS[:3])
    levels = neighbours(start, rng.choice((1, 2)))
    grade = rng.choice(("3", "3", "2"))
    i = rng.randrange(len(_CAUDA[grade]))
    lv = spoken_range(rng, levels)
    findings = (
        ("Alignment", "Normal lumbar lordosis."),
        ("Marrow", _bone(rng, patient, levels[0], grade=grade)),
        ("Canal", _CAUDA[grade][i].format(lv=lv)),
        ("Conus", "The conus medullaris terminates at L1 and is normal."),
    )
    impression = (
        rng.choice(
            (
                f"Metastatic epidural compression of the cauda equina at {lv}.",
                f"Epidural tumour at {lv} with {'severe' if grade == '3' else 'moderate'} cauda "
                "equina compression.",
            )
        ),
    )
    return Study(
        modality="MR",
        exam=mr_exam(rng, levels),
        history=history(rng, patient, symptom="saddle numbness, urinary retention and leg pain"),
        technique=mr_technique(rng),
        findings=findings,
        impression=impression,
        truth=ReportTruth("cauda_equina", True, grade, levels, False, f"cauda_equina/{grade}{i}"),
    )


def _hedged(rng: random.Random, patient: Patient) -> Study:
    level = pick_level(rng, region="T")
    i = rng.randrange(len(_HEDGED))
    grade, finding, impression = _HEDGED[i]
    findings = (
        ("Marrow", _bone(rng, patient, level, grade="1a")),
        ("Epidural space", finding.format(lv=level)),
        ("Cord", rng.choice(_CORD[False])),
    )
    return Study(
        modality="MR",
        exam=mr_exam(rng, (level,)),
        history=history(rng, patient, levels=(level,)),
        technique=mr_technique(rng),
        findings=findings,
        impression=(impression.format(lv=level),),
        truth=ReportTruth("hedged", True, grade, (level,), False, f"hedged/{i}"),
    )


def _ct_suspicious(rng: random.Random, patient: Patient) -> Study:
    level = pick_level(rng, region="T")
    i = rng.randrange(2)
    finding = (
        f"Lytic destruction of the {level} vertebral body with a soft-tissue mass extending into "
        "the spinal canal and narrowing it, in keeping with epidural tumour.",
        f"Expansile lytic lesion at {level} with posterior cortical breach and soft tissue density "
        "in the ventral spinal canal, suspicious for epidural extension.",
    )[i]
    impression = (
        f"Metastasis at {level} with probable epidural extension into the spinal canal. Urgent MRI "
        "whole spine recommended to assess for cord compression.",
        f"Suspected epidural tumour at {level}. MRI advised.",
    )[i]
    return Study(
        modality="CT",
        exam=ct_exam(rng, (level,)),
        history=history(rng, patient, levels=(level,)),
        technique="Axial CT with sagittal and coronal bone-window reformats.",
        findings=(("Bones", finding), ("Other", "Known primary and nodal disease as before.")),
        impression=(impression,),
        truth=ReportTruth("ct_suspicious", True, None, (level,), False, f"ct_suspicious/{i}"),
    )


def _pet_suspicious(rng: random.Random, patient: Patient) -> Study:
    level = pick_level(rng, region="T")
    return Study(
        modality=rng.choice(("PT", "PET-CT")),
        exam="PET-CT FDG SKULL BASE TO MID-THIGH",
        history=f"Restaging {patient.primary_phrase}.",
        technique="FDG PET with low-dose CT for attenuation correction.",
        findings=(
            (
                "Musculoskeletal",
                f"Intensely FDG-avid lytic metastasis at {level} (SUVmax 9.8) with avid soft "
                "tissue extending into the ventral epidural space.",
            ),
        ),
        impression=(
            f"Avid {level} osseous metastasis with epidural extension; MRI recommended to assess "
            "the degree of cord compression.",
        ),
        truth=ReportTruth("pet_suspicious", True, None, (level,), False, "pet_suspicious/0"),
    )
