"""`cordwatch detect`: radiology reports in, MESCC detections with evidence out.

Batch mode reads JSON lines {"id", "text", "modality", "exam"} and writes one JSON line per
input line (the shape ../shared/tools/eval-detector reads). A bad line yields an error line on
standard error and an {"id", "error"} line on standard output, and the run goes on. Messages
never quote report text: reports are patient data.
``--text`` or ``--file`` explains one report, with the evidence highlighted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 20
_MAX_TEXT_CHARS = 200_000  # DESIGN.md section 2: a report is at most 200 000 characters
_FIELDS = (
    "suspected_mescc",
    "escc_grade",
    "high_grade",
    "levels",
    "sins_imaging",
    "cord_signal",
    "excludes_mescc",
    "review_needed",
    "retropulsion",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `detect` subcommand."""
    parser = subparsers.add_parser(
        "detect",
        help="find suspected MESCC, ESCC grade, levels and SINS imaging in radiology reports",
        description="Without --text/--file: JSON lines on stdin, one JSON detection per line.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--text", help="explain one report given as text")
    source.add_argument("--file", help="explain one report read from a text file")
    parser.add_argument("--modality", help="MR, CT, PET-CT, XR or NM (with --text/--file)")
    parser.add_argument("--exam", help="exam description (with --text/--file)")
    parser.add_argument("--json", action="store_true", help="with --text/--file: print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Detect in one report (explained) or in every JSON line of standard input."""
    if args.text is not None or args.file is not None:
        return _explain_one(args)
    _write(detect_lines(sys.stdin, errors=sys.stderr), sys.stdout)
    return 0


def detect_lines(lines: Iterable[str], *, errors: TextIO) -> Iterator[dict[str, Any]]:
    """One output object per non-blank input line; never raises for a bad line."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            out = detect_line(line)
            if "error" in out:
                errors.write(f"cordwatch detect: line {number}: {out['error']}\n")
            yield out


def detect_line(line: str) -> dict[str, Any]:
    """Detect in one JSON line, or describe why it cannot be read."""
    from services.detection import detect

    try:
        raw = json.loads(line)
    except ValueError:
        return {"id": None, "error": "line is not valid JSON"}
    if not isinstance(raw, dict):
        return {"id": None, "error": "line is not a JSON object"}
    record_id = raw.get("id")
    if record_id is not None and not isinstance(record_id, str | int):
        return {"id": None, "error": "id must be a string"}
    text, modality, exam = raw.get("text"), raw.get("modality"), raw.get("exam")
    if not isinstance(text, str):
        return {"id": record_id, "error": "text must be a string"}
    if len(text) > _MAX_TEXT_CHARS:
        return {"id": record_id, "error": f"text is longer than {_MAX_TEXT_CHARS} characters"}
    if not all(v is None or isinstance(v, str) for v in (modality, exam)):
        return {"id": record_id, "error": "modality and exam must be strings or null"}
    try:
        result = detect(text, modality=modality, exam=exam)
    except Exception as exc:  # a detector bug must cost one line, not the batch
        return {"id": record_id, "error": f"detector failed ({type(exc).__name__})"}
    return {"id": record_id, **result.model_dump(mode="json")}


def _write(rows: Iterable[dict[str, Any]], out: TextIO) -> None:
    for row in rows:
        out.write(json.dumps(row, separators=(",", ":")) + "\n")
    out.flush()


def _explain_one(args: argparse.Namespace) -> int:
    from services.detection import detect

    if args.file is not None:
        try:
            with open(args.file, encoding="utf-8", errors="replace") as handle:
                text = handle.read(_MAX_TEXT_CHARS + 1)
        except OSError as exc:
            sys.stderr.write(f"cordwatch detect: cannot read {args.file}: {exc.strerror}\n")
            return 2
    else:
        text = args.text
    if len(text) > _MAX_TEXT_CHARS:
        sys.stderr.write(f"cordwatch detect: text is longer than {_MAX_TEXT_CHARS} characters\n")
        return 2
    result = detect(text, modality=args.modality, exam=args.exam)
    if args.json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(explain(text, result.model_dump(mode="json"), colour=sys.stdout.isatty()))
    return 0


# One colour per field so the reader sees which words decided what.
_COLOURS = {
    "suspected_mescc": "1;31",
    "excludes_mescc": "1;32",
    "review_needed": "1;33",
    "escc_grade": "1;35",
    "levels": "1;34",
    "cord_signal": "1;33",
    "retropulsion": "1;36",
}


def explain(text: str, result: dict[str, Any], *, colour: bool) -> str:
    """A readable account of a detection: the verdict, the report with evidence marked, why."""
    lines = ["Cordwatch detection", "==================="]
    for field in _FIELDS:
        value = result.get(field)
        if field == "sins_imaging" and isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items() if v is not None) or "-"
        lines.append(f"{field:>16}: {value}")
    evidence = result.get("evidence") or []
    spans: dict[tuple[int, int], str] = {}
    for item in evidence:
        spans.setdefault((item["start"], item["end"]), item["field"])
    lines += [
        "",
        "Report (evidence marked):",
        _highlight(text, spans, colour=colour),
        "",
        "Evidence:",
    ]
    for item in evidence:
        words = text[item["start"] : item["end"]]
        section = item.get("section") or "-"
        lines.append(
            f"  {item['field']:<26} {_mark(words, item['field'], colour)}"
            f"  <{item['rule']}>  [{section}]"
        )
    if not evidence:
        lines.append("  (none: no rule fired in a findings, impression or addendum section)")
    return "\n".join(lines) + "\n"


def _mark(words: str, field: str, colour: bool) -> str:
    if colour:
        code = _COLOURS.get(field.split(".")[0], "1;37")
        return f"\x1b[{code}m{words}\x1b[0m"
    return f"[[{words}]]"


def _highlight(text: str, spans: dict[tuple[int, int], str], *, colour: bool) -> str:
    out: list[str] = []
    position = 0
    for (start, end), field in sorted(spans.items()):
        if start < position:  # overlapping evidence: the first span already marked these words
            continue
        out.append(text[position:start])
        out.append(_mark(text[start:end], field, colour))
        position = end
    out.append(text[position:])
    return "".join(out)
