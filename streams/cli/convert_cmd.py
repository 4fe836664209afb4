"""`cordwatch convert`: HL7 v2 or FHIR R4 in, canonical events (or refusals) out as JSON lines.

The integration engineer's first tool: feed it what the hospital's interface engine sends (a file
of HL7 messages, plain, blank-line separated or MLLP-framed; a FHIR resource, Bundle or NDJSON)
and see the events Cordwatch would take from it, with ``--explain`` naming each value's source
field. Refusals name fields, never values. Exit status 1 when anything was refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.cli import SettingsSource

ORDER = 25


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `convert` subcommand."""
    parser = subparsers.add_parser(
        "convert",
        help="map HL7 v2 or FHIR R4 to canonical events (JSON lines), as the gateway would",
        description="Reads FILE (or standard input) and prints one JSON line per event or refusal.",
    )
    parser.add_argument("file", nargs="?", default="-", help="input file; - or none: stdin")
    parser.add_argument("--format", choices=("auto", "hl7", "fhir"), default="auto")
    parser.add_argument("--explain", action="store_true", help="name each value's source field")
    parser.add_argument("--timezone", help="site time zone (default CORDWATCH_SITE_TIMEZONE)")
    parser.add_argument("--assigning-authority", help="PID-3 CX.4 of the MRN ('' = type MR)")
    parser.add_argument("--patient-system", help="FHIR identifier system of the MRN")
    parser.add_argument("--facility", help="site code for messages that name none")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, read_settings: SettingsSource) -> int:
    """Convert the input and print JSON lines; 1 if any message was refused, 2 if unreadable."""
    from services.gateway.convert import convert
    from services.gateway.profile import SiteProfile

    settings = read_settings()
    try:
        profile = SiteProfile.from_settings(
            timezone=args.timezone or settings.site_timezone,
            assigning_authority=settings.hl7_assigning_authority
            if args.assigning_authority is None
            else args.assigning_authority,
            patient_system=args.patient_system or settings.fhir_patient_system,
            facility=settings.gateway_facility if args.facility is None else args.facility,
        )
    except (ValueError, KeyError):
        print("cordwatch convert: --timezone is not an IANA time zone", file=sys.stderr)
        return 2
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        print(f"cordwatch convert: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    refused = 0
    try:
        for item in convert(data, profile=profile, form=args.format):
            line = item.as_dict(explain=args.explain)
            refused += "refused" in line
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has all it wanted
        sys.stderr.close()
        return 0
    return 1 if refused else 0
