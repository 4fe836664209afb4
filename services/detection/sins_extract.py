"""SINS imaging components at the most severe level (Fisher et al., Spine 2010;35:E1221-E1229).

The most severe level is where the highest ESCC grade was found; for bone-only disease it is the
metastasis the report describes in most detail. A component is read from the words about that
level, else from words about no level in particular ("Alignment is normal."), else left unset.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from models.detection import SinsImaging
from services.detection.evidence import EvidenceLog
from services.detection.levels import RANK
from services.detection.lexicon.sins import LOCATION_OF_LEVEL
from services.detection.matcher import Rule, compile_bytes
from services.detection.report import Mention, Report

GRADE_RANK = {"0": 0, "1a": 1, "1b": 2, "1c": 3, "2": 4, "3": 5}
_ALIGNMENT_RANK = {"subluxation": 3, "deformity": 2, "normal": 1}
_POSTEROLATERAL_RANK = {"bilateral": 3, "unilateral": 2, "none": 1}
# A level and the joiner to the next one in a list ("T7 + ", "T5, ", "C3 and ").
_LEVEL_LIST = compile_bytes(
    r"[ctls] ?\d{1,2}(?: ?[-/] ?[ctls]? ?\d{1,2})? *(?:,|\+|&|and|or)? *(?:and )?"
)
# Cues that belong to the level written beside them in a sentence naming several levels.
_ADJACENT_ROLES = frozenset({"collapse", "collapse_pct", "lesion"})
# A bare "(<50%)" is a collapse only in a sentence about a fracture or height loss.
_COLLAPSE_WORDS = (b"fractur", b"collaps", b"height", b"wedg", b"compression deformit", b"fx")
Cue = tuple[int, int, int, str, str | None, str]  # sentence, start, end, role, value, rule name
_DETAIL_ROLES = frozenset(
    {
        "lesion",
        "alignment",
        "collapse",
        "collapse_pct",
        "involvement",
        "involvement_pct",
        "posterolateral",
    }
)


def index_level(report: Report, positives: list[Mention], grade: str | None) -> str | None:
    """The level whose disease is most severe (or, without epidural disease, best described)."""
    if not positives:
        return _metastasis_level(report)
    # each sentence once: a sentence can hold thousands of positives (a repeated "ESCC 3")
    for i in dict.fromkeys(m.sentence for m in positives):
        for x in report.mentions[i]:
            if x.rule.role == "maximal":
                after = [names[0] for pos, names in report.levels[i] if pos > x.start]
                if after:
                    return after[0]
    top = max(GRADE_RANK.get(m.grade or "", -1) for m in positives)
    candidates: set[str] = set()
    for m in positives:
        if GRADE_RANK.get(m.grade or "", -1) == top:
            candidates.update(report.nearest_levels(m))
    return _best_described(report, candidates)


def _best_described(report: Report, candidates: set[str]) -> str | None:
    """Of several levels, the one the report describes in most detail; ties go cranial."""
    if len(candidates) <= 1:
        return next(iter(candidates), None)
    detail, _ = _detail(report, candidates)
    top = max(detail.values(), default=0)
    best = [level for level in candidates if detail[level] == top]
    return min(best, key=RANK.__getitem__)


def _metastasis_level(report: Report) -> str | None:
    candidates = _metastasis_candidates(report)
    if len(candidates) <= 1:
        return next(iter(candidates), None)
    detail, collapsed = _detail(report, candidates)
    ranked = detail.most_common(2)
    if ranked and len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        # Equally described: the level with a collapse of more than half is the worse one.
        top = [level for level, count in detail.items() if count == ranked[0][1]]
        worst = [level for level in top if level in collapsed]
        return worst[0] if len(worst) == 1 else None
    if not ranked:
        return None
    return ranked[0][0]


def _shared_location(levels: set[str]) -> str | None:
    """The SINS location all the levels share: the index level's, or that of bone-only disease
    whose worst level the report does not single out when every level it names lies in the
    same segment ("lytic metastases in T6 and T9": semi-rigid either way, Fisher 2010)."""
    locations = {LOCATION_OF_LEVEL.get(level) for level in levels}
    return locations.pop() if len(locations) == 1 else None


def _metastasis_candidates(report: Report) -> set[str]:
    candidates: set[str] = set()
    for ms in report.mentions:
        for m in ms:
            if m.rule.role == "metastasis" and m.assertion.current:
                candidates.update(n for _, names in report.levels[m.sentence] for n in names)
    if not candidates:  # "T11: the treated lesion ... ESCC 0": the level the SINS words are about
        for i, hits in enumerate(report.sins):
            if report.readable[i] and any(h[2].role in _DETAIL_ROLES for h in hits):
                candidates.update(n for _, names in report.levels[i] for n in names)
                candidates.update(report.context_levels[i])
    return candidates


def extract_sins(report: Report, index: str | None, log: EvidenceLog) -> SinsImaging:
    """Read the five imaging components, preferring an explicit SINS statement."""
    stated = _stated(report)
    cues = _cues(report, index)
    located = {index} if index else _metastasis_candidates(report)
    values: dict[str, str | None] = {
        "location": stated.get("location") or _shared_location(located),
        "lesion": stated.get("lesion") or _lesion(cues.get("lesion", [])),
        "alignment": stated.get("alignment") or _ranked(cues.get("alignment", []), _ALIGNMENT_RANK),
        "collapse": stated.get("collapse") or _collapse(cues),
        "posterolateral": stated.get("posterolateral")
        or _ranked(cues.get("posterolateral", []), _POSTEROLATERAL_RANK),
    }
    if not stated.get("location") and values["location"] is not None:
        _cite_location(report, located, values["location"], log)
    for field, chosen in values.items():
        if chosen is None:
            continue
        # "none_gt50_involved" rests on two statements: no collapse, and the extent of the body
        # the tumour replaces; both are evidence.
        wanted = ("none", "gt50") if chosen == "none_gt50_involved" else (chosen,)
        for value, kind in zip(wanted, (field, "involvement"), strict=False):
            pool = cues.get(kind, []) + cues.get("collapse_pct", []) * (kind == "collapse")
            for cue in pool:
                if cue[4] == value or (kind == "collapse" and cue[3] == "collapse_pct"):
                    log.add_span(f"sins_imaging.{field}", cue[0], cue[1], cue[2], f"sins.{cue[5]}")
                    break
    fields: dict[str, Any] = dict(values)
    return SinsImaging.model_construct(**fields)


def _cite_location(report: Report, wanted: set[str], location: str, log: EvidenceLog) -> None:
    """Evidence for a location read off the level: where the report names that level (or,
    for a shared segment, the first level of it), with the SINS table row that maps it."""
    for i, levels in enumerate(report.levels):
        if not report.readable[i]:
            continue
        for pos, names in levels:
            named = wanted.intersection(names)
            if named:
                end = pos
                while end < len(report.data) and report.data[end] not in b" ,.;:)\n":
                    end += 1
                level = min(named, key=RANK.__getitem__)
                log.add_span("sins_imaging.location", i, pos, end, f"sins.level {level}={location}")
                return


def _stated(report: Report) -> dict[str, str]:
    """Components written out in a SINS statement ("SINS imaging (T7): semi-rigid; lytic; ...")."""
    out: dict[str, str] = {}
    for i, hits in enumerate(report.sins):
        if not report.readable[i] or not any(h[2].role == "sins" for h in hits):
            continue
        s = report.sentences[i]
        text = report.data[s.start : s.end]
        parts = [p.strip(b" .") for p in text.replace(b",", b";").split(b";")]
        involved = False
        for start, end, rule in hits:
            role, value = rule.role, rule.value
            if role in ("location", "lesion", "alignment", "posterolateral") and value:
                out.setdefault(role, value)
            elif role == "collapse" and value:
                out.setdefault("collapse", value)
            elif role == "involvement" and value == "gt50":
                involved = True
            elif role == "collapse_pct":
                out.setdefault(
                    "collapse", "gt50" if _percent(report.data[start:end]) >= 50 else "lt50"
                )
        if out.get("collapse") == "none" and involved:
            out["collapse"] = "none_gt50_involved"
        if b"normal" in parts and "alignment" not in out:
            out["alignment"] = "normal"
        if parts and parts[-1] in (b"none", b"none posterolateral", b"posterolateral none"):
            out.setdefault("posterolateral", "none")
    return out


def _cues(report: Report, index: str | None) -> dict[str, list[Cue]]:
    at_index: dict[str, list[Cue]] = {}
    unlevelled: dict[str, list[Cue]] = {}
    anywhere: dict[str, list[Cue]] = {}
    for i, hits in enumerate(report.sins):
        if not report.readable[i] or not hits:
            continue
        scope = report.scopes[i]
        own = [n for _, names in report.levels[i] for n in names]
        for start, end, rule in hits:
            if rule.role not in _DETAIL_ROLES:
                continue
            a = scope.assess(start, end, negatable=rule.negatable)
            if a.negated or a.hypothetical:
                continue
            if rule.name.startswith("collapse_paren") and not report.has(i, _COLLAPSE_WORDS):
                continue
            levels = own
            if len(set(own)) > 1 and rule.role in _ADJACENT_ROLES:
                levels = _adjacent_level(report, i, start, end) or own
            if not levels and i > 0 and report.sentences[i - 1].line == report.sentences[i].line:
                inherited = report.context_levels[i - 1]
                levels = list(inherited) if len(set(inherited)) == 1 else []
            value = rule.value
            if rule.role == "collapse_pct":
                value = "gt50" if _height_lost(report.data[start:end], rule) >= 50 else "lt50"
            cue: Cue = (i, start, end, rule.role, value, rule.name)
            key = rule.role
            if key == "involvement_pct":
                key, cue = (
                    "involvement",
                    (
                        i,
                        start,
                        end,
                        "involvement",
                        "gt50" if _percent(report.data[start:end]) > 50 else "lt50",
                        rule.name,
                    ),
                )
            anywhere.setdefault(key, []).append(cue)
            if index is not None and index in levels:
                at_index.setdefault(key, []).append(cue)
            elif not levels:
                unlevelled.setdefault(key, []).append(cue)
    chosen: dict[str, list[Cue]] = {}
    for key in ("lesion", "alignment", "collapse", "collapse_pct", "involvement", "posterolateral"):
        chosen[key] = (
            at_index.get(key)
            or unlevelled.get(key)
            or (
                anywhere.get(key, [])
                if (index is None or key == "alignment") and key != "involvement"
                else []
            )
        )
    if chosen.get("collapse_pct") and at_index.get("collapse") and not at_index.get("collapse_pct"):
        chosen["collapse_pct"] = []
    return chosen


def _detail(report: Report, candidates: set[str]) -> tuple[Counter[str], set[str]]:
    """How many SINS words each candidate level has, and which have collapsed by over half."""
    detail: Counter[str] = Counter()
    collapsed: set[str] = set()
    for i, hits in enumerate(report.sins):
        if not report.readable[i]:
            continue
        own = {n for _, names in report.levels[i] for n in names}
        if len(own) == 1 and own <= candidates:
            level = next(iter(own))
            for h in hits:
                if h[2].role in _DETAIL_ROLES:
                    detail[level] += 1
                    collapsed.update((level,) * _over_half(report, h))
        elif len(own) > 1:  # "T11 lytic metastasis with epidural tumour T10 to T12"
            for h in hits:
                if h[2].role in _ADJACENT_ROLES:
                    beside = _adjacent_level(report, i, h[0], h[1])
                    if len(beside) == 1 and beside[0] in candidates:
                        detail[beside[0]] += 1
                        collapsed.update(beside * _over_half(report, h))
    return detail, collapsed


def _over_half(report: Report, hit: tuple[int, int, Rule]) -> bool:
    rule = hit[2]
    if rule.role == "collapse_pct":
        return _height_lost(report.data[hit[0] : hit[1]], rule) >= 50
    return rule.role == "collapse" and rule.value == "gt50"


def _adjacent_level(report: Report, i: int, start: int, end: int) -> list[str]:
    """The level a cue is written beside: just after it ("lytic T10"), else just before it
    ("T12 (>50%) and L3 (<50%)", "C3 lytic lesion")."""
    levels = report.levels[i]
    after = [k for k, (pos, _) in enumerate(levels) if end < pos <= end + 2]
    if after:
        # "lytic T7 + T8 deposits": the word covers a list of levels that follows it
        k = after[0]
        out = list(levels[k][1])
        while k + 1 < len(levels) and _LEVEL_LIST.fullmatch(
            report.data[levels[k][0] : levels[k + 1][0]]
        ):
            k += 1
            out.extend(levels[k][1])
        return out
    before = [names for pos, names in levels if start - 8 <= pos < start]
    return list(before[-1]) if before else []


def _height_lost(text: bytes, rule: Rule) -> int:
    """Per cent of the body's height lost; "reduced to 40% of its height" has lost 60%."""
    stated = _percent(text)
    return 100 - stated if rule.name == "height_remaining" else stated


