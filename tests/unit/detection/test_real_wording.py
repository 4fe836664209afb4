"""Phenomena of real radiologists' wording (issue 10), each as a positive and a negative.

Every sentence here was written for Cordwatch; none is quoted from a published report.
"""

from __future__ import annotations

import pytest

from services.detection import detect
from services.detection.text import normalise, split

# (text, suspected, grade): the grade as ../shared/corpus/README.md reads it from words.
CASES = [
    # narrative and caption style, no sections at all
    (
        "MRI of the thoracic spine showed an epidural mass at T7 compressing the spinal cord",
        True,
        "2",
    ),
    (
        "MRI of the thoracic spine showed a disc protrusion at T7 compressing the spinal cord",
        False,
        None,
    ),
    # a canal narrowed by tumour is compression; by degeneration it is not
    (
        "Severe canal stenosis at T10 caused by an extraosseous tumour component of a metastasis.",
        True,
        "3",
    ),
    (
        "FINDINGS:\nSevere degenerative canal stenosis at L4-5 from facet "
        "hypertrophy and disc bulge.",
        False,
        None,
    ),
    # a displaced cord is compressed unless CSF is still seen around it
    ("Lymphoma extends into the epidural space at T4 and displaces the spinal cord.", True, "2"),
    (
        "Lymphoma extends into the epidural space at T4 and displaces the cord to the right, with "
        "CSF still visible around it. No cord compression.",
        True,
        "1c",
    ),
    ("Epidural lipomatosis from T4 to T8 displaces the cord anteriorly.", False, None),
    # roots encroached on or displaced: 1c
    (
        "Metastatic tumour invades the canal at L3 and encroaches on the cauda equina roots.",
        True,
        "1c",
    ),
    ("A disc extrusion at L3-4 encroaches on the traversing nerve roots.", False, None),
    # a space between "extra" and "dural"; tumour "extending to the epidural spaces"
    (
        "Biopsy-proven lymphoma: a focal extra dural soft tissue mass from T3 "
        "to T5 compresses the cord.",
        True,
        "2",
    ),
    (
        "The osteolytic metastasis at L2 is seen extending posteriorly to the epidural spaces.",
        True,
        None,  # nothing said of the thecal sac or cord: undetermined (corpus README)
    ),
    (
        "The osteolytic metastasis at L2 is confined to bone, with no "
        "extension to the epidural space.",
        False,
        "0",
    ),
    # a benign lesion named anywhere owns the unnamed mass when no malignancy is named
    (
        "There is a posterior epidural mass at T2 compressing the cord.\n"
        "Appearances are those of a spontaneous epidural haematoma.",
        False,
        None,
    ),
    (
        "There is a posterior epidural mass at T2 compressing the cord.\n"
        "An epidural haematoma was suspected, but biopsy showed diffuse large B-cell lymphoma.",
        True,
        "2",
    ),
    (
        "A dumbbell mass at C2 deforms the cord; at surgery it proved to be a schwannoma.",
        False,
        None,
    ),
    # treated disease that has gone is not current
    (
        "Follow-up MRI after radiotherapy shows a complete epidural tumour response at T9.",
        False,
        None,
    ),
    (
        "Follow-up MRI after radiotherapy shows residual epidural tumour at T9 "
        "indenting the thecal sac.",
        True,
        "1b",
    ),
    (
        "Myeloma, previously treated with radiotherapy to T8; no residual cord compression.",
        False,
        None,
    ),
    # a tumour's soft tissue entering the epidural space and narrowing the canal, in two
    # sentences after the metastasis is named: the stenosis is the tumour's, not degenerative
    (
        "Destructive metastasis of the L1 body. Its soft tissue grows into the epidural space "
        "causing severe central canal stenosis.",
        True,
        "3",
    ),
    (
        "Destructive metastasis of the L1 body. At L4-5 there is severe central canal stenosis "
        "from facet arthropathy and a broad disc bulge.",
        False,
        "0",
    ),
    # below the conus the thecal sac holds the cauda equina: a compressed sac there is grade 2
    ("Epidural myeloma at L3 and L4 compresses the thecal sac.", True, "2"),
    ("Epidural myeloma at T9 compresses the thecal sac.", True, "1b"),
    # a myelopathy called compressive is a compressed cord; its cause decides
    ("Epidural lymphoma from C5 to C7 with compressive myelopathy.", True, "2"),
    ("Multilevel spondylosis from C4 to C6 with compressive myelopathy.", False, None),
    # the adjective before the noun: "complete CSF effacement"
    ("Epidural metastasis at T6 compressing the cord, with complete CSF effacement.", True, "3"),
    ("Epidural metastasis at T6 compressing the cord; CSF effacement is not complete.", True, "2"),
    # "medullar" is how some non-native writers name the cord
    ("Extradural lymphoma at T3 causing medullar compression.", True, "2"),
    ("Disc herniation at C5-6 causing medullar compression.", False, None),
    # a CSF statement on the next line of the same section still qualifies the finding above it;
    # a line naming another level describes that level
    (
        "FINDINGS: Renal cancer deposit in T6 with posterior epidural extension.\n"
        "Complete effacement of the CSF around the cord.",
        True,
        "3",
    ),
    (
        "FINDINGS: Renal cancer deposit in T6 with posterior epidural extension.\n"
        "At C5 complete effacement of the CSF from a disc osteophyte complex.",
        True,
        None,  # nothing is said of the sac or cord at T6 (corpus README: grade null)
    ),
    # an obliterated canal is grade 3; bone destroyed by the mass makes an unnamed mass tumour
    ("Known myeloma. A plasmacytoma of T9 obliterates the spinal canal.", True, "3"),
    ("A large mass destroys the sacrum and obliterates the sacral canal.", True, "3"),
    (
        "Discitis at L2-3 destroys the vertebral bodies; an epidural abscess obliterates the "
        "canal.",
        False,
        None,
    ),
    # a fracture's own wall bulging is not a disc bulge
    (
        "Pathological fracture of L1 in myeloma; the posterior wall bulges and compresses the "
        "thecal sac.",
        True,
        "1b",
    ),
    ("Broad disc bulge at L1-2 compresses the thecal sac. Known myeloma elsewhere.", False, None),
]

# A lesion the sentence puts inside the dura compresses from within: not epidural, no review;
# the cord's own intramedullary signal change is not such a lesion.
INSIDE_DURA_CASES = [
    ("Lung cancer. An intradural extramedullary deposit at T5 compresses the spinal cord.", False),
    ("Leptomeningeal lymphoma coats the conus and surrounds the cauda equina roots.", False),
    ("Epidural tumour at T8 compresses the cord, with intramedullary high signal below it.", True),
    ("Epidural tumour at T5 compresses the cord; a separate intradural nodule lies at T9.", True),
]


@pytest.mark.parametrize(("text", "suspected"), INSIDE_DURA_CASES)
def test_a_lesion_inside_the_dura_is_not_epidural(text: str, suspected: bool) -> None:
    found = detect(text, modality="MR")
    assert found.suspected_mescc is suspected
    assert not found.review_needed


# Narrative: a cause someone suspected before the imaging ("thought it degenerative and ordered
# an MRI, which showed ...") is not the cause of what the imaging showed; compound names of
# primary malignancies (adenocarcinoma, osteosarcoma, chordoma) name a malignancy.
NARRATIVE_CASES = [
    (
        "A woman treated for breast adenocarcinoma has back pain. Her doctor thought it was "
        "degenerative disc disease and ordered an MRI, which showed a lesion in the posterior "
        "epidural space at T10.",
        True,
    ),
    (
        "A woman treated for breast adenocarcinoma has back pain. An MRI showed degenerative "
        "disc disease with a disc extrusion into the epidural space at L4-5.",
        False,
    ),
    ("Osteosarcoma of the T11 body with tumour filling the epidural space.", True),
    ("Osteoid osteoma of the T11 pedicle; the epidural space is clear.", False),
    # the brainstem is not the spinal cord: a skull-base tumour pressing on it is not MSCC
    (
        "A clival chordoma extends into the posterior fossa and compresses the medulla oblongata.",
        False,
    ),
    ("An epidural chordoma deposit at C2 compresses the upper cervical cord.", True),
    # a general statement about the disease is not a finding in this patient
    ("Known myeloma. Epidural spread of disease is common, but none is seen here.", False),
    ("Known myeloma. Epidural spread of disease is seen at T8, as is common.", True),
]

# Epidural tumour with nothing said of the thecal sac or cord: suspected, grade undetermined;
# said to spare them: 1a (../shared/corpus/README.md).
SILENT_CASES = [
    ("Melanoma. An enhancing epidural lesion lies at T4.", None),
    (
        "Melanoma. An enhancing epidural lesion lies at T4. The thecal sac and cord are spared.",
        "1a",
    ),
]


@pytest.mark.parametrize(("text", "grade"), SILENT_CASES)
def test_epidural_tumour_silent_on_the_sac_has_no_grade(text: str, grade: str | None) -> None:
    found = detect(text, modality="MR")
    assert found.suspected_mescc
    assert found.escc_grade == grade


@pytest.mark.parametrize(("text", "suspected"), NARRATIVE_CASES)
def test_narrative_causes_and_compound_malignancies(text: str, suspected: bool) -> None:
    assert detect(text, modality="MR").suspected_mescc is suspected


# CT: a cord the report calls compressed is graded by the words (2); a narrowed canal without
# severity or CSF words is not gradable on CT (../shared/corpus/README.md).
CT_CASES = [
    ("CT: osteolytic myeloma and an epidural mass compressing the spinal cord at T10.", "2"),
    ("CT: lytic metastasis at T10; the epidural tumour narrows the canal.", None),
]


