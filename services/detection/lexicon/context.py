"""ConText modifiers: the words that say a finding is absent, uncertain, past or hypothetical.

Sources: NegEx triggers (Chapman et al., J Biomed Inform 2001;34:301-310) and the ConText
lexicon with its pseudo-triggers and scope terminators (Harkema et al., J Biomed Inform
2009;42:839-851), narrowed and extended for spine imaging. Double negatives ("cannot be
excluded", "not ruled out") are hedges, not negations: the issue text reports that medspaCy's
defaults got exactly these wrong.

Roles: ``neg``, ``hedge``, ``hist`` (historical or resolved), ``hypo`` (hypothetical: a question,
a condition, a reason for a test), ``unassessable`` (the study cannot show it), ``partial``
(a qualifier that limits a negation to some levels), ``global`` (one that extends it to all),
``pseudo`` (looks like a trigger but is not one), ``term`` (ends a trigger's scope).
Value: the direction a trigger looks: ``pre`` (forward), ``post`` (backward) or ``both``.
"""

from __future__ import annotations

from services.detection.lexicon import W
from services.detection.matcher import Rule

# A change measured against the prior study ("improved from", "less than", "down since").
_CHANGED = (
    r"(?:improv\w*|decreas\w*|reduc\w*|regress\w*|better|smaller|less|down|lower) "
    r"(?:from|since|than|compared (?:with|to)|relative to|versus|vs\.?)"
)

NEGATION: tuple[Rule, ...] = (
    Rule("no", r"no", "neg", "pre"),
    Rule("not", r"not", "neg", "pre"),
    Rule("nt", r"(?:doesn|don|isn|aren|wasn|weren|didn)'t", "neg", "pre"),
    Rule("without", r"w/o|without", "neg", "pre"),
    # "without" and "no" in the Romance languages of case reports (Spanish, Portuguese, French,
    # Italian), read with the Romance cord-compression rule (findings.py)
    Rule(
        "romance_without",
        r"sin|sem|sans|senza|pas de|aucune?|ningun[ao]?|nenhum[a]?|ausencia de|absence de|"
        r"assenza di",
        "neg",
        "pre",
    ),
    Rule(
        "no_evidence",
        r"no (?:[a-z]+ )?(?:evidence|signs?|suggestion|features?|findings?)"
        r"(?: of| for| to suggest| suggestive of)?",
        "neg",
        "pre",
    ),
    # "No new epidural disease": says nothing of the disease already known (a partial negation).
    Rule(
        "no_new",
        r"no (?:new|additional|further|other|new or (?:worsening|progressive)|"
        r"progressive)",
        "negpartial",
        "pre",
    ),
    Rule(
        "no_definite",
        r"no (?:definite|convincing|obvious|discrete|significant|appreciable|"
        r"measurable|visible|demonstrable|identifiable|focal|residual|recurrent|"
        r"(?:new|residual|recurrent) or (?:new|residual|recurrent))",
        "neg",
        "pre",
    ),
    Rule("nothing", r"nothing (?:to suggest|suspicious|of note)", "neg", "pre"),
    Rule("negative_for", r"negative for", "neg", "pre"),
    Rule("free_of", r"free (?:of|from)", "neg", "pre"),
    Rule("absence_of", r"absence of|absent|lack of|lacks|lacking", "neg", "both"),
    Rule("neither_nor", r"neither|nor", "neg", "pre"),
    Rule("none", r"none(?: of)?", "neg", "both"),
    Rule("rather_than", r"rather than|instead of|as opposed to", "neg", "pre"),
    Rule("no_longer", r"no longer", "neg", "pre"),
    Rule("nil", r"nil", "neg", "pre"),
    Rule(
        "not_seen",
        r"(?:is |are |was |were )?not (?:been )?(?:seen|identified|present|"
        r"demonstrated|evident|visuali[sz]ed|appreciated|detected|shown|apparent)",
        "neg",
        "post",
    ),
    Rule("excluded", r"(?:has |have )?(?:been )?(?:excluded|ruled out)", "neg", "post"),
    Rule("unlikely", r"(?:is |are )?(?:unlikely|improbable)", "neg", "post"),
    # An addendum taking back an earlier reading ("the prior impression ... is withdrawn").
    Rule(
        "withdrawn",
        r"(?:is |are |was |has been |have been |should be |hereby )*(?:withdrawn|retracted|"
        r"rescinded|disregarded|revised|superseded)",
        "neg",
        "post",
    ),
    Rule("resolved_neg", r"(?:is |are )?no longer (?:seen|present|visible|evident)", "neg", "post"),
    # structured reports: "Epidural disease: none", "Cord compression: absent"
    Rule(
        "label_none",
        r": ?(?:none|absent|nil|negative|not present|not seen|no\.|no,|no;)",
        "neg",
        "post",
    ),
)

