"""Who is calling: shoppers (bearer tokens) and staff or registers (API keys).

``Authorization: Bearer st_...`` is a shopper token, ``Authorization: Bearer sk_...``
a staff key. Only SHA-256 digests are stored (both are 256-bit random values, so a
plain digest is enough). Beacon agents sign their requests instead (agents package).
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from rewards_api import db
from rewards_api.db import utcnow
from rewards_api.errors import ApiError
from rewards_api.ledger.models import Account
from rewards_api.shoppers.models import Shopper, ShopperToken
from rewards_api.staff.models import ROLE_RANK, StaffKey

SHOPPER_TOKEN_PREFIX = "st_"
STAFF_KEY_PREFIX = "sk_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_shopper_token() -> str:
    return SHOPPER_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_staff_key() -> str:
    return STAFF_KEY_PREFIX + secrets.token_urlsafe(32)


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise ApiError("unauthenticated")
    return credential.strip()


def _shopper_from_token(token: str) -> Shopper:
    # One query: the token, its shopper, their accounts and programs (GET /v1/me needs
    # them all, and the shopper has only a couple of accounts).
    row = db.session().scalars(
        select(ShopperToken)
        .options(joinedload(ShopperToken.shopper).joinedload(Shopper.accounts)
                 .joinedload(Account.program))
        .where(ShopperToken.token_hash == digest(token))
    ).unique().first()
    if row is None or row.revoked_at is not None or row.shopper.erased_at is not None:
        raise ApiError("unauthenticated")
    if row.expires_at <= utcnow():
        raise ApiError("token_expired")
    g.shopper_token = row
    return row.shopper


def _staff_from_key(key: str) -> StaffKey:
    staff = db.session().scalars(
        select(StaffKey).where(StaffKey.key_hash == digest(key))
    ).first()
    if staff is None or staff.revoked_at is not None:
        raise ApiError("unauthenticated")
    return staff


def shopper_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The caller must be a signed-in shopper; ``g.shopper`` is set."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _bearer()
        if not token.startswith(SHOPPER_TOKEN_PREFIX):
            raise ApiError("forbidden", "This is for shoppers; sign in with the app.")
        g.shopper = _shopper_from_token(token)
        g.principal = f"shopper:{g.shopper.id}"
        return view(*args, **kwargs)

    return wrapper


def staff_required(role: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The caller must hold a staff key of ``role`` or a higher one; ``g.staff`` is set."""
    needed = ROLE_RANK[role]

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = _bearer()
            if not key.startswith(STAFF_KEY_PREFIX):
                raise ApiError("forbidden", "This is for store staff; use a staff key.")
            staff = _staff_from_key(key)
            if ROLE_RANK[staff.role] < needed:
                raise ApiError("forbidden", f"Only a {role} or above may do this.")
            g.staff = staff
            g.principal = f"staff:{staff.id}"
            return view(*args, **kwargs)

        return wrapper

    return decorator


def staff_store_allowed(staff: StaffKey, store_id: int) -> None:
    """Object-level check: staff of one store act only in their store; admins anywhere."""
    if staff.store_id is not None and staff.store_id != store_id:
        raise ApiError("forbidden", "Your key belongs to another store.")


def optional_shopper() -> Shopper | None:
    """The signed-in shopper if the request carries a shopper token, else None."""
    header = request.headers.get("Authorization", "")
    if SHOPPER_TOKEN_PREFIX not in header:
        return None
    return _shopper_from_token(_bearer())