@pytest.mark.parametrize(("text", "grade"), CT_CASES)
def test_ct_grades_a_compressed_cord_by_its_words(text: str, grade: str | None) -> None:
    found = detect(text, modality="CT")
    assert found.suspected_mescc
    assert found.escc_grade == grade


@pytest.mark.parametrize(("text", "suspected", "grade"), CASES)
def test_real_wording_phenomenon(text: str, suspected: bool, grade: str | None) -> None:
    found = detect(text, modality="MR")
    assert found.suspected_mescc is suspected
    if suspected or grade is not None:
        assert found.escc_grade == grade


def test_headers_run_onto_one_line_start_their_own_sections() -> None:
    text = (
        "MRI THORACIC SPINE CLINICAL HISTORY: Lung cancer, back pain, ?cord compression. "
        "FINDINGS: Epidural tumour at T7 with cord compression, ESCC grade 3. "
        "IMPRESSION: Metastatic cord compression at T7."
    )
    sections = {text[s.start : s.end]: s.section for s in split(normalise(text))}
    assert sections["Lung cancer, back pain, ?cord compression."] == "history"
    assert sections["Epidural tumour at T7 with cord compression, ESCC grade 3."] == "findings"
    assert sections["Metastatic cord compression at T7."] == "impression"
    found = detect(text)
    assert (found.suspected_mescc, found.escc_grade, found.levels) == (True, "3", ["T7"])


def test_a_flattened_question_stays_a_question() -> None:
    text = "CLINICAL HISTORY: Prostate cancer. ?cord compression at T10. FINDINGS: Normal study."
    assert detect(text).suspected_mescc is False


def test_lower_case_words_before_a_colon_are_not_a_header() -> None:
    text = (
        "The MRI for low back pain showed the following findings: "
        "epidural tumour at T5 compressing the cord."
    )
    (sentence,) = split(normalise(text))
    assert sentence.section is None  # read as findings text, not cut at "findings:"
    assert detect(text).suspected_mescc is True


def test_a_short_title_case_label_mid_line_is_not_a_header() -> None:
    text = "LETTER Dear Dr Smith, Re: Mrs Jones, epidural tumour at T5 compressing the cord."
    assert detect(text).suspected_mescc is True


def test_a_single_line_without_a_full_stop_is_read_as_findings_not_as_a_title() -> None:
    text = "Sagittal T2 image: epidural metastasis at T11 compressing the conus"
    assert detect(text).suspected_mescc is True


def test_review_needed_when_a_narrowed_canal_in_a_cancer_patient_names_no_cause() -> None:
    text = "FINDINGS:\nKnown lung carcinoma.\nModerate narrowing of the spinal canal at T9."
    found = detect(text, modality="MR")
    assert (found.suspected_mescc, found.review_needed) == (False, True)
    assert any(e.field == "review_needed" for e in found.evidence)


def test_a_narrowed_canal_at_a_vertebral_metastasis_is_suspected() -> None:
    text = "FINDINGS:\nSclerotic metastases at T9 and T10.\nModerate narrowing of the canal at T9."
    found = detect(text, modality="MR")
    assert (found.suspected_mescc, found.escc_grade, found.review_needed) == (True, "2", False)


def test_no_review_for_a_degenerative_canal_beside_bone_only_metastasis() -> None:
    text = (
        "FINDINGS:\nMild degenerative narrowing of the spinal canal at L4-5 from a disc bulge.\n"
        "Sclerotic metastasis in the L1 body, confined to bone."
    )
    found = detect(text, modality="MR")
    assert (found.suspected_mescc, found.review_needed) == (False, False)


def test_no_review_without_malignancy() -> None:
    text = "FINDINGS:\nModerate narrowing of the spinal canal at T9."
    assert detect(text, modality="MR").review_needed is False


# Case descriptions: the diagnosis the story ends with decides. A benign mimic that histology,
# surgery or a title names owns the mass, unless the text names a malignancy of its own; a
# hypothesis the text overturns ("was suspected, but ...") is not the diagnosis.
DIAGNOSIS_CASES = [
    (
        "MRI showed a lesion of T8 with an epidural mass compressing the cord. It was thought to "
        "be a metastasis. Histology of the resected specimen showed an aggressive haemangioma.",
        False,
    ),
    (
        "MRI showed a lesion of T8 with an epidural mass compressing the cord. Histology of the "
        "resected specimen showed metastatic renal carcinoma.",
        True,
    ),
    (
        "Vertebral haemangioma with cord compression\nAn expansile T5 lesion has an epidural "
        "component that compresses the cord.",
        False,
    ),
    (
        "An epidural lesion at C5 compresses the cord. An abscess was suspected, but biopsy "
        "at surgery confirmed diffuse large B-cell lymphoma.",
        True,
    ),
    (
        "Enhancing extradural tissue at T9 compresses the cord. A differential diagnosis of "
        "myeloma was offered, with an abscess thought less likely.",
        True,
    ),
    (
        "MRI revealed an intraspinal tumour at L2 indenting the thecal sac. At operation it "
        "proved to be a schwannoma.",
        False,
    ),
    # a title naming a primary malignancy makes the canal it obliterates the tumour's
    ("Sacral chordoma\n\nA mass replaces the sacrum.\n\nThe sacral canal is obliterated.", True),
    ("MRI sacrum\n\nA mass at S2.\n\nThe sacral canal is obliterated by a disc extrusion.", False),
    # "SCC" is cord compression as what something causes, not squamous cell carcinoma
    ("MRI showed an epidural mass causing SCC at T9 and T10.", True),
    ("Metastatic SCC of the lung. A sclerotic deposit at T4; the epidural space is clear.", False),
    # a case description whose only section is the presentation: its results are findings
    (
        "Clinical presentation: a woman of 60 with leg weakness. Imaging revealed metastatic "
        "breast cancer with cord compression at T6.",
        True,
    ),
    ("Clinical presentation: a woman of 60 with leg weakness; ?cord compression at T6.", False),
    # an operation that finds a disc fragment decides a lesion first thought to be tumour
    (
        "MRI showed a dorsal epidural lesion compressing the thecal sac at L2-3; neoplasm was in "
        "the differential. At surgery it was identified as a sequestrated disc fragment.",
        False,
    ),
    # a title that states a malignancy is read; an exam title is not a finding
    ("Epidural lymphoma presenting as cord compression\n\nA man of 40 had leg weakness.", True),
    ("MRI whole spine cord compression protocol\n\nNo abnormality of the canal or cord.", False),
    # a compression, or the cauda equina syndrome, that tumour causes
    ("Cauda equina syndrome due to a sacral metastasis of renal carcinoma.", True),
    ("Cauda equina syndrome due to a large L4-5 disc extrusion.", False),
    # "compressive epidural mass"; a mass effect reaching the cord after another structure
    ("A compressive epidural mass at T10 proved to be Ewing sarcoma.", True),
    ("A compressive epidural haematoma at T10 after anticoagulation.", False),
    (
        "A radiograph shows an expansile C3 plasmacytoma with mass effect anteriorly on the "
        "pharynx and posteriorly on the spinal cord.",
        True,
    ),
    # a patient's age is not an old lesion
    ("A 64-year-old man with myeloma developed epidural compression of the cord at T9.", True),
    ("A 64-year-old with myeloma and an old healed fracture of T9; no epidural disease.", False),
    # a case narrative under "Case presentation"; a presentation section when nothing else
    # holds findings, even below a title; a report with findings keeps its history a question
    (
        "Case presentation: a man of 50 with myeloma; MRI found epidural tumour compressing the "
        "cord at T5.",
        True,
    ),
    (
        "Primary lymphoma of bone: a case report\nCLINICAL PRESENTATION: A woman presented with "
        "leg weakness due to spinal cord compression from Hodgkin's disease of T6.",
        True,
    ),
    (
        "CLINICAL HISTORY: leg weakness due to ?cord compression.\nFINDINGS: Normal alignment. "
        "No epidural disease.",
        False,
    ),
    # a malignant nerve sheath tumour is malignant; a nerve sheath tumour is not
    (
        "A malignant peripheral nerve sheath tumour fills the epidural and paravertebral space.",
        True,
    ),
    ("A nerve sheath tumour at C6 fills the epidural and paravertebral space.", False),
    # the cord itself compromised
    ("Myeloma at T8 with spinal cord compromise.", True),
    ("Disc herniation at C5-6 with spinal cord compromise.", False),
    # "tumour" beside a benign lesion its clause names is that lesion's generic name
    ("The haemangioma at T4 has soft tissue tumour extension into the left epidural space.", False),
    ("A metastasis at T4 has soft tissue tumour extension into the left epidural space.", True),
    # an imaging diagnosis of a benign mimic owns its own level only
    (
        "Epidural tumour at T7 compresses the cord. The L2 lesion is consistent with a "
        "haemangioma.",
        True,
    ),
    (
        "An expansile T10 lesion with epidural extension compresses the cord; findings consistent "
        "with an aggressive haemangioma.",
        False,
    ),
    # a title's "resembling" names the other thing; its subject is the diagnosis
    (
        "Epidural metastasis of breast cancer resembling a disc herniation\nThe S1 root is "
        "compressed by a ventral epidural lesion.",
        True,
    ),
    # a tumour's histological grade is not an ESCC grade; sarcomas are tumour nouns
    ("An extradural grade 2 chondrosarcoma fills the canal at L5.", True),
    ("A grade 2 chondrosarcoma of the iliac wing; the spinal canal is clear.", False),
    # one nerve root compressed by a malignant fracture is reached (1c)
    (
        "Known lung cancer. The L4 fracture's posterior wall compresses the exiting nerve root.",
        True,
    ),
    ("A disc extrusion at L5-S1 compresses the left S1 nerve root. Known lung cancer.", False),
    # what a patient in a case description experienced is a finding there
    ("Key message: a man with colorectal cancer experienced spinal cord compression at T9.", True),
    # a pathological fracture named across its level; what a patient presented with happened
    ("MRI revealed a pathological C4-C5 wedge fracture with cord compression.", True),
    ("MRI revealed an osteoporotic C4-C5 wedge fracture with cord compression.", False),
    ("The patient presented with symptoms of cord compression due to metastases at C2.", True),
    ("Referred with symptoms of cord compression. No metastases; the canal is normal.", False),
    # a compression or syndrome as the first sign of a tumour; pressure on the cord
    ("Cauda equina syndrome (CES) as the initial presentation of a sacral plasmacytoma.", True),
    ("Cauda equina syndrome (CES) as the initial presentation of a disc extrusion.", False),
    ("MRI shows tumour in the spine putting pressure on the cord at T6.", True),
    ("MRI shows a disc protrusion putting pressure on the cord at C6.", False),
    # a title naming Hodgkin's disease states a malignancy
    ("Cord compression as the first sign of Hodgkin's disease\nA boy of 9 with paraplegia.", True),
    # a "Diagnosis:" section states the diagnosis; a differential list only names possibilities
    (
        "FINDINGS: Masses in the posterior epidural space at T6 cause mass effect on the cord.\n"
        "Differential diagnosis:\n- Extramedullary haematopoiesis\n- Lymphoma\n"
        "Diagnosis: Extramedullary haematopoiesis",
        False,
    ),
    (
        "FINDINGS: Masses in the posterior epidural space at T6 cause mass effect on the cord.\n"
        "Differential diagnosis:\n- Extramedullary haematopoiesis\n- Lymphoma",
        True,
    ),
    # a general statement about where compression usually comes from is no finding
    (
        "An intramedullary metastasis at T11. Cord compression is usually caused by vertebral "
        "metastases.",
        False,
    ),
    # a slipped vertebra compressing the cord is not tumour
    ("Old dens fracture with anterolisthesis of C1 causing severe cord compression.", False),
    # epidural thickening and an occupied canal are epidural disease; a burst fracture as the
    # diagnosis owns the canal it compromises, unless a malignancy is named
    ("Metastatic liver cancer: C6 marrow signal with anterior epidural thickening.", True),
    ("Known renal cancer. MRI showed an occupation of the spinal canal at T11.", True),
    ("Burst fracture\nA T11 fracture with 50% canal compromise.\nDiagnosis: burst fracture", False),
    ("Burst fracture of T12 with retropulsion compressing the cord. Known myeloma.", True),
    # haemopoiesis is haematopoiesis; "most of these are" is a general statement
    ("Extramedullary haemopoiesis: epidural masses at T5 compress the cord. Thalassaemia.", False),
    (
        "Spinal metastases: most of these tumours are extradural. This patient has an intradural "
        "deposit on the filum terminale.",
        False,
    ),
    # a cause someone suspected before the imaging is not the cause of what it showed
    ("MRI for suspected lymphoma showed an epidural abscess at L4 compressing the sac.", False),
]


