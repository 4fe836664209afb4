"""Simulated reports that must NOT open an episode: the hard negatives of the shared corpus.

Bone-only metastases (ESCC 0), negated epidural disease, degenerative stenosis that flattens the
cord, benign osteoporotic fractures with retropulsion, epidural abscess, haemangioma, resolved
disease, and studies that cannot see the epidural space (bone scan, radiographs). A "ruled_out"
study is the later MR that explicitly states no epidural disease and no compression, which is
what lets the pathway close an episode as ruled out (DESIGN.md section 3).
"""

from __future__ import annotations

import random

from services.simulation.anatomy import neighbours, pick_level, spoken_range
from services.simulation.report_common import (
    Patient,
    ReportTruth,
    Study,
    ct_exam,
    history,
    mr_exam,
    mr_technique,
)

NEGATIVE_CATEGORIES: tuple[str, ...] = (
    "bone_only",
    "negated",
    "degenerative_cervical",
    "degenerative_lumbar",
    "osteoporotic",
    "abscess",
    "haemangioma",
    "normal",
    "resolved",
    "bone_scan",
    "xr_collapse",
    "ct_bone_only",
)

_EXCLUDE_SENTENCES: tuple[str, ...] = (
    "No epidural disease. No compression of the spinal cord or cauda equina.",
    "There is no epidural tumour and no cord or cauda equina compression.",
    "No evidence of metastatic epidural spinal cord compression; the spinal canal is patent "
    "throughout with no epidural soft tissue.",
)


def _study(
    modality: str,
    exam: str,
    history_line: str,
    technique: str,
    findings: tuple[tuple[str, str], ...],
    impression: tuple[str, ...],
    *,
    category: str,
    variant: int,
    grade: str | None = None,
    excludes: bool = False,
) -> Study:
    truth = ReportTruth(category, False, grade, (), excludes, f"{category}/{variant}")
    return Study(modality, exam, history_line, technique, findings, impression, truth)


def negative_study(rng: random.Random, patient: Patient, *, category: str) -> Study:
    """A study of ``category`` (one of NEGATIVE_CATEGORIES) for this patient."""
    builder = _BUILDERS.get(category)
    if builder is None:
        raise ValueError(f"unknown negative category {category!r}")
    return builder(rng, patient)


def ruled_out_study(rng: random.Random, patient: Patient, *, levels: tuple[str, ...]) -> Study:
    """A follow-up MR that rules out epidural disease at the previously suspected levels."""
    lv = spoken_range(rng, levels) if levels else "the level of concern"
    i = rng.randrange(3)
    finding = (
        f"The soft tissue questioned at {lv} on the prior study corresponds to a prominent "
        "basivertebral venous plexus. " + _EXCLUDE_SENTENCES[i],
        f"At {lv} there is a sclerotic metastasis confined to bone. " + _EXCLUDE_SENTENCES[i],
        f"Post-contrast images show normal epidural fat at {lv}. " + _EXCLUDE_SENTENCES[i],
    )[i]
    impression = (
        f"No epidural disease at {lv}; metastatic spinal cord compression is excluded.",
        "Osseous metastatic disease without epidural extension. No cord or cauda equina "
        "compression.",
        f"Appearances at {lv} are not due to epidural tumour. No cord compression.",
    )[i]
    return _study(
        "MR",
        mr_exam(rng, levels),
        f"Follow-up of equivocal finding at {lv} on earlier imaging. {patient.primary_phrase}.",
        mr_technique(rng),
        (("Findings", finding), ("Cord", "Normal cord signal and calibre.")),
        (impression,),
        category="ruled_out",
        variant=i,
        grade="0" if i == 1 else None,
        excludes=True,
    )


def _bone_only(rng: random.Random, patient: Patient) -> Study:
    levels = (pick_level(rng, region="T"), pick_level(rng, region="L"))
    i = rng.randrange(3)
    finding = (
        f"{patient.lesion.capitalize()} metastases in the {levels[0]} and {levels[1]} vertebral "
        "bodies without collapse. No epidural extension. The spinal canal is of normal calibre.",
        f"Multiple vertebral metastases, largest at {levels[0]}, confined to bone. No epidural "
        "soft tissue. No cord compression.",
        f"Diffuse marrow infiltration in keeping with metastatic disease. Cortical margins of "
        f"{levels[0]} intact. Epidural space clear; no cord or cauda equina compression.",
    )[i]
    impression = (
        "Osseous metastases without epidural extension (ESCC 0). No MSCC.",
        "Spinal bone metastases. No epidural disease or cord compression.",
        "Diffuse osseous metastatic disease. No evidence of MSCC.",
    )[i]
    return _study(
        "MR",
        mr_exam(rng, levels),
        history(rng, patient),
        mr_technique(rng),
        (("Marrow", finding), ("Cord", "Normal cord signal.")),
        (impression,),
        category="bone_only",
        variant=i,
        grade="0",
    )