# Phrases that contain a trigger word but do not negate (ConText pseudo-triggers), and the
# double negatives that mean "possible".
PSEUDO: tuple[Rule, ...] = (
    Rule(
        "no_change",
        r"no (?:significant |interval |appreciable |definite )?(?:change|"
        r"increase|progression)(?: in| of)?",
        "pseudo",
    ),
    Rule("without_change", r"without (?:significant |interval )?change", "pseudo"),
    # "CT confirmed the suspicion of cord compression": the doubt is answered, not raised.
    Rule("confirmed_suspicion", r"confirm\w* (?:the )?(?:clinical )?suspicion of", "pseudo"),
    Rule("not_only", r"not only|not necessarily|not changed|not significantly changed", "pseudo"),
    Rule("no_doubt", r"no doubt", "pseudo"),
    # "a previously healthy 24-year-old man": the patient's past health, not a past finding
    Rule(
        "previously_well",
        r"previously (?:healthy|well|fit|asymptomatic|independent|active|normal|undiagnosed)",
        "pseudo",
    ),
    Rule("gram_negative", r"gram[ -]negative", "pseudo"),
    # A patient's age is not an old lesion: "a 59-year-old man ... developed cord compression".
    Rule("age", r"(?:years?|yrs?|yo|months?|weeks?|days?)[- ]old", "pseudo"),
    # What a patient in a case description presented with, or developed, happened: it is not
    # the referrer's question ("presented with symptoms of cord compression due to metastases").
    Rule(
        "presented_with_symptoms",
        r"(?:presented with|developed) (?:(?:signs|symptoms) and )?(?:signs?|symptoms?) of",
        "pseudo",
    ),
    # A symptom the text says a compression caused is a stated cause, not the question of a
    # request: "presenting with myelopathy resulting from cord compression".
    Rule(
        "presenting_with_caused",
        r"present(?:s|ed|ing)? with (?:\w+ ){1,7}(?:resulting from|caused by|due to|"
        r"secondary to)",
        "pseudo",
    ),
    # The same change words about the prior study itself: nothing historical follows.
    Rule(
        "changed_since_prior_study",
        rf"{_CHANGED} (?:the )?(?:prior|previous|earlier)(?: study| scan| mri| ct| exam| "
        r"examination| imaging| images| one| report)",
        "pseudo",
    ),
    # A comparison names the prior study without making the finding historical.
    Rule(
        "compared_with",
        r"(?:compared|in comparison) (?:with|to) (?:the )?(?:prior|previous|"
        r"preceding|last|recent)(?: study| scan| mri| ct| exam| examination| imaging)?|"
        r"(?:since|from|than(?: on)?|to) (?:the )?(?:prior|previous)(?: study| scan| mri| ct|"
        r" exam| examination| imaging)?",
        "pseudo",
    ),
)

