"""Roles and what each may do: one table, so a policy change is one line and one test.

Least privilege: an auditor reads aggregates and never a patient id; an admin reads the access
log and the aggregates, not patients' records; coordinators and clinicians see episodes and act.
``service`` is the machines' credential (the shared CORDWATCH_API_TOKEN): it keeps what the
token could do before named users existed (read the API, submit FHIR, acknowledge), so the
interface engine and scripts go on working.
"""

from __future__ import annotations

from enum import StrEnum


class UserRole(StrEnum):
    """A user's role, as written in the users file (``service`` is never in the file)."""

    COORDINATOR = "coordinator"
    CLINICIAN = "clinician"
    AUDITOR = "auditor"
    ADMIN = "admin"
    SERVICE = "service"
    # Someone the rota paged, acting through the page's signed one-tap link or PagerDuty (named
    # by the routing file's key or PagerDuty's agent): recorded in the access log, no API rights.
    ON_CALL = "on_call"


PERSON_ROLES = frozenset(
    {UserRole.COORDINATOR, UserRole.CLINICIAN, UserRole.AUDITOR, UserRole.ADMIN}
)  # the roles a users file may give


class Permission(StrEnum):
    """One thing a route needs; every route names exactly one."""

    VIEW_AGGREGATES = "view_aggregates"  # /api/audit: counts, medians, rates
    VIEW_EPISODES = "view_episodes"  # /api/episodes: a page of episodes (no patient ids)
    VIEW_PATIENT = "view_patient"  # episode detail, the worklist, exports: PHI
    ACT = "act"  # acknowledge, silence, record care done elsewhere
    REVIEW = "review"  # confirm or dismiss a review_needed report; feedback on alerts
    SUBMIT_EVENTS = "submit_events"  # the FHIR endpoint (interface engines)
    READ_ACCESS_LOG = "read_access_log"  # who saw what


_CLINICAL = frozenset(
    {
        Permission.VIEW_AGGREGATES,
        Permission.VIEW_EPISODES,
        Permission.VIEW_PATIENT,
        Permission.ACT,
        Permission.REVIEW,
    }
)

GRANTS: dict[UserRole, frozenset[Permission]] = {
    UserRole.COORDINATOR: _CLINICAL,
    UserRole.CLINICIAN: _CLINICAL,
    UserRole.AUDITOR: frozenset({Permission.VIEW_AGGREGATES}),
    UserRole.ADMIN: frozenset({Permission.VIEW_AGGREGATES, Permission.READ_ACCESS_LOG}),
    UserRole.SERVICE: frozenset(
        {
            Permission.VIEW_AGGREGATES,
            Permission.VIEW_EPISODES,
            Permission.VIEW_PATIENT,
            Permission.ACT,
            Permission.SUBMIT_EVENTS,
        }
    ),
    UserRole.ON_CALL: frozenset(),
}


def allows(role: UserRole, permission: Permission) -> bool:
    """True when ``role`` holds ``permission``."""
    return permission in GRANTS[role]
