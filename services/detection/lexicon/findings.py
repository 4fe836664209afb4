"""Findings: epidural disease, compression of the cord, conus or cauda equina, and their causes.

Sources: the ESCC (Bilsky) scale, Bilsky et al., J Neurosurg Spine 2010;13:324-328: grade 1a
epidural impingement without deformation of the thecal sac, 1b deformation of the thecal sac
without abutment of the cord, 1c deformation with abutment of the cord without compression,
2 cord compression with CSF visible around the cord, 3 cord compression without CSF visible.
For the cauda equina (below the conus) the same words apply to the thecal sac and roots; severe
compression counts as 3, moderate with CSF preserved as 2 (../shared/corpus/README.md).
MSCC is compression by metastatic tumour, including by a pathological fracture or retropulsed
fragment; abscess, haematoma, degenerative disease and osteoporotic fracture are other causes
(NICE NG234, 2023). Leptomeningeal and intramedullary disease are intradural, not epidural.

Roles: ``epidural`` (value ``explicit`` when the words say tumour, ``ambiguous`` when only
tissue or space is named), ``mass`` (mass effect, value = its grade; ``2t`` is thecal sac
compression, ``2d`` a displaced cord), ``mscc`` (named metastatic compression), ``escc`` (a
stated grade), ``grade`` ("grade 2" without a scale name), ``csf_absent`` / ``csf_present``,
``severity``, ``malignant`` / ``metastasis`` / ``benign`` (causes), ``cord_signal``,
``retropulsion``, ``maximal`` ("maximal at T7"), ``ignore`` (look-alikes such as "compression
fracture").
"""

from __future__ import annotations

from services.detection.lexicon import EPIDURAL_ADJECTIVES, W
from services.detection.matcher import Rule

# "Medulla (spinalis)" and "liquor" are how Scandinavian and German reports name the cord and the
# CSF in English (Terminologia Anatomica: medulla spinalis; liquor cerebrospinalis).
CORD = (
    r"(?:spinal )?(?:cord|chord|conus(?: medullaris)?|cord/conus|cord/(?:thecal |dural )?sac|"
    r"cauda equina|cauda equine|"
    r"corda equina|cervicomedullary junction|neural elements|cauda equina (?:nerve )?roots|"
    r"medulla(?: spinalis)?|medullary|medullar)"
)
SAC = r"(?:thecal|dural|the cal) sack?"
# "Extradural" as reports spell it: "extra-dural", "extra dural", "exteradural", "extradual".
EXTRADURAL = r"exte?ra[- ]?dur?al"
# The edge of a vertebra that can bulge or be pushed back into the canal (a fracture's wall).
_BONE_EDGE = (
    r"(?:posterior |dorsal )?(?:cortex|cortical (?:margin|wall|line)|vertebral (?:body )?wall|"
    r"wall|fragments?)"
)
# Langerhans cell histiocytosis (eosinophilic granuloma) as reports spell it: the vertebra plana
# of children and young adults, apart from the malignant bone tumours (WHO classification of bone
# tumours, 5th ed., 2020). Read as a benign cause here and as a diagnosis in diagnosis.py.
LCH = r"langerhans?'?s? cells? histioc\w*sis|histiocytosis x|eosinophilic granulomas?"
# The back of a vertebral body, named by its part: "the posterior part of the T10 body".
_BODY_PART = (
    r"(?:posterior|dorsal) (?:part|portion|aspect|margin|border|surface|edge|half|third)s? of "
    r"(?:the )?(?:[a-z0-9/'-]+ ){0,2}(?:vertebral )?bod(?:y|ies)"
)
TUMOUR_NOUNS = (
    r"tumou?rs?|tumer|deposits?|metastas[ie]s|metastatic disease|mets?|lymphoma|plasmacytoma|"
    r"myeloma|neoplasm|malignancy|soft tissue tumou?r|\w*sarcomas?|\w*carcinomas?|chordomas?|"
    r"melanomas?|chloromas?|neuroblastomas?|leuka?emic (?:infiltrat\w*|deposits?|mass(?:es)?)"
)
EXTENT_NOUNS = (
    r"mass(?:es)?|disease|extension|extention|component|spread|involvement|infiltration|"
    r"invasion|extent|soft tissue (?:mass|component)|disease burden|lesions?|abnormality|"
    r"abnormalities|thickening|growth|"
    # "an intra-spinal extradural image that enhances": the lesion by the picture it makes
    r"images?"
)