# Words that put a finding in the present even after "previously": "the previously seen
# epidural tumour has enlarged" is current disease (ConText temporality, Harkema 2009).
CURRENT: tuple[Rule, ...] = (
    Rule(
        "current",
        r"increas\w*|enlarg\w*|progress\w*|grown|larger|new|now|persist\w*|"
        r"residual|remains?|stable|unchanged|again|still|worse(?:ned|ning)?|re-?demonstrated",
        "current",
        "both",
    ),
)

HEDGE: tuple[Rule, ...] = (
    Rule(
        "cannot_exclude",
        r"(?:cannot|can not|can't|could not|unable to|not possible to|"
        r"difficult to) (?:be )?(?:entirely |completely |confidently |definitely )?"
        r"(?:exclude[ds]?|excluded|rule[ds]? out|ruled out)",
        "hedge",
        "both",
    ),
    Rule(
        "not_excluded",
        r"not (?:be )?(?:entirely |completely |confidently )?(?:excluded|"
        r"ruled out)",
        "hedge",
        "both",
    ),
    Rule("not_without", r"not without", "hedge", "pre"),
    Rule(
        "possible",
        r"possibl[ey]|probabl[ey]|likely|most likely|presum(?:ed|ably|ptive)|"
        r"suspect(?:ed)?|suspicio(?:us|n)(?: of| for)?|question(?:able|ed)|equivocal|"
        r"indeterminate|borderline|apparent|potential(?:ly)?",
        "hedge",
        "both",
    ),
    Rule(
        "concerning",
        r"(?:concerning|worrisome|worrying|suggestive) (?:for|of)|concern for|"
        r"suggest(?:s|ing|ed)?|may (?:represent|be|reflect|indicate)|could (?:represent|be)|"
        r"might (?:represent|be)|cannot be distinguished from",
        "hedge",
        "both",
    ),
    Rule("favoured", r"favou?r(?:s|ed|ing)?", "hedge", "both"),
    Rule(
        "differential",
        r"differential(?: diagnosis)?(?: includes?| considerations?)?|ddx|"
        r"versus|vs\.?",
        "hedge",
        "both",
    ),
    Rule("query_mark", r"\?|query|\?\?", "hedge", "pre"),
)

HISTORY: tuple[Rule, ...] = (
    Rule(
        "previously",
        r"previous(?:ly)?|prior|formerly|pre-?op(?:erative(?:ly)?)?|"
        r"pre-?treatment|pre-?radiotherapy|pre-?rt|pre-?sbrt|pre-?surgery",
        "hist",
        "pre",
    ),
    Rule(
        "previously_post",
        r"(?:was |were )?previously (?:seen|noted|demonstrated|described|reported)|"
        r"(?:seen|noted|demonstrated|described|reported) (?:previously|before|earlier|"
        r"on (?:the )?(?:prior|previous|last)(?: study| scan| mri| exam| examination)?)|"
        r"on (?:the )?(?:prior|previous)(?: study| scan| mri| exam| examination| imaging)?|"
        r"before (?:treatment|radiotherapy|surgery|sbrt)",
        "hist",
        "post",
    ),
    # "The previously seen epidural tumour ... has resolved": an attributive "previously seen"
    # dates what follows it (the post-trigger above would hide the "previously" it contains).
    Rule(
        "the_previously_seen",
        r"(?:the|a|an|this|these) previously (?:seen|noted|demonstrated|described|reported)",
        "hist",
        "pre",
    ),
    Rule("history_of", r"history of|hx of|h/o|s/p|status post|known history", "hist", "pre"),
    Rule(
        "resolution",
        r"(?:complete |interval |near[- ]complete )?(?:resolution|disappearance) of|resolved|"
        r"(?:complete|total) (?:regression|remission) of|"
        r"resolving",
        "hist",
        "pre",
    ),
    Rule(
        "has_resolved",
        r"(?:has|have) (?:now |since |completely |largely |entirely )?"
        r"(?:resolved|regressed|disappeared|gone)(?: completely| entirely)?|"
        r"(?:is |are )?(?:now )?resolved",
        "hist",
        "post",
    ),
    # "a complete epidural tumour response after radiotherapy": the tumour named before it is gone.
    Rule(
        "complete_response",
        r"(?:complete|total) (?:(?:radiological|radiographic|metabolic|treatment) )?"
        r"(?:response|remission|regression)",
        "hist",
        "post",
    ),
    Rule("healed", r"old|healed|remote|chronic", "hist", "pre"),
    # A case report dates the earlier cancer: "Five years earlier he had a prostatectomy for
    # carcinoma", "Two years ago she underwent ...". Only with the patient as the subject, so
    # "compared with the MRI 3 months ago, the tumour has grown" stays current.
    Rule(
        "years_earlier",
        r"(?:\w+|\d+) (?:years?|months?|weeks?) (?:earlier|ago|before|previously),? "
        r"(?:he|she|they|the patient|this patient) (?:had|underwent|was|received|presented)",
        "hist",
        "pre",
    ),
    # "indents the sac, improved from the prior cord compression": what follows is the prior
    # state, whatever "now" says (the engine lets no current word override this one).
    Rule("changed_from_prior", rf"{_CHANGED} (?:the )?(?:prior|previous|earlier)", "hist", "pre"),
)