def _percent(text: bytes) -> int:
    """The figure written against the per cent sign ("loss of height of T7 (approx 60%)" is 60,
    not the 7 of the level); the first figure when no sign is written."""
    sign = min((i for i in (text.find(b"%"), text.find(b"per")) if i > 0), default=len(text))
    head = text[:sign].rstrip()
    end = len(head)
    while end > 0 and 48 <= head[end - 1] <= 57:
        end -= 1
    if end < len(head):
        return int(head[end:])
    digits = bytearray()
    for byte in text:
        if 48 <= byte <= 57:
            digits.append(byte)
        elif digits:
            break
    return int(digits) if digits else 0


def _lesion(cues: list[Cue]) -> str | None:
    if not cues:
        return None
    values = [c[4] for c in cues]
    if "mixed" in values:
        return "mixed"
    by_sentence: dict[int, set[str | None]] = {}
    for c in cues:
        by_sentence.setdefault(c[0], set()).add(c[4])
    if any({"lytic", "blastic"} <= found for found in by_sentence.values()):
        return "mixed"
    return Counter(values).most_common(1)[0][0]


def _ranked(cues: list[Cue], rank: dict[str, int]) -> str | None:
    values = [c[4] for c in cues if c[4] in rank]
    return max(values, key=rank.__getitem__) if values else None


def _collapse(cues: dict[str, list[Cue]]) -> str | None:
    percents = [c for c in cues.get("collapse_pct", [])]
    collapse = cues.get("collapse", [])
    if percents:
        return None if not percents else _from_percent(percents)
    values = {c[4] for c in collapse}
    if "gt50" in values:
        return "gt50"
    if "lt50" in values:
        return "lt50"
    if "none" in values:
        involved = any(c[4] == "gt50" for c in cues.get("involvement", []))
        return "none_gt50_involved" if involved else "none"
    return None


def _from_percent(cues: list[Cue]) -> str | None:
    return "gt50" if any(c[4] == "gt50" for c in cues) else "lt50"
