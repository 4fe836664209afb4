"""Clinical vocabulary of the simulated hospital: primaries, drugs, services, regimens.

Codes are real so that downstream mapping (primary tumour for the Tokuhashi and Rades scores,
corticosteroid recognition) is exercised as it would be by a live feed. The mixture weights are a
demonstration mix, not epidemiology: they make each interesting case frequent enough to be seen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

Lesion = Literal["lytic", "mixed", "blastic"]


@dataclass(frozen=True, slots=True)
class Primary:
    """A primary cancer as coded on admission and how its bone metastases usually look."""

    key: str
    code: str
    system: Literal["ICD-10", "ICD-10-CM", "SNOMED"]
    display: str
    phrase: str  # how a referrer writes it in the clinical history
    lesions: tuple[Lesion, ...]
    sexes: tuple[str, ...]
    weight: float


# Codes: WHO ICD-10 2019 (icd.who.int/browse10/2019), ICD-10-CM FY2025 (cms.gov), SNOMED CT
# International edition. Lesion appearance: prostate mostly blastic, breast mixed, renal,
# thyroid, myeloma and melanoma lytic (Coleman, Clin Cancer Res 2006;12:6243s-6249s).
PRIMARIES: tuple[Primary, ...] = (
    Primary(
        "prostate",
        "C61",
        "ICD-10",
        "Malignant neoplasm of prostate",
        "metastatic prostate cancer",
        ("blastic", "blastic", "mixed"),
        ("male",),
        0.20,
    ),
    Primary(
        "breast",
        "C50.9",
        "ICD-10",
        "Malignant neoplasm of breast, unspecified",
        "metastatic breast cancer",
        ("mixed", "lytic", "blastic"),
        ("female",),
        0.17,
    ),
    Primary(
        "lung",
        "C34.9",
        "ICD-10",
        "Malignant neoplasm of bronchus or lung, unspecified",
        "NSCLC",
        ("lytic", "lytic", "mixed"),
        ("male", "female"),
        0.17,
    ),
    Primary(
        "kidney",
        "C64",
        "ICD-10",
        "Malignant neoplasm of kidney, except renal pelvis",
        "metastatic renal cell carcinoma",
        ("lytic",),
        ("male", "female"),
        0.07,
    ),
    Primary(
        "myeloma",
        "C90.0",
        "ICD-10",
        "Multiple myeloma",
        "multiple myeloma",
        ("lytic",),
        ("male", "female"),
        0.08,
    ),
    Primary(
        "colorectal",
        "C18.7",
        "ICD-10",
        "Malignant neoplasm of sigmoid colon",
        "metastatic sigmoid adenocarcinoma",
        ("lytic", "mixed"),
        ("male", "female"),
        0.05,
    ),
    Primary(
        "rectum",
        "C20",
        "ICD-10",
        "Malignant neoplasm of rectum",
        "rectal cancer with known metastases",
        ("lytic", "mixed"),
        ("male", "female"),
        0.03,
    ),
    Primary(
        "melanoma",
        "C43.5",
        "ICD-10",
        "Malignant melanoma of trunk",
        "metastatic melanoma",
        ("lytic",),
        ("male", "female"),
        0.04,
    ),
    Primary(
        "thyroid",
        "C73",
        "ICD-10",
        "Malignant neoplasm of thyroid gland",
        "follicular thyroid carcinoma",
        ("lytic",),
        ("female", "male"),
        0.02,
    ),
    Primary(
        "bladder",
        "C67.9",
        "ICD-10",
        "Malignant neoplasm of bladder, unspecified",
        "urothelial carcinoma",
        ("lytic", "mixed"),
        ("male", "female"),
        0.02,
    ),
    Primary(
        "lymphoma",
        "C83.3",
        "ICD-10",
        "Diffuse large B-cell lymphoma",
        "DLBCL",
        ("lytic", "mixed"),
        ("male", "female"),
        0.03,
    ),
    Primary(
        "unknown",
        "C80.1",
        "ICD-10-CM",
        "Malignant (primary) neoplasm, unspecified",
        "carcinoma of unknown primary",
        ("lytic", "mixed"),
        ("male", "female"),
        0.03,
    ),
    Primary(
        "breast_cm",
        "C50.911",
        "ICD-10-CM",
        "Malignant neoplasm of unspecified site of right female breast",
        "ER+ breast cancer",
        ("mixed", "blastic"),
        ("female",),
        0.03,
    ),
    Primary(
        "lung_cm",
        "C34.11",
        "ICD-10-CM",
        "Malignant neoplasm of upper lobe, right bronchus or lung",
        "lung adenocarcinoma",
        ("lytic", "mixed"),
        ("male", "female"),
        0.03,
    ),
    Primary(
        "prostate_sct",
        "399068003",
        "SNOMED",
        "Malignant tumor of prostate",
        "castrate-resistant prostate cancer",
        ("blastic",),
        ("male",),
        0.02,
    ),
    Primary(
        "breast_sct",
        "254837009",
        "SNOMED",
        "Malignant neoplasm of breast",
        "metastatic breast carcinoma",
        ("mixed", "lytic"),
        ("female",),
        0.01,
    ),
)

# Secondary codes that travel with the primary: WHO ICD-10 C79.5 bone, C78.0 lung, C78.7 liver,
# C79.3 brain; Z51.1 (chemotherapy session) is a realistic non-cancer-site noise code.
SECONDARY_CODES: tuple[tuple[str, str], ...] = (
    ("C79.5", "Secondary malignant neoplasm of bone and bone marrow"),
    ("C78.0", "Secondary malignant neoplasm of lung"),
    ("C78.7", "Secondary malignant neoplasm of liver and intrahepatic bile duct"),
    ("C79.3", "Secondary malignant neoplasm of brain and cerebral meninges"),
)
COMORBIDITY_CODES: tuple[tuple[str, str], ...] = (
    ("I10", "Essential (primary) hypertension"),
    ("E11.9", "Type 2 diabetes mellitus without complications"),
    ("J44.9", "Chronic obstructive pulmonary disease, unspecified"),
    ("N18.3", "Chronic kidney disease, stage 3"),
    ("M54.5", "Low back pain"),
)


@dataclass(frozen=True, slots=True)
class Drug:
    """A medication as the eMAR sends it."""

    name: str
    rxnorm: str
    doses_mg: tuple[float, ...]
    routes: tuple[str, ...]
    corticosteroid: bool


# RxNorm ingredient codes (RxNav, NLM). Dexamethasone 16 mg is the NICE NG234 (2023) rec. 1.8.1
# loading dose for suspected MSCC; 10 mg IV then 4 mg 6-hourly is common North American practice
# (Loblaw et al., J Clin Oncol 2005;23:2028); methylprednisolone stands in for other steroids.
DEXAMETHASONE = Drug("dexamethasone", "3264", (16.0, 16.0, 16.0, 10.0, 8.0), ("PO", "IV"), True)
STEROID_ALTERNATIVES: tuple[Drug, ...] = (
    Drug("Dexamethasone sodium phosphate", "3264", (16.0, 10.0), ("IV",), True),
    Drug("methylprednisolone", "6902", (125.0, 500.0), ("IV",), True),
)
NOISE_DRUGS: tuple[Drug, ...] = (
    Drug("morphine sulfate", "7052", (2.5, 5.0, 10.0), ("IV", "PO", "SC"), False),
    Drug("ondansetron", "26225", (4.0, 8.0), ("IV", "PO"), False),
    Drug("enoxaparin", "67108", (40.0,), ("SC",), False),
    Drug("acetaminophen", "161", (1000.0,), ("PO", "IV"), False),
    Drug("pantoprazole", "40790", (40.0,), ("PO", "IV"), False),
)

# DESIGN.md section 2 lists these consult services; the first three are surgical spine services.
SURGICAL_SERVICES: tuple[str, ...] = ("spine surgery", "neurosurgery", "orthopaedic spine")
OTHER_SERVICES: tuple[str, ...] = ("radiation oncology", "medical oncology", "palliative care")

# Palliative spinal radiotherapy schedules: 8 Gy x 1 and 20 Gy / 5 (Hoskin et al., SCORAD III,
# JAMA 2019;322:2084), 30 Gy / 10 (Rades et al., J Clin Oncol 2005;23:3366), SBRT 24 Gy / 2
# (Sahgal et al., Lancet Oncol 2021;22:1023).
RT_REGIMENS: tuple[str, ...] = ("8 Gy x 1", "20 Gy / 5", "20 Gy / 5", "30 Gy / 10", "24 Gy / 2")

# ECOG to Karnofsky correspondence (Oken et al., Am J Clin Oncol 1982;5:649; Buccheri 1996).
ECOG_TO_KARNOFSKY: dict[int, tuple[int, ...]] = {
    0: (90, 100),
    1: (70, 80),
    2: (50, 60),
    3: (30, 40),
    4: (10, 20),
}

RADIOLOGISTS: tuple[str, ...] = (
    "R. Castellanos, MD",
    "Dr A. Whitfield",
    "Dr P. Raghunathan",
    "J. Okonkwo, MBBS FRCR",
    "M. Lindqvist, MD",
    "Dr S. Haddad",
    "Dr E. Nakamura",
    "T. Brennan, DO",
)
CLINICIANS: tuple[str, ...] = (
    "Dr Okafor",
    "Dr Patel",
    "Dr Morrison",
    "the on-call registrar",
    "Dr Chen",
    "the oncology SpR",
    "Dr Alvarez",
    "the acute oncology nurse",
)


def pick_primary(rng: random.Random) -> Primary:
    """Draw a primary tumour by the demonstration weights."""
    return rng.choices(PRIMARIES, weights=[p.weight for p in PRIMARIES], k=1)[0]
