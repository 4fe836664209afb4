"""What the FHIR endpoint answers for a posted resource or Bundle (pure): status and outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.gateway.fhir_map import map_fhir
from services.gateway.profile import SiteProfile
from services.gateway.result import Mapped, Refusal, Refused

# Refusals of the whole document: nothing in it is FHIR we could store.
_UNREADABLE = frozenset({Refused.EMPTY, Refused.NOT_JSON, Refused.NOT_FHIR, Refused.OVERSIZED})


@dataclass(frozen=True, slots=True)
class Verdict:
    """The HTTP status, the OperationOutcome, and whether the document goes to fhir.inbound."""

    status: int
    outcome: dict[str, Any]
    store: bool


def outcome(issues: list[dict[str, Any]]) -> dict[str, Any]:
    """An OperationOutcome resource with these issues."""
    return {"resourceType": "OperationOutcome", "issue": issues}


def issue(severity: str, code: str, diagnostics: str, where: str = "") -> dict[str, Any]:
    """One OperationOutcome.issue; diagnostics name fields, never values."""
    found: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if where:
        found["expression"] = [where]
    return found


def judge(body: bytes, *, resource_type: str | None, profile: SiteProfile) -> Verdict:
    """Map the posted document: 201/200 when it gives events, 4xx naming the problem otherwise.

    ``resource_type`` is the path's type (POST /fhir/{type}); None for POST /fhir, which takes a
    Bundle. A Bundle with some refused entries is stored (those entries become dead letters) and
    answered 200 with a warning per refused entry; a document that gives no event is not stored.
    """
    results = map_fhir(body, profile=profile)
    if len(results) == 1 and isinstance(results[0], Refusal) and results[0].reason in _UNREADABLE:
        refusal = results[0]
        return Verdict(400, outcome([issue("error", "structure", refusal.detail)]), False)
    kind = _resource_type(body)
    wanted = resource_type or "Bundle"
    if kind != wanted:
        detail = f"resourceType is not {wanted} (POST /fhir takes a Bundle)"
        return Verdict(400, outcome([issue("error", "structure", detail)]), False)
    mapped = [r for r in results if isinstance(r, Mapped)]
    refused = [r for r in results if isinstance(r, Refusal)]
    problems = [
        issue(
            "warning" if mapped else "error", "processing", f"{r.reason.value}: {r.detail}", r.where
        )
        for r in refused
    ]
    if not mapped:
        if not problems:
            problems = [issue("error", "not-supported", "the document gives no event")]
        return Verdict(422, outcome(problems), False)
    accepted = issue("information", "informational", f"accepted: {len(mapped)} event(s)")
    status = 200 if wanted == "Bundle" else 201
    return Verdict(status, outcome([accepted, *problems]), True)


def _resource_type(body: bytes) -> str:
    import json

    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return ""
    return str(document.get("resourceType", "")) if isinstance(document, dict) else ""