@pytest.mark.parametrize(("text", "suspected"), DIAGNOSIS_CASES)
def test_the_final_diagnosis_decides(text: str, suspected: bool) -> None:
    assert detect(text, modality="MR").suspected_mescc is suspected


# Blind sets I and J (this session): each phenomenon as a positive and a negative, in our words.
# (text, modality or None, suspected, grade)
SET_IJ_CASES = [
    # "significant" is not one of the README's severe words: unqualified compression is 2
    ("Epidural lymphoma at T8 with significant compression of the cord.", "MR", True, "2"),
    ("Epidural lymphoma at T8 with severe compression of the cord.", "MR", True, "3"),
    # a CSF statement two sentences on still qualifies the finding it follows
    (
        "FINDINGS:\nAt T8 epidural tumour narrows the thecal sac. Diffuse osseous metastases.\n"
        "Complete effacement of the CSF around the cord.",
        "MR",
        True,
        "3",
    ),
    (
        "FINDINGS:\nAt T8 epidural tumour narrows the thecal sac. Diffuse osseous metastases.\n"
        "CSF is preserved around the cord.",
        "MR",
        True,
        "1b",
    ),
    # a cancer of years before does not outrank the benign diagnosis the pathology gave
    (
        "Six years earlier he had a nephrectomy for renal cell carcinoma. MRI showed an epidural "
        "mass at T5 compressing the cord, thought to be a metastasis. Histology revealed a "
        "haemangioma.",
        "MR",
        False,
        None,
    ),
    (
        "Six years earlier he had a nephrectomy for renal cell carcinoma. MRI showed an epidural "
        "mass at T5 compressing the cord. Histology revealed metastatic renal cell carcinoma.",
        "MR",
        True,
        "2",
    ),
    # a case report's own subject names the lesion its mass is
    (
        "We present a woman with an extradural meningioma. MRI showed an extradural mass at T3 "
        "compressing the cord.",
        "MR",
        False,
        None,
    ),
    (
        "We present a woman with extradural lymphoma. MRI showed an extradural mass at T3 "
        "compressing the cord.",
        "MR",
        True,
        "2",
    ),
    # the anaemias that make extramedullary haematopoiesis name its cause
    (
        "A man with thalassaemia on regular transfusions. Extradural masses from T4 to T8 "
        "compress the cord.",
        "MR",
        False,
        None,
    ),
    (
        "A man with thalassaemia and known lymphoma. Extradural masses from T4 to T8 compress "
        "the cord.",
        "MR",
        True,
        "2",
    ),
    # compression by nothing named, in a text without a word of oncology, is not tumour's
    (
        "Severe cervical cord compression, maximal at C5-6; the cord's compression ratio is 0.4.",
        "MR",
        False,
        None,
    ),
    ("Known lung cancer. Severe cervical cord compression, maximal at C5-6.", "MR", True, "3"),
    # "without metastases" after a compressive epidural mass denies the metastases, not the mass
    (
        "A compressive epidural mass at T6 without metastases elsewhere; biopsy showed Ewing "
        "sarcoma.",
        "MR",
        True,
        "2",
    ),
    # a bone scan named beside an MRI: the MRI sees the epidural space
    (
        "Bone scan and MRI revealed skeletal metastases with epidural extension at T2.",
        None,
        True,
        None,
    ),
]


@pytest.mark.parametrize(("text", "modality", "suspected", "grade"), SET_IJ_CASES)
def test_blind_set_ij_phenomenon(
    text: str, modality: str | None, suspected: bool, grade: str | None
) -> None:
    found = detect(text, modality=modality)
    assert found.suspected_mescc is suspected
    if suspected:
        assert found.escc_grade == grade


# (text, suspected, grade, levels), in our words
SET_KL_CASES = [
    # levels as ordinals and as region words; dorsal numbering across regions
    (
        "Imaging showed destruction of the second and third cervical vertebrae with a soft "
        "tissue mass compressing the spinal cord; biopsy showed metastatic carcinoma.",
        True,
        "2",
        ["C2", "C3"],
    ),
    (
        "An extradural lymphoma extends from thoracal 4-6 vertebral level and compresses the cord.",
        True,
        "2",
        ["T4", "T5", "T6"],
    ),
    (
        "Posterior epidural sarcoma extends from C7-D2 without contact with the cord.",
        True,
        "1a",
        ["C7", "T1", "T2"],
    ),
    # sequence names are not levels: "T2-WI", "post contrast T1"
    (
        "Epidural metastasis at Th9, isointense on T2-WI and enhancing on post contrast T1, "
        "compresses the cord.",
        True,
        "2",
        ["T9"],
    ),
    # the vertebra named on one line, the epidural invasion on the next
    (
        "A lytic metastasis destroys the 3rd lumbar vertebral body.\n"
        "Axial image: invasion of the epidural space.",
        True,
        None,
        ["L3"],
    ),
    # a canal compromised by tumour is compressed; severe narrowing of the sac is 3
    ("Myeloma: extradural soft tissue from T2 to T4 with canal compromise.", True, "2", None),
    ("Epidural lymphoma at T5 with severe narrowing of the thecal sac.", True, "3", ["T5"]),
    ("Epidural lymphoma at T5 with mild narrowing of the thecal sac.", True, "1b", ["T5"]),
    # tumour pressing on the cord compresses it
    ("Metastatic epidural tumour at T9 presses on the cord.", True, "2", ["T9"]),
    # a mass that replaces the sacrum and obliterates the sacral canal: S1-S5, grade 3
    (
        "A large mass replaces most of the sacrum.\nThe sacral canal is obliterated within the "
        "mass.",
        True,
        "3",
        ["S1", "S2", "S3", "S4", "S5"],
    ),
    (
        "Degenerative disc disease at L4-5.\nThe sacral canal is obliterated by a Tarlov cyst.",
        False,
        None,
        [],
    ),
]


