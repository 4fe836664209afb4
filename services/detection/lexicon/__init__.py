"""The detector's rules as data: phrase tables a clinician can read, check and extend.

Each table module cites its source. The engine (``services.detection.context`` and
``services.detection.detector``) only applies them. Patterns are RE2 syntax over lower-case text;
a space matches any run of spaces; ``W`` is one gap word, so ``{W}{{0,3}}`` allows up to three
intervening words ("compresses and displaces the cord").

Sources:
- ConText: Harkema H, Dowling JN, Thornblade T, Chapman WW. ConText: an algorithm for
  determining negation, experiencer, and temporal status from clinical reports.
  J Biomed Inform 2009;42(5):839-851.
- NegEx: Chapman WW, Bridewell W, Hanbury P, Cooper GF, Buchanan BG. A simple algorithm for
  identifying negated findings and diseases in discharge summaries. J Biomed Inform
  2001;34(5):301-310.
- ESCC grading: Bilsky MH, Laufer I, Fourney DR, et al. Reliability analysis of the epidural
  spinal cord compression scale. J Neurosurg Spine 2010;13(3):324-328.
- SINS: Fisher CG, DiPaola CP, Ryken TC, et al. A novel classification system for spinal
  instability in neoplastic disease. Spine 2010;35(22):E1221-E1229.
- MSCC definition and the cauda equina rule: NICE NG234 (2023) Spinal metastases and metastatic
  spinal cord compression; ../shared/corpus/README.md (label definitions).
"""

W = r"(?:[a-z0-9/'-]+ )"  # one gap word
# Adjectives that may stand between "epidural" and its noun ("epidural soft tissue mass").
# A closed list, not any word, so "epidural enhancement WITHOUT mass effect" stays two phrases.
EPIDURAL_ADJECTIVES = (
    r"(?:(?:soft[ -]tissue|enhancing|and paravertebral|and paraspinal|metastatic|"
    r"tumou?r(?:al|ous)?|lymphomatous|myelomatous|"
    r"nodular|bulky|residual|recurrent|minimal|small|large|thin|ventral|dorsal|anterior|"
    r"posterior|lateral|left|right|circumferential|bilateral|extraosseous|plasmacytoma|"
    r"new|progressive|increasing|known|mild|moderate|significant|spinal|solid|"
    r"space-occupying|expansile|heterogeneous|lobulated|hypointense|hyperintense|"
    # a tumour's histological grade: "extradural grade 1 chondrosarcoma"
    r"grade [1-4]|low[- ]grade|high[- ]grade|space|"
    # the region and the kind: "extradural thoracic granulocytic sarcoma"
    r"cervical|thoracic|lumbar|sacral|primary|solitary|isolated|granulocytic|myeloid) ){0,2}"
)