EPIDURAL: tuple[Rule, ...] = (
    # Tumour named as such: malignant whatever else the clause mentions ("tumour versus abscess").
    Rule(
        "epidural_tumour",
        rf"(?:epi ?dural|epi-dural|{EXTRADURAL}|epidermal|intraspinal) "
        rf"{EPIDURAL_ADJECTIVES}(?:{TUMOUR_NOUNS})",
        "epidural",
        "tumour",
    ),
    # Extension or disease: by convention a tumour's, unless the clause names a benign cause.
    Rule(
        "epidural_extension",
        rf"(?:epi ?dural|epi-dural|{EXTRADURAL}|epidermal|intraspinal) "
        rf"{EPIDURAL_ADJECTIVES}(?:{EXTENT_NOUNS})",
        "epidural",
        "explicit",
    ),
    # A dumbbell tumour lies in the canal and outside it through a foramen: epidural disease
    # whose cause is a nerve-sheath tumour's unless a malignancy is named beside it or proven
    # in tissue (Report: "a dumbbell tumour ... histopathology: chondrosarcoma").
    Rule(
        "dumbbell_tumour",
        rf"dumb-?bell(?:[- ](?:shaped?|type|like))? (?:{W}{{0,2}})?(?:tumou?rs?|mass(?:es)?|"
        rf"lesions?)",
        "epidural",
        "dumbbell",
    ),
    # "a small ventral epidural at T9": the noun left out after a size or side word.
    Rule(
        "epidural_elliptic",
        r"(?:small|tiny|thin|minor|minimal|large|bulky|ventral|dorsal|anterior|posterior|left|"
        r"right|residual|new) epidural (?:at|in|on|from|along)",
        "epidural",
        "ambiguous",
    ),
    Rule(
        "epidural_soft_tissue",
        # "epidural and periradicular diffuse soft tissue": one more place and one adjective
        # or one place of a list: "the intraspinal, epidural, and paravertebral soft tissues"
        rf"(?:epidural|{EXTRADURAL})(?:,? and [a-z-]+|, [a-z-]+,? and [a-z-]+)? "
        r"(?:diffuse |enhancing )?"
        r"(?:soft[ -]tissues?|tissues?|enhancement|signal abnormality)",
        "epidural",
        "ambiguous",
    ),
    Rule(
        "into_epidural_space",
        rf"(?:into|in|within|invad\w*|involv\w*|fill\w*|occupy\w*|invasion of|infiltration of|"
        rf"occupies|enter\w*|along|breach\w* into|extend\w* (?:\w+ )?to|extension to|"
        rf"progress(?:ion|ed|es|ing)? to|spread\w* to) (?:the )?{W}{{0,5}}"
        rf"(?:(?:epidural|{EXTRADURAL}) (?:and \w+ )?(?:(?:cervical|thoracic|lumbar|sacral|"
        rf"lumbosacral|thoracolumbar|cervicothoracic) )?(?:space|compartment|area|region)s?|"
        rf"lateral recess(?:es)?)",
        "epidural",
        "ambiguous",
    ),
    # The epidural fat effaced, obliterated or replaced is the classic sign of epidural tumour;
    # the fat is what is lost, not a benign cause (longer than "epidural fat", so it wins the
    # leftmost-longest scan; its cause is read from the clause as for any ambiguous finding).
    Rule(
        "epidural_fat_effaced",
        rf"(?:effac\w*|obliterat\w*|replac\w*|infiltrat\w*|invad\w*|encroach\w* (?:on|upon)|"
        rf"loss of|effacement of|obliteration of|replacement of|infiltration of|invasion of) "
        rf"(?:the )?{W}{{0,2}}(?:epidural|{EXTRADURAL}) fat",
        "epidural",
        "ambiguous",
    ),
    # Tumour that enters the canal and narrows it in one phrase ("an extradural component
    # protruding into and narrowing the spinal canal"): the narrowing grades it (2). Before
    # "into_canal", which would otherwise read the same words as entry alone.
    Rule(
        "canal_entered_and_narrowed",
        r"(?:protrud\w*|extend\w*|grow\w*|bulg\w*|project\w*) into (?:and |, )?(?:narrow\w*|"
        r"compress\w*|compromis\w*) (?:the )?(?:spinal |sacral |vertebral |central )?canal",
        "mass",
        "2",
    ),
    # Tumour that fills the whole canal leaves no room for CSF, like an obliterated canal (3).
    Rule(
        "canal_filled",
        r"canal[- ]filling|(?:fill\w*|occup\w*) (?:the )?(?:entire |whole |full )(?:spinal |"
        r"vertebral |sacral |central )?canal|(?:fill\w*|occup\w*) (?:the )?(?:spinal |"
        r"vertebral |sacral |central )?canal (?:entirely|completely|totally)",
        "mass",
        "3",
    ),
    Rule(
        "into_canal",
        rf"(?:into|within|fills?|filling|occupy\w*|occupies|invad\w*|enter\w*|invasion of|"
        rf"infiltration of|infiltrat(?:es|ed|ing)|"
        rf"projects? into|protrud\w* into|(?:{_BONE_EDGE} (?:\w+ )?)?bulg\w* into|extends? in|"
        rf"extending in) (?:the )?"
        rf"{W}{{0,3}}(?:spinal |sacral |vertebral |central )?canal",
        "epidural",
        "ambiguous",
    ),
    # "a soft-tissue mass protruding from the L3 body to the spinal canal"
    Rule(
        "towards_canal",
        rf"(?:protrud\w*|extend\w*|project\w*|grow\w*|bulg\w*) (?:from (?:the )?{W}{{0,4}})?"
        rf"(?:in)?to(?:wards?)? (?:the )?(?:spinal |sacral |vertebral |central )?canal",
        "epidural",
        "ambiguous",
    ),
    Rule(
        "canal_involvement",
        r"(?:spinal |sacral |vertebral )?canal (?:involvement|invasion|"
        r"extension)|occupation of (?:the )?(?:spinal |sacral |vertebral )?canal|"
        r"(?:spinal |sacral )canal (?:is |was )?(?:not )?(?:involved|invaded)",
        "epidural",
        "ambiguous",
    ),
    Rule(
        "intracanalicular",
        r"intra-?canal(?:icular)? (?:extension|tumou?r|component|disease|"
        r"mass|spread)",
        "epidural",
        "explicit",
    ),
    Rule(
        "canal_encroachment",
        rf"encroach\w* (?:on |upon |into )?(?:the )?{W}{{0,2}}"
        rf"(?:spinal |central |vertebral )?canal|(?:spinal |central |vertebral )?canal "
        rf"(?:encroachment|invasion)",
        "epidural",
        "ambiguous",
    ),
    # Tumour in the neural foramina ("a mass infiltrating the S2-S4 neural foramina"): the
    # foramen's fat is epidural, so a tumour there is epidural disease of unstated grade.
    Rule(
        "into_foramen",
        # "extending through the left neural foramen", "growing into the foramen"
        rf"(?:infiltrat\w*|invad\w*|extend\w* (?:into|through)|extension (?:into|through)|"
        rf"(?:grow\w*|spread\w*|pass\w*) (?:into|through)|fill\w*|occupy\w*|"
        rf"involv\w*|widen\w*) (?:the |both |multiple )?{W}{{0,3}}(?:neural |intervertebral )"
        rf"foram(?:en|ina)",
        "epidural",
        "ambiguous",
    ),
    # "a metastasis with soft tissue in the left neural foramen": tissue lying in the foramen.
    Rule(
        "tissue_in_foramen",
        rf"(?:soft[ -]tissues?|tumou?rs?|mass(?:es)?|components?|deposits?) (?:{W}{{0,2}})?"
        rf"(?:in|within) (?:the |both )?{W}{{0,3}}(?:neural |intervertebral )foram(?:en|ina)",
        "epidural",
        "ambiguous",
    ),
    Rule(
        "paraspinal_through_foramen",
        rf"through (?:the )?{W}{{0,4}}(?:neural )?foram\w* "
        rf"into|"
        # "a nodal mass that infiltrated the canal through the intervertebral foramina"
        rf"(?:infiltrat|invad|extend|grow|spread|enter|pass|penetrat)\w* (?:{W}{{0,4}})?"
        rf"through (?:the )?{W}{{0,3}}(?:neural |intervertebral )foram(?:en|ina)",
        "epidural",
        "ambiguous",
    ),
)