# Blind sets M and N, in our words: (text, suspected, grade, levels or None)
SET_MN_CASES = [
    # a benign cause that was only the referrer's suspicion, answered by what the MRI showed
    (
        "His doctor suspected degenerative spinal stenosis and requested an MRI, which showed a "
        "lesion in the posterior epidural space at L3.",
        True,
        None,
        ["L3"],
    ),
    (
        "Degenerative spinal stenosis at L3, with a lesion in the posterior epidural space at L3.",
        False,
        None,
        [],
    ),
    # a canal compromised in the sentence that names the extradural tissue
    (
        "MRI showed enhancing extradural soft tissue from T3 to T5 with canal compromise.",
        True,
        "2",
        ["T3", "T4", "T5"],
    ),
    ("MRI showed degenerative canal compromise from T3 to T5.", False, None, []),
    # "displacement and compression of the cord"
    (
        "A mass in the anterior epidural space from C3 to C5 causes posterior displacement and "
        "compression of the cord.",
        True,
        "2",
        ["C3", "C4", "C5"],
    ),
    # a lytic mass is a destroyed bone: its severe canal stenosis is tumour's (CT, 3)
    ("CT: a lytic mass of the T7 vertebral body with severe canal stenosis.", True, "3", ["T7"]),
    ("CT: degenerative disc disease at T7 with severe canal stenosis.", False, None, []),
    # the cauda equina roots compressed, in the plural: 2; one root in the foramen: 1c
    ("Extradural lymphoma from L1 to L3 compressing the lumbar roots.", True, "2", None),
    (
        "Metastasis at L4 extends into the foramen and compresses the exiting L4 root.",
        True,
        "1c",
        None,
    ),
    # the cord encased by tumour: contact (1c)
    ("The spinal cord is encased by epidural lymphoma from T2 to T4.", True, "1c", None),
    # the subarachnoid space effaced by tumour: the sac deformed (1b)
    (
        "Metastatic soft tissue at C5 bulges posteriorly, effacing the ventral subarachnoid space.",
        True,
        "1b",
        ["C5"],
    ),
    # tumour infiltrating the neural foramina is epidural disease
    (
        "Metastatic carcinoma: a soft tissue mass infiltrating the S2-S4 neural foramina.",
        True,
        None,
        None,
    ),
    ("A schwannoma widens the left L2-L3 neural foramen.", False, None, []),
    # a level in brackets after "superior" gives the extent of something else
    (
        "Epidural tumour at T7 compresses the cord, with cord signal superior (T5) and inferior "
        "(T9) to it.",
        True,
        "2",
        ["T7"],
    ),
    # "impinging upon" a root: contact with the root (1c)
    (
        "An infiltrating sacral metastasis extends to and is impinging upon the S1 nerve root.",
        True,
        "1c",
        None,
    ),
    # a dumbbell lesion is a nerve-sheath tumour's shape; a named malignancy still outranks it
    ("A dumbbell extradural mass at C5-C6 compresses the cord.", False, None, []),
    (
        "A dumbbell extradural plasmacytoma at C5-C6 compresses the cord.",
        True,
        "2",
        ["C5", "C6"],
    ),
    # a vertebra's posterior bulge is not a disc bulge
    (
        "Collapsed C5 vertebral body replaced by metastatic soft tissue, with a mild posterior "
        "bulge effacing the ventral subarachnoid space.",
        True,
        "1b",
        ["C5"],
    ),
    # a disc confirmed as the lesion at surgery
    (
        "MRI showed a mass-like lesion in the L2-3 dorsal epidural space. The excised lesion was "
        "confirmed as an intervertebral disc.",
        False,
        None,
        [],
    ),
    # "confirmed the suspicion of cord compression" is no doubt
    (
        "CT confirmed the suspicion of spinal cord compression by a metastasis at T7.",
        True,
        "2",
        ["T7"],
    ),
]


# Blind sets O and P, in our words: (text, modality, suspected, grade, levels or None)
SET_OP_CASES = [
    # a range with "mid" before its second level
    (
        "An extradural lymphoma from the mid L5 to mid S2 level, touching nothing.",
        "MR",
        True,
        None,
        ["L5", "S1", "S2"],
    ),
    # levels an operation names, and dermatomes, are not the lesion's
    (
        "MRI revealed an extradural lesion within the canal at the L3-L4 level. She underwent "
        "excision of the extradural lesion and instrumented stabilization L3-L5.",
        "MR",
        True,
        None,
        ["L3", "L4"],
    ),
    (
        "Sensation was absent below the L4 dermatome. MRI showed an epidural metastasis "
        "compressing the cauda equina at L2.",
        "MR",
        True,
        "2",
        ["L2"],
    ),
    # "T2 sagittal" is a sequence
    (
        "An extradural neuroblastoma extends from C4-T1 (T2 sagittal view) and compresses the "
        "cord.",
        "MR",
        True,
        "2",
        ["C4", "C5", "C6", "C7", "T1"],
    ),
    # a displaced cord said not to be indented: contact (1c); displaced and nothing more: 2
    (
        "Epidural tumour at C5 displaces the cord posteriorly, but without cord indentation.",
        "MR",
        True,
        "1c",
        ["C5"],
    ),
    ("Epidural tumour at C5 displaces the cord posteriorly.", "MR", True, "2", ["C5"]),
    # a mass involving the whole vertebral body is a destroyed bone: its canal stenosis counts
    (
        "A mass involving the entire T7 vertebral body extends into the posterior elements, "
        "with moderate spinal canal stenosis.",
        "MR",
        True,
        "2",
        ["T7"],
    ),
    # benign bone tumours named as the diagnosis
    (
        "Myelography showed an epidural mass at T3. CT features were compatible with "
        "osteochondroma.",
        "CT",
        False,
        None,
        [],
    ),
    # a PET focus "in the epidural space" that the MRI places inside the dura
    (
        "PET/CT showed a focus of uptake in the anterior epidural space at L1-2. MRI confirmed a "
        "nodule in the ventral subarachnoid space (intradural, extramedullary).",
        "PET-CT",
        False,
        None,
        [],
    ),
    (
        "PET/CT showed a focus of uptake in the anterior epidural space at L1-2. MRI confirmed "
        "an epidural metastasis at L1-2.",
        "PET-CT",
        True,
        None,
        ["L1", "L2"],
    ),
    # an epidural finding with nothing said of the sac or cord where it is: no grade
    (
        "History: cord compression? FINDINGS: Metastases C5-C7 with anterior epidural thickening.",
        "MR",
        True,
        None,
        ["C5", "C6", "C7"],
    ),
]


# Sets K to P share one shape: (text, modality, suspected, grade, levels or None).
SET_K_TO_P_CASES = [
    *((text, "MR", *rest) for text, *rest in SET_KL_CASES),
    *((text, "CT" if text.startswith("CT") else "MR", *rest) for text, *rest in SET_MN_CASES),
    *SET_OP_CASES,
]


@pytest.mark.parametrize(("text", "modality", "suspected", "grade", "levels"), SET_K_TO_P_CASES)
def test_blind_set_k_to_p_phenomenon(
    text: str, modality: str, suspected: bool, grade: str | None, levels: list[str] | None
) -> None:
    found = detect(text, modality=modality)
    assert (found.suspected_mescc, found.escc_grade) == (suspected, grade)
    if levels is not None:
        assert found.levels == levels


# Blind sets Q and R, in our words
def test_a_wrapped_line_continues_its_sentence() -> None:
    # a general statement wrapped over two lines is still general
    text = (
        "MRI revealed an intramedullary metastasis at T11. Spinal cord compression is generally\n"
        "seen due to vertebral metastases."
    )
    assert detect(text, modality="MR").suspected_mescc is False
    # and a finding wrapped over two lines is still one finding, at its levels
    wrapped = (
        "MRI showed an epidural mass extending from C2 to C7\nvertebral levels, compressing "
        "the cord."
    )
    found = detect(wrapped, modality="MR")
    assert (found.suspected_mescc, found.levels) == (True, ["C2", "C3", "C4", "C5", "C6", "C7"])
    # a header on its own line keeps its line
    sections = split(normalise("FINDINGS\nepidural tumour at T7 compresses the cord."))
    assert [s.section for s in sections] == ["findings"]


def test_the_most_common_lesions_are_a_textbook_statement() -> None:
    general = "The most common extradural spinal lesions are metastatic tumours. We report a case."
    assert detect(general, modality="MR").suspected_mescc is False
    case = "The extradural spinal lesion at T4 is a metastatic tumour."
    assert detect(case, modality="MR").suspected_mescc is True


def test_one_a_is_said_not_inferred() -> None:
    # 1a is tumour that touches nothing: the report must say the sac or cord is spared
    spared = "Epidural metastasis at T10, without deformity of the thecal sac."
    assert detect(spared, modality="MR").escc_grade == "1a"
    silent = (
        "Marrow signal in C5 and C6 with anterior epidural thickening, extending along the "
        "C5 nerve roots; known hepatocellular carcinoma."
    )
    assert detect(silent, modality="MR").escc_grade is None


# Blind sets S and T, in our words: (text, suspected)
SET_ST_CASES = [
    # "IDEM" is intradural extramedullary
    ("MRI showed an IDEM tumour at T11 with compression of the spinal cord.", False),
    ("MRI showed an extradural tumour at T11 with compression of the spinal cord.", True),
    # an old fracture is not a malignant one
    (
        "The collapsed L2 vertebra is an old fracture, the likely site of the cord compression.",
        False,
    ),
    (
        "The collapsed L2 vertebra is a pathological fracture, the likely site of the cord "
        "compression.",
        True,
    ),
    # a disc fragment is a mass of its own
    (
        "A soft tissue mass in the epidural space at L5-S1 mildly compresses the dural sac. A "
        "sequestered discal fragment is suspected.",
        False,
    ),
    # a tumour infiltrating the canal is in the canal
    ("Her paraplegia was due to a paraspinal neuroblastoma infiltrating the spinal canal.", True),
    ("A paraspinal neuroblastoma infiltrating the psoas muscle.", False),
    # endemic infections that make epidural masses
    ("A hydatid cyst in the extradural space at T8 compresses the cord.", False),
    ("Brucellar spondylitis at L4 with an epidural mass compressing the thecal sac.", False),
]


