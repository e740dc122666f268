"""Who is calling: shoppers (bearer tokens) and staff or registers (API keys), for
the views (``shopper_required``, ``staff_required``). Domain services never import it:
they take the caller as a value (``SignedIn``, ``StaffKey``).

``Authorization: Bearer st_...`` is a shopper token, ``Authorization: Bearer sk_...``
a staff key (``rewards_api.credentials``). Beacon agents sign their requests instead
(agents package).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request
from flask_babel import lazy_gettext
from sqlalchemy import bindparam, select
from werkzeug.local import LocalProxy

from rewards_api import clock, db
from rewards_api.credentials import SHOPPER_TOKEN_PREFIX, STAFF_KEY_PREFIX, digest
from rewards_api.errors import ApiError
from rewards_api.ledger.models import Account, Program
from rewards_api.shoppers.identity import Balance, SignedIn
from rewards_api.shoppers.models import Shopper, ShopperToken
from rewards_api.staff.models import ROLE_NAMES, ROLE_RANK, StaffKey


def _credential() -> str:
    """The bearer credential of the request, or "" when it carries none."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    return credential.strip() if scheme.lower() == "bearer" else ""


def _bearer() -> str:
    credential = _credential()
    if not credential:
        raise ApiError("unauthenticated")
    return credential


# One round trip, no ORM objects: the token, its shopper and every account's balance.
# It runs on every shopper request and GET /v1/me needs nothing more. Built once:
# constructing a statement costs more than running it on a warm connection.
_SIGNED_IN = (
    select(ShopperToken.id, ShopperToken.expires_at, ShopperToken.revoked_at,
           Shopper.id, Shopper.public_id, Shopper.display_name, Shopper.erased_at,
           Shopper.assist_opt_in, Shopper.language, Program.code, Program.name, Program.kind, Account.balance, Account.held,
           Account.membership_number, Account.id, Account.program_id)
    .join(Shopper, Shopper.id == ShopperToken.shopper_id)
    .outerjoin(Account, Account.shopper_id == Shopper.id)
    .outerjoin(Program, Program.id == Account.program_id)
    .where(ShopperToken.token_hash == bindparam("token_hash"))
    .order_by(Account.program_id)
)


def _signed_in(token: str) -> SignedIn:
    rows = db.session().connection().execute(_SIGNED_IN, {"token_hash": digest(token)}).all()
    if not rows or rows[0][2] is not None or rows[0][6] is not None:
        raise ApiError("unauthenticated")
    (token_id, expires_at, _, shopper_id, public_id, display_name, _, assist_opt_in,
     language) = rows[0][:9]
    if expires_at <= clock.now():
        raise ApiError("token_expired")
    balances = tuple(Balance(program, name, kind, balance, held, number, account_id, program_id)
                     for program, name, kind, balance, held, number, account_id, program_id
                     in (row[9:] for row in rows) if program is not None)
    return SignedIn(shopper_id, token_id, public_id, display_name, assist_opt_in, language,
                    balances)


_STAFF_KEY = select(StaffKey).where(StaffKey.key_hash == bindparam("key_hash"))


def _staff_from_key(key: str) -> StaffKey:
    staff = db.session().scalars(_STAFF_KEY, {"key_hash": digest(key)}).first()
    if staff is None or staff.revoked_at is not None:
        raise ApiError("unauthenticated")
    return staff


def _load_shopper(shopper_id: int) -> Shopper:
    if "shopper_record" not in g:
        g.shopper_record = db.session().get(Shopper, shopper_id)
    return g.shopper_record  # type: ignore[no-any-return]


def shopper_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The caller must be a signed-in shopper. Sets ``g.signed_in`` (identity and
    balances), ``g.principal`` and ``g.shopper`` (the ORM Shopper, loaded on first use)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _bearer()
        if not token.startswith(SHOPPER_TOKEN_PREFIX):
            raise ApiError("forbidden", "This is for shoppers; sign in with the app.")
        g.signed_in = signed_in = _signed_in(token)
        g.principal = f"shopper:{signed_in.shopper_id}"
        # The ORM object is loaded only by views that use it.
        g.shopper = LocalProxy(functools.partial(_load_shopper, signed_in.shopper_id))
        return view(*args, **kwargs)

    return wrapper


def require_staff(role: str, *also: str) -> StaffKey:
    """The caller must hold a staff key of ``role`` or a higher one, or of one of the
    roles ``also`` names (the partner operator, who is below every rank); sets
    ``g.staff`` and ``g.principal``. For views open to shoppers and staff alike; others
    use the ``staff_required`` decorator."""
    key = _bearer()
    if not key.startswith(STAFF_KEY_PREFIX):
        raise ApiError("forbidden", "This is for store staff; use a staff key.")
    staff = _staff_from_key(key)
    if staff.role not in also and ROLE_RANK[staff.role] < ROLE_RANK[role]:
        raise ApiError("forbidden", "Only a %(role)s or above may do this.",
                       params={"role": lazy_gettext(ROLE_NAMES[role])})
    g.staff = staff
    g.principal = f"staff:{staff.id}"
    return staff


def staff_required(role: str, *also: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The caller must hold a staff key of ``role`` or a higher one, or of a role
    ``also`` names; ``g.staff`` is set."""
    if any(r not in ROLE_RANK for r in (role, *also)):  # fail when the view is defined
        raise ValueError(f"unknown role in {(role, *also)!r}")

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            require_staff(role, *also)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def optional_shopper() -> Shopper | None:
    """The signed-in shopper if the request carries a shopper token, else None."""
    credential = _credential()
    if not credential.startswith(SHOPPER_TOKEN_PREFIX):
        return None  # a staff key may hold "st_" among its random characters
    return _load_shopper(_signed_in(credential).shopper_id)
