"""Who is at the register: the shopper of a scanned checkout code, a phone number or a
membership number, or the practice shopper in training mode."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards_api.errors import ApiError
from rewards_api.ledger.models import Account
from rewards_api.pos.models import BY_CODE, BY_MEMBERSHIP, BY_PHONE, BY_PRACTICE, CheckoutCodeUse
from rewards_api.pos.offers import store_program
from rewards_api.shoppers import services as shoppers
from rewards_api.shoppers.models import Shopper
from rewards_api.stores.models import Store
from rewards_protocol import checkout_code

# A code up to 10 minutes old is answered "expired" (show the new one), anything else
# "wrong": the cashier's next step differs.
EXPIRED_LOOKBACK_STEPS = 20

# What ``identify`` answers when the code, phone or number finds nobody: the attempts
# the sign-in throttle counts (a basket in the wrong currency is no guess).
IDENTIFICATION_FAILURES = frozenset({
    "checkout_code_invalid", "checkout_code_wrong", "checkout_code_expired",
    "checkout_code_used", "shopper_not_found", "shopper_erased", "training_mismatch"})


@dataclass(frozen=True)
class Identification:
    """Exactly one of ``code``, ``phone`` or ``membership_number``, as the register sent it."""

    code: str | None = None
    phone: str | None = None
    membership_number: str | None = None


@dataclass(frozen=True)
class Identified:
    """The shopper (None: the practice shopper), how they were identified, and the TOTP
    step of their checkout code (when identified by one)."""

    shopper: Shopper | None
    how: str
    code_step: int | None = None


def checkout_step(at: dt.datetime) -> int:
    return int(at.timestamp()) // checkout_code.STEP_SECONDS


def verify_checkout_code(s: Session, text: str, now: dt.datetime) -> tuple[Shopper, int]:
    """The shopper and TOTP step of a scanned ``RWD1:`` code valid at ``now``: the
    current or the previous 30 s step, and not already used in a committed checkout."""
    parsed = checkout_code.parse(text)
    if parsed is None:
        raise ApiError("checkout_code_invalid")
    shopper = s.scalars(select(Shopper).where(Shopper.public_id == parsed.public_id)).first()
    if shopper is None or shopper.erased_at is not None:
        raise ApiError("checkout_code_wrong")
    totp = shoppers.checkout_totp(shopper.checkout_secret)
    current = checkout_step(now)

    def matches(step: int) -> bool:
        return hmac.compare_digest(totp.generate_otp(step), parsed.code)

    step = next((st for st in (current, current - 1) if matches(st)), None)
    if step is None:
        if any(matches(st) for st in range(current - 2, current - EXPIRED_LOOKBACK_STEPS, -1)):
            raise ApiError("checkout_code_expired")
        raise ApiError("checkout_code_wrong")
    if s.get(CheckoutCodeUse, (shopper.id, step)) is not None:
        raise ApiError("checkout_code_used")
    return shopper, step


def identify(s: Session, store: Store, ident: Identification, *, training: bool,
             code_time: dt.datetime) -> Identified:
    """Who ``ident`` names at ``store`` (a checkout code valid at ``code_time``); the
    practice code names the practice shopper, and only in training mode."""
    is_practice = ident.code is not None and ident.code.strip() == checkout_code.PRACTICE_CODE
    if training != is_practice:
        raise ApiError("training_mismatch")
    if is_practice:
        return Identified(None, BY_PRACTICE)
    if ident.code is not None:
        shopper, step = verify_checkout_code(s, ident.code, code_time)
        return Identified(shopper, BY_CODE, step)
    found: Shopper | None
    if ident.phone is not None:
        phone = shoppers.normalize_phone(ident.phone)
        found = s.scalars(select(Shopper).where(Shopper.phone == phone)).first()
        how = BY_PHONE
    else:
        program = store_program(s, store)
        account = s.scalars(select(Account).where(
            Account.program_id == (program.id if program else -1),
            Account.membership_number == ident.membership_number)).first()
        found = s.get(Shopper, account.shopper_id) if account else None
        how = BY_MEMBERSHIP
    if found is None:
        raise ApiError("shopper_not_found")
    if found.erased_at is not None:
        raise ApiError("shopper_erased")
    return Identified(found, how)