@pytest.mark.parametrize(("text", "suspected"), SET_ST_CASES)
def test_blind_set_st_phenomenon(text: str, suspected: bool) -> None:
    assert detect(text, modality="MR").suspected_mescc is suspected


def test_a_malignancy_beside_the_canal_in_unread_words_asks_for_review() -> None:
    # no finding rule reads "reaches the spinal canal"; a human should
    reaching = detect("Known lung cancer: the metastasis reaches the spinal canal at T9.")
    assert (reaching.suspected_mescc, reaching.review_needed) == (False, True)
    assert any(e.field == "review_needed" for e in reaching.evidence)
    # a canal the sentence spares, or a lesion inside the cord, asks nothing
    for text in (
        "Known lung cancer: the T9 metastasis spares the spinal canal.",
        "Known lung cancer: intramedullary metastasis at T9 reaching the cord.",
    ):
        assert not detect(text).review_needed


SET_WX_CASES = [
    # neurilemmoma and neurinoma are other names of the schwannoma
    (
        "MRI showed an extradural mass at T6 compressing the cord, in keeping with a neurilemmoma.",
        False,
    ),
    (
        "MRI showed an extradural mass at T6 compressing the cord, in keeping with a neurinoma.",
        False,
    ),
    (
        "MRI showed an extradural mass at T6 compressing the cord, in keeping with a metastasis.",
        True,
    ),
    # tumour that progresses, spreads or grows to the epidural space is there
    (
        "Known renal cancer, a T7 deposit. The new scan shows progression to the epidural space.",
        True,
    ),
    (
        "Known renal cancer with a T7 deposit; the follow-up scan shows further epidural growth.",
        True,
    ),
    (
        "Known renal cancer, a T7 deposit. The new scan shows progression in the vertebral body.",
        False,
    ),
    ("A lytic L2 lesion with a soft tissue component shows extension to the epidural space.", True),
    ("A lytic L2 lesion with a soft tissue component shows extension to the psoas muscle.", False),
    # a symptom the text says a compression caused states the compression
    (
        "A man with proven myeloma of T9, presenting with paraparesis resulting from cord "
        "compression.",
        True,
    ),
    ("A man with proven myeloma of T9, presenting with paraparesis: ?cord compression.", False),
    # the next sentence goes back to the mass to place it inside the dura
    (
        "A rounded tumour compresses the cord at T3. The mass lies below the dura, so it is "
        "intradural and extramedullary.",
        False,
    ),
    (
        "A rounded tumour compresses the cord at T3. The mass lies behind the dura, with the "
        "posterior elements destroyed.",
        True,
    ),
    # ...unless the report names epidural disease
    (
        "Epidural tumour compresses the cord at T3. The mass at T11 is intradural and "
        "extramedullary.",
        True,
    ),
]


@pytest.mark.parametrize(("text", "suspected"), SET_WX_CASES)
def test_blind_set_wx_phenomenon(text: str, suspected: bool) -> None:
    assert detect(text, modality="MR").suspected_mescc is suspected


SET_Y_CASES = [
    # a negation that a rule's gap ran over belongs to what follows it, not to the finding
    (
        "Metastatic collapse of T11. The posterior wall abuts the spinal cord without cord "
        "compression.",
        True,
        "1c",
    ),
    ("Metastatic collapse of T11. The posterior wall does not abut the spinal cord.", False, "0"),
    # displaced or lying against the cord is contact
    (
        "Metastatic collapse of T11: the back fragment is displaced against the ventral surface "
        "of the cord.",
        True,
        "1c",
    ),
    (
        "Metastatic collapse of T11: the posterior fragment is displaced towards the psoas.",
        False,
        "0",
    ),
    # "neural compression" is compression of the cord or the roots
    ("Myeloma of the lumbar spine with neural compression at L2.", True, "2"),
    ("Myeloma of the lumbar spine with neural foraminal narrowing at L2.", False, "0"),
    # a lesion causing the cauda equina syndrome compresses the cauda equina
    (
        "MRI found a sacral mass causing cauda equina syndrome; biopsy showed plasmacytoma.",
        True,
        "2",
    ),
    ("MRI found a large disc extrusion at L4-L5 causing cauda equina syndrome.", False, None),
    # a bare grade after a sentence that names the scale is that scale's
    ("Known myeloma. Graded on the ESCC scale. Grade 3 at the T10 level.", True, "3"),
    ("Known myeloma. Graded on a pain scale. Grade 3 at the T10 level.", False, None),
    # the sentence before, about "these lesions", places them inside the dura
    (
        "Melanoma. These lesions are intradural extramedullary metastases. Lesions fill the lower "
        "canal, resulting in a cauda equina syndrome.",
        False,
        None,
    ),
    (
        "Melanoma. These lesions are bone metastases. Lesions fill the lower canal, resulting in a "
        "cauda equina syndrome.",
        True,
        "2",
    ),
]


SET_Z_CASES = [
    # the cord itself effaced is flattened: compressed
    ("Epidural tumour at T5 is partially effacing the cord.", True, "2"),
    ("Epidural tumour at T5 is partially effacing the ventral epidural fat.", True, None),
    # chloroma and leukaemic deposits are tumour
    ("A thoracic extradural chloroma at T8.", True, None),
    ("A thoracic paravertebral chloroma at T8.", False, None),
    # roots compressed on both sides are more than one root
    ("Epidural lymphoma at L5 with bilateral L5 root compression.", True, "2"),
    ("Epidural lymphoma at L5 compressing the left L5 root.", True, "1c"),
    # disc fragments, plural, are a disc
    ("A posterior epidural lesion at L4; at surgery, disc fragments were found.", False, None),
    ("A posterior epidural lesion at L4; at surgery, tumour fragments were found.", True, None),
    # a first reading that a later one replaced is no diagnosis
    (
        "An epidural mass at T2 severely compresses the cord, initially thought to be a haematoma; "
        "at surgery a tumour was suspected.",
        True,
        "3",
    ),
    (
        "An epidural mass at T2 severely compresses the cord, thought to be a haematoma.",
        False,
        None,
    ),
    # Langerhans cell histiocytosis is not a metastatic disease
    (
        "Vertebra plana of T2 with epidural soft tissue compressing the cord. Diagnosis: "
        "Langerhans cell histiocytosis.",
        False,
        None,
    ),
    (
        "Vertebra plana of T2 with epidural soft tissue compressing the cord. Diagnosis: Ewing "
        "sarcoma.",
        True,
        "2",
    ),
]


SET_AA_CASES = [
    # extradural cysts and inflammatory pseudotumour are benign causes
    ("An extradural cystic lesion at T6 compresses the spinal cord.", False, None),
    ("An extradural enhancing lesion at T6 compresses the spinal cord.", True, "2"),
    ("After radiotherapy, an inflammatory pseudotumour at C7 compresses the cord.", False, None),
    # transfusion-dependent thalassaemia names extramedullary haematopoiesis
    (
        "Transfusion-dependent thalassaemia: a paraspinal mass at T6 compresses the cord.",
        False,
        None,
    ),
    ("Known lymphoma: a paraspinal mass at T6 compresses the cord.", True, "2"),
    # "epidural and periradicular soft tissue" is epidural soft tissue
    ("Leukaemia: epidural and periradicular diffuse soft tissue at L3.", True, None),
    ("Leukaemia: periradicular diffuse soft tissue at L3.", False, None),
    # a working diagnosis is the report's diagnosis; a title can name Paget's disease
    (
        "A mass with extradural spread at L3 compresses the dural sac. Working diagnosis: "
        "schwannoma.",
        False,
        None,
    ),
    (
        "Cord compression in Paget's disease\n\nMRI: posterior epidural tissue compresses the cord "
        "at T3.",
        False,
        None,
    ),
    (
        "Cord compression in prostate cancer\n\nMRI: posterior epidural tissue compresses the cord "
        "at T3.",
        True,
        "2",
    ),
    # the epidural fat as anatomy names no cause; fat in excess, or compressing, does
    (
        "A mass in the posterior epidural space at T8 with a cap of epidural fat. The cord is "
        "displaced. Biopsy showed lymphoma.",
        True,
        "2",
    ),
    ("Prominent epidural fat at T8. The spinal cord is displaced.", False, None),
    ("Epidural fat at L4 is compressing the thecal sac.", False, None),
]


SET_AB_CASES = [
    # soft tissue about the dens is pannus or a retro-odontoid pseudotumour
    (
        "Severe compression of the cord at C2 by soft tissue posterior to the odontoid process.",
        False,
        None,
    ),
    (
        "Severe compression of the cord at C2 by soft tissue from a destroyed, metastatic odontoid "
        "process.",
        True,
        "3",
    ),
    # a skull-base tumour's extradural extension is inside the skull
    ("A clival chordoma with extradural extension and bony destruction.", False, None),
    ("A sacral chordoma with extradural extension and bony destruction at S2.", True, None),
    # plural soft tissues are soft tissue
    ("Leukaemia: paravertebral and epidural enhancing soft tissues at T10.", True, None),
    ("Leukaemia: paravertebral enhancing soft tissues at T10.", False, None),
    # a named part of the canal narrowed by tumour
    ("Known melanoma: a lytic C2 metastasis with narrowing of the cervical canal.", True, "2"),
    ("Degenerative narrowing of the cervical canal at C5-C6.", False, None),
    # tumour protruding to the canal reaches it
    (
        "Known colon cancer: a soft-tissue mass protruding from the L3 body to the spinal canal.",
        True,
        None,
    ),
    (
        "Known colon cancer: a soft-tissue mass protruding from the L3 body to the psoas.",
        False,
        None,
    ),
    # a block is complete: no CSF passes
    ("A metastasis destroys L5 with blockage of the cauda equina at L4-L5.", True, "3"),
    ("A metastasis destroys L5; the cauda equina is free at L4-L5.", False, "0"),
]


