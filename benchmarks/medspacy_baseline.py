"""medspaCy baseline: its default ConText pipeline over the detector benchmark's texts.

    make bench-medspacy        # builds .venv-medspacy, runs this and benchmarks.detector together
    .venv-medspacy/bin/python benchmarks/medspacy_baseline.py [--reports N] [--rounds 3]

Issue 3 quotes medspaCy "as a new user would" at about 370 reports/s on an earlier machine; this
script re-runs it so the detector's speed is a ratio measured on the same machine in the same run
(``benchmarks.detector --medspacy-python .venv-medspacy/bin/python``). medspaCy pins spaCy 3.7, so
it runs in its own venv, never the project's; ``make bench`` skips this file for that reason.

What runs: ``medspacy.load()`` with its default components (PyRuSH sentence splitter, target
matcher, ConText with its default rules), plus the only thing the default lacks, target rules,
so ConText has something to assert about: the four finding phrases in ``TARGET_PHRASES``. Texts
are ``benchmarks.detector._texts``: the development corpus padded to 1-2 KB, one pass over it
unless --reports says otherwise (medspaCy is slow enough that 5 000 reports would take minutes).
``nlp.pipe`` over the texts, best of --rounds, wall and process-CPU reports/s.

It also prints what medspaCy's default ConText rules make of the two sentences issue 3 cites.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import version
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(_ROOT))  # benchmarks.detector imports only the standard library at the top

from benchmarks.detector import _DEFAULT_CORPUS, _best, _texts  # noqa: E402

# Minimal targets: medspacy.load() ships no target rules, and ConText only asserts about targets.
# Phrases of the MESCC finding vocabulary (issue 3, ../shared/corpus/README.md).
TARGET_PHRASES = ("epidural", "cord compression", "thecal sac", "metastasis")
# Issue 3: how medspaCy's default ConText rules should, and reportedly did not, read these.
NEGATED_SENTENCE = "No epidural extension or cord compression."
HEDGED_SENTENCE = "Cannot exclude early epidural extension."


def _pipeline():  # -> spacy.Language, importable only in medspaCy's venv
    import medspacy
    from loguru import logger
    from medspacy.ner import TargetRule

    # PyRuSH (the default sentence splitter) logs hundreds of DEBUG lines per report to stderr
    # through loguru; switched off here, which can only make medspaCy faster, not slower.
    logger.disable("PyRuSH")
    nlp = medspacy.load()
    nlp.get_pipe("medspacy_target_matcher").add(
        [TargetRule(phrase, "MESCC_FINDING") for phrase in TARGET_PHRASES]
    )
    return nlp


def _assertions(nlp, sentence: str) -> list[tuple[str, str]]:
    """Each target ConText found in the sentence, with what it asserts about it."""
    found = []
    for ent in nlp(sentence).ents:
        flags = [
            name
            for name in ("negated", "uncertain", "historical", "hypothetical", "family")
            if getattr(ent._, f"is_{name}")
        ]
        found.append((ent.text, "+".join(flags) or "affirmed"))
    return found


def _show(found: list[tuple[str, str]]) -> str:
    return "; ".join(f"{text}: {flags}" for text, flags in found) or "no target found"


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures as ``key: value`` lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=0, help="0: one pass over the corpus")
    parser.add_argument("--corpus", type=Path, default=_DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=3, help="best of N timed rounds")
    args = parser.parse_args(argv)
    if not args.corpus.is_file():
        sys.stderr.write(f"corpus not found: {args.corpus}\n")
        return 2
    count = args.reports or sum(1 for line in args.corpus.read_text("utf-8").splitlines() if line)
    texts = [text for text, _, _ in _texts(args.corpus, count, 1024)]

    nlp = _pipeline()
    for _ in nlp.pipe(texts[:10]):  # warm up
        pass
    entities = sum(len(doc.ents) for doc in nlp.pipe(texts))
    wall, cpu = _best(lambda: [None for _ in nlp.pipe(texts)], args.rounds)

    versions = ", ".join(f"{name} {version(name)}" for name in ("medspacy", "spacy", "PyRuSH"))
    print(f"medspacy_versions: {versions}")
    print(f"medspacy_pipeline: {', '.join(nlp.pipe_names)}")
    print(f"medspacy_target_rules: {', '.join(TARGET_PHRASES)}")
    mean_size = sum(map(len, texts)) / len(texts)
    print(f"reports: {len(texts)} (mean {mean_size:.0f} chars, {entities} targets found)")
    print(f"reports_per_second_wall: {len(texts) / wall:.1f}")
    print(f"reports_per_second_cpu: {len(texts) / cpu:.1f}")
    negated = _assertions(nlp, NEGATED_SENTENCE)
    hedged = _assertions(nlp, HEDGED_SENTENCE)
    right = bool(negated) and all(flags == "negated" for _, flags in negated)
    print(f"context_negates {NEGATED_SENTENCE!r}: {'yes' if right else 'NO'} ({_show(negated)})")
    right = bool(hedged) and all(flags == "uncertain" for _, flags in hedged)
    verdict = "yes" if right else "NO"
    print(f"context_uncertain_not_negated {HEDGED_SENTENCE!r}: {verdict} ({_show(hedged)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
