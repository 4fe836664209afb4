"""Linear-time phrase matching over normalised report bytes (google-re2, no backtracking).

A ``Layer`` compiles a table of rules into ONE leftmost-longest alternation, scans the report once
and names the rule behind each match. RE2 guarantees time linear in the input for any pattern,
so no report, however pathological, can make the detector stall (the issue's ReDoS requirement).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import re2

_UNANCHORED = re2._Anchor.UNANCHORED  # the wrapper's own enum; see spans() for why
_OPTIONS = re2.Options()
_OPTIONS.longest_match = True  # "cannot be excluded" beats "not"; "no change" beats "no"
# Room for the lazily built DFA of a large alternation: below ~16 MB the cache of the findings
# table thrashes and each report is scanned several times more slowly (still linear); 24 MB
# per layer keeps the whole process under the 100 MB even on adversarial text.
_OPTIONS.max_mem = 24 << 20
_PLAIN = re2.Options()
_CACHE_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of a rule table: a named phrase pattern, its role and an optional value."""

    name: str
    pattern: str
    role: str
    value: str | None = None
    negatable: bool = True


def compile_bytes(pattern: str, *, longest: bool = False) -> re2._Regexp:
    """Compile a pattern for normalised (lower-case ASCII) report bytes."""
    return re2.compile(pattern.encode("ascii"), _OPTIONS if longest else _PLAIN)


def spans(
    regex: re2._Regexp, data: bytes, pos: int = 0, end: int | None = None
) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of successive matches.

    Calls RE2::Match directly: the wrapper's ``finditer`` builds a Match object per hit, which
    costs more than the scan itself at thousands of reports per second.
    """
    stop = len(data) if end is None else end
    match = getattr(regex, "_regexp", None)
    if match is None:  # a future wrapper without the private handle: use the public API
        for m in regex.finditer(data, pos, stop):
            yield m.start(), m.end()
        return
    run = match.Match
    while pos <= stop:
        found = run(_UNANCHORED, data, pos, stop)[0]
        begin, finish = found
        if begin < 0:
            return
        yield begin, finish
        pos = finish if finish > pos else pos + 1


def _top_level_alternatives(pattern: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    in_class = escaped = False
    current: list[str] = []
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _bound_one(pattern: str) -> str:
    first = pattern[3:5] if pattern.startswith("(?:") else pattern[:2]
    if first[:1] == "[":
        first = first[1:]
    head = r"\b" if first[:1].isalnum() else ""
    last = pattern
    while last and last[-1] in ")?*+}":  # look past closing groups and quantifiers
        last = last[: last.rfind("{")] if last[-1] == "}" else last[:-1]
    tail = (
        r"\b"
        if (last[-1:].isalnum() or last.endswith("]"))
        and not last.endswith(("\\)", "\\(", "\\]", "\\.", "\\?"))
        else ""
    )
    out: list[str] = []
    in_class = escaped = False
    skip = False
    for i, char in enumerate(pattern):
        if skip:
            skip = False
            continue
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == " " and not in_class:
            following = pattern[i + 1 : i + 2]
            if following in ("?", "*"):
                out.append(" *")
                skip = True
            elif following == "+":
                out.append(" +")
                skip = True
            else:
                out.append(" +")
            continue
        out.append(char)
    return f"{head}{''.join(out)}{tail}"


def bounded(pattern: str) -> str:
    """Give each top-level alternative word boundaries where it starts or ends with a word
    character, and let a space (outside a character class) match any run of spaces."""
    return "(?:" + "|".join(_bound_one(alt) for alt in _top_level_alternatives(pattern)) + ")"


class Layer:
    """A table of rules compiled into one scan; each hit is attributed to its first rule."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        body = "|".join(bounded(rule.pattern) for rule in self.rules)
        self._scan = compile_bytes(body, longest=True)
        self._each = [compile_bytes(bounded(rule.pattern)) for rule in self.rules]
        self._by_rule = dict(zip(self.rules, self._each, strict=True))
        self._known: dict[bytes, Rule] = {}

    def matches_whole(self, rule: Rule, text: bytes) -> bool:
        """Whether ``rule`` (one of this table's) alone matches all of ``text``."""
        regex = self._by_rule.get(rule)
        return regex is not None and regex.fullmatch(text) is not None

    def find(
        self, data: bytes, ranges: Sequence[tuple[int, int]] | None = None
    ) -> list[tuple[int, int, Rule]]:
        """Every non-overlapping leftmost-longest hit as (start, end, rule), optionally only
        inside the given (start, end) ranges."""
        todo = ranges if ranges is not None else ((0, len(data)),)
        handle = getattr(self._scan, "_regexp", None)
        if handle is None:  # a future wrapper without the private handle: use the public API
            pairs = [pair for start, stop in todo for pair in spans(self._scan, data, start, stop)]
            return [(start, end, self._rule(data[start:end])) for start, end in pairs]
        # One loop over RE2::Match per range: the per-hit cost is what bounds throughput.
        found: list[tuple[int, int, Rule]] = []
        append = found.append
        run = handle.Match
        known = self._known
        for pos, stop in todo:
            while pos <= stop:
                begin, finish = run(_UNANCHORED, data, pos, stop)[0]
                if begin < 0:
                    break
                text = data[begin:finish]
                rule = known.get(text)
                append((begin, finish, rule if rule is not None else self._rule(text)))
                pos = finish if finish > pos else pos + 1
        return found

    def _rule(self, text: bytes) -> Rule:
        """The rule behind a matched text, remembered (the vocabulary of hits is small)."""
        rule = self._known.get(text)
        if rule is None:
            rule = self._classify(text)
            if len(self._known) >= _CACHE_LIMIT:
                self._known.clear()
            self._known[text] = rule
        return rule

    def _classify(self, text: bytes) -> Rule:
        for rule, regex in zip(self.rules, self._each, strict=True):
            if regex.fullmatch(text) is not None:
                return rule
        # The alternation matched, so some branch matches; only a boundary quirk lands here.
        for rule, regex in zip(self.rules, self._each, strict=True):
            if regex.search(text) is not None:
                return rule
        return self.rules[0]