SET_AD_CASES = [
    # fat gathered in the canal is lipomatosis, however it is worded
    (
        "Fatty deposits fill the posterior canal from T4 to T8, resulting in canal stenosis.",
        False,
        None,
    ),
    (
        "Tumour deposits fill the posterior canal from T4 to T8, resulting in canal stenosis.",
        True,
        "2",
    ),
    # epidural disease right after a named infection, at its level, is the infection's
    (
        "Known lung cancer. Discitis and osteomyelitis of T12-L1. Epidural disease narrows the "
        "canal "
        "at this level.",
        False,
        None,
    ),
    (
        "Known lung cancer. Discitis and osteomyelitis of T12-L1. Epidural disease narrows the "
        "canal "
        "at T5.",
        True,
        "2",
    ),
]


@pytest.mark.parametrize(
    ("text", "suspected", "grade"),
    SET_Y_CASES + SET_Z_CASES + SET_AA_CASES + SET_AB_CASES + SET_AD_CASES,
)
def test_blind_set_y_to_ad_phenomenon(text: str, suspected: bool, grade: str | None) -> None:
    found = detect(text, modality="MR")
    assert (found.suspected_mescc, found.escc_grade) == (suspected, grade)


# Tumour in a neural foramen lies in the epidural space (the foramen is its lateral part):
# epidural disease of unstated grade, at both levels of a named foramen; a benign cause stays
# benign ("foramen", singular, was never read before).
FORAMEN_CASES = [
    ("Known lymphoma. Paraspinal mass at T8 extending through the left neural foramen.", True),
    ("Paraspinal schwannoma at T8 extending through the left neural foramen.", False),
    ("Known lung cancer. Metastasis at T8 with soft tissue in the left neural foramen.", True),
    ("Known lung cancer. Metastasis at T8; no soft tissue in the left neural foramen.", False),
    ("Known myeloma. A plasmacytoma at L3 grows into the right neural foramen.", True),
    ("Known myeloma. A disc extrusion at L3-4 grows into the right neural foramen.", False),
]


@pytest.mark.parametrize(("text", "suspected"), FORAMEN_CASES)
def test_tumour_in_a_neural_foramen_is_epidural_disease(text: str, suspected: bool) -> None:
    found = detect(text, modality="MR")
    assert found.suspected_mescc is suspected
    if suspected:  # nothing is said of the thecal sac or cord: grade unstated
        assert found.escc_grade is None


def test_tumour_in_a_named_foramen_lies_at_both_of_its_levels() -> None:
    found = detect("Lymphoma: a dumbbell mass in the right T8-T9 neural foramen.", modality="MR")
    assert (found.suspected_mescc, found.levels) == (True, ["T8", "T9"])


# Blind sets realAE-realAH (2026-12-07), each phenomenon a positive and a negative.
SET_AE_TO_AH_CASES = [
    # a spelling of Langerhans cell histiocytosis names it all the same
    (
        "A ventral epidural soft tissue component at T7 compresses the cord. "
        "Diagnosis: vertebra plana due to Langerhan's cell histiocystosis.",
        False,
        None,
    ),
    (
        "A ventral epidural soft tissue component at T7 compresses the cord. "
        "Diagnosis: vertebra plana due to Ewing sarcoma.",
        True,
        "2",
    ),
    # the cord's displacement and compression, as nouns: compression (2)
    ("Imaging showed epidural lymphoma masses with cord displacement and compression.", True, "2"),
    ("Imaging showed epidural lipomatosis with cord displacement and compression.", False, None),
    # a myelogram's contrast stopped by tumour is a block (3)
    (
        "Myelogram: complete obstruction of the cephalad flow of contrast at T11 from extension "
        "of the mediastinal lymphoma.",
        True,
        "3",
    ),
    (
        "Myelogram: free cephalad flow of contrast at T11; the mediastinal lymphoma stays outside "
        "the spine.",
        False,
        None,
    ),
    # a nodal mass entering the canal through the intervertebral foramina
    (
        "A retroperitoneal seminoma mass infiltrated the canal through the intervertebral "
        "foramina at T11.",
        True,
        None,
    ),
    (
        "A retroperitoneal schwannoma infiltrated the canal through the intervertebral "
        "foramina at T11.",
        False,
        None,
    ),
    # "extends to canal", with no article or adjective; "exteradural" and "extradual"
    ("Ewing sarcoma of S1: its soft tissue component extends to canal.", True, None),
    ("Ewing sarcoma of S1: its soft tissue component extends to the pelvis.", False, None),
    ("Known lymphoma: an exteradural mass at T9.", True, None),
    ("Known lymphoma: no extradual mass at T9.", False, None),
    # one place of a list: "the intraspinal, epidural, and paravertebral soft tissues"
    (
        "Known lung cancer: the lesion involves the T12 body and the intraspinal, epidural, and "
        "paravertebral soft tissues.",
        True,
        None,
    ),
    (
        "Known lung cancer: the lesion involves the T12 body and the paravertebral soft tissues.",
        False,
        None,
    ),
    # compression named by its compartment; a syndrome named before its cause
    ("Known lymphoma: CES caused by extradural compression at L4-L5.", True, "2"),
    ("Known lymphoma. CES caused by a disc extrusion at L4-L5.", False, None),
    # a weak benign word away from any finding says nothing of the finding's cause
    (
        "A lesion from C5 to T3 causes significant cord compression at C7-T1. Normal fat is "
        "seen in the foramen below.",
        True,
        "2",
    ),
    ("Fat at C7-T1 causes cord compression.", False, None),
]


@pytest.mark.parametrize(("text", "suspected", "grade"), SET_AE_TO_AH_CASES)
def test_blind_set_ae_to_ah_phenomenon(text: str, suspected: bool, grade: str | None) -> None:
    found = detect(text, modality="MR")
    assert (found.suspected_mescc, found.escc_grade) == (suspected, grade)


# Phenomena left open after realAE-realAH, and the safety net's reach (each a positive and a
# negative, in our own words).
AFTER_AH_CASES = [
    # a fractured bone's fragment in a report that names no tumour is no MSCC; in a patient
    # with myeloma, or with a lytic lesion named, it is presumed pathological
    (
        "CT showed an L1 burst fracture with a retropulsed fragment compressing the conus.",
        False,
        None,
    ),
    (
        "Known myeloma. CT showed an L1 burst fracture with a retropulsed fragment compressing "
        "the conus.",
        True,
        "2",
    ),
    ("Lytic lesion of L2. Its fracture has a retropulsed fragment narrowing the canal.", True, "2"),
    # a fall or a crash names the fracture traumatic, whatever it presses on
    (
        "He fell from a ladder. The T12 fracture has a fragment abutting the conus; the T12 "
        "lesion is noted.",
        False,
        None,
    ),
    (
        "He has lung cancer and back pain. The T12 fracture has a fragment abutting the conus; "
        "the T12 lesion is noted.",
        True,
        "1c",
    ),
    # a dumbbell shape, or a benign lesion only suggested, is overturned by tissue that proves
    # a malignancy; tissue that proves the benign lesion, or finds no malignancy, is not
    (
        "A dumbbell epidural mass at T4-T5 displaces and compresses the cord, suggestive of a "
        "schwannoma. Biopsy confirmed a plasmacytoma.",
        True,
        "2",
    ),
    (
        "A dumbbell epidural mass at T4-T5 displaces and compresses the cord. Histology "
        "confirmed a schwannoma.",
        False,
        None,
    ),
    (
        "A dumbbell epidural mass at T4-T5 compresses the cord. Biopsy showed no malignancy.",
        False,
        None,
    ),
    # the back of a vertebral body bulging is bone, not a disc bulge
    (
        "Metastatic renal cancer: bulging of the posterior part of the T9 vertebral body into "
        "the canal compresses the cord.",
        True,
        "2",
    ),
    (
        "Metastatic renal cancer: bulging of the T8-T9 disc into the canal compresses the cord.",
        False,
        None,
    ),
]


@pytest.mark.parametrize(("text", "suspected", "grade"), AFTER_AH_CASES)
def test_phenomenon_left_after_set_ah(text: str, suspected: bool, grade: str | None) -> None:
    found = detect(text, modality="MR")
    assert (found.suspected_mescc, found.escc_grade) == (suspected, grade)


def test_a_metastasis_that_reaches_the_cord_in_unread_words_asks_for_review() -> None:
    found = detect("Metastatic breast cancer: the T8 metastasis reaches the spinal cord.")
    assert (found.suspected_mescc, found.review_needed) == (False, True)
    spared = detect("Metastatic breast cancer: T8 metastasis; the spinal cord is normal.")
    assert (spared.suspected_mescc, spared.review_needed) == (False, False)


