"""One-tap acknowledgement links: signed, expiring, good for one alert only (pure).

A token is ``base64url(alert_id "\\n" receiver "\\n" expires_unix) "." base64url(hmac)``, with
HMAC-SHA256 under the deployment's link secret. It names the alert and who it was sent to, so a
link forwarded to a colleague acknowledges only that alert, as the person it was sent to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class AckLinkError(ValueError):
    """The link is malformed, forged, or expired (the message says which, nothing more)."""


@dataclass(frozen=True)
class AckClaim:
    """What a valid link lets its holder do: acknowledge ``alert_id`` as ``receiver``."""

    alert_id: str
    receiver: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, b"cordwatch-ack/1\n" + body, hashlib.sha256).digest()


def sign(*, secret: bytes, alert_id: str, receiver: str, now: datetime, valid: timedelta) -> str:
    """A token for ``alert_id`` sent to ``receiver``, valid for ``valid`` from ``now``."""
    if "\n" in alert_id or "\n" in receiver:
        raise AckLinkError("ids must not contain newlines")
    expires = int((now + valid).timestamp())
    body = f"{alert_id}\n{receiver}\n{expires}".encode()
    return f"{_b64(body)}.{_b64(_mac(secret, body))}"


def verify(*, secret: bytes, token: str, now: datetime) -> AckClaim:
    """The claim a token carries; AckLinkError when malformed, forged or expired."""
    try:
        body_text, mac_text = token.split(".")
        body, mac = _unb64(body_text), _unb64(mac_text)
    except (ValueError, TypeError):
        raise AckLinkError("malformed link") from None
    # Constant-time comparison: a timing side channel would let a forger guess the MAC bytewise.
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise AckLinkError("link signature does not match")
    try:
        alert_id, receiver, expires_text = body.decode("utf-8").split("\n")
        expires = datetime.fromtimestamp(int(expires_text), tz=UTC)
    except (ValueError, UnicodeDecodeError):
        raise AckLinkError("malformed link") from None
    if now >= expires:
        raise AckLinkError("link expired")
    return AckClaim(alert_id=alert_id, receiver=receiver, expires_at=expires)
