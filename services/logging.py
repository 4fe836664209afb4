"""structlog JSON logging in which patient ids appear only as keyed pseudonyms and PHI never.

Every log line, ours and the libraries' (Faust, aiokafka through the stdlib bridge), passes the
`PhiScrubber`: a `patient_id` becomes `patient_ref`, an HMAC-SHA256 pseudonym under a secret
key, so one patient's lines can be followed through a run without the identifier in clear; keys
that carry report text, names or raw message bytes are dropped. The scrubber works on keys, so
log calls must pass values as keyword arguments, never inside the event string.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import logging.config
import sys
from collections.abc import Mapping, MutableMapping
from typing import IO, Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from services.config import LogFormat, Settings

# Keys whose value is PHI or may carry it (DESIGN.md section 2 fields and the usual suspects).
# Dropped, not masked: a hash of free text is still a fingerprint of the report.
PHI_KEYS = frozenset(
    {
        "text",
        "report_text",
        "report",
        "name",
        "patient_name",
        "given_name",
        "family_name",
        "birth_date",
        "date_of_birth",
        "dob",
        "address",
        "phone",
        "mrn",
        "nhs_number",
        "chief_complaint",
        "sensory_level",
        "raw",
        "original",
        "payload",
        "body",
        "value",
        "sentence",
        "evidence",
    }
)
PSEUDONYM_KEYS = frozenset({"patient_id", "patient"})
_REF_CHARS = 16  # 64 bits: collision-free for any hospital's census, short enough to grep


def pseudonymise(patient_id: str, *, key: bytes) -> str:
    """A stable, non-reversible reference for one patient under one key."""
    digest = hmac.new(key, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"p_{digest[:_REF_CHARS]}"


class PhiScrubber:
    """structlog processor: pseudonymise patient ids, drop PHI keys, at any nesting depth."""

    def __init__(self, *, key: bytes) -> None:
        self._key = key

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        """Scrub one event dict in place and return it."""
        self._scrub(event_dict)
        return event_dict

    def _scrub(self, mapping: MutableMapping[str, Any]) -> None:
        for field in list(mapping):
            value = mapping[field]
            if field in PSEUDONYM_KEYS:
                del mapping[field]
                if value is not None:
                    mapping["patient_ref"] = pseudonymise(str(value), key=self._key)
            elif field in PHI_KEYS:
                del mapping[field]
            elif isinstance(value, Mapping):
                copy = dict(value)
                self._scrub(copy)
                mapping[field] = copy
            elif isinstance(value, list | tuple):
                mapping[field] = [self._scrubbed(item) for item in value]

    def _scrubbed(self, item: Any) -> Any:
        if isinstance(item, Mapping):
            copy = dict(item)
            self._scrub(copy)
            return copy
        if isinstance(item, list | tuple):
            return [self._scrubbed(inner) for inner in item]
        return item


def _shared_processors(settings: Settings) -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        PhiScrubber(key=settings.pseudonym_secret()),
    ]


def _renderer(settings: Settings) -> Processor:
    if settings.log_format is LogFormat.CONSOLE:
        return structlog.dev.ConsoleRenderer(colors=False)
    return structlog.processors.JSONRenderer(sort_keys=False)


def logging_config(settings: Settings, *, stream: IO[str] | None = None) -> dict[str, Any]:
    """A `logging.config.dictConfig` dict that renders stdlib records through structlog.

    Lines go to ``stream`` (a test's buffer), else to standard output.
    """
    formatter = {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": _shared_processors(settings),
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks stay: they name code, and agents never log exception messages.
            structlog.processors.format_exc_info,
            _renderer(settings),
        ],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structlog": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": stream if stream is not None else sys.stdout,
                "formatter": "structlog",
            }
        },
        "root": {"level": settings.log_level, "handlers": ["default"]},
        "loggers": {
            # At DEBUG, Faust and aiokafka log whole messages (key and value: patient ids, report
            # text), which the key-based scrubber cannot see inside a formatted string. Their
            # floor stays at INFO whatever the root level; aiokafka's INFO is retry chatter.
            "faust": {"level": _at_least(logging.INFO, settings.log_level)},
            "mode": {"level": _at_least(logging.INFO, settings.log_level)},
            "aiokafka": {"level": _at_least(logging.WARNING, settings.log_level)},
        },
    }


def _at_least(floor: int, name: str) -> str:
    return logging.getLevelName(max(floor, logging.getLevelNamesMapping()[name.upper()]))


def configure_structlog(settings: Settings) -> None:
    """Route structlog through the stdlib so one handler renders every line."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(settings),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def configure_logging(settings: Settings, *, stream: IO[str] | None = None) -> None:
    """Configure structlog and the stdlib root logger for this process (to ``stream``)."""
    configure_structlog(settings)
    logging.config.dictConfig(logging_config(settings, stream=stream))
