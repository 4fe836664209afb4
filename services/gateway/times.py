"""HL7 v2 TS/DTM and FHIR date/dateTime values as aware datetimes, local times in the site zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from services.gateway.result import RefusalError, Refused

# HL7 v2.5 DTM: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ] (v2.5 section 2.A.22).
_HL7_TS = re.compile(
    r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$"
)


def hl7_time(value: str, *, zone: ZoneInfo, where: str) -> datetime:
    """An HL7 TS/DTM as an aware datetime; no offset means the site's local time."""
    match = _HL7_TS.match(value.strip())
    if match is None:
        raise RefusalError(Refused.BAD_TIMESTAMP, f"{where}: not an HL7 timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        naive = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")[:6]),
        )
        if offset is None:
            return naive.replace(tzinfo=zone)
        sign = -1 if offset[0] == "-" else 1
        hours, minutes = int(offset[1:3]), int(offset[3:5])
        if hours > 14 or minutes > 59:
            raise ValueError("offset out of range")
        delta = sign * timedelta(hours=hours, minutes=minutes)
        return naive.replace(tzinfo=UTC if not delta else timezone(delta))
    except (ValueError, OverflowError):
        raise RefusalError(Refused.BAD_TIMESTAMP, f"{where}: not a valid date or time") from None


def fhir_time(value: object, *, zone: ZoneInfo, where: str) -> datetime:
    """A FHIR date/dateTime/instant (as the models parse it) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=zone)
    if isinstance(value, str):
        # A partial date ("2026" or "2026-01") parses as a string: its first moment, local.
        parts = value.split("-")
        try:
            return datetime(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, 1, tzinfo=zone)
        except (ValueError, IndexError):
            pass
    raise RefusalError(Refused.BAD_TIMESTAMP, f"{where}: not a FHIR date or time")


def hl7_format(moment: datetime) -> str:
    """An aware datetime as an HL7 DTM to the second, with its own offset."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return moment.strftime("%Y%m%d%H%M%S") + f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
