"""`cordwatch score`: JSON lines of score inputs in, one JSON line of scores and advice out each.

A bad line (not JSON, not an object, a value out of range) yields an error object for that
line's id and the run goes on: one malformed record must not stop a batch. Unknown fields are
ignored and named in "warnings", so a misspelt field visibly leaves its factor unknown.
Error messages name fields, never values, because inputs may carry patient data.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 25


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `score` subcommand."""
    parser = subparsers.add_parser(
        "score",
        help="compute SINS, ESCC, Rades, Tokuhashi, radiosensitivity and NOMS advice per line",
    )
    parser.add_argument(
        "input", nargs="?", default="-", help="JSON lines file (default: standard input)"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help='add "explain": the table rows (factor, value, points, source) behind each result',
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Score every line of the input and write one JSON line per input line."""
    if args.input == "-":
        _write(score_lines(sys.stdin, explain=args.explain), sys.stdout)
        return 0
    with open(args.input, encoding="utf-8") as handle:
        _write(score_lines(handle, explain=args.explain), sys.stdout)
    return 0


def score_lines(lines: Iterable[str], *, explain: bool = False) -> Iterator[dict[str, Any]]:
    """One output object per non-blank input line; never raises for a bad line."""
    for line in lines:
        if line.strip():
            yield score_line(line, explain=explain)


def score_line(line: str, *, explain: bool = False) -> dict[str, Any]:
    """Score one JSON line, or describe why it cannot be scored."""
    from pydantic import ValidationError

    from models.scoring import ScoreInput
    from services.scoring import score

    try:
        raw = json.loads(line)
    except ValueError:
        return {"id": None, "error": "line is not valid JSON"}
    if not isinstance(raw, dict):
        return {"id": None, "error": "line is not a JSON object"}
    record_id = raw.get("id")
    known = set(ScoreInput.model_fields)
    unknown = sorted(k for k in raw if k not in known)
    fields = {k: v for k, v in raw.items() if k in known}
    if isinstance(record_id, int | float) and not isinstance(record_id, bool):
        fields["id"] = str(record_id)
    try:
        inputs = ScoreInput.model_validate(fields)
    except ValidationError as exc:
        problems = sorted(
            {".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in exc.errors()}
        )
        return {"id": record_id, "error": "invalid input: " + "; ".join(problems)}
    result = score(inputs)
    out: dict[str, Any] = result.model_dump(mode="json", exclude={"explanation"})
    out["id"] = record_id
    if unknown:
        out["warnings"] = [f"ignored unknown field: {k}" for k in unknown]
    if explain:
        out["explain"] = [row.model_dump(mode="json") for row in result.explanation]
    return out


def _write(objects: Iterable[dict[str, Any]], out: TextIO) -> None:
    for obj in objects:
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        out.flush()  # keep a pipe moving line by line
