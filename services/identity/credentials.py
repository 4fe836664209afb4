"""Credential hashing: Argon2id for passwords, SHA-256 for random API tokens.

Passwords are low-entropy and guessable, so they get a slow, memory-hard hash (Argon2id, the
OWASP Password Storage Cheat Sheet's first choice; argon2-cffi's defaults are RFC 9106's
"second recommended" profile: t=3, m=64 MiB, p=4). API tokens are 256 random bits made by
``new_token``: nobody can guess one, so a fast hash suffices and keeps a per-request check
cheap (the same reasoning GitHub and PyPI give for storing token digests).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "cw_"
_HASHER = PasswordHasher()
# Verified when a name is unknown, so an unknown name costs as long as a wrong password and the
# time of a refusal does not tell which names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    """An Argon2id PHC string (``$argon2id$v=19$m=...``) for the users file."""
    if len(password) < 12:
        raise ValueError("a password needs at least 12 characters")
    return _HASHER.hash(password)


def is_password_hash(text: str) -> bool:
    """True when ``text`` looks like an Argon2id PHC string this module can verify."""
    return text.startswith("$argon2id$") and text.count("$") == 5


def verify_password(stored: str | None, given: str) -> bool:
    """True when ``given`` matches ``stored``; None (unknown user) still spends the hash's time."""
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, given) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh API bearer token: ``cw_`` and 43 URL-safe characters (256 random bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest stored in the users file instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time equality: a byte-by-byte compare leaks a secret's prefix through timing."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
