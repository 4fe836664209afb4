"""The authenticated caller of one request, as every route and the access log see it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.identity.roles import Permission, UserRole, allows


class Via(StrEnum):
    """How the caller proved who they are (stored in the access log)."""

    SESSION = "session"  # the sign-in page's cookie
    TOKEN = "token"  # a user's own API bearer token
    SERVICE = "service"  # the shared machine credential, CORDWATCH_API_TOKEN
    LINK = "link"  # a page's signed one-tap acknowledgement link
    PAGERDUTY = "pagerduty"  # PagerDuty's signed acknowledgement webhook


@dataclass(frozen=True, slots=True)
class Principal:
    """A named user (or the service) and their role; ``display`` is what acknowledgements say."""

    name: str
    role: UserRole
    via: Via
    display: str

    def may(self, permission: Permission) -> bool:
        """True when this caller's role holds ``permission``."""
        return allows(self.role, permission)


SERVICE_NAME = "service"
