"""One report, read once: every rule hit placed in its sentence, asserted, located and caused.

The layers scan the whole report once each (linear time); everything after that works on the
short per-sentence lists, so the cost grows with the number of hits, not with their products.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from weakref import ref

import re2

from services.detection.context import UNMODIFIED, Assertion, SentenceScope
from services.detection.diagnosis import (
    benign_diagnosis,
    doubted,
    malignancy_proven,
    names_malignancy,
    states_malignancy,
)
from services.detection.levels import LEVEL_RULES, ORDER, foramen_levels, parse
from services.detection.lexicon.context import MODIFIERS
from services.detection.lexicon.findings import EXTRADURAL, FINDINGS
from services.detection.lexicon.sins import SINS
from services.detection.matcher import Layer, Rule, compile_bytes
from services.detection.text import Sentence

MODIFIER_LAYER = Layer(MODIFIERS)
FINDINGS_LAYER = Layer(FINDINGS)
SINS_LAYER = Layer(SINS)
_RULE_TABLES = {rule: SINS_LAYER for rule in SINS_LAYER.rules}  # the rest are FINDINGS_LAYER's
LEVEL_LAYER = Layer(LEVEL_RULES)

CONTENT_SECTIONS = frozenset({None, "findings", "impression", "addendum"})
TARGET_ROLES = frozenset({"epidural", "mass", "mscc", "escc", "grade"})
_ASSESSED_ROLES = TARGET_ROLES | {
    "malignant",
    "metastasis",
    "benign",
    "cord_signal",
    "retropulsion",
    "csf_present",
    "csf_absent",
}
_SPINE_WORDS = (
    b"osse",
    b"bone",
    b"bony",
    b"vertebr",
    b"marrow",
    b"spin",
    b"sacr",
    b"skelet",
    b"pedicle",
    b"body",
    b"lamina",
    b"posterior element",
)
_INTRADURAL_WORDS = (
    b"intradural",
    b"leptomening",
    b"intramedullary",
    b"drop metast",
    b"pial ",
    b"surface of the cord",
    b"cord surface",
)
# A lesion placed inside the dura, not a signal change of the cord ("intramedullary oedema").
# Any lesion or cause a sentence can name of its own.
_LESION_NOUN = compile_bytes(
    r"\b(?:mass\w*|tumou?r\w*|lesion\w*|metasta\w*|deposit\w*|soft[ -]tissue|fractur\w*|"
    r"fragment\w*|dis[ck]\w*|collection\w*|ha?ematoma\w*|abscess\w*|osteophyt\w*|cyst\w*|"
    r"nodule\w*|component|extension|lymphoma\w*|myeloma\w*|\w*carcinoma\w*|\w*sarcoma\w*)\b"
)
_INSIDE_DURA = compile_bytes(
    r"\b(?:intradural|intra-dural)(?: extramedullary| extra-medullary)? (?:space|compartment)|"
    r"\b(?:intradural|intra-dural|subdural)(?: extramedullary| extra-medullary)?"
    r"(?: \w+){0,2} (?:lesions?|mass(?:es)?|tumou?rs?|metastas[ie]s|deposits?|nodules?|"
    r"meningioma|schwannoma|disease)|\bidem\b|"
    r"\bintra-?dural(?:,| and)? extra-?medullary\b|\bextra-?medullary(?:,| and) intra-?dural\b|"
    r"\bleptomening\w*|\bintramedullary(?: \w+){0,2} "
    r"(?:lesions?|mass(?:es)?|tumou?rs?|metastas[ie]s|deposits?|nodules?)"
)
# "Epidural" or "extradural" named (the detector reads it too).
EPIDURAL_NAMED = compile_bytes(rf"\b(?:epidural|{EXTRADURAL})\b")
# A sentence that speaks of "the mass" or "these lesions" to say where they lie: "The mass is
# surrounded by CSF below the dura: it is intradural." (the compartment holds for the sentences
# beside it that speak of the same lesion).
# A sentence about the skull base ("a clival chordoma with extradural extension"): extradural
# there is inside the skull, not the spine's epidural space.
_INTRACRANIAL = compile_bytes(
    r"\b(?:clival|clivus|skull base|prepontine|brain ?stem|posterior fossa|petrous|sellar|"
    r"intracranial|cerebellopontine)\b"
)
_SPINAL_WORDS = (b"spin", b"vertebr", b"cervical", b"thoracic", b"lumbar", b"thecal", b"cauda")
_PLACED_BACK_INSIDE_DURA = compile_bytes(
    r"\b(?:(?:the|this|these|those|all(?: the| of the| these)?|both(?: the)?) "
    r"(?:mass(?:es)?|lesions?|tumou?rs?)|it (?:is|lies|was))\b"
    r".*\bintra-?dural\b"
)
# Verbs that introduce what an imaging study found (narrative and caption style).
_REPORTING_VERBS = r"showed|shows|revealed|reveals|demonstrated|demonstrates|confirmed|disclosed"
_REPORTING_VERB = compile_bytes(rf"\b(?:{_REPORTING_VERBS})\b")
# What a case description says was found or diagnosed (read only where it has no findings).
_CASE_RESULT = compile_bytes(
    rf"\b(?:{_REPORTING_VERBS}|reported|documented|detected|identified|found|noted|diagnosed|"
    r"presented with|experienced|developed|suffered|underwent|presenting with|as a result of|"
    r"due to|secondary to)\b"
)
_BONE_WORDS = (
    b"osse",
    b"bone",
    b"bony",
    b"vertebr",
    b"marrow",
    b"body",
    b"lytic",
    b"sclerotic",
    b"blastic",
    b"pedicle",
    b"lamina",
)
_GRADE_CONTEXT = (b"epidural", b"bilsky", b"escc", b"sosg", b"cord", b"thecal", b"cauda")
_SCALE_NAMES = (b"bilsky", b"escc", b"sosg")
_UNASSESSABLE_WORDS: tuple[bytes, ...] = (
    b"not assess",
    b"be assess",
    b"not evaluat",
    b"be evaluat",
    b"gradab",
    b"gradeab",
    b"be graded",
    b"not graded",
    b"determin",
    b"applicable",
    b"n/a",
    b"limited",
    b"scope",
    b"field",
    b"not included",
    b"characteri",
    b"not reliably",
    b"not well",
    b"not adequately",
    b"not fully",
)
# Literal alternation, one linear RE2 scan (cheaper than twenty substring tests or the stdlib).
_UNASSESSABLE_HINT = compile_bytes("|".join(re2.escape(w.decode()) for w in _UNASSESSABLE_WORDS))
_THROUGH_FORAMEN = frozenset(
    {"paraspinal_through_foramen", "into_foramen", "tissue_in_foramen", "dumbbell_tumour"}
)
_PREVIOUS_SENTENCES = 3  # how far back in a paragraph a cause ("It compresses the cord") is sought
# The cause a cause word names.
_CUE_KINDS = {"malignant": "malignant", "metastasis": "malignant", "benign": "benign"}


# Findings that name a narrowed canal, not the lesion that narrows it (the detector asks more of
# their cause before calling them tumour's).
NARROWED_CANAL = frozenset({"canal_stenosis", "canal_obliterated", "canal_entered_and_narrowed"})
# The generic words for a lesion, which a report uses again for the lesion it has just named.
_GENERIC_TUMOUR = re2.compile(rb"tumou?rs?|tumer|neoplasms?|mass(?:es)?|lesions?")
# Benign causes that are themselves a mass, so "a mass compressing the cord" can be one of them
# (NICE NG234 differential of cord compression; Haidar 2010 for extramedullary haematopoiesis).
_BENIGN_LESION = re2.compile(
    rb"ha?ematoma|schwannoma|neurilemm?oma|neurinoma|neurofibroma|nerve sheath|meningioma|"
    rb"ha?emangioma|hemangeoma|"
    rb"abscess|phlegmon|empyema|lipomatosis|ha?ematopoie|\bemh\b|synovial cyst|intradural|"
    # the anaemias that make extramedullary haematopoiesis (findings.py, benign_entity)
    rb"thalass?a?emi|sickle cell|ha?emolytic ana?emia|myelofibrosis|transfusion|"
    # a disc fragment is a mass of its own ("sequestered discal fragment was suspected")
    rb"sequestr|dis[ck](?:al)? fragment|migrat|histioc\w*sis|eosinophilic granuloma|"
    rb"neurogenic tumou?r|ganglioneuroma|ganglioglioma|hydatid|echinococc|tubercul|brucell|"
    rb"aneurysmal bone cyst|giant[- ]cell tumou?r|osteoblastoma|chondroblastoma|angiolipoma|"
    rb"brown tumou?r|rheumatoid|pannus|retro-?odontoid|peri-?odontoid|retro-?dental|"
    rb"osteochondroma|"
    rb"\btdt\b|iron overload|csf[- ](?:intensity|signal|density)|cystic structure|"
    rb"marrow hyperplasia|"
    rb"hyperplastic (?:bone )?marrow|similar to (?:that of )?(?:the )?(?:adjacent )?(?:vertebral )?"
    rb"(?:bone )?marrow|"
    rb"pseudotumou?r|arachnoid cyst|cystic lesion"
)


# The regions of the spine by name, and their levels (the corpus README's level names).
_REGION_WORDS = {
    "C": compile_bytes(r"\bcervical\b"),
    "T": compile_bytes(r"\b(?:thoracic|dorsal (?:spine|vertebra\w*|cord|region|levels?))\b"),
    "L": compile_bytes(r"\blumbar\b"),
    "S": compile_bytes(r"\bsacr(?:um|al)\b"),
}
_REGION_LEVELS = {region: tuple(lv for lv in ORDER if lv[0] == region) for region in _REGION_WORDS}


@dataclass(slots=True)
class Mention:
    """A rule hit in a readable sentence, with what the context says about it."""

    start: int
    end: int
    rule: Rule
    sentence: int
    assertion: Assertion
    cause: str | None = None  # "malignant" or "benign" for targets
    grade: str | None = None


Level = tuple[int, tuple[str, ...]]  # position and the levels named there


class _Lazy:
    """A list whose items are computed on first use (most sentences never need them).

    It holds its report weakly: a bound method would make a reference cycle, and every report,
    with its sentences, mentions and scopes, would then wait for the cyclic garbage collector
    instead of being freed as soon as detect() returns."""

    __slots__ = ("_items", "_make", "_owner")

    def __init__(self, make: Callable[[Any, int], Any], owner: Report, n: int) -> None:
        self._make = make
        self._owner = ref(owner)
        self._items: list[Any] = [_UNSET] * n

    def __getitem__(self, i: int) -> Any:
        item = self._items[i]
        if item is _UNSET:
            item = self._items[i] = self._make(self._owner(), i)
        return item


_UNSET = object()
_NO_SCOPE = SentenceScope(b"", [])  # the scope of a sentence without modifiers


class Report:
    """The indexed report: sentences with their modifiers, findings, SINS cues and levels."""

    def __init__(self, data: bytes, sentences: list[Sentence]) -> None:
        self.data = data
        self.sentences = sentences
        n = len(sentences)
        starts = [s.start for s in sentences]
        self.mods: list[list[tuple[int, int, Rule]]] = [[] for _ in range(n)]
        self.facts: list[list[tuple[int, int, Rule]]] = [[] for _ in range(n)]
        self.sins: list[list[tuple[int, int, Rule]]] = [[] for _ in range(n)]
        self.levels: list[list[Level]] = [[] for _ in range(n)]
        self.foramina: dict[int, list[Level]] = {}  # "the T9-T10 foramen", by sentence
        self._intradural_case: str | None = None  # read on first use (_read_intradural_case)
        self.readable = [s.section in CONTENT_SECTIONS for s in sentences]
        if not any(s.section in ("findings", "impression", "addendum") for s in sentences):
            # A case description with no findings of its own ("Clinical presentation: ...
            # Workup revealed lung cancer with cord compression at T4"): its history is the
            # case, and a sentence that reports a result ("showed", "revealed") is a finding.
            self.readable = [
                readable
                or (
                    s.section == "history" and _CASE_RESULT.search(data, s.start, s.end) is not None
                )
                for readable, s in zip(self.readable, sentences, strict=True)
            ]
        for i, s in enumerate(sentences):
            if s.section == "title" and states_malignancy(data, s.start, s.end):
                self.readable[i] = True  # a title that states the diagnosis is read
        # After the signature only a sentence that names a level is read: footers speak of the
        # MSCC pathway, an unheaded final read after a signed preliminary one names the level.
        signed = [s.section == "signoff" for s in sentences]
        junctions: dict[int, set[int]] = {}  # sentence -> where a named junction stands
        level_ranges = _ranges(
            sentences, [r or g for r, g in zip(self.readable, signed, strict=True)]
        )
        for start, end, rule in LEVEL_LAYER.find(data, level_ranges):
            i = bisect_right(starts, start) - 1
            if i >= 0 and start < sentences[i].end:
                named = parse(data, start, end, rule)
                if named:
                    self.levels[i].append((start, named))
                    if rule.role == "junction":
                        junctions.setdefault(i, set()).add(start)
                elif rule.role == "level" and (joint := foramen_levels(data, start, end)):
                    self.foramina.setdefault(i, []).append((start, joint))
        for i, where in junctions.items():
            self.levels[i] = _junction_narrowed(self.levels[i], where)
        if any(signed):
            for i in range(n):
                if signed[i] and self.levels[i]:
                    self.readable[i] = True
                elif signed[i]:
                    self.foramina.pop(i, None)
        readable_ranges = _ranges(sentences, self.readable)
        for bucket, layer in ((self.facts, FINDINGS_LAYER), (self.sins, SINS_LAYER)):
            _distribute(layer.find(data, readable_ranges), starts, sentences, bucket)
        # Modifiers matter only where there is something for them to modify; "not assessable"
        # statements are looked for separately (cheaply) because they qualify the whole study.
        wanted = [bool(self.facts[i] or self.sins[i]) for i in range(n)]
        _distribute(
            MODIFIER_LAYER.find(data, _ranges(sentences, wanted)), starts, sentences, self.mods
        )
        self.unassessable = _UNASSESSABLE_HINT.search(data) is not None and (
            self._unassessable_stated(readable_ranges)
        )
        mods = self.mods
        self.scopes = [SentenceScope(data, mods[i]) if mods[i] else _NO_SCOPE for i in range(n)]
        self.spine_context = _Lazy(Report._spine_context, self, n)
        self.context_levels = _Lazy(Report._context_levels, self, n)
        self.mentions: list[list[Mention]] = [
            self._assess(i) if (self.facts[i] or self.sins[i]) and self.readable[i] else []
            for i in range(n)
        ]
        self.metastasis_affirmed = False
        self.malignant_context = False
        # A malignancy the report names anywhere, the spine or not ("proven lymphoma", "known
        # lung cancer"): a compression of unnamed cause in such a patient is presumed tumour
        # (NICE NG234: in a patient with cancer, cord compression is MSCC until shown otherwise).
        self.malignancy_named = False
        self.benign_context = False
        # A malignancy found in tissue overturns a benign shape or hedged impression (diagnosis).
        self.malignancy_proven = malignancy_proven(
            data,
            [
                (s.start, s.end)
                for s, readable in zip(sentences, self.readable, strict=True)
                if readable
            ],
        )
        for ms in self.mentions:
            for m in ms:
                role = m.rule.role
                negated_disease = m.assertion.negated and role in ("metastasis", "epidural", "mscc")
                if (
                    role == "benign"
                    and valid_cue(m)
                    and not self.overturned(m)
                    and (m.rule.value == "strong" or self._beside_a_finding(ms, m))
                    and not self._suspicion_overturned(ms, m)
                ) or negated_disease:
                    self.benign_context = True
                cause_word = role in ("metastasis", "malignant") or _explicit(m.rule)
                names_malignancy = (
                    role in ("metastasis", "malignant") and m.rule.value != "presumed"
                )
                if names_malignancy and valid_cue(m):
                    self.malignancy_named = True
                if cause_word and valid_cue(m) and self.spine_context[m.sentence]:
                    self.malignant_context = True
                    if role == "metastasis" and self.in_bone(m.sentence):
                        self.metastasis_affirmed = True
        self._sentence_cause: list[str | None] = [None] * n
        self._sentence_presumed = [False] * n  # its cause came from no words of its own
        self._presumed: list[Mention] = []  # causes only presumed, in reading order
        self._presumed_ids: set[int] = set()
        for i in range(n):
            if self.mentions[i]:
                self._resolve_causes(i)
        if self._presumed:
            self._attribute_presumed_by_level()
        self.benign_diagnosis = benign_diagnosis(self)

    def _unassessable_stated(self, ranges: list[tuple[int, int]]) -> bool:
        return any(hit[2].role == "unassessable" for hit in MODIFIER_LAYER.find(self.data, ranges))

    def drop_parts(self, parts: set[int]) -> None:
        """Forget the findings of the parts a later addendum replaced (their descriptions of
        the bone, read for SINS, still stand)."""
        for i, sentence in enumerate(self.sentences):
            if sentence.part in parts:
                self.mentions[i] = []
        self.metastasis_affirmed = any(
            m.rule.role == "metastasis"
            and self.spine_context[m.sentence]
            and valid_cue(m)
            and self.in_bone(m.sentence)
            for ms in self.mentions
            for m in ms
        )

    def cause_presumed(self, m: Mention) -> bool:
        """Whether no words of the report gave this mention its cause (it was presumed)."""
        return id(m) in self._presumed_ids

    def in_bone(self, i: int) -> bool:
        """A metastasis in sentence i is in bone unless the sentence puts it inside the dura
        ("deposits on the cord surface, drop metastases") without naming any bone."""
        return not self._has(i, _INTRADURAL_WORDS) or self._has(i, _BONE_WORDS)

    # -- assertion -------------------------------------------------------------------------
    def _assess(self, i: int) -> list[Mention]:
        scope = self.scopes[i]
        out: list[Mention] = []
        hits = self.facts[i]
        sins = self.sins[i]
        if sins:
            extra = [h for h in sins if h[2].role in ("cord_signal", "retropulsion")]
            if extra:
                hits = sorted(hits + extra, key=lambda h: h[0])
        for start, end, rule in hits:
            role = rule.role
            if role == "ignore":
                continue
            if role == "grade" and not (
                self._has(i, _GRADE_CONTEXT) or self._scale_named_before(i)
            ):
                continue
            if role in _ASSESSED_ROLES and scope is not _NO_SCOPE:  # no modifier: unmodified
                end = self._own_words_end(scope, start, end, rule)
                assertion = scope.assess(
                    start, end, negatable=rule.negatable, stated_grade=role in ("escc", "grade")
                )
            else:
                assertion = UNMODIFIED
            mention = Mention(start, end, rule, i, assertion)
            if role in ("escc", "grade"):
                mention.grade = _stated_grade(self.data[start:end])
            out.append(mention)
        return out

    def _scale_named_before(self, i: int) -> bool:
        """Whether the sentence before i, on its line, names the grading scale ("Examples of
        ESCC grades. Grade 1b at T1, grade 3 at T10."): a bare "grade 3" then is that scale's."""
        if i == 0:
            return False
        here, before = self.sentences[i], self.sentences[i - 1]
        return before.line == here.line and self._has(i - 1, _SCALE_NAMES)

    def _own_words_end(self, scope: SentenceScope, start: int, end: int, rule: Rule) -> int:
        """The end of the finding's own words. A gap word of a rule can run on over a negation
        to a second mention of the same structure ("abuts the cord without cord compression"
        matches up to the second "cord"); when the rule already matches the words before the
        negation, those are the finding, and the negation is about what follows it."""
        cut = scope.negation_inside(start, end)
        if cut < 0:
            return end
        head = self.data[start:cut].rstrip(b" ")
        if _RULE_TABLES.get(rule, FINDINGS_LAYER).matches_whole(rule, head):
            return start + len(head)
        return end

    def has(self, i: int, words: tuple[bytes, ...]) -> bool:
        """Whether sentence i contains any of the words."""
        return self._has(i, words)

    def inside_dura(self, i: int) -> bool:
        """Whether sentence i puts its lesion inside the dura (an intradural or intramedullary
        mass, leptomeningeal disease) and names no epidural or extradural disease: what it
        compresses is not epidural compression (corpus README: intradural is not epidural)."""
        s = self.sentences[i]
        text = self.data[s.start : s.end]
        if EPIDURAL_NAMED.search(text) is not None:
            return False
        if _INSIDE_DURA.search(text) is not None:
            return True
        return self._placed_back_inside_dura(i) or self._compressed_by_the_intradural_lesion(i)

    def _compressed_by_the_intradural_lesion(self, i: int) -> bool:
        """Whether sentence i names no lesion of its own ("The spinal cord is compressed.") in a
        report whose lesion lies in the intradural space, or a report whose title places its
        tumour there ("Synovial sarcoma: a rare intradural extramedullary tumour"), when the
        report names nothing epidural: the finding is that lesion's."""
        if self._intradural_case is None:
            self._intradural_case = self._read_intradural_case()
        case = self._intradural_case
        if case != "lesion":
            return case == "title"
        s = self.sentences[i]
        return _LESION_NOUN.search(self.data, s.start, s.end) is None

    def _read_intradural_case(self) -> str:
        """Once per report: "title" when nothing epidural is named and a title places the
        tumour inside the dura, "lesion" when nothing epidural is named and some lesion lies
        inside it, else ""."""
        if EPIDURAL_NAMED.search(self.data) is not None:
            return ""
        if any(
            s.section == "title" and _INSIDE_DURA.search(self.data, s.start, s.end) is not None
            for s in self.sentences
        ):
            return "title"
        return "lesion" if _INSIDE_DURA.search(self.data) is not None else ""

    def at_skull_base(self, i: int) -> bool:
        """Whether sentence i speaks of the skull base and of no part of the spine (no level,
        no spinal word): its extradural or compressive words are intracranial."""
        s = self.sentences[i]
        return (
            _INTRACRANIAL.search(self.data, s.start, s.end) is not None
            and not self.levels[i]
            and not self._has(i, _SPINAL_WORDS)
        )

    def _placed_back_inside_dura(self, i: int) -> bool:
        """Whether the sentence before i or one of the two after it, on the same line, speaks
        of the mass or lesions of sentence i to place them inside the dura, in a report that
        names nothing epidural."""
        if EPIDURAL_NAMED.search(self.data) is not None:
            return False
        here = self.sentences[i]
        for other in self.sentences[max(0, i - 1) : i + 3]:
            if other is here or other.line != here.line or other.part != here.part:
                continue
            text = self.data[other.start : other.end]
            if _PLACED_BACK_INSIDE_DURA.search(text) is not None and (
                _INSIDE_DURA.search(text) is not None
            ):
                return True
        return False

    def _has(self, i: int, words: tuple[bytes, ...]) -> bool:
        s = self.sentences[i]
        text = self.data[s.start : s.end]
        return any(w in text for w in words)

    def _spine_context(self, i: int) -> bool:
        return bool(self.levels[i]) or self._has(i, _SPINE_WORDS)

    # -- levels ----------------------------------------------------------------------------
    def _context_levels(self, i: int) -> tuple[str, ...]:
        """Levels named most recently in sentence i's paragraph (line), up to sentence i."""
        line = self.sentences[i].line
        while i >= 0 and self.sentences[i].line == line:
            if self.levels[i]:
                return tuple(name for _, names in self.levels[i] for name in names)
            i -= 1
        return ()

    def levels_of(self, m: Mention) -> tuple[str, ...]:
        """Levels of a mention: its clause, else its sentence, else the paragraph so far."""
        if m.rule.name in _THROUGH_FORAMEN and m.sentence in self.foramina:
            # Tumour through the T9-T10 foramen lies in the canal at both levels, unless the
            # sentence goes on to say where ("into the canal at the T11 level").
            foramina = self.foramina[m.sentence]
            last = foramina[-1][0]
            if not any(pos > last for pos, _ in self.levels[m.sentence]):
                joint = tuple(n for _, names in foramina for n in names)
                return tuple(dict.fromkeys(self._levels_of(m) + joint))
        return self._levels_of(m)

    def _levels_of(self, m: Mention) -> tuple[str, ...]:
        levels = self.levels[m.sentence]
        scope = self.scopes[m.sentence]
        own = tuple(
            n for pos, names in levels if scope.same_level_clause(pos, m.start) for n in names
        )
        if own:
            return own
        if levels:
            return tuple(n for _, names in levels for n in names)
        i = m.sentence
        if i > 0 and self.sentences[i - 1].line == self.sentences[i].line:
            inherited: tuple[str, ...] = self.context_levels[i - 1]
            if inherited:
                return self._within_region(i, inherited)
        # "2. Epidural tumour at this level compresses the cord": the level is in the line above.
        here = self.sentences[i]
        for j in range(i - 1, max(i - 3, -1), -1):
            before = self.sentences[j]
            if before.section != here.section or before.part != here.part:
                break
            if self.levels[j]:
                return self._within_region(
                    i, tuple(n for _, names in self.levels[j] for n in names)
                )
        return ()

    def _within_region(self, i: int, inherited: tuple[str, ...]) -> tuple[str, ...]:
        """Levels sentence i inherits, unless it names a region that holds none of them: "The
        sacral canal is obliterated" after "haemangiomas at T11 and L3" lies in the sacrum."""
        region = self.region_of(i)
        if region and not region.intersection(inherited):
            return ()
        return inherited

    def nearest_levels(self, m: Mention) -> tuple[str, ...]:
        """The level(s) written closest to a mention ("compresses the cord at T5")."""
        best: tuple[int, tuple[str, ...]] | None = None
        for pos, names in self.levels[m.sentence]:
            distance = abs(pos - m.start)
            if m.start <= pos:
                distance //= 2  # "compresses the cord at T5": the level usually follows
            if best is None or distance < best[0]:
                best = (distance, names)
        if best is not None:
            return best[1]
        return self.levels_of(m)

    # -- causes ----------------------------------------------------------------------------
    def _resolve_causes(self, i: int) -> None:
        mentions = self.mentions[i]
        scope = self.scopes[i]
        presumed = self._presumed_ids
        # Cause words first; named targets (explicit) are resolved from them, and then count as
        # cause words themselves for the mass-effect phrases around them. A cue is a position,
        # the cause it names, and whether that cause is only presumed (no word gave it).
        # "Tumour" beside a benign lesion the clause names is that lesion's generic name ("the
        # haemangioma has soft tissue tumour extension"): it names no malignancy there.
        cues = [
            (m.start, "benign" if self._names_the_benign_lesion(i, m) else kind, False)
            if kind == "malignant" and m.rule.value != "presumed"
            else (m.start, kind, m.rule.value == "presumed")
            for m in mentions
            if (kind := _CUE_KINDS.get(m.rule.role)) is not None
            and valid_cue(m)
            and not self.overturned(m)
            and not (m.rule.role == "malignant" and self._benign_lesion_owns(i, m))
        ]
        for m in mentions:
            if m.rule.value == "dumbbell":  # a nerve-sheath tumour's shape, unless proven else
                malignant_beside = any(
                    k == "malignant" and not guess and scope.same_clause(pos, m.start)
                    for pos, k, guess in cues
                )
                m.cause = "malignant" if malignant_beside or self.malignancy_proven else "benign"
                continue
            if m.rule.role in TARGET_ROLES and _explicit(m.rule):
                if m.rule.value == "tumour" and self._benign_lesion_owns(i, m):
                    m.cause = "benign"  # "the haemangioma has soft tissue tumour extension"
                    continue
                if m.rule.value == "tumour" or _differential(m):
                    m.cause = "malignant"
                    continue
                clause_cues = [
                    (k, guess)
                    for pos, k, guess in cues
                    if scope.same_clause(pos, m.start)
                    and not self._reported_between(i, pos, m.start)
                ]
                clause = {k for k, _ in clause_cues}
                benign_only = "benign" in clause and "malignant" not in clause
                m.cause = "benign" if benign_only else "malignant"
                if "malignant" in clause and all(g for k, g in clause_cues if k == "malignant"):
                    self._presume(m)  # "the mass has epidural extension": tumour only presumed
                if not clause and m.rule.role == "epidural":  # "epidural extension" of what?
                    if self._benign_named_just_before(i):
                        m.cause = "benign"  # "Discitis of T12-L1. Epidural disease at this level"
                    else:
                        self._presume(m)
        cues += [
            (m.start, m.cause, id(m) in presumed)
            for m in mentions
            if m.cause is not None and valid_cue(m) and not _zero_grade(m)
        ]
        kinds = {k for _, k, _ in cues}
        for m in mentions:
            if m.rule.role not in TARGET_ROLES or m.cause is not None:
                continue
            if _differential(m):
                m.cause = "malignant"
                continue
            clause_cues = [
                (k, guess)
                for pos, k, guess in cues
                if pos != m.start
                and scope.same_clause(pos, m.start)
                and not self._reported_between(i, pos, m.start)
            ]
            deciding = clause_cues or [
                (k, guess) for pos, k, guess in cues if not self._reported_between(i, pos, m.start)
            ]
            if deciding:
                m.cause = "malignant" if any(k == "malignant" for k, _ in deciding) else "benign"
                guessed = all(guess for k, guess in deciding if k == m.cause)
            else:
                m.cause, guessed = self._paragraph_cause(i)
            if guessed:
                self._presume(m)
        # What a later sentence of the paragraph may inherit ("It compresses the cord."): a
        # named cause, not a passing word such as "facet" or "fat".
        if "malignant" in kinds or any(m.cause == "malignant" for m in mentions):
            self._sentence_cause[i] = "malignant"
            self._sentence_presumed[i] = all(
                guess for _, k, guess in cues if k == "malignant"
            ) and all(id(m) in presumed for m in mentions if m.cause == "malignant")
        elif any(
            m.cause == "benign"
            or (m.rule.value == "strong" and valid_cue(m) and not self.overturned(m))
            for m in mentions
        ):
            self._sentence_cause[i] = "benign"

    def _benign_lesion_owns(self, i: int, m: Mention) -> bool:
        """Whether "tumour" in mention m (a cause word, or an epidural finding) is only the
        generic word for a benign lesion its clause names ("the haemangioma at T4 has soft
        tissue tumour extension into the epidural space"): m itself names no malignancy."""
        if names_malignancy(self.data, m.start, m.end):
            return False
        scope = self.scopes[i]
        return any(
            x.rule.role == "benign"
            and x.rule.value == "strong"
            and valid_cue(x)
            and not self.overturned(x)
            and scope.same_clause(x.start, m.start)
            for x in self.mentions[i]
        )

    def overturned(self, cue: Mention) -> bool:
        """Whether a benign cue is only what the imaging suggested before the tissue proved a
        malignancy: a dumbbell shape, or a benign lesion named with a hedge ("suggestive of a
        nerve sheath tumour"), in a report whose histology or biopsy names a malignancy."""
        if not self.malignancy_proven or cue.rule.role != "benign":
            return False
        if cue.rule.name == "dumbbell_shape":
            return True
        s = self.sentences[cue.sentence]
        return (cue.assertion.hedged or doubted(self.data, s.start, s.end)) and (
            _BENIGN_LESION.search(self.data, cue.start, cue.end) is not None
        )

    def _names_the_benign_lesion(self, i: int, m: Mention) -> bool:
        """Whether "the tumour" (a generic word after "the" or "this") in sentence i names a
        benign lesion one of the sentences just before it named, with no malignancy named in
        between: "MRI showed a schwannoma at C4. The tumour was hypointense on T1."."""
        text = self.data[m.start : m.end]
        if _GENERIC_TUMOUR.fullmatch(text) is None:
            return False
        if not self.data[max(0, m.start - 6) : m.start].endswith((b"the ", b"this ", b"that ")):
            return False
        line = self.sentences[i].line
        for j in range(i - 1, max(i - 1 - _PREVIOUS_SENTENCES, -1), -1):
            if self.sentences[j].line != line:
                return False
            for x in self.mentions[j]:
                if (
                    x.rule.role in ("metastasis", "malignant")
                    and valid_cue(x)
                    and _GENERIC_TUMOUR.fullmatch(self.data[x.start : x.end]) is None
                ):
                    return False  # a malignancy named since: "the tumour" may be it
            if any(
                (
                    x.rule.role == "benign"
                    and x.rule.value == "strong"
                    and valid_cue(x)
                    and not self.overturned(x)
                    and _BENIGN_LESION.search(self.data, x.start, x.end) is not None
                )
                or (x.rule.value == "dumbbell" and x.cause == "benign")
                for x in self.mentions[j]
            ):
                return True
        return False

    def cause_of_a_finding(self, cue: Mention) -> bool:
        """Whether a weak benign word ("disc", "degenerative") stands in a finding's clause."""
        return self._beside_a_finding(self.mentions[cue.sentence], cue)

    def _beside_a_finding(self, mentions: list[Mention], cue: Mention) -> bool:
        """Whether a weak benign word ("fat", "fluid", "disc") stands in a finding's clause: only
        there does it say what the report's compressions may be ("normal fat in the foramen
        below" names no cause of anything)."""
        scope = self.scopes[cue.sentence]
        return any(
            m.rule.role in TARGET_ROLES and scope.same_clause(m.start, cue.start) for m in mentions
        )

    def _suspicion_overturned(self, mentions: list[Mention], cue: Mention) -> bool:
        """Whether a benign cause word was only the suspicion the imaging then answered: a
        finding follows it in its sentence after "showed" ("suspected spinal stenosis and
        recommended MRI, which showed a lesion in the posterior epidural space")."""
        return any(
            m.rule.role in TARGET_ROLES and self._reported_between(m.sentence, cue.start, m.start)
            for m in mentions
        )

    def _reported_between(self, i: int, cue: int, finding: int) -> bool:
        """Whether "showed", "revealed"... stands between a cause word and a later finding: the
        cause was what someone suspected before the imaging ("suspected a degenerative cause and
        requested an MRI, which showed an epidural mass"), not what the imaging showed."""
        if cue >= finding:
            return False
        return _REPORTING_VERB.search(self.data, cue, finding) is not None

    def _benign_named_just_before(self, i: int) -> bool:
        """Whether the sentence before i, on its line, named a benign cause in its own words
        and sentence i names no level of its own that the other does not ("Marked discitis of
        T12-L1. Epidural disease causes minimal canal stenosis at this level."): the epidural
        disease is that cause's."""
        if i == 0 or self.sentences[i - 1].line != self.sentences[i].line:
            return False
        if self._sentence_cause[i - 1] != "benign" or self._sentence_presumed[i - 1]:
            return False
        own = {name for _, names in self.levels[i] for name in names}
        before = {name for _, names in self.levels[i - 1] for name in names}
        return not own or bool(own & before)

    def region_of(self, i: int) -> set[str]:
        """The levels of the one region sentence i names when it names no level ("the sacral
        canal is obliterated": S1-S5), or nothing: where a finding lies, for comparing it with
        the levels of a benign lesion named elsewhere."""
        s = self.sentences[i]
        regions = {
            name
            for name, words in _REGION_WORDS.items()
            if words.search(self.data, s.start, s.end) is not None
        }
        if len(regions) != 1:
            return set()
        return set(_REGION_LEVELS[regions.pop()])

    def _presume(self, m: Mention) -> None:
        self._presumed.append(m)
        self._presumed_ids.add(id(m))

    def _paragraph_cause(self, i: int) -> tuple[str, bool]:
        """The cause a sentence without cause words inherits from the paragraph, and whether
        it is only presumed (no words of the report gave it)."""
        line = self.sentences[i].line
        j = i - 1
        while j >= 0 and i - j <= _PREVIOUS_SENTENCES and self.sentences[j].line == line:
            if self._sentence_cause[j] is not None:
                return self._sentence_cause[j] or "benign", self._sentence_presumed[j]
            j -= 1
        if self.malignancy_named or not self.benign_context:
            return "malignant", True  # nothing says benign: a missed MSCC costs more than an alert
        return "benign", True

    def _attribute_presumed_by_level(self) -> None:
        """A compression whose cause was only presumed takes the cause the report names for
        the same lesion elsewhere: "An epidural component at T6 compresses the cord." is the
        haemangioma's when the conclusion reads "Aggressive haemangioma at T6 with epidural
        extension causing cord compression" and nothing names tumour at T6. A mass that a benign
        lesion named anywhere can be ("pathology revealed a schwannoma", "features of an
        epidural haematoma") is that lesion's when the report names no malignancy at all."""
        named: dict[str, set[str]] = {}
        presumed = self._presumed_ids
        for ms in self.mentions:
            for m in ms:
                # A narrowed canal names no lesion: degenerative stenosis at L4-5 says nothing
                # of what the epidural tissue at L5 is.
                if (
                    m.rule.role in TARGET_ROLES
                    and id(m) not in presumed
                    and valid_cue(m)
                    and m.rule.name not in NARROWED_CANAL
                ):
                    for level in self.levels_of(m):
                        named.setdefault(level, set()).add(m.cause or "malignant")
        lesions = [
            m
            for ms in self.mentions
            for m in ms
            if m.rule.role == "benign"
            and m.rule.value == "strong"
            and valid_cue(m)
            and _BENIGN_LESION.search(self.data[m.start : m.end]) is not None
        ]
        lesion_named = not self.malignancy_named and bool(lesions)
        lesion_levels = {level for m in lesions for level in self.levels_of(m)}
        if not named and not lesion_named:
            return
        tumour_named = any(
            m.rule.role in ("metastasis", "malignant")
            and m.rule.value != "presumed"
            and valid_cue(m)
            and self.spine_context[i]
            for i, ms in enumerate(self.mentions)
            for m in ms
        )
        if lesion_named:
            # No malignancy named at all: "tumour" was only the convention for an unnamed
            # epidural mass, and the named benign lesion is the better reading of it.
            for ms in self.mentions:
                for m in ms:
                    if m.rule.role not in ("epidural", "mass") or m.cause != "malignant":
                        continue
                    where = set(self.levels_of(m)) or self.region_of(m.sentence)
                    if not (where and lesion_levels) or where & lesion_levels:
                        m.cause = "benign"  # a haemangioma of T11 says nothing of L2
            return
        for m in self._presumed:
            if m.cause != "malignant" or not m.assertion.current:
                continue
            levels = self.nearest_levels(m)  # "soft tissue from T6 to T9 ... at T8": T8
            if levels and any(level in named for level in levels):
                benign = all(named.get(level) == {"benign"} for level in levels)
            elif levels and not lesion_named:
                benign = False
            else:  # nowhere located: benign only when every named cause is and no tumour is
                benign = not tumour_named and all(causes == {"benign"} for causes in named.values())
            if benign:
                m.cause = "benign"


def _junction_narrowed(levels: list[Level], junctions: set[int]) -> list[Level]:
    """ "L1 fracture ... at the thoracolumbar junction": the junction is where L1 is, so it
    adds no level of its own when the sentence numbers one of its levels."""
    numbered = {n for pos, names in levels if pos not in junctions for n in names}
    out: list[Level] = []
    for pos, names in levels:
        if pos in junctions and numbered.intersection(names):
            names = tuple(n for n in names if n in numbered)
        out.append((pos, names))
    return out


def _ranges(sentences: list[Sentence], keep: list[bool]) -> list[tuple[int, int]]:
    """Byte ranges covering the kept sentences, adjacent ones merged."""
    out: list[tuple[int, int]] = []
    for sentence, wanted in zip(sentences, keep, strict=True):
        if not wanted:
            continue
        if out and sentence.start - out[-1][1] <= 2:
            out[-1] = (out[-1][0], sentence.end)
        else:
            out.append((sentence.start, sentence.end))
    return out


def _distribute(
    hits: list[tuple[int, int, Rule]],
    starts: list[int],
    sentences: list[Sentence],
    bucket: list[list[tuple[int, int, Rule]]],
) -> None:
    for hit in hits:
        i = bisect_right(starts, hit[0]) - 1
        if i >= 0 and hit[0] < sentences[i].end:
            bucket[i].append(hit)


def valid_cue(m: Mention) -> bool:
    """A cause word counts when it is not negated and not hypothetical."""
    return not (m.assertion.negated or m.assertion.hypothetical)


def _differential(m: Mention) -> bool:
    """A finding offered in a differential ("epidural extension, versus prominent epidural
    veins") is still suspected tumour: the benign alternative does not explain it away
    (NICE NG234: suspected MSCC is treated as MSCC)."""
    return any(rule.name == "differential" for _, _, rule in m.assertion.triggers)


def _explicit(rule: Rule) -> bool:
    return rule.role in ("mscc", "escc", "grade") or (
        rule.role == "epidural" and rule.value in ("explicit", "tumour")
    )


def _zero_grade(m: Mention) -> bool:
    return m.rule.role in ("escc", "grade") and m.grade == "0"


def _stated_grade(text: bytes) -> str | None:
    text = text.rstrip()
    value = text[-2:] if text[-1:] in (b"a", b"b", b"c") else text[-1:]
    grade = value.decode("ascii", "replace").strip()
    return grade if grade in ("0", "1a", "1b", "1c", "2", "3") else None