HYPOTHETICAL: tuple[Rule, ...] = (
    # A first reading that a later one replaced: "initially thought to be an epidural haematoma
    # ... raising the suspicion of a tumour". Not "initially diagnosed with" (a history).
    Rule(
        "first_reading",
        r"(?:initially|originally|at first|first) (?:thought|considered|believed|interpreted|"
        r"read|suspected|presumed|misdiagnosed|diagnosed as)(?: to be| as| to represent)?|"
        r"misdiagnos\w* as|mistaken (?:for|as)",
        "hypo",
        "pre",
    ),
    Rule(
        "if",
        r"if|in case of|should (?:there|the|symptoms|clinical)|whether|in the event of",
        "hypo",
        "pre",
    ),
    Rule(
        "to_assess",
        r"(?:to )?(?:assess|evaluate|evaluation|screen|look|check|exclude|"
        r"investigate|monitor|watch|rule out|r/o|ro) (?:for|of)|to (?:assess|evaluate|exclude|"
        r"rule out)|rule out|r/o|at risk (?:of|for)|risk of|prevent(?:ion of)?|question of|"
        r"correlat\w* (?:clinically )?(?:for|with)|for (?:assessment|evaluation|exclusion) of|"
        r"(?:assessment|evaluation) (?:for|of)|"
        # department boilerplate: "MRI requests for suspected MSCC must be discussed with ..."
        r"(?:requests?|referrals?|queries) (?:for|about|regarding)",
        "hypo",
        "pre",
    ),
    # a mimic the radiologist names to set it aside: "could look like epidural tumour, but ...
    # this is the basivertebral venous plexus"
    Rule(
        "mimic",
        r"(?:at first )?(?:could|may|might|can|would) (?:\w+ )?(?:look|appear) like|"
        r"mimic(?:s|king|ked)?|simulat(?:es|ing)",
        "hypo",
        "pre",
    ),
    # compression that threatens but has not happened ("impending cord compression")
    Rule(
        "impending", r"impending|threatened|imminent|incipient|potential for|at risk", "hypo", "pre"
    ),
    # the referrer's question, in a letter or a request: not the radiologist's finding
    Rule(
        "referral",
        r"(?:thank you for )?(?:referring|referral of|referred (?:with|for))|"
        r"presents? with|presenting with|clinical(?:ly)? (?:suspected|concern (?:for|of|about)|"
        r"suspicion (?:for|of)|query|question)|symptoms? (?:of|suggestive of|suspicious for)|"
        r"signs? (?:of|suggestive of)",
        "hypo",
        "pre",
    ),
    # words quoted from the request form: "the phrase 'cord compression' on the request is noted"
    Rule(
        "on_the_request",
        r"(?:on|in|from) the (?:request|referral|requisition)(?: form| card)?",
        "hypo",
        "post",
    ),
    # a general statement about a disease, not this patient: "epidural spread is common in
    # myeloma", "cord compression can occur"
    Rule(
        "generic",
        r"(?:is|are) (?:common|frequent|typical|uncommon|rare|a (?:common|known|recognised|"
        r"recognized) complication)|(?:commonly|frequently|often|typically) (?:occurs?|seen)|"
        r"(?:can|may) (?:occur|develop)|(?:is|are) (?:generally|usually|commonly|typically|"
        r"often|frequently|mostly) (?:seen|found|caused|due)|most (?:of )?(?:these |such |the )?"
        r"(?:\w+ ){0,2}(?:are|is) ",
        "hypo",
        "post",
    ),
    # "The most common extradural spinal lesions are metastatic tumours": what follows is the
    # textbook, not the patient.
    Rule("the_most_common", r"the most (?:common|frequent|usual) ", "hypo", "pre"),
    Rule(
        "recommend",
        r"(?:is |are )?(?:recommended|advised|suggested) (?:to )?(?:assess|exclude|"
        r"evaluate)",
        "hypo",
        "pre",
    ),
)