MASS_EFFECT: tuple[Rule, ...] = (
    Rule(
        "thecal_sac_deformed",
        rf"(?:deform|indent|effac|flatten|narrow|impress|imping|distort|"
        rf"scallop|displac)\w* (?:on |upon |of )?(?:the )?{W}{{0,3}}{SAC}",
        "mass",
        "1b",
    ),
    # The subarachnoid space effaced or indented (the sac's CSF, "effacing the ventral
    # subarachnoid space") without the cord reached: the thecal sac deformed (1b).
    Rule(
        "subarachnoid_space_effaced",
        rf"(?:effac\w*|indent\w*|narrow\w*|compress\w*|encroach\w* (?:on|upon)) (?:the )?"
        rf"{W}{{0,3}}subarachnoid space",
        "mass",
        "1b",
    ),
    Rule(
        "thecal_sac_deformity",
        rf"(?:{SAC}|sac) (?:{W}{{0,5}})?(?:deformity|deformation|"
        rf"deformed|indentation|indented|effacement|effaced|narrowing|narrowed|impression|"
        rf"distortion|distorted|displaced|displacement|impingement|impinged)",
        "mass",
        "1b",
    ),
    Rule(
        "thecal_sac_passive",
        rf"{SAC}[^.;\n]{{0,40}} (?:is |are |was )?(?:mildly |minimally |"
        rf"slightly |moderately )?(?:deformed|indented|effaced|narrowed|displaced)",
        "mass",
        "1b",
    ),
    Rule(
        "mass_effect_sac",
        rf"mass effect (?:on|upon) (?:the )?{W}{{0,2}}(?:{SAC}|sac)",
        "mass",
        "1b",
    ),
    Rule(
        "abuts_not_compressing",
        rf"(?:abut\w*|displac\w*|contact\w*),? but (?:does |do |is |are )?not "
        rf"compress\w*(?: (?:the )?{W}{{0,2}}{CORD})?",
        "mass",
        "1c",
        negatable=False,
    ),
    Rule(
        "abuts_cord",
        rf"(?:abut\w*|contact\w*|touch\w*|abutment of|contact with|abutting on|"
        # "the fragment is displaced against the surface of the cord": contact, not compression
        rf"(?:displac\w*|push\w*|lie\w*|lying|lay|rest\w*|bulg\w*|protrud\w*) against) "
        rf"(?:the )?{W}{{0,4}}(?:{CORD}|(?:nerve )?roots)",
        "mass",
        "1c",
    ),
    Rule(
        "cord_abutted",
        rf"(?:{CORD}|roots?) (?:{W}{{0,4}})?(?:abutment|abutted|contacted|"
        rf"touched|contact)",
        "mass",
        "1c",
    ),
    # Displacing the cord is compression when nothing says CSF (../shared/corpus/README.md).
    Rule("displaces_cord", rf"displac\w* (?:the )?{W}{{0,2}}{CORD}", "mass", "2d"),
    # Roots encroached on or displaced: the roots are contacted, not compressed (1c).
    Rule(
        "roots_encroached",
        rf"(?:encroach\w*|displac\w*) (?:on |upon )?(?:the )?{W}{{0,3}}(?:nerve |cauda equina )?"
        rf"roots|(?:nerve |cauda equina )?roots (?:{W}{{0,3}})?(?:encroached|displaced)",
        "mass",
        "1c",
    ),
    # One nerve root compressed (an exiting root in the foramen or lateral recess): the root is
    # reached, the thecal sac and cord are not (1c, as a root encroached on).
    # Roots compressed, in the plural ("compressing the lumbar roots", "multiple root
    # compression"): the cauda equina compressed, graded as a compressed cord (corpus README).
    Rule(
        "roots_compressed",
        rf"(?:compress\w*) (?:the |multiple |several )?{W}{{0,3}}(?:nerve |cauda equina )?roots|"
        rf"(?:multiple |several |bilateral )(?:{W}{{0,2}})?(?:nerve )?roots? compression|"
        rf"(?:nerve |cauda equina )?roots (?:{W}{{0,3}})?(?:are |were )?compressed",
        "mass",
        "2",
    ),
    Rule(
        "root_compressed",
        rf"(?:compress\w*|imping\w*(?: on| upon)?) (?:the )?{W}{{0,3}}(?:nerve )?root|"
        rf"(?:nerve )?root (?:{W}{{0,3}})?(?:is |was )?compressed",
        "mass",
        "1c",
    ),
    # A canal narrowed by tumour is a compressed one; severity words raise the grade, and a
    # degenerative cause named beside it makes it benign (../shared/corpus/README.md).
    Rule(
        "canal_stenosis",
        r"(?:spinal |central |vertebral |sacral )?canal (?:stenosis|narrowing|compromise)|"
        r"(?:stenosis|narrowing|compromise|restriction) of (?:the )?(?:spinal |cervical |thoracic |"
        r"lumbar |central |vertebral |sacral )?canal|(?:narrow\w*|compromis\w*|compress\w*|"
        r"restrict\w*) (?:the )?"
        r"(?:spinal |central |vertebral |sacral )?canal",
        "mass",
        "2",
    ),
    # A block (myelographic, of the CSF) or the cauda equina blocked: no CSF passes (3).
    Rule(
        "canal_block",
        rf"(?:blockage|obstruction) of (?:the )?{W}{{0,2}}(?:{CORD}|(?:spinal )?canal|{SAC}|"
        rf"csf(?: flow)?)|(?:complete|total) (?:myelographic |csf |spinal |subarachnoid )?block|"
        # a myelogram's contrast stopped: "complete obstruction of cephalad flow of the medium"
        rf"(?:complete |total )?(?:obstruction|arrest|interruption|stop) (?:of|to) (?:the )?"
        rf"(?:cephalad |caudal |cranial |upward |downward )?(?:flow|passage|column) of (?:the )?"
        rf"(?:{W}{{0,2}})?(?:contrast|medium|dye|csf)",
        "mass",
        "3",
    ),
    # An obliterated canal leaves no room for CSF: grade 3 as the corpus README reads words.
    Rule(
        "canal_obliterated",
        r"(?:spinal |central |vertebral |sacral )?canal (?:obliteration|is obliterated|"
        r"was obliterated)|obliteration of (?:the )?(?:spinal |central |vertebral |sacral )?"
        r"canal|obliterat\w* (?:the )?(?:spinal |central |vertebral |sacral )?canal|"
        # "The sacral canal and the foramina, except the right S1 foramen, are obliterated"
        r"(?:spinal |central |vertebral |sacral )?canal (?:and [^.;:]{0,80}? )?(?:is|are|was|"
        r"were) (?:completely |totally |entirely )?obliterated",
        "mass",
        "3",
    ),
    # Tumour wrapped around the sac or cord: contact at least (1c), more when it compresses.
    Rule(
        "encases_sac_or_cord",
        rf"(?:encas\w*|surround\w*|encircl\w*|envelop\w*) (?:the )?{W}{{0,2}}"
        rf"(?:{SAC}|{CORD})",
        "mass",
        "1c",
    ),
    # The cord's own lesion ringed by something ("a T4 cord lesion surrounded by a low signal
    # rim"): an intramedullary finding, not the cord encased (longer, so it wins the scan).
    Rule(
        "cord_lesion_ringed",
        rf"{CORD} (?:{W}{{0,1}})?(?:lesions?|mass(?:es)?|metastas[ie]s|tumou?rs?|nodules?|focus|"
        rf"foci|cavity|syrinx|ha?emorrhage|cavernoma) (?:is |was |are |were )?(?:{W}{{0,2}})?"
        rf"(?:surrounded|encircled|rimmed|ringed) by (?:an? |the )?[a-z0-9/'-]+",
        "ignore",
    ),
    Rule(
        "sac_or_cord_encased",
        rf"(?:{SAC}|{CORD}) (?:is |was |are |were )?(?:{W}{{0,2}})?(?:encased|surrounded|"
        rf"encircled|enveloped) by",
        "mass",
        "1c",
    ),
    # Roots crowded together by tumour: compression of the cauda equina.
    Rule(
        "crowds_roots",
        r"crowd\w* (?:of )?(?:the )?(?:cauda equina )?(?:nerve )?roots|(?:cauda equina|nerve) "
        r"roots? (?:are |were )?(?:crowded|clumped together by tumou?r)",
        "mass",
        "2",
    ),
    # The sac emptied of CSF by tumour: no CSF is visible (grade 3 when it compresses).
    Rule(
        "thecal_sac_obliterated",
        rf"(?:complete|total|near[ -]complete)(?:ly)? (?:effac\w*|obliterat\w*) (?:of )?(?:the )?"
        rf"{W}{{0,2}}{SAC}|{SAC} (?:is |was )?(?:completely|totally) (?:effaced|obliterated)",
        "mass",
        "3",
    ),
    # The cord itself effaced ("tissue partially effacing the cord"): flattened, so compressed.
    # Only adjectives between: "effacing the CSF around the cord" is the CSF's, not the cord's.
    Rule(
        "effaces_cord",
        rf"effac\w* (?:the )?(?:{W})?{CORD}|{CORD} (?:is |was )?(?:partially |partly )?effaced",
        "mass",
        "2",
    ),
    Rule("impinges_on_cord", rf"imping\w* (?:on |upon )?(?:the )?{W}{{0,3}}{CORD}", "mass", "1c"),
    # "neural compression": of the cord or the roots, whichever the level holds
    Rule(
        "cord_compression",
        # "cord displacement and compression"
        rf"(?:{CORD}|neural) (?:(?:displacement|deformity|flattening|distortion|indentation) "
        rf"and )?(?:compression|compresion|impingement)",
        "mass",
        "2",
    ),
    # Tumour in the canal in French and Spanish case reports: "extension endocanalaire",
    # "envahissant le sac dural", "épidurite métastatique", "invasión del canal raquídeo".
    Rule(
        "canal_invasion_romance",
        r"extension (?:endo|intra)-?canalaire|(?:endo|intra)-?canalaire|epidurite\w*|"
        r"envahi\w* (?:le |du |l'|les )?(?:canal|sac dural|espace epidural|racines)|"
        r"invasion (?:del |du )?canal (?:raquideo|medular|vertebral|rachidien)|"
        r"(?:masa|masse|massa|tumeur|tumor) (?:de partes blandas )?epidural(?:e|es)?",
        "epidural",
        "explicit",
    ),
    # Cord compression in the Romance languages of case reports and captions (Spanish,
    # Portuguese, French, Italian; accents folded by text.normalise): "compresión medular",
    # "comprime el cordón medular", "compression médullaire", "compressione midollare".
    Rule(
        "cord_compression_romance",
        r"(?:compresion|compressao|compression|compressione) (?:de (?:la |el )?|da |du |"
        r"de la |della |del )?(?:medular|medullaire|midollare|medula(?: espinal)?|"
        r"moelle(?: epiniere)?|midollo(?: spinale)?|cordon medular)|"
        r"comprim\w* (?:el |la |a |o |le |il )?(?:cordon medular|medula(?: espinal)?|"
        r"moelle(?: epiniere)?|midollo(?: spinale)?)",
        "mass",
        "2",
    ),
    # Compression named by its compartment: "cauda equina syndrome from extradural compression"
    Rule(
        "epidural_compression",
        rf"(?:epidural|{EXTRADURAL}) (?:spinal )?(?:cord |neural |dural )?compression",
        "mass",
        "2",
    ),
    # The cauda equina syndrome that a lesion causes is its compression of the cauda equina
    # ("a sacral mass causing cauda equina syndrome"); the cause is read as for any compression.
    Rule(
        "causes_cauda_equina_syndrome",
        r"(?:caus\w*|result\w* in|lead\w* to|led to|produc\w*) (?:an? |the )?"
        r"(?:acute |subacute |progressive |incomplete |complete )?cauda equina syndrome|"
        # the syndrome named first: "CES caused by extradural compression by lymphoma"
        r"(?:cauda equina syndrome|ces) (?:was |is )?(?:caused by|due to|secondary to|"
        r"resulting from)",
        "mass",
        "2",
    ),
    Rule(
        "compression_of_cord",
        rf"(?:(?:displacement|deformity|flattening|distortion|indentation) and )?"
        rf"(?:compression|compresion|impingement)(?: and (?:displacement|deformity|"
        rf"flattening|distortion))? (?:of|on|upon) (?:the )?{W}{{0,3}}{CORD}",
        "mass",
        "2",
    ),
    Rule(
        "compresses_cord",
        rf"compress(?:es|ed|ing|ess)? (?:on |upon )?(?:the )?{W}{{0,4}}"
        rf"{CORD}",
        "mass",
        "2",
    ),
    Rule(
        "cord_abutted_not_compressed",
        rf"{CORD} (?:{W}{{0,2}})?(?:abutted|contacted|touched|"
        rf"displaced|deformed),? but (?:is |are )?not compressed",
        "mass",
        "1c",
        negatable=False,
    ),
    Rule("cord_displaced", rf"{CORD} (?:{W}{{0,4}})?displaced", "mass", "2d"),
    Rule(
        "cord_compressed",
        rf"{CORD} (?:{W}{{0,4}})?(?:compressed|flattened|deformed|"
        rf"squashed|indented|distorted)",
        "mass",
        "2",
    ),
    Rule(
        "flattens_cord",
        rf"(?:flatten\w*|deform\w*|indent\w*|mass effect (?:on|upon)) (?:of )?"
        rf"(?:the )?{W}{{0,3}}{CORD}",
        "mass",
        "2",
    ),
    Rule("cord_flattening", rf"{CORD} (?:flattening|deformity|deformation)", "mass", "2"),
    # "Tumour in the spine putting pressure on the cord": pressure on it is compression.
    Rule(
        "pressure_on_cord",
        rf"(?:put\w*|exert\w*|caus\w*|plac\w*)? ?pressure (?:on|upon) (?:the )?{W}{{0,2}}{CORD}|"
        rf"press(?:es|ed|ing)? (?:on|upon|against|into) (?:the )?{W}{{0,2}}{CORD}",
        "mass",
        "2",
    ),
    # "Myeloma with spinal cord compromise": the cord itself compromised is a compressed cord.
    Rule(
        "cord_compromise",
        rf"{CORD} compromise|compromis\w* (?:of )?(?:the )?{CORD}",
        "mass",
        "2",
    ),
    # Mass effect on the cord said after another structure: "a mass effect anteriorly on the
    # oesophagus and posteriorly on the spinal cord".
    Rule(
        "mass_effect_reaching_cord",
        rf"mass effect (?:[^.;:]{{0,48}} )?(?:on|upon) (?:the )?{W}{{0,2}}{CORD}",
        "mass",
        "2",
    ),
    # "A compressive epidural mass": what it compresses is left unsaid, but it compresses.
    Rule(
        "compressive_epidural_mass",
        rf"compressive (?:{W}{{0,2}})?(?:epi ?dural|{EXTRADURAL}|intraspinal)(?:/\w+)? "
        rf"{EPIDURAL_ADJECTIVES}(?:mass(?:es)?|tumou?rs?|lesions?|component|disease|"
        rf"{TUMOUR_NOUNS})",
        "mass",
        "2",
    ),
    # A myelopathy the report calls compressive names a compressed cord (grade 2 by words,
    # ../shared/corpus/README.md); its cause is read like any compression's.
    Rule(
        "compressive_myelopathy",
        r"compressive (?:cervical |thoracic )?myelopathy|myelopathy (?:due to|from|secondary to|"
        r"caused by) (?:the )?(?:cord )?compression",
        "mass",
        "2",
    ),
    Rule(
        "sac_compression",
        rf"{SAC} compression|compression of (?:the )?{W}{{0,2}}{SAC}|"
        rf"compress(?:es|ed|ing)? (?:the )?{W}{{0,3}}{SAC}|(?:{SAC}|sac) (?:{W}{{0,4}})?"
        rf"compressed",
        "mass",
        "2t",
    ),
)

