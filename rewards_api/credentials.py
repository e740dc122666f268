"""The bearer credentials the API hands out: shopper tokens (``st_...``) and staff
keys (``sk_...``), 256-bit random values of which only SHA-256 digests are stored (a
plain digest is enough for values that random)."""

from __future__ import annotations

import hashlib
import secrets

SHOPPER_TOKEN_PREFIX = "st_"
STAFF_KEY_PREFIX = "sk_"


def digest(secret: str) -> str:
    """What is stored of a token or key, and looked up when one is presented."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_shopper_token() -> str:
    return SHOPPER_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_staff_key() -> str:
    return STAFF_KEY_PREFIX + secrets.token_urlsafe(32)
