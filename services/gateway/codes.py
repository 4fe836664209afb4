"""Codes the HL7 v2 and FHIR mappers share: assessment codes and procedure words."""

from __future__ import annotations

import re

LOINC = "http://loinc.org"
# LOINC codes of the performance scores, as profiled by HL7 mCODE STU4
# (mcode-ecog-performance-status, mcode-karnofsky-performance-status).
ECOG_LOINC = "89247-1"
KARNOFSKY_LOINC = "89243-0"
# No LOINC code carries the lowest lower-limb MRC grade or the other bedside findings as the
# contract defines them, so they travel under a code system of the site's interface engine.
ASSESSMENT_SYSTEM = "urn:cordwatch:assessment"
# HL7 v2 OBX-3.3 coding system of those site codes: table 0396 reserves "99zzz" for local codes.
HL7_ASSESSMENT_SYSTEM = "99CWA"
HL7_LOINC = "LN"  # HL7 table 0396: LOINC

LOINC_ASSESSMENTS = {ECOG_LOINC: "ecog", KARNOFSKY_LOINC: "karnofsky"}
SITE_ASSESSMENTS = {
    "motor-strength": "motor_strength",
    "ambulatory": "ambulatory",
    "motor-deficit-onset": "motor_deficit_onset",
    "pain": "pain",
    "sphincter-dysfunction": "sphincter_dysfunction",
    "sensory-level": "sensory_level",
}

# Procedure words (FHIR Procedure.code, HL7 PR1-3) to the contract's names, first match wins.
PROCEDURES = (
    (re.compile(r"radiotherapy[ _-]+start|start of radiotherapy", re.I), "radiotherapy_started"),
    (re.compile(r"radiotherapy[ _-]+complet|end of radiotherapy", re.I), "radiotherapy_completed"),
    (re.compile(r"\b(sbrt|sabr|stereotactic)\b", re.I), "sbrt"),
    (re.compile(r"separation", re.I), "separation_surgery"),
    (re.compile(r"decompress", re.I), "decompressive_surgery"),
    (re.compile(r"vertebroplasty|kyphoplasty", re.I), "vertebroplasty"),
    (re.compile(r"stabili[sz]ation|fixation|fusion", re.I), "stabilisation"),
)
RADIOTHERAPY = re.compile(r"radiotherapy|radiation therapy", re.I)
