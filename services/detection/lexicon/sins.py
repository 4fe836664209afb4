"""The imaging components of the Spinal Instability Neoplastic Score and the words that state them.

Source: Fisher CG et al., Spine 2010;35:E1221-E1229 (SINS): location junctional (occiput-C2,
C7-T2, T11-L1, L5-S1), mobile (C3-C6, L2-L4), semi-rigid (T3-T10), rigid (S2-S5); bone lesion
lytic, mixed, blastic; alignment subluxation/translation, de novo deformity (kyphosis or
scoliosis), normal; collapse > 50 %, < 50 %, none with > 50 % of the body involved, none;
posterolateral involvement of the facet, pedicle or costovertebral joint bilateral, unilateral,
none. Output spellings follow ../shared/corpus/README.md.

Roles: ``lesion``, ``alignment``, ``collapse``, ``collapse_pct`` (value parsed from the digits),
``involvement`` (more than half the body replaced), ``posterolateral``, ``location`` (only
read inside a SINS statement), ``sins`` (marks such a statement), ``ignore``.
"""

from __future__ import annotations

from services.detection.lexicon import W
from services.detection.lexicon.findings import DESCRIPTORS
from services.detection.matcher import Rule

# "%" last: a pattern ending in a word character gets a word boundary, which "%." lacks.
PERCENT = r"(?:percent|per ?cent|%)"
HALF = rf"(?:half|50 ?{PERCENT})"
LESS = r"(?:<|less than|under|below|lower than|not more than)"
MORE = r"(?:>|more than|greater than|over|exceeding|in excess of|at least|above)"
# The height words a comparison may precede ("less than 50% loss of vertebral height") ...
HEIGHT_LOST = (
    rf"(?:collapse|height loss|loss of (?:{W}{{0,3}})?height|loss in height|height reduction|"
    rf"reduction in (?:{W}{{0,2}})?height|compression|of (?:its |the )?(?:{W}{{0,2}})?height)"
)
# ... or follow ("height loss at T8, less than 50%", "has lost more than half its height").
LOSING = (
    rf"(?:collaps\w*|height loss|loss of (?:{W}{{0,3}})?height|height (?:is |was )?"
    rf"(?:reduced|reduction|lost)|lost|wedg\w*)"
)

# Other names of the SINS posterolateral elements: the cervical facet column (lateral mass,
# articular pillar) and the costovertebral joint (rib head, costotransverse joint).
POSTEROLATERAL_PARTS = (
    r"lateral mass(?:es)?|articular (?:pillars?|process(?:es)?)|rib heads?|"
    r"costo-?transverse(?: joints?)?|costovertebral (?:joints?|junctions?)|heads? of the "
    r"(?:\w+ )?ribs?"
)

LOCATION_OF_LEVEL: dict[str, str] = {
    **{f"C{n}": "mobile" for n in range(3, 7)},
    "C1": "junctional",
    "C2": "junctional",
    "C7": "junctional",
    "T1": "junctional",
    "T2": "junctional",
    **{f"T{n}": "semi_rigid" for n in range(3, 11)},
    "T11": "junctional",
    "T12": "junctional",
    "L1": "junctional",
    "L2": "mobile",
    "L3": "mobile",
    "L4": "mobile",
    "L5": "junctional",
    "S1": "junctional",
    **{f"S{n}": "rigid" for n in range(2, 6)},
}