# The brainstem is not the spinal cord: a skull-base tumour (clivus, foramen magnum) pressing on
# the medulla oblongata is not spinal cord compression. Longer than "compressing the medulla",
# so the leftmost-longest scan gives these words to this rule.
BRAINSTEM: tuple[Rule, ...] = (
    Rule(
        "brainstem_compressed",
        rf"(?:compress\w*|indent\w*|displac\w*|flatten\w*|deform\w*|effac\w*|mass effect (?:on|"
        rf"upon)|effacement of) (?:on |upon )?(?:the )?{W}{{0,2}}(?:medulla oblongata|brain ?stem|"
        rf"pons)|"
        rf"(?:medulla oblongata|brain ?stem|pons) (?:{W}{{0,3}})?(?:compression|compressed|"
        rf"indented|displaced|flattened)",
        "ignore",
    ),
)

MSCC: tuple[Rule, ...] = (
    # ESCD: "epidural spinal cord disease / compression", as lymphoma and oncology papers write it
    Rule("mscc", r"mscc|mescc|escd", "mscc"),
    # A compression, or the cauda equina syndrome, that the text says tumour causes ("cauda
    # equina syndrome (CES) secondary to a plasmacytoma"; "cord compression as the initial
    # presentation of Hodgkin's disease").
    Rule(
        "compression_from_tumour",
        rf"(?:cauda equina(?: syndrome)?|(?:spinal )?cord compression)(?: \(\w+\))? "
        rf"(?:secondary to|due to|caused by|from|as (?:the |an? )?(?:initial |first |presenting "
        rf"|sole |only )?(?:presentation|manifestation) of) (?:the |a |an )?(?:{W}{{0,3}})?"
        rf"(?:{TUMOUR_NOUNS}|\w*carcinoma|\w*sarcoma|cancer|hodgkin\w*)",
        "mscc",
    ),
    # "SCC" is also squamous cell carcinoma: it is cord compression only as what something
    # causes, or at a named level ("a mass causing SCC at T9"; "SCC at T4-T5").
    Rule(
        "scc_abbreviation",
        r"(?:caus\w*|produc\w*|resulting in|leading to|presented with|presenting with) scc|"
        r"scc (?:at|from) (?:the )?(?:level of )?(?:the )?[ctlsd] ?[0-9]",
        "mscc",
    ),
    Rule(
        "metastatic_cord_compression",
        rf"(?:metastatic|malignant|neoplastic|tumou?r(?:al)?|"
        rf"pathologic(?:al)?) (?:epidural )?(?:spinal )?(?:cord|conus|cauda equina|epidural) "
        rf"compression|metastatic compression(?: of (?:the )?{W}{{0,2}}{CORD})?",
        "mscc",
    ),
)

