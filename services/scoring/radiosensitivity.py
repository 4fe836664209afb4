"""Radiosensitivity of the primary to conventional external-beam RT, as NOMS decisions use it.

NOMS (Laufer I et al., "The NOMS framework: approach to the treatment of spinal metastatic
tumors", Oncologist 2013;18(6), doi:10.1634/theoncologist.2012-0293) splits histologies by their
response to conventional RT: radiosensitive ones are treated with conventional RT whatever the
ESCC grade; radioresistant ones need SBRT, or separation surgery then SBRT when compression is
high-grade. The table below says
per primary which list names it; the search tool found the AO Foundation Surgery Reference page
"Classification of Tumor Radiosensitivity" (radiosensitive: lymphoma, myeloma, seminoma;
radioresistant: renal cell, melanoma, thyroid, colorectal), the Patchell 2005 trial's exclusion
list of radiosensitive tumours (lymphoma, leukaemia, multiple myeloma, germ-cell tumour; found at
neurosurgerywiki.com "Patchell criteria") and summaries of Laufer 2013 (synapse.mskcc.org;
ask.nsgyask.com). Rows marked "issue 4" follow the classification that
issue 4 states for NOMS tables and were not found verbatim in a searched page.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.scoring import ExplainRow, Radiosensitivity, RadiosensitivityBasis

from .primary import Primary, PrimaryFinding

_AO = "AO Surgery Reference, Classification of Tumor Radiosensitivity"
_NOMS = (
    "Laufer et al., Oncologist 2013;18(6), doi:10.1634/theoncologist.2012-0293 (NOMS), "
    "as classified in issue 4"
)
_PATCHELL = (
    "Patchell et al., Lancet 2005;366:643-8, radiosensitive tumours excluded: lymphoma, "
    "leukaemia, multiple myeloma, germ-cell tumour"
)
_UNLISTED = "in neither list found; not radiosensitive for the NOMS decision"

SENS, MID, RES = (
    Radiosensitivity.RADIOSENSITIVE,
    Radiosensitivity.INTERMEDIATE,
    Radiosensitivity.RADIORESISTANT,
)


@dataclass(frozen=True, slots=True)
class Entry:
    primary: Primary
    radiosensitivity: Radiosensitivity
    source: str


TABLE: tuple[Entry, ...] = (
    Entry(Primary.LYMPHOMA, SENS, _AO + "; " + _PATCHELL),
    Entry(Primary.MYELOMA, SENS, _AO + "; " + _PATCHELL),
    Entry(Primary.LEUKAEMIA, SENS, _PATCHELL),
    Entry(Primary.GERM_CELL, SENS, _AO + " (seminoma); " + _PATCHELL),
    Entry(Primary.LUNG_SMALL_CELL, SENS, _NOMS),
    Entry(Primary.KIDNEY, RES, _AO),
    Entry(Primary.MELANOMA, RES, _AO),
    Entry(Primary.THYROID, RES, _AO),
    Entry(Primary.COLON, RES, _AO + " (colorectal)"),
    Entry(Primary.RECTUM, RES, _AO + " (colorectal)"),
    Entry(Primary.SARCOMA, RES, _NOMS),
    Entry(Primary.OSTEOSARCOMA, RES, _NOMS),
    Entry(Primary.BONE_SARCOMA, RES, _NOMS),
    Entry(Primary.HEPATOCELLULAR, RES, _NOMS),
    Entry(Primary.LUNG_NON_SMALL_CELL, RES, _NOMS),
    # Issue 4: C34 counts as small-cell only when histology words say so.
    Entry(Primary.LUNG, RES, _NOMS + "; small-cell only when histology says so"),
    Entry(Primary.BREAST, MID, _UNLISTED),
    Entry(Primary.PROSTATE, MID, _UNLISTED),
)
_BY_PRIMARY: dict[Primary, Entry] = {e.primary: e for e in TABLE}


def classify(finding: PrimaryFinding) -> tuple[Radiosensitivity, RadiosensitivityBasis, ExplainRow]:
    """One class when every candidate primary agrees; unknown when none is listed or they differ."""
    entries = [_BY_PRIMARY.get(p) for p in sorted(finding.primaries)]
    listed = [e for e in entries if e is not None]
    classes = {e.radiosensitivity for e in listed}
    primary = ", ".join(sorted(finding.primaries)) or None
    matched = ", ".join(finding.matched) or None
    if not listed or len(listed) < len(entries) or len(classes) != 1:
        why = (
            "no primary tumour given"
            if not finding.known
            else "primaries disagree or are not in the table"
        )
        basis = RadiosensitivityBasis(primary=primary, matched=matched, source=why)
        row = ExplainRow(
            score="radiosensitivity",
            factor="primary",
            value=primary or "unknown",
            points=Radiosensitivity.UNKNOWN,
            source=why,
        )
        return Radiosensitivity.UNKNOWN, basis, row
    result = classes.pop()
    source = "; ".join(dict.fromkeys(e.source for e in listed))
    basis = RadiosensitivityBasis(primary=primary, matched=matched, source=source)
    row = ExplainRow(
        score="radiosensitivity",
        factor="primary",
        value=f"{primary} ({matched})",
        points=result,
        source=source,
    )
    return result, basis, row