def _negated(rng: random.Random, patient: Patient) -> Study:
    i = rng.randrange(3)
    finding = (
        "Normal vertebral body heights and marrow signal. " + _EXCLUDE_SENTENCES[0],
        "No suspicious marrow lesion. No epidural mass or collection. The cord and conus are "
        "normal.",
        "Minor degenerative disc changes at L4-L5 without significant canal stenosis. No bone "
        "metastases. No epidural disease.",
    )[i]
    impression = (
        "No MSCC.",
        "No evidence of metastatic spinal cord compression.",
        "No metastatic disease of the spine. No cord compression.",
    )[i]
    return _study(
        "MR",
        mr_exam(rng, ()),
        history(rng, patient),
        mr_technique(rng),
        (("Findings", finding),),
        (impression,),
        category="negated",
        variant=i,
    )


def _degenerative_cervical(rng: random.Random, patient: Patient) -> Study:
    disc = rng.choice(("C5-C6", "C4-C5", "C6-C7"))
    i = rng.randrange(2)
    finding = (
        f"At {disc} a broad-based disc-osteophyte complex with uncovertebral hypertrophy "
        "results in moderate spinal canal stenosis with mild flattening of the ventral cord. "
        "No cord signal abnormality. No destructive bone lesion or epidural mass.",
        f"Multilevel cervical spondylosis, worst at {disc}, where a disc protrusion indents "
        "the cord. Marrow signal is normal; no metastatic deposit is seen.",
    )[i]
    impression = (
        f"Degenerative cervical spondylosis with moderate canal stenosis at {disc}. No evidence "
        "of metastatic disease.",
        f"Degenerative cord indentation at {disc}. No spinal metastases or epidural tumour.",
    )[i]
    return _study(
        "MR",
        "MRI CERVICAL SPINE W/O CONTRAST",
        history(rng, patient, levels=("C5",)),
        mr_technique(rng),
        (("Findings", finding),),
        (impression,),
        category="degenerative_cervical",
        variant=i,
    )


def _degenerative_lumbar(rng: random.Random, patient: Patient) -> Study:
    i = rng.randrange(2)
    finding = (
        "At L4-L5 a disc bulge with facet and ligamentum flavum hypertrophy causes severe canal "
        "stenosis with crowding of the cauda equina nerve roots. No suspicious marrow lesion.",
        "Grade 1 degenerative spondylolisthesis of L4 on L5 with moderate canal and bilateral "
        "foraminal stenosis. Normal marrow signal; no bone metastasis, no epidural mass.",
    )[i]
    impression = (
        "Severe degenerative lumbar canal stenosis at L4-L5. No metastatic disease.",
        "Degenerative spondylolisthesis L4-L5. No evidence of metastatic epidural disease.",
    )[i]
    return _study(
        "MR",
        "MRI LUMBAR SPINE W/O CONTRAST",
        history(rng, patient, levels=("L4",)),
        mr_technique(rng),
        (("Findings", finding),),
        (impression,),
        category="degenerative_lumbar",
        variant=i,
    )


def _osteoporotic(rng: random.Random, patient: Patient) -> Study:
    level = rng.choice(("T12", "L1", "L2", "T11"))
    i = rng.randrange(2)
    finding = (
        f"Acute osteoporotic wedge compression fracture of {level} with about 30% loss of anterior "
        "height and mild retropulsion of the posterosuperior corner, which does not compress the "
        "conus or cauda equina. Preserved fatty marrow signal in the remainder of the body; "
        "no enhancing mass, no epidural soft tissue.",
        f"Band-like STIR hyperintensity beneath the superior endplate of {level} with a "
        "horizontal fracture line and fluid sign, typical of a benign insufficiency fracture. "
        "No pedicle involvement, no convex posterior cortex, no epidural mass.",
    )[i]
    impression = (
        f"Benign-appearing osteoporotic compression fracture of {level}. No features of "
        "malignancy. No MSCC.",
        f"Acute benign insufficiency fracture of {level}. No metastatic disease identified.",
    )[i]
    return _study(
        "MR",
        mr_exam(rng, (level,)),
        history(rng, patient),
        mr_technique(rng),
        (("Findings", finding),),
        (impression,),
        category="osteoporotic",
        variant=i,
    )


def _abscess(rng: random.Random, patient: Patient) -> Study:
    upper = pick_level(rng, region="T")
    levels = neighbours(upper, 2)
    disc = f"{levels[0]}-{levels[-1]}"
    i = rng.randrange(2)
    finding = (
        f"T2 hyperintensity of the {levels[0]} and {levels[-1]} vertebral bodies and the "
        "intervening disc with endplate erosion, in keeping with discitis-osteomyelitis. A "
        f"rim-enhancing ventral epidural collection extends from {levels[0]} to {levels[-1]} and "
        "indents the thecal sac, consistent with epidural abscess.",
        f"Discitis at {disc} with paravertebral phlegmon and a small epidural phlegmon; no "
        "drainable collection. The cord is not compressed.",
    )[i]
    impression = (
        f"Discitis-osteomyelitis {disc} with a ventral epidural abscess. No evidence of "
        "malignancy.",
        f"Infective discitis {disc} with epidural phlegmon. Not typical of metastatic disease.",
    )[i]
    return _study(
        "MR",
        mr_exam(rng, levels),
        f"Fever, raised CRP and back pain. Background of "
        f"{patient.primary_phrase} on chemotherapy. ?discitis",
        mr_technique(rng),
        (("Findings", finding),),
        (impression,),
        category="abscess",
        variant=i,
    )