GRADES: tuple[Rule, ...] = (
    Rule(
        "escc_shorthand",
        r"(?:escc|bilsky|bilski|billsky|sosg)(?: \((?:bilsky|sosg|escc)\))?"
        r"(?: grade| score| classification| scale)?(?: is| now| of| =)?:? ?[0-3][abc]?",
        "escc",
        negatable=False,
    ),
    Rule("grade_bare", r"grade [0-3][abc]?", "grade", negatable=False),
    # "no CSF" carries its own negation; the effacement forms can themselves be negated.
    Rule(
        "csf_absent_stated",
        r"no (?:residual |surrounding |intervening |visible |"
        r"perimedullary )?(?:csf|c s f|cerebrospinal fluid|liquor|intrathecal contrast)|no "
        r"(?:intrathecal )?contrast (?:is )?(?:visible )?(?:around|surrounding)|without (?:any )?"
        r"(?:residual )?(?:csf|cerebrospinal fluid|liquor)",
        "csf_absent",
        negatable=False,
    ),
    Rule(
        "csf_absent",
        r"(?:complete|total|near[ -]complete) (?:csf|cerebrospinal fluid) (?:effacement|"
        r"obliteration)|"
        r"(?:complete|total|near[ -]complete|almost complete|near[ -]total|"
        r"circumferential)? ?(?:effacement|obliteration|loss) of (?:the )?(?:surrounding |"
        r"perimedullary |all )?(?:csf|cerebrospinal fluid|liquor)(?: signal| space)?|(?:csf|"
        r"cerebrospinal fluid)(?: space| signal)? (?:is |was |are )?(?:completely |entirely )?"
        r"(?:effaced|obliterated|absent)|complete (?:myelographic |csf )?block|"
        # The adjective first: "complete CSF effacement".
        r"(?:complete|total) (?:csf|cerebrospinal fluid) (?:effacement|obliteration)",
        "csf_absent",
    ),
    # CSF effaced on one side of the cord only: the thecal sac is deformed (Bilsky 1b).
    Rule(
        "csf_partly_effaced",
        r"(?:effac\w*|obliterat\w*) (?:of )?(?:the )?(?:ventral|dorsal|"
        r"anterior|posterior|lateral|left|right|partial|anterior and posterior) (?:subarachnoid |"
        r"csf |cerebrospinal fluid )?(?:csf|cerebrospinal fluid|space|subarachnoid space)|"
        r"(?:ventral|dorsal|anterior|posterior) (?:subarachnoid|csf) space (?:is )?(?:partly |"
        r"partially |mildly )?effaced|(?:csf|cerebrospinal fluid|liquor) (?:is |was )?"
        r"(?:effaced|obliterated) (?:on the )?(?:left|right|ventrally|dorsally|anteriorly|"
        r"posteriorly)(?: side)?",
        "mass",
        "1b",
    ),
    Rule(
        "csf_present",
        # CT myelogram: "contrast is still visible between them (the roots)".
        r"(?:intrathecal |myelographic )?contrast (?:is |was |remains )?(?:still )?(?:visible|"
        r"seen|present) (?:around|between|surrounding)|"
        # "CSF surrounds the cord at all levels": said of a canal with room left in it.
        r"(?:csf|cerebrospinal fluid|liquor) (?:now |again |once again )?(?:surrounds|"
        r"surrounding|encircles|encircling) "
        r"(?:the )?(?:spinal )?cord|"
        r"(?:thin |small |narrow |residual |a )?rim of (?:residual )?"
        r"(?:csf|cerebrospinal fluid|liquor)|(?:csf|cerebrospinal fluid|liquor)(?: rim| signal)? "
        r"(?:is |remains |still |was |are |being )*(?:visible|preserved|maintained|seen|present|"
        r"persists|remains|identified|evident)|(?:preserved|residual|some|remaining|visible) "
        r"(?:csf|cerebrospinal fluid|liquor)|(?:partial|mild|partly|some|moderate|incomplete) "
        r"effacement of (?:the )?(?:surrounding )?(?:csf|cerebrospinal fluid|liquor)",
        "csf_present",
    ),
    Rule(
        "severe",
        # Not "significant": real reports use it of any compression worth naming, and the
        # corpus README's severe words are severe, marked and tight.
        r"sever(?:e|ely)|marked(?:ly)?|high[- ]grade|critical(?:ly)?|tight",
        "severity",
        "severe",
    ),
    Rule("moderate", r"moderate(?:ly)?", "severity", "moderate"),
    Rule("mild", r"mild(?:ly)?|slight(?:ly)?|minimal(?:ly)?", "severity", "mild"),
    Rule(
        "maximal_at",
        r"(?:most marked|maximal(?:ly)?|maximum|cent(?:re|er)d|worst|largest|"
        r"most severe|greatest|most pronounced|dominant|epicentre|epicenter) (?:at|in|on)",
        "maximal",
    ),
)