SINS: tuple[Rule, ...] = (
    Rule("sins_statement", r"sins(?: imaging)?", "sins"),
    Rule("location_junctional", r"junctional", "location", "junctional"),
    Rule("location_mobile", r"mobile", "location", "mobile"),
    Rule("location_semi_rigid", r"semi[- ]?rigid", "location", "semi_rigid"),
    Rule("location_rigid", r"rigid", "location", "rigid"),
    # bone lesion quality. "Mixed signal" describes the MRI appearance, not a lesion that is both
    # lytic and blastic (SINS lesion quality is osteolytic / mixed / blastic, Fisher 2010).
    Rule("mixed_signal", r"mixed (?:t1 |t2 |stir )?(?:and |/)?(?:t1 |t2 )?signal", "ignore"),
    Rule(
        "lesion_mixed",
        r"mixed(?: (?:lytic|sclerotic|density|osteolytic|osteoblastic|"
        r"lytic[ /-]sclerotic|lytic and sclerotic|sclerotic and lytic))?|(?:osteo)?lytic(?:[ /-]|"
        r" and | and (?:osteo)?)(?:osteo)?(?:sclerotic|blastic)|(?:osteo)?(?:sclerotic|blastic)"
        r"(?:[ /-]| and )(?:osteo)?lytic",
        "lesion",
        "mixed",
    ),
    Rule(
        "lesion_lytic",
        r"(?:osteo)?lytic|permeative|lucen(?:t|cy|cies)|radiolucent",
        "lesion",
        "lytic",
    ),
    Rule(
        "lesion_blastic",
        r"(?:osteo)?sclerotic|(?:osteo)?blastic|sclerosis of the body",
        "lesion",
        "blastic",
    ),
    # alignment
    Rule(
        "alignment_normal",
        r"normal (?:spinal |vertebral |sagittal |coronal )?alignment|"
        r"alignment:?(?:,? (?:is|was|otherwise|remains|unchanged|stable|and|overall))*,? "
        r"(?:normal|maintained|preserved|nl|"
        r"anatomic(?:al)?|unremarkable|satisfactory|intact|within normal limits|0)"
        r"(?: (?:thoracic |lumbar |cervical )?(?:kyphosis|lordosis))?|"
        r"no malalignment|normal (?:thoracic |lumbar |cervical )?(?:kyphosis|lordosis)|"
        r"alignment normal|"
        # "no kyphosis", "without malalignment", "cervical lordosis maintained"
        r"(?:no|without) (?:significant |new |focal |any )?(?:kyphosis|kyphotic deformity|"
        r"malalignment|subluxation|scoliosis|listhesis)|(?:thoracic |lumbar |cervical )?"
        r"(?:lordosis|kyphosis) (?:is )?(?:maintained|preserved|normal)",
        "alignment",
        "normal",
        negatable=False,
    ),
    # SINS scores de novo deformity (Fisher 2010): a kyphosis the report calls old or unchanged
    # is the patient's normal alignment.
    Rule(
        "alignment_chronic",
        r"(?:(?:mild|moderate|minor|slight|stable|chronic|long-?standing) )*(?:exaggerat\w* of "
        r"(?:the )?)?(?:thoracic |lumbar |cervical )?(?:kyphosis|kyphotic deformity),? "
        r"(?:is |has )?(?:not (?:significantly )?(?:increased|changed|progressed)|unchanged|"
        r"stable|chronic|long-?standing)",
        "alignment",
        "normal",
        negatable=False,
    ),
    Rule(
        "alignment_deformity",
        r"(?:(?:new|de novo|focal|angular|progressive|kyphotic|mild|"
        r"severe|marked|acute|segmental|early) )*(?:kyphosis|kyphotic (?:deformity|angulation)|"
        r"scoliosis|scoliotic deformity|gibbus)",
        "alignment",
        "deformity",
    ),
    Rule(
        "alignment_subluxation",
        r"subluxation|(?:antero|retro|spondylo)?listhesis|"
        r"translation(?:al deformity)?|malalignment|dislocation",
        "alignment",
        "subluxation",
    ),
    Rule(
        "degenerative_listhesis",
        r"(?:grade \d )?degenerative (?:antero|retro|spondylo)?"
        r"listhesis|grade \d (?:antero|retro)listhesis",
        "ignore",
    ),
    # collapse. A comparison ("less than 50%", "more than half") decides the value wherever it
    # stands: before the height-loss words or after them ("height loss, less than 50%").
    Rule(
        "collapse_percent",
        rf"\d{{1,3}} ?{PERCENT}\)? (?:{W}{{0,1}})?(?:height loss|loss of "
        rf"(?:{W}{{0,3}})?height|collapse|loss in height|height reduction|reduction in height|"
        rf"compression|(?:wedge |compression |burst )?fracture|wedging|wedge deformity)|"
        # "body height is maybe 20% decreased"
        rf"height (?:is |was )?(?:{W}{{0,2}})?\d{{1,3}} ?{PERCENT} (?:decreased|reduced|lower|"
        rf"lost|less)|"
        # "loss of height of D12 (approx 30%)": the level between the words and the figure
        rf"(?:loss of height|height loss|collapse) (?:of|at) (?:the )?[a-z] ?\d{{1,2}} \("
        rf"(?:approx\.? |approximately |about |around |~ ?)?\d{{1,3}} ?{PERCENT}",
        "collapse_pct",
    ),
    Rule(
        "collapsed_by_percent",
        rf"(?:collapsed?|height loss|loss of height|compressed|wedged|"
        rf"loss|lost) (?:by |of |\( ?)?(?:approximately |approx |about |around |nearly |almost |"
        rf"~ ?)?\d{{1,3}} ?{PERCENT}",
        "collapse_pct",
    ),
    # The height that remains, not the height lost: "reduced to about 40% of its original
    # height" is a 60% collapse (the extractor reads the complement, see sins_extract).
    Rule(
        "height_remaining",
        rf"(?:reduced|decreased|diminished|collapsed) to (?:approximately |approx |about |around |"
        rf"~ ?)?\d{{1,3}} ?{PERCENT} of (?:its |the )?(?:original |normal |expected |"
        rf"predicted )?(?:vertebral )?(?:body )?height",
        "collapse_pct",
    ),
    # A collapse graded in words: mild or minor height loss is less than half (SINS collapse
    # bands, Fisher 2010); "severe", "complete" and vertebra plana are read under collapse_gt50.
    Rule(
        "collapse_mild",
        rf"(?:mild|minor|minimal|slight|small|subtle|early) (?:{W}{{0,1}})?(?:loss of "
        r"(?:vertebral )?(?:body )?height|height loss|wedging|wedge (?:compression )?"
        r"(?:deformity|fracture)|compression (?:deformity|fracture)|collapse)",
        "collapse",
        "lt50",
    ),
    Rule(
        "collapse_lt50",
        rf"{LESS} ?{HALF} (?:{W}{{0,1}})?{HEIGHT_LOST}|{LOSING}[^.;\n]{{0,32}}{LESS} ?{HALF}",
        "collapse",
        "lt50",
    ),
    Rule(
        "collapse_gt50",
        rf"{MORE} ?{HALF} (?:{W}{{0,1}})?{HEIGHT_LOST}|{LOSING}[^.;\n]{{0,32}}{MORE} ?{HALF}|"
        r"vertebra plana|(?:complete|severe|near[- ]complete) (?:vertebral )?collapse",
        "collapse",
        "gt50",
    ),
    # "fractures of T12 (>50%) and L3 (<50%)": read only beside fracture or collapse words.
    Rule(
        "collapse_paren_lt50",
        r"\((?:<|less than ) ?(?:[1-4]?[0-9]|50) ?%\)",
        "collapse",
        "lt50",
    ),
    Rule("collapse_paren_gt50", r"\((?:>|more than |greater than ) ?50 ?%\)", "collapse", "gt50"),
    Rule(
        "collapse_none",
        rf"no (?:{W}{{0,1}})?(?:vertebral |pathologic(?:al)? |new |acute )?(?:body )?(?:collapse|"
        r"fracture|fx)|without (?:vertebral |pathologic(?:al)? )?(?:collapse|fracture)|"
        r"(?:vertebral )?(?:body )?heights? (?:is |are )?(?:maintained|preserved|normal|"
        r"unchanged)|no (?:significant |appreciable |definite )?loss of (?:vertebral )?"
        r"(?:body )?height|no (?:vertebral )?height loss|"
        r"(?:vertebral )?(?:bod(?:y|ies) )?(?:is |are )?preserved in height|"
        # "T9 is not collapsed", "a non-collapsed body": a statement of no collapse, read as
        # such rather than as a negated collapse (which would leave the component unknown).
        r"(?:is |are |was |remains? )?not (?:yet )?collapsed|non-?collapsed|uncollapsed|"
        # "No vertebral body height loss", "no compression deformity", "no bony destruction or
        # collapse", "without loss of height", "normal in height"
        r"no (?:vertebral )?(?:body )?(?:height loss|compression deformity)|without (?:any )?"
        r"(?:loss of (?:vertebral )?(?:body )?height|height loss|compression deformity)|"
        rf"no {W}{{1,3}}(?:or|and|nor) (?:vertebral )?(?:collapse|fracture)|"
        r"(?:of |are |is )normal (?:vertebral )?(?:body )?height|normal in height|"
        r"preserved (?:vertebral )?(?:body )?heights?",
        "collapse",
        "none",
        negatable=False,
    ),
    Rule(
        "involvement_gt50",
        r"(?:more|greater) than (?:half|50 ?%)|>50 ?%(?: (?:of )?(?:the )?"
        r"(?:vertebral )?body)?(?: involved| involvement| replaced)?|(?:largely|extensively|"
        r"predominantly|mostly|almost entirely|entirely|completely|diffusely|totally|wholly) "
        r"replaced|replac\w* (?:essentially |almost |nearly |virtually |practically )?(?:the )?"
        r"(?:entire|whole) (?:vertebral )?body|(?:replac|occupy|occupi|involv)\w* (?:most|the "
        r"majority|nearly all|almost all|the bulk) of (?:the )?(?:vertebral )?body|replac\w* "
        r"(?:the|its) (?:vertebral )?body",
        "involvement",
        "gt50",
    ),
    Rule(
        "involvement_percent",
        r"\d{1,3} ?% (?:of (?:the |each )?(?:vertebral )?body|"
        r"(?:of )?body (?:involved|involvement)|replaced)|\d{1,3} ?% replaced",
        "involvement_pct",
    ),
    Rule("involvement_lt50", r"less than (?:50 ?%|half)(?: of)?", "involvement", "lt50"),
    # posterolateral elements: "facet, pedicle, or costovertebral joint fracture or replacement with
    # tumor" (Fisher 2010, table 1 footnote); laminae and spinous processes are not among them
    Rule(
        "posterolateral_bilateral",
        rf"both (?:{W}{{0,2}})?(?:pedicles|posterior "
        rf"elements|facets?|costovertebral|{POSTEROLATERAL_PARTS})|bilateral (?:{W}{{0,1}})?"
        rf"(?:pedicles?|posterior elements?|pedicular|posterolateral|facets?|"
        rf"{POSTEROLATERAL_PARTS})|(?:pedicles?|posterior elements?|facets?|"
        rf"{POSTEROLATERAL_PARTS}) (?:{W}{{0,4}})?bilaterally|"
        rf"posterolateral bilateral|bilateral\.?$",
        "posterolateral",
        "bilateral",
    ),
    Rule(
        "posterolateral_unilateral",
        rf"(?:left|right|l|r) (?:{W}{{0,3}})?(?:pedicles?|"
        rf"facet|costovertebral|transverse process|posterior elements?|"
        rf"{POSTEROLATERAL_PARTS}|pedals?)|"
        rf"unilateral(?: posterolateral)?|posterolateral unilateral",
        "posterolateral",
        "unilateral",
    ),
    Rule(
        "posterolateral_none",
        r"posterior elements?(?: (?:at|of) (?:the )?[ctls] ?\d{1,2}(?: level)?)?"
        r"(?: are| were| is)? (?:spared|not involved|uninvolved|normal|intact|preserved|"
        r"unremarkable|unaffected)|"
        r"pedicles (?:are |were )?(?:intact|spared|normal|preserved|uninvolved|not involved)|"
        r"no (?:pedicle|pedicular|posterior element) involvement|sparing (?:of )?the posterior "
        rf"elements|no involvement of (?:the )?(?:{W}{{0,4}})?(?:posterior elements?|pedicles?)",
        "posterolateral",
        "none",
        negatable=False,
    ),
    Rule("pedicle_screws", r"(?:(?:left|right|l|r|bilateral) )?pedicle screws?", "ignore"),
    *DESCRIPTORS,
)
