"""Private links for residents and applicants: signed, unguessable and expiring."""

from django.core import signing

DEFAULT_MAX_AGE = 60 * 60 * 24 * 90


def make_token(purpose: str, value: str) -> str:
    """Return a URL-safe token that proves ``value`` was issued for ``purpose``."""
    return signing.dumps(value, salt=f"cswb.link.{purpose}", compress=True)


def read_token(purpose: str, token: str, *, max_age: int = DEFAULT_MAX_AGE) -> str | None:
    """Return the value in ``token``, or None when it is tampered with, foreign or expired."""
    try:
        return signing.loads(token, salt=f"cswb.link.{purpose}", max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