# From blind sets realAI-realAL (2026-12-08): phenomena, each a positive and a negative.
SET_AI_TO_AL_CASES = [
    # a follow-up study that reports the epidural disease gone ends the story; disease at
    # other levels than the resolved one stands
    (
        "MRI showed a T5 epidural mass compressing the cord. After chemotherapy, follow-up MRI "
        "showed resolution of the cord compression.",
        False,
        None,
    ),
    (
        "MRI showed a T5 epidural mass compressing the cord. After chemotherapy, follow-up MRI "
        "showed resolution of the L2 epidural disease.",
        True,
        "2",
    ),
    (
        "Panel A: a posterior epidural mass from C7 to T1 compresses the cord. Panel B: "
        "follow-up MRI after radiotherapy shows a complete epidural tumour response.",
        False,
        None,
    ),
    ("Three months later, MRI showed complete disappearance of the epidural masses.", False, None),
    ("Three months later, MRI showed new epidural masses at T9.", True, None),
    # every lesion placed inside the dura by a later sentence
    (
        "MRI showed a mass compressing the cord at T6 and smaller lesions lower down. All "
        "lesions were intradural extramedullary.",
        False,
        None,
    ),
    (
        "MRI showed a mass compressing the cord at T6 and smaller lesions lower down. All "
        "lesions were extradural.",
        True,
        "2",
    ),
    # extramedullary haematopoiesis by its signs: the marrow's own signal, marrow hyperplasia
    (
        "Lobulated extradural soft tissue lesions compress the cord at T5-T6; they have signal "
        "intensity similar to the vertebral bone marrow.",
        False,
        None,
    ),
    (
        "Lobulated extradural soft tissue lesions compress the cord at T5-T6; they enhance avidly.",
        True,
        "2",
    ),
    (
        "An extradural mass from T3 to T8 compresses the cord. Marrow hyperplasia enlarges the "
        "ribs.",
        False,
        None,
    ),
    # a cyst by its contents; a neurogenic tumour; a migrated disc
    ("The cord at T4 is displaced by a CSF intensity mass posterior to it.", False, None),
    ("The cord at T4 is displaced by an enhancing mass posterior to it.", True, "2"),
    (
        "An extradural tumour at T6 grows through the foramen into the thorax, suggesting a "
        "neurogenic tumour.",
        False,
        None,
    ),
    (
        "A dorsal epidural lesion at L3-4 indents the thecal sac, suggestive of a dorsally "
        "migrated L3-4 disc.",
        False,
        None,
    ),
    ("A dorsal epidural lesion at L3-4 indents the thecal sac.", True, "1b"),
    # a malignant tumour only as the imaging called it, before histology named the benign lesion
    (
        "The T11 lesion with epidural extension was diagnosed as a malignant tumour at MRI. "
        "Histology confirmed a cavernous haemangioma.",
        False,
        None,
    ),
    (
        "The T11 lesion with epidural extension was diagnosed as a metastatic carcinoma at MRI. "
        "Histology confirmed it.",
        True,
        None,
    ),
    # cord compression in the Romance languages of case reports, accents folded; and their
    # "without"
    (
        "Paciente con cáncer de mama: metástasis en T10 con masa epidural que comprime el "
        "cordón medular.",
        True,
        "2",
    ),
    ("Metástasis en T10 sin compresión medular.", False, "0"),
    ("Métastase du sein en T8 avec compression médullaire.", True, "2"),
    ("Métastase du sein en T8 sans compression médullaire.", False, None),
    # a sentence that names its region does not inherit levels of another region: the
    # sacral canal is not where the haemangiomas of T11 and L3 are
    (
        "A mass destroys the sacrum. Haemangiomas at T11 and L3. The sacral canal is "
        "obliterated within the mass.",
        True,
        "3",
    ),
    (
        "A mass destroys the sacrum. Haemangiomas at S2 and L3. The sacral canal is "
        "obliterated within the mass.",
        False,
        None,
    ),
]


@pytest.mark.parametrize(("text", "suspected", "grade"), SET_AI_TO_AL_CASES)
def test_blind_set_ai_to_al_phenomenon(text: str, suspected: bool, grade: str | None) -> None:
    found = detect(text, modality="MR")
    assert (found.suspected_mescc, found.escc_grade) == (suspected, grade)


# From blind sets realAM, realAN and realAP (2026-12-08): phenomena, a positive and a negative.
SET_AM_TO_AP_CASES = [
    # a quiz's "Answer:" names the diagnosis; the line a "Differential diagnosis:" header opens
    # is a differential, not the patient's malignancy
    (
        "Destructive mass of T7 with an epidural mass causing cord compression.\n"
        "Differential diagnosis: metastatic neoplasm, pyogenic spondylitis\n"
        "Answer: tuberculous spondylitis",
        False,
        None,
    ),
    (
        "Destructive mass of T7 with an epidural mass causing cord compression.\n"
        "Differential diagnosis: metastatic neoplasm, pyogenic spondylitis\n"
        "Answer: metastatic renal cell carcinoma",
        True,
        "2",
    ),
    # the operation that removed the lesion names its diagnosis
    (
        "A T9 tumour with extraosseous extension causes cord compression. En bloc spondylectomy "
        "was performed; the lesion was an aggressive vertebral haemangioma.",
        False,
        None,
    ),
    (
        "A T9 tumour with extraosseous extension causes cord compression. En bloc spondylectomy "
        "was performed; the lesion was a plasmacytoma.",
        True,
        "2",
    ),
    # a benign lesion only considered is overturned by a frozen section that names myeloma
    (
        "A haemangioma was considered, and surgery was done because the T7 vertebra was pressing "
        "on the spinal cord. However, the intraoperative frozen section showed plasma cell "
        "myeloma.",
        True,
        "2",
    ),
    (
        "A haemangioma was considered, and surgery was done because the T7 vertebra was pressing "
        "on the spinal cord. The intraoperative frozen section confirmed the haemangioma.",
        False,
        None,
    ),
    # a fracture the report calls non-pathological
    ("MRI: L1 non-pathological fracture with retropulsion narrowing the canal.", False, None),
    ("MRI: L1 pathological fracture with retropulsion narrowing the canal.", True, "2"),
    # benign lesions that are masses: hydatid cyst, EMH of transfusion-dependent thalassaemia
    (
        "A hydatid cyst of L2 destroys the body. A septate cystic mass compresses the conus at L2.",
        False,
        None,
    ),
    (
        "A paraspinal mass compresses the dural sac and cord, with severe myocardial and hepatic "
        "iron overload.",
        False,
        None,
    ),
    ("A paraspinal mass of lymphoma compresses the dural sac and cord.", True, "2"),
    # ganglioneuroma at biopsy owns the dumbbell tumour
    (
        "Biopsy revealed a ganglioneuroma. The tumour extends through the L1-2 foramen into the "
        "canal and compresses the thecal sac.",
        False,
        None,
    ),
    # ESCD: epidural spinal cord disease
    ("One patient had progression of lymphoma and ESCD despite chemotherapy.", True, "2"),
    ("After chemotherapy the MRI showed resolution of the ESCD.", False, None),
    # the cord's own lesion with a rim is no encased cord
    ("T2 shows a high-signal T4-5 spinal cord lesion surrounded by a low signal rim.", False, None),
    ("Myeloma: the T4-5 spinal cord is surrounded by epidural tumour.", True, "1c"),
    # French: tumour in the canal
    (
        "Métastase du sein: lésion de L4 envahissant le sac dural et les racines de la queue de "
        "cheval.",
        True,
        None,
    ),
    ("Métastase du sein: lésion de L4 sans extension endocanalaire.", False, None),
    # a dumbbell tumour lies in the canal: a nerve-sheath tumour's unless tissue proves a
    # malignancy
    (
        "MRI revealed a dumbbell-shaped tumour. Differential considerations are meningiomas and "
        "nerve sheath tumours. Final histopathology read as chondrosarcoma.",
        True,
        None,
    ),
    (
        "MRI revealed a dumbbell-shaped tumour at T5. Differential considerations are "
        "meningiomas and nerve sheath tumours.",
        False,
        None,
    ),
    # benign bone tumours named only as suggested own an unnamed mass; the mass alone is tumour
    (
        "Findings suggestive of an aneurysmal bone cyst. The T3 mass has epidural extension and "
        "compresses the cord.",
        False,
        None,
    ),
    ("The T3 mass has epidural extension and compresses the cord.", True, "2"),
    ("MRI suggestive of giant cell tumour at T2, with cord compression.", False, None),
    ("Diagnosis: spinal angiolipoma. An epidural mass at T4-T5 compresses the cord.", False, None),
    # tumour enveloping the conus and roots in a report of leptomeningeal disease
    (
        "Leptomeningeal carcinomatosis. Diffuse enhancing tissue envelops the conus and the cauda "
        "equina roots.",
        False,
        None,
    ),
    (
        "Myeloma. Diffuse enhancing tissue envelops the conus and the cauda equina roots.",
        True,
        "1c",
    ),
    # a caption's panels before and after treatment are studies: the latest one decides
    (
        "Before treatment: (A) the cord is compressed by the epidural mass at T11. After "
        "treatment: (B) the epidural mass has resolved.",
        False,
        None,
    ),
    ("Before treatment: (A) the cord is compressed by the epidural mass at T11.", True, "2"),
    # the region and the kind between "extradural" and the tumour
    ("A man was diagnosed with extradural thoracic granulocytic sarcoma.", True, None),
    ("A man was diagnosed with thoracic granulocytic sarcoma of the rib.", False, None),
    # a resolution put down to treatment, and in a region the finding is not in
    (
        "Four patients had cord compression from epidural metastases. Glucocorticoids caused "
        "disappearance of the extradural tumour.",
        False,
        None,
    ),
    (
        "Epidural tumour compresses the cord at T9. The treated cervical epidural disease has "
        "resolved.",
        True,
        "2",
    ),
]


@pytest.mark.parametrize(("text", "suspected", "grade"), SET_AM_TO_AP_CASES)
def test_blind_set_am_to_ap_phenomenon(text: str, suspected: bool, grade: str | None) -> None:
    found = detect(text, modality="MR")
    assert (found.suspected_mescc, found.escc_grade) == (suspected, grade)