CAUSES: tuple[Rule, ...] = (
    # "A mild posterior bulge effacing the subarachnoid space" after a collapsed vertebra: the
    # body's outline, not a disc bulge (which the report calls a disc bulge).
    Rule("posterior_bulge", r"(?:mild |slight |small )?posterior bulg(?:e|ing)", "ignore"),
    # Fatty marrow after radiotherapy is the treated field, not tumour replacing the marrow.
    Rule("fatty_marrow", r"fatty (?:marrow )?(?:replacement|conversion|change)", "ignore"),
    # The fluid sign of a fracture (a sign, not a cause): "fluid" here names no benign lesion.
    Rule("fluid_sign", r"fluid (?:sign|cleft)", "ignore"),
    # The bone's own edge bulging (a pathological fracture's posterior wall) is not a disc bulge:
    # "the posterior cortex bulges and compresses the thecal sac" names no benign cause.
    Rule(
        "bone_edge_bulge",
        rf"{_BONE_EDGE} (?:\w+ )?bulg\w*|bulg\w* (?:of )?(?:the )?{_BONE_EDGE}|"
        # "bulging of the posterior part of the T10 vertebral body", "the posterior margin of
        # the body bulges", "posterior bulging of the vertebral body"
        rf"(?:posterior |dorsal )?bulg\w* (?:of )?(?:the )?{_BODY_PART}|"
        rf"{_BODY_PART} (?:\w+ )?bulg\w*|(?:posterior|dorsal) bulg\w* of (?:the )?"
        rf"(?:{W}{{0,2}})?(?:vertebral )?bod(?:y|ies)",
        "ignore",
    ),
    Rule(
        "metastasis",
        r"metasta(?:sis|ses|tic(?: disease| deposits?| lesions?| focus)?)|"
        r"metatstatic|metastsis|oligometasta\w*|mets?|deposits?|plasmacytomas?|myeloma(?:tous)?|"
        r"(?:osteo)?(?:lytic|sclerotic|blastic) (?:lesions?|foci|focus|deposits?)|"
        r"marrow[- ]replac\w*(?: lesions?)?",
        "metastasis",
    ),
    Rule(
        "malignant",
        # Compound names of primary malignancies: adenocarcinoma, osteosarcoma, chordoma.
        r"tumou?r(?:al|s)?|tumer|neoplas\w*|malignan\w*|\w*carcinoma\w*|\w*sarcoma\w*|"
        r"chordomas?|"
        r"melanoma|lymphoma\w*|leukaemi\w*|leukemi\w*|chloroma|hodgkin\w*|mpnst|"
        r"malignant (?:peripheral )?nerve sheath tumou?rs?|"
        rf"extra-?osseous (?:tumou?r|disease)|"
        rf"pathologic(?:al)? (?:vertebral )?(?:fracture|collapse|compression fracture|"
        rf"burst fracture)|pathologic(?:al)? (?:{W}{{1,3}})(?:fracture|collapse)|"
        rf"fracture through (?:a |the )?{W}{{0,2}}(?:metasta\w*|lesion|tumou?r|deposit)",
        "malignant",
    ),
    # "A mass" says tumour until the report names it otherwise: a meningioma or haemangioma named
    # at the same level later in the report outranks it (see Report, presumed causes).
    # So does bone tissue outside the bone ("an extraosseous component"), which an aggressive
    # haemangioma also makes.
    # Bone destroyed or taken over by a mass says tumour, unless the report names another cause
    # (discitis and abscesses destroy end plates too): presumed, like "a mass".
    Rule(
        "destructive",
        r"destructive|osteolytic destruction|(?:involv\w*|infiltrat\w*|occup\w*) (?:almost )?"
        r"(?:the )?(?:entire|whole) (?:[ctl]\d{1,2} )?(?:vertebral )?bod(?:y|ies)|"
        r"(?:osteo)?lytic,? (?:(?:expansile|destructive|"
        r"soft[ -]tissue|bone|bony|osseous|vertebral|large|focal|aggressive),? ){0,2}(?:lesions?|"
        r"mass)|"
        r"(?:destroy\w*|destruction of|replac\w*|replacement "
        r"of) (?:the |much of the |most of the |almost all of the )?(?:(?:left|right|posterior|"
        r"anterior) )?(?:sacrum|coccyx|vertebral bod(?:y|ies)|vertebrae?|pedicles?|posterior "
        r"elements|lamina|laminae|spinous process|sacral ala|odontoid|dens)",
        "malignant",
        "presumed",
    ),
    # The atlas's lateral masses are anatomy, not a tumour ("the lateral mass of the atlas was
    # hypertrophied"; "C1 lateral mass screws").
    Rule(
        "lateral_mass_anatomy",
        r"lateral mass(?:es)?(?: of (?:the )?(?:atlas|c1|c-1|axis|c2))?|(?:atlas|atlantal|c1|c2) "
        r"lateral mass(?:es)?",
        "ignore",
    ),
    Rule(
        "mass_word",
        r"mass(?:es)?|extra-?osseous (?:soft tissue|extension|component)",
        "malignant",
        "presumed",
    ),
    # A tumour inside the dura is not epidural: "an intradural, extramedullary enhancing tumour"
    # is a nerve sheath tumour or meningioma, or intradural spread, never MESCC (NICE NG234).
    Rule(
        "intradural_tumour",
        rf"intradural,? (?:extramedullary )?(?:{W}{{0,3}})?(?:tumou?rs?|mass(?:es)?|lesions?)",
        "benign",
        "strong",
    ),
    # A benign cause named as a thing ("an epidural abscess", "a disc extrusion"): it can explain
    # the compression described in the next sentence ("It compresses the cord").
    Rule(
        "benign_entity",
        # Extramedullary haematopoiesis: paravertebral and epidural marrow in chronic anaemia
        # (thalassaemia), a recognised benign cause of cord compression (Haidar et al.,
        # Neurosurg Rev 2010;33:275-86).
        r"extra-?medullary ha?ema?topoie?sis|extra-?medullary ha?emopoie?sis|emh|"
        # the chronic haemolytic anaemias that make it, named where the case report leaves
        # the lesion unnamed ("iron deposition from repeated blood transfusion")
        r"thalass?a?emi\w*|sickle cell|ha?emolytic ana?emia|myelofibrosis|"
        # and its signs when the lesion is left unnamed: marrow hyperplasia, expanded and
        # coarsely trabeculated bones, masses of the marrow's own signal (Haidar 2010)
        r"(?:marrow|medullary) hyperplasia|hyperplastic (?:bone )?marrow|coarse(?:ned|ly)? "
        r"trabecula\w*(?: (?:bony )?skeleton| bones?| pattern)?|(?:signal )?intensit(?:y|ies) "
        r"similar to (?:that of )?(?:the )?(?:adjacent )?(?:vertebral )?(?:bone )?marrow|"
        r"(?:iso-?intense|isosignal) (?:to|with) (?:the )?(?:adjacent )?(?:vertebral )?"
        r"(?:bone )?marrow|"
        r"(?:repeated|multiple|chronic|regular) (?:blood )?transfusions?|tdt|"
        r"transfusion[- ]dependent|(?:severe |myocardial |hepatic )?iron overload|"
        r"abscess\w*|phlegmon\w*|empyema|discitis|osteomyelitis|ha?ematoma|sseh|seroma|"
        r"pseudomeningocele|lipomatosis|sel|pannus|rheumatoid arthritis|synovial cyst|tarlov|"
        # soft tissue behind the dens is pannus or a retro-odontoid pseudotumour, a mass of its own
        r"retro-?odontoid|peri-?odontoid|retro-?dental|"
        r"osteoporo\w*|"
        # the brown tumour of hyperparathyroidism, a giant-cell lesion of bone (benign)
        r"brown tumou?rs?|hyperparathyroidism|"
        r"insufficiency|benign|traumatic|ha?emangioma\w*|hemangeoma|paget\w*|meningiomas?|"
        r"schwann?omas?|neurilemm?omas?|neurinomas?|neurofibromas?|neurofibromatosis|"
        r"nerve sheath tumou?rs?|neurogenic tumou?rs?|ganglioneuromas?|gangliogliomas?|"
        # a fracture the report calls not pathological (longer than "pathological fracture")
        r"non-?pathologic(?:al)?(?: [a-z0-9/'-]+){0,2} (?:fractures?|collapse|fx)|"
        # a cyst by its contents: a mass of CSF signal, a cystic structure (arachnoid cyst)
        r"csf[- ](?:intensity|signal|density) (?:mass|lesion|collection|structure|cyst)\w*|"
        r"cystic structures?|"
        # a disc fragment that moved: "a dorsally migrated L3-4 intervertebral disc"
        r"(?:dorsally |posteriorly |cranially |caudally |superiorly |inferiorly )?migrat\w* "
        r"(?:[a-z0-9/'-]+ ){0,3}dis[ck](?: fragment)?|dis[ck] migration|migrated fragment|"
        r"old (?:traumatic |healed )?fractures?|dis[ck]al fragments?|idem tumou?rs?|"
        # the injury that broke the bone, named in the case: a fracture after a fall or a crash
        # is traumatic, not pathological (the corpus README: MSCC needs a malignant fracture)
        r"falls? from (?:a |the )?(?:height|ladder|roof|tree|horse|bicycle|stairs?|scaffold\w*)|"
        r"fell from|road traffic (?:accident|collision)|(?:motor )?vehicle (?:accident|"
        r"collision|crash)|car (?:accident|crash)|motorcycle (?:accident|crash)|rta|mva|mvc|"
        r"high[- ]energy (?:trauma|injury|impact)|blunt trauma|"
        # infections that make epidural masses where they are endemic: spinal hydatid disease
        # (echinococcosis) and brucellar spondylitis (both in the infectious differential of
        # cord compression; Cole & Patchell, Lancet Neurol 2008;7:459-66)
        r"hydatid\w*|echinococc\w*|brucell\w*|"
        # benign bone tumours (WHO classification of bone tumours, 5th ed., 2020)
        r"osteochondromas?|exostos[ie]s|osteoblastomas?|osteoid osteomas?|aneurysmal bone cysts?|"
        # giant cell tumour of bone is locally aggressive, not malignant (WHO 2020: intermediate);
        # spinal angiolipoma is a benign epidural tumour (WHO soft tissue tumours, 2020)
        r"giant[- ]cell tumou?rs?|chondroblastomas?|angiolipomas?|"
        # fat gathered in the canal is lipomatosis, named or not ("fatty deposits in the canal")
        r"fatty (?:deposits?|tissue|infiltration|accumulation|overgrowth)|"
        r"accumulation of (?:fat|fatty tissue)|fat accumulation|"
        # Langerhans cell histiocytosis, not a metastatic disease (diagnosis.py cites it)
        rf"{LCH}|"
        # inflammatory pseudotumour (after radiotherapy too) and the cysts that take an
        # extradural place: benign causes in the differential of cord compression (Cole &
        # Patchell, Lancet Neurol 2008;7:459-66)
        r"(?:inflammatory )?pseudotumou?rs?|arachnoid cysts?|cystic lesions?|"
        r"dis[ck] (?:extrusion|herniation|"
        r"protrusion|sequestration|fragments?)|herniat\w*|extrusion|sequestr\w*|"
        r"dis[ck][ /-]?osteophyte(?: complex| bar)?|osteophyt\w*|opll|"
        # Abbreviations of degenerative causes: disc-osteophyte complex, herniated nucleus
        # pulposus, degenerative disc / joint disease.
        r"docs?|hnp|ddd|djd|spondylotic (?:bar|ridge)|ossified|ossification|dislocation|"
        r"myelitis|demyelinat\w*|multiple sclerosis|infarct\w*|radiation myelopathy|"
        r"degenerative (?:stenosis|disease|change|changes|spondylosis)|spondylosis|"
        r"spondylotic|fluid collection|collection|cement",
        "benign",
        "strong",
    ),
    # A dumbbell is the shape of a nerve-sheath tumour through a foramen (the issue lists
    # "dumbbell lesions" with the nerve-sheath tumours), not a diagnosis: a malignancy proven at
    # histology outranks it ("a dumbbell epidural mass ... biopsy: lymphoma"; Report).
    Rule("dumbbell_shape", r"dumb-?bell(?:[- ]shaped?)?", "benign", "strong"),
    # Words that point to a benign cause only when they stand beside the finding.
    Rule(
        "benign",
        r"degenerat\w*|spondylo\w*|dis[ck]s?|uncovertebral|facet\w*|zygapophys\w*|"
        r"ligamentum flavum|"
        # soft tissue about the dens: rheumatoid pannus or a retro-odontoid pseudotumour
        r"(?:posterior to|behind|around|surrounding) the "
        r"(?:odontoid|dens)|atlanto-?axial (?:subluxation|instability|dislocation)|"
        r"stenosis|synovial|cysts?|rheumatoid|infect\w*|septic|pus|bleed|kyphoplasty|"
        r"vertebroplasty|fat|venous|plexus|varix|varices|osteopeni\w*|trauma|schmorl|"
        r"arachnoid\w*|syrinx|fibrosis|scar|gas|calcified|granulation|sarcoid\w*|"
        r"ha?ematopoiesis|lipoma|ependymoma|wedge fracture|fluid|steroid|bulg\w*|protrusion|"
        r"artefact|artifact|chiari|tonsillar|ectasia|meningocele|whiplash|hypertroph\w*|"
        r"\w*listhesis|ischaemi\w*|ischemi\w*|(?:odontoid|dens) (?:fracture|non-?union)",
        "benign",
    ),
    # Fat in excess compresses as lipomatosis does; the epidural fat named as anatomy ("a cap of
    # epidural fat" above a tumour) is no cause of anything.
    Rule(
        "epidural_fat_excess",
        r"(?:excess\w*|prominent|increased|abundant|hypertroph\w*|overgrowth of|proliferation of) "
        r"(?:of )?(?:the )?(?:posterior |dorsal |ventral |anterior )?"
        rf"(?:epidural|{EXTRADURAL}) fat|"
        # the fat itself the subject of the compression: "epidural fat at L4 compresses the sac"
        rf"(?:epidural|{EXTRADURAL}) fat (?:{W}{{0,4}})?(?:compress\w*|narrow\w*|indent\w*|"
        rf"deform\w*|effac\w*|displac\w*)",
        "benign",
        "strong",
    ),
    Rule("epidural_fat", rf"(?:epidural|{EXTRADURAL}) fat", "ignore"),
    Rule(
        "epidural_benign",
        rf"(?:epidural|{EXTRADURAL}) (?:{W}{{0,1}})?(?:abscess|phlegmon|"
        rf"ha?ematoma|collection|fluid|lipomatosis|venous plexus|veins?|varix|varices|gas|"
        rf"empyema|fibrosis|scar|cement|blood|ha?emorrhage|injection|steroid|catheter|cysts?|"
        rf"cystic lesions?|"
        rf"ana?esthesia|analgesia|space is (?:clear|normal)|space clear)",
        "benign",
        "strong",
    ),
)

