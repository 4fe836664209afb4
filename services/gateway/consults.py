"""Which consult service an order names, in the contract's words (DESIGN.md section 2)."""

from __future__ import annotations

import re

# Words that make an order a consult or referral, removed from the service name.
_CONSULT_WORDS = re.compile(
    r"\b(referral( to)?|refer(red)? to|ref to|consult(ation)?s?|request|review|opinion"
    r"|inpatient)\b",
    re.I,
)
_SPACES = re.compile(r"[\s_/-]+")
# Services the pathway knows (services/policy.yaml surgical_services and the oncology services of
# DESIGN.md section 2); an order naming one of them is a consult even without the word "consult".
KNOWN_SERVICES = frozenset(
    {
        "spine surgery",
        "neurosurgery",
        "orthopaedic spine",
        "orthopaedic spine surgery",
        "orthopedic spine surgery",
        "orthopedic spine",
        "radiation oncology",
        "clinical oncology",
        "medical oncology",
        "palliative care",
    }
)


def consult_service(text: str) -> str | None:
    """The service a consult order names, lower case; None when the order is not a consult."""
    said = _SPACES.sub(" ", text).strip()
    if not said:
        return None
    is_consult = _CONSULT_WORDS.search(said) is not None
    service = _SPACES.sub(" ", _CONSULT_WORDS.sub(" ", said)).strip(" :.,").lower()
    if not service:
        return None
    if is_consult or service in KNOWN_SERVICES:
        return service
    return None