def test_a_malignancy_in_the_spine_with_a_deficit_in_unread_words_asks_for_review() -> None:
    found = detect(
        "Metastatic prostate cancer with progressive paraparesis. Sclerotic metastases throughout "
        "the thoracic spine."
    )
    assert (found.suspected_mescc, found.review_needed) == (False, True)
    denied = detect(
        "Metastatic prostate cancer with progressive paraparesis. Sclerotic metastases throughout "
        "the thoracic spine. No epidural disease and no cord compression."
    )
    assert (denied.suspected_mescc, denied.review_needed) == (False, False)


def test_a_previously_healthy_patient_is_no_past_finding() -> None:
    found = detect("A previously healthy man was diagnosed with extradural thoracic lymphoma.")
    assert found.suspected_mescc is True
    past = detect("The previously seen extradural thoracic lymphoma has resolved.")
    assert past.suspected_mescc is False


# From blind set realAR (2026-12-08): phenomena, a positive and a negative.
SET_AR_CASES = [
    # "the tumour" names the benign lesion the sentence before named
    (
        "MRI showed a schwannoma at C4-C5. The tumour was hypointense on T1. The spinal cord was "
        "severely compressed.",
        False,
        None,
    ),
    (
        "MRI showed a dumbbell mass at C4-C5. The tumour was hypointense on T1. The spinal cord "
        "was severely compressed.",
        False,
        None,
    ),
    (
        "Known lung cancer. MRI showed a mass at C4-C5. The tumour was hypointense on T1. The "
        "spinal cord was severely compressed.",
        True,
        "2",
    ),
    # a presentation whose cause the text states on imaging, however many words it takes
    (
        "A man presenting with symptoms of low thoracic spinal cord compression due to an "
        "epidural tumour on the MRI.",
        True,
        "2",
    ),
    ("A man presenting with symptoms of low thoracic spinal cord compression.", False, None),
    # "cord/thecal sac compression" compresses the cord (2); "symptoms and signs of" happened
    ("MRI: T2-3 spinal metastases with spinal cord/thecal sac compression.", True, "2"),
    ("MRI: T2-3 spinal metastases with thecal sac compression.", True, "1b"),
    (
        "He presented with symptoms and signs of cauda equina compression, shown to be due to an "
        "extradural lymphoma.",
        True,
        "2",
    ),
    # a lesion named by its picture; Portuguese "ausência de"
    ("Hodgkin lymphoma: an intraspinal extradural image that enhances at T6.", True, None),
    ("Ressonância magnética: ausência de tumor epidural.", False, None),
]


@pytest.mark.parametrize(("text", "suspected", "grade"), SET_AR_CASES)
def test_blind_set_ar_phenomenon(text: str, suspected: bool, grade: str | None) -> None:
    found = detect(text, modality="MR")
    assert (found.suspected_mescc, found.escc_grade) == (suspected, grade)


def test_a_compression_no_words_explain_asks_for_review() -> None:
    # no malignancy and no benign cause named: only a shape, or a fracture
    for text in (
        "A dumbbell mass at C4-C5 severely compresses the spinal cord.",
        "The T12 fracture has a retropulsed fragment compressing the conus.",
    ):
        found = detect(text, modality="MR")
        assert (found.suspected_mescc, found.review_needed) == (False, True), text
    # a benign cause named, even only suggested, explains it; so does a later resolution
    for text in (
        "A schwannoma at C4-C5 severely compresses the spinal cord.",
        "An osteoporotic T12 fracture has a retropulsed fragment compressing the conus.",
        "A disc bulge at L4-5 compresses the thecal sac.",
        "An epidural mass at T2 compresses the cord, interpreted as an epidural haematoma.",
        "An epidural mass at T2 compresses the cord. Follow-up MRI after radiotherapy shows its "
        "resolution.",
    ):
        found = detect(text, modality="MR")
        assert (found.suspected_mescc, found.review_needed) == (False, False), text


# From blind set realAQ (2026-12-08): phenomena, a positive and a negative.
SET_AQ_CASES = [
    # "Differential" cut off as a sentence still opens a differential; "malignant" of a
    # "malignant compression fracture" names a malignancy of its own
    (
        "Posterior epidural lesions at C4 show low T1 signal.\nDifferential\nDiagnosis: "
        "vertebral osteomyelitis\nDiagnosis: malignant compression fracture due to metastatic "
        "adenocarcinoma",
        True,
        None,
    ),
    (
        "Posterior epidural lesions at C4 show low T1 signal.\nDiagnosis: vertebral osteomyelitis",
        False,
        None,
    ),
    # a compression that names no lesion, in a report whose lesion lies in the intradural space
    (
        "An ovoid mass lies in the intradural extramedullary space at C6. It measures 1.5 cm. "
        "The spinal cord is compressed.",
        False,
        None,
    ),
    ("An ovoid mass lies at C6. It measures 1.5 cm. The spinal cord is compressed.", True, "2"),
    # (realAU) a title that places the tumour inside the dura places the whole case there
    (
        "Synovial sarcoma of the spine: a rare intradural extramedullary tumour\nImaging revealed "
        "a dumbbell tumour at C6 to T1 compressing the cord. Histopathology revealed a synovial "
        "sarcoma.",
        False,
        None,
    ),
    (
        "Synovial sarcoma of the spine\nImaging revealed a dumbbell tumour at C6 to T1 "
        "compressing the cord. Histopathology revealed a synovial sarcoma.",
        True,
        "2",
    ),
]


@pytest.mark.parametrize(("text", "suspected", "grade"), SET_AQ_CASES)
def test_blind_set_aq_phenomenon(text: str, suspected: bool, grade: str | None) -> None:
    found = detect(text, modality="MR")
    assert (found.suspected_mescc, found.escc_grade) == (suspected, grade)


def test_a_myelogram_filed_as_a_radiograph_shows_the_canal() -> None:
    text = "Complete block at T10 from an extradural lymphoma."
    myelogram = detect(text, modality="XR", exam="XR SPINE AND MYELOGRAM")
    assert (myelogram.suspected_mescc, myelogram.escc_grade) == (True, "3")
    radiograph = detect("Lytic lymphoma deposit in T10.", modality="XR", exam="XR THORACIC SPINE")
    assert radiograph.suspected_mescc is False


# From blind sets realAT and realAV (2026-12-08): phenomena, a positive and a negative.
SET_AT_AV_CASES = [
    # the atlas's lateral mass is anatomy
    (
        "The lateral mass of the atlas is hypertrophied and invaginates into the foramen magnum. "
        "The spinal cord is severely compressed.",
        False,
        None,
    ),
    (
        "A mass of the atlas invaginates into the foramen magnum. The spinal cord is severely "
        "compressed.",
        True,
        "2",
    ),
    # rheumatoid arthritis explains a periodontoid mass
    (
        "Rheumatoid arthritis. A periodontoid mass erodes the odontoid and indents the thecal sac.",
        False,
        None,
    ),
    # a canal narrowed with soft tissue extension, beside a destroyed bone
    (
        "A destructive mass involves the sacrum. Significant narrowing of the sacral canal with "
        "soft tissue extension.",
        True,
        "2",
    ),
    (
        "Degenerative change of the sacrum. Significant narrowing of the sacral canal with soft "
        "tissue extension.",
        False,
        None,
    ),
    # a brown tumour of hyperparathyroidism at pathology
    (
        "Masses at T2-T3 deviate the spinal cord. PET shows lesions indicating a metastatic "
        "tumour. Pathology of the specimen was consistent with a brown tumour.",
        False,
        None,
    ),
    # a mass that compresses the canal, in a patient with cancer; a mass in the "epidural area"
    ("Known myeloma. CT shows the sacral mass compressing the spinal canal.", True, "2"),
    ("Known myeloma. CT shows degenerative canal stenosis at L4-5.", False, None),
    ("MRI revealed a mass lesion in the epidural lumbosacral area.", True, None),
    ("MRI revealed a mass lesion in the presacral area.", False, None),
    # the cord indented (2); tumour filling the whole canal (3); entering and narrowing it (2)
    ("MRI revealed an extradural mass indenting the cervical cord at C7.", True, "2"),
    ("MRI revealed an extradural mass indenting the thecal sac at C7.", True, "1b"),
    ("Lymphoma tissue from T2 to L4 occupies the entire vertebral canal.", True, "3"),
    ("Lymphoma tissue from T2 to L4 occupies part of the vertebral canal.", True, None),
    (
        "Lymphoma of T3 with an extradural component protruding into and narrowing the spinal "
        "canal.",
        True,
        "2",
    ),
    ("Disc material at L4-5 protruding into and narrowing the spinal canal.", False, None),
    # soft tissue behind the dens is pannus or a pseudotumour
    ("A retrodental soft tissue mass indents the spinal cord.", False, None),
]


@pytest.mark.parametrize(("text", "suspected", "grade"), SET_AT_AV_CASES)
def test_blind_set_at_av_phenomenon(text: str, suspected: bool, grade: str | None) -> None:
    found = detect(text, modality="MR")
    assert (found.suspected_mescc, found.escc_grade) == (suspected, grade)


def test_a_brain_study_has_no_spinal_epidural_space() -> None:
    text = "Extra-axial enhancing lesions consistent with epidural metastases of pancreatic cancer."
    assert detect(text, modality="MR", exam="MRI BRAIN WITH CONTRAST").suspected_mescc is False
    assert detect(text, modality="MR", exam="MRI THORACIC SPINE").suspected_mescc is True