OTHER: tuple[Rule, ...] = (
    Rule(
        "cord_signal",
        rf"(?:cord|conus|intramedullary|medullary|cord/conus):? (?:{W}{{0,3}})?"
        rf"(?:t2(?:/stir)? |stir )?(?:hyperintens\w*|hyper intens\w*|(?:high|increased|abnormal|"
        rf"bright) (?:t2 |stir )?signal|(?:t2|stir)(?: hyperintense)? signal|signal (?:change|"
        rf"abnormality|alteration|intensity change)s?|o?edema|odema|myelomalacia|swelling|"
        rf"expansion)|abnormal (?:cord|conus|intramedullary) signal|(?:hyperintens\w*|high "
        rf"(?:t2 |stir )?signal|t2 signal|signal (?:change|abnormality)|o?edema) "
        # an aside between the signal and the cord: 'T2 hyperintensity ("owl eye") within the cord'
        rf"(?:\([^)\n]{{0,24}}\) )?(?:{W}{{0,3}})?(?:in|within|of|involving|throughout) "
        rf"(?:the )?(?:{W}{{0,2}})?(?:spinal )?"
        rf"(?:cord|conus)|myelopath\w*|myelitis|myelomalacia",
        "cord_signal",
    ),
    Rule(
        "retropulsion",
        r"retro-?puls\w*(?: (?:bone|bony|fragment|fragments|cortex))?",
        "retropulsion",
    ),
    Rule(
        "compression_fracture",
        r"(?:wedge |burst |vertebral |osteoporotic )?compression "
        r"(?:fractures?|deformit\w*|fx)|wedge compression",
        "ignore",
    ),
    Rule(
        "mscc_service",
        r"(?:mscc|mescc|escc) (?:protocol|pathway|coordinator|team|service|"
        r"nurse|referral|guidelines?|clinic|hotline|bleep|on-?call|alert|form|lead|assessment|"
        r"workflow|policy)|(?:metastatic )?(?:spinal )?cord compression (?:protocol|pathway|team|"
        r"workflow|guidelines?|policy|service|coordinator)",
        "ignore",
    ),
    Rule("mass_effect_only", r"mass effect", "ignore"),
    # "a complete epidural tumour response": the tumour named is the one that went away.
    Rule(
        "complete_response",
        rf"(?:complete|total) (?:epidural |{EXTRADURAL} )?(?:tumou?r )?(?:response|remission)",
        "ignore",
    ),
    Rule(
        "patient_cancer",
        rf"metastatic (?:{W}{{0,3}})?(?:cancer|carcinoma|adenocarcinoma|ca|"
        rf"melanoma|malignancy|disease elsewhere|nsclc|sclc|rcc|crpc|mcrpc)",
        "ignore",
    ),
    Rule(
        "elsewhere_metastasis",
        rf"(?:brain|liver|hepatic|lung|pulmonary|nodal|adrenal|"
        rf"cerebral|cerebellar|intracranial|leptomeningeal|intramedullary|intradural|drop|"
        rf"peritoneal|pleural|skin|subcutaneous|muscular|rib|pelvic|iliac|calvarial|skull|"
        rf"cutaneous|visceral|cord) (?:{W}{{0,2}})?metasta\w*|leptomeningeal "
        rf"(?:{W}{{0,2}})?(?:disease|carcinomatosis|enhancement|tumou?r|spread)",
        "ignore",
    ),
)

# Cord signal and retropulsion are read in their own layer (with the SINS words), so that a
# long compression phrase cannot swallow them ("compressing the cord with cord T2 signal").
DESCRIPTORS: tuple[Rule, ...] = tuple(r for r in OTHER if r.role in ("cord_signal", "retropulsion"))
FINDINGS: tuple[Rule, ...] = (
    *BRAINSTEM,
    *(r for r in OTHER if r.role not in ("cord_signal", "retropulsion")),
    *MSCC,
    *EPIDURAL,
    *MASS_EFFECT,
    *GRADES,
    *CAUSES,
)