def _haemangioma(rng: random.Random, patient: Patient) -> Study:
    level = pick_level(rng, region="L")
    return _study(
        "MR",
        mr_exam(rng, (level,)),
        history(rng, patient),
        mr_technique(rng),
        (
            (
                "Marrow",
                f"Well-defined T1 and T2 hyperintense lesion in the {level} vertebral body "
                "with coarse vertical trabeculae, typical of a haemangioma. No other marrow "
                "lesion.",
            ),
            ("Canal", "No epidural disease. Cord and cauda equina normal."),
        ),
        (f"Typical vertebral haemangioma at {level}. No metastasis.",),
        category="haemangioma",
        variant=0,
    )


def _normal(rng: random.Random, patient: Patient) -> Study:
    i = rng.randrange(2)
    finding = (
        "Normal alignment. Normal marrow signal. The cord is normal in calibre and signal. "
        "No epidural collection or mass.",
        "Vertebral bodies of normal height and signal. No spinal canal or foraminal stenosis. "
        "Conus at L1.",
    )[i]
    return _study(
        "MR",
        mr_exam(rng, ()),
        history(rng, patient),
        mr_technique(rng),
        (("Findings", finding),),
        (("Normal MRI of the spine.", "Normal study.")[i],),
        category="normal",
        variant=i,
    )


def _resolved(rng: random.Random, patient: Patient) -> Study:
    level = pick_level(rng, region="T")
    return _study(
        "MR",
        mr_exam(rng, (level,)),
        f"{patient.primary_phrase}, post radiotherapy to {level}. Restaging.",
        mr_technique(rng),
        (
            (
                "Findings",
                f"Treated metastasis at {level} is now sclerotic. The epidural tumour seen "
                f"previously at {level} has resolved. No residual epidural disease; the cord is "
                "not compressed.",
            ),
        ),
        (f"Resolution of the previous epidural disease at {level} after radiotherapy. No MSCC.",),
        category="resolved",
        variant=0,
    )


def _bone_scan(rng: random.Random, patient: Patient) -> Study:
    i = rng.randrange(2)
    finding = (
        "Multiple foci of increased tracer uptake in the thoracic and lumbar spine, pelvis and "
        "ribs, consistent with widespread osseous metastases.",
        "Solitary new focus of intense uptake in a mid-thoracic vertebral body, suspicious for "
        "metastasis. Elsewhere degenerative uptake in the knees.",
    )[i]
    impression = (
        "Widespread skeletal metastases. If there are neurological symptoms, MRI whole spine is "
        "recommended to exclude cord compression.",
        "Probable solitary thoracic vertebral metastasis; MRI correlation suggested.",
    )[i]
    return _study(
        "NM",
        "NM BONE SCAN WHOLE BODY",
        f"Staging of {patient.primary_phrase}. Bone pain.",
        "Whole-body planar imaging 3 hours after 600 MBq Tc-99m MDP.",
        (("Findings", finding),),
        (impression,),
        category="bone_scan",
        variant=i,
    )


def _xr_collapse(rng: random.Random, patient: Patient) -> Study:
    level = rng.choice(("T12", "L1", "T11", "L2"))
    return _study(
        "XR",
        "XR THORACOLUMBAR SPINE 2 VIEWS",
        f"{patient.primary_phrase}, back pain after a fall.",
        "AP and lateral views.",
        (
            (
                "Findings",
                f"Approximately 30% loss of height of {level} with an ill-defined lucency in "
                "the vertebral body. Pedicles visible on the AP view.",
            ),
        ),
        (f"Compression deformity of {level}, possibly pathological. MRI is recommended.",),
        category="xr_collapse",
        variant=0,
    )


def _ct_bone_only(rng: random.Random, patient: Patient) -> Study:
    level = pick_level(rng, region="T")
    return _study(
        "CT",
        ct_exam(rng, (level,)),
        f"Restaging {patient.primary_phrase}.",
        "Axial CT with IV contrast, sagittal bone reformats.",
        (
            (
                "Bones",
                f"{patient.lesion.capitalize()} metastases at {level} and in the pelvis. The "
                "posterior vertebral cortex is intact and there is no soft tissue in the spinal "
                "canal.",
            ),
        ),
        ("Stable osseous metastases without evidence of epidural extension.",),
        category="ct_bone_only",
        variant=0,
        grade="0",
    )


_BUILDERS = {
    "bone_only": _bone_only,
    "negated": _negated,
    "degenerative_cervical": _degenerative_cervical,
    "degenerative_lumbar": _degenerative_lumbar,
    "osteoporotic": _osteoporotic,
    "abscess": _abscess,
    "haemangioma": _haemangioma,
    "normal": _normal,
    "resolved": _resolved,
    "bone_scan": _bone_scan,
    "xr_collapse": _xr_collapse,
    "ct_bone_only": _ct_bone_only,
}