UNASSESSABLE: tuple[Rule, ...] = (
    Rule(
        "not_assessed",
        r"(?:cannot|can not|could not|can't) (?:be )?(?:reliably |accurately |"
        r"fully |adequately )?(?:assess(?:ed)?|evaluated?|graded?|determined?|characteri[sz]ed)|"
        r"(?:is |are )?not (?:be )?(?:reliably |well |adequately |fully )?(?:assessed|"
        r"evaluated|assessable|gradable|gradeable|determinable|determined|graded|evaluable)|"
        r"not (?:applicable|assessable)|limited (?:assessment|evaluation)|n/a|"
        r"beyond the (?:scope|field)|not included|outside the field",
        "unassessable",
        "both",
    ),
)

QUALIFIERS: tuple[Rule, ...] = (
    Rule(
        "other_levels",
        r"(?:at |in )?(?:the )?(?:other|remaining|additional|further|rest of "
        r"the|all other) (?:levels?|sites?|segments?|vertebrae|lesions?)|elsewhere",
        "partial",
        "both",
    ),
    Rule(
        "all_levels",
        r"(?:at |in )?(?:any|all|every|either) (?:spinal )?(?:levels?|sites?|"
        r"segments?)|throughout(?: the spine)?|anywhere|in the (?:visuali[sz]ed |imaged )?"
        r"(?:spine|spinal canal)",
        "global",
        "both",
    ),
)

TERMINATORS: tuple[Rule, ...] = (
    Rule(
        "but",
        r"but|however|although|though|whereas|whilst|while|except|apart from|"
        r"aside from|other than|save for|with the exception of|yet|otherwise|nevertheless|"
        r"nonetheless|in contrast|instead|which|where|now",
        "term",
    ),
    Rule("punctuation", r";|\||\(|\)| - ", "term"),
    Rule("comma_with", r", with|, and (?:there is|there are)|and with", "term"),
    Rule("separate", r"separately|additionally|also|further(?:more)?|in addition", "term"),
)

# ``W`` is re-exported so tables that build on this one can use the same gap word.
__all__ = [
    "CURRENT",
    "HEDGE",
    "HISTORY",
    "HYPOTHETICAL",
    "NEGATION",
    "PSEUDO",
    "QUALIFIERS",
    "TERMINATORS",
    "UNASSESSABLE",
    "W",
]

MODIFIERS: tuple[Rule, ...] = (
    *PSEUDO,
    *HEDGE,
    *NEGATION,
    *HISTORY,
    *CURRENT,
    *HYPOTHETICAL,
    *UNASSESSABLE,
    *QUALIFIERS,
    *TERMINATORS,
)
