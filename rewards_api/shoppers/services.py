"""Shopper accounts: registration, sign-in, tokens, checkout codes, memberships and the
ledger history (its words: ``rewards_api.history``; export and erasure:
``rewards_api.privacy``)."""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from typing import Any

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rewards_api import clock, db
from rewards_api.credentials import digest, new_shopper_token
from rewards_api.db import insert_ignoring_conflicts
from rewards_api.errors import ApiError
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import (
    PARTNER_PROGRAM,
    Account,
    LedgerEntry,
    Program,
)
from rewards_api.shoppers.identity import Balance
from rewards_api.shoppers.models import Shopper, ShopperToken
from rewards_api.stores.services import program_by_code
from rewards_protocol import checkout_code as code_format
from rewards_protocol.checkout_code import CheckoutCode

_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def normalize_phone(raw: str) -> str:
    """E.164-like: a leading + and 7 to 15 digits; spaces, dots, dashes are dropped."""
    compact = re.sub(r"[\s.\-()]", "", raw)
    if not re.fullmatch(r"\+?\d{7,15}", compact):
        raise ApiError("invalid_request", "Write the phone number with digits only, like +4915112345678.",
                       details={"phone": ["not a phone number"]})
    return compact if compact.startswith("+") else "+" + compact


def issue_token(s: Session, shopper: Shopper, ttl: dt.timedelta) -> str:
    token = new_shopper_token()
    s.add(ShopperToken(shopper_id=shopper.id, token_hash=digest(token),
                       expires_at=clock.now() + ttl))
    return token


def register(s: Session, display_name: str, phone: str | None, ttl: dt.timedelta
             ) -> tuple[Shopper, str]:
    """A new shopper with an account in the partner program; returns it and its token."""
    shopper = Shopper(
        public_id="".join(secrets.choice(_BASE32) for _ in range(10)),
        checkout_secret=base64.b32encode(secrets.token_bytes(20)).decode(),
        shopper_ref=secrets.randbits(63),
        display_name=display_name.strip(),
        phone=normalize_phone(phone) if phone else None,
    )
    with db.unique(s, "phone_taken"):
        s.add(shopper)
    partner = s.scalars(select(Program).where(Program.kind == PARTNER_PROGRAM)).first()
    if partner is not None:
        s.add(Account(shopper_id=shopper.id, program_id=partner.id))
    token = issue_token(s, shopper, ttl)
    s.flush()
    return shopper, token


def checkout_totp(checkout_secret: str) -> pyotp.TOTP:
    """The checkout code generator of a shopper's secret (PROTOCOLS.md section 4): the
    one place its parameters meet pyotp, for the API, the demo, benchmarks and tests."""
    return pyotp.TOTP(checkout_secret, digits=code_format.DIGITS,
                      interval=code_format.STEP_SECONDS)


def checkout_code(shopper: Shopper, at: dt.datetime) -> dict[str, Any]:
    """The checkout code at ``at`` as the phone would show it: the code, its QR
    (``RWD1:<public_id>:<code>``, an SVG made by ``qrcode``) and the seconds it has left.
    For phones that cannot compute the code themselves (no WebCrypto)."""
    unix = int(at.timestamp())
    code = checkout_totp(shopper.checkout_secret).at(unix)
    content = str(CheckoutCode(shopper.public_id, code))
    image = qrcode.make(content, image_factory=qrcode.image.svg.SvgPathFillImage,
                        error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    return {"code": code, "content": content,
            "qr_svg": image.to_string(encoding="unicode"),
            "expires_in": code_format.STEP_SECONDS - unix % code_format.STEP_SECONDS}


def update_profile(s: Session, shopper: Shopper, *, display_name: str | None,
                   assist_opt_in: bool | None, language: str | None = None) -> Shopper:
    """Change what the shopper may change about themselves; fields left None stay."""
    if display_name is not None:
        if not display_name.strip():
            raise ApiError("invalid_request", "Write a name of at least one letter.",
                           details={"display_name": ["empty"]})
        shopper.display_name = display_name.strip()
    if assist_opt_in is not None:
        shopper.assist_opt_in = assist_opt_in
    if language is not None:
        shopper.language = language
    s.flush()
    return shopper


def login(s: Session, public_id: str, code: str, ttl: dt.timedelta) -> tuple[Shopper, str]:
    """Sign in on a device that holds the checkout secret: the current code proves it."""
    shopper = s.scalars(select(Shopper).where(Shopper.public_id == public_id.upper())).first()
    if shopper is None or shopper.erased_at is not None:
        raise ApiError("unauthenticated", "Unknown shopper id or wrong code.")
    if not checkout_totp(shopper.checkout_secret).verify(code, for_time=clock.wall(), valid_window=1):
        raise ApiError("unauthenticated", "Unknown shopper id or wrong code.")
    return shopper, issue_token(s, shopper, ttl)


def rotate_token(s: Session, current: ShopperToken, ttl: dt.timedelta) -> str:
    """A fresh token; the one used to ask stops working."""
    current.revoked_at = clock.now()
    token = issue_token(s, current.shopper, ttl)
    s.flush()
    return token


def account_for(s: Session, shopper: Shopper, program: Program) -> Account:
    """The shopper's account in ``program``, opened on first use."""
    query = select(Account).where(Account.shopper_id == shopper.id, Account.program_id == program.id)
    account = s.scalars(query).first()
    if account is not None:
        return account
    try:
        with s.begin_nested():
            account = Account(shopper_id=shopper.id, program_id=program.id)
            s.add(account)
            s.flush()
    except IntegrityError:  # opened by a concurrent request
        account = s.scalars(query).one()
    return account


def account_ids_for(s: Session, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Account ids by ``(shopper_id, program_id)``, opening missing accounts: the bulk
    form of ``account_for``, in two or three statements however many pairs."""
    def existing() -> dict[tuple[int, int], int]:
        shopper_ids = {shopper_id for shopper_id, _ in pairs}
        rows = s.execute(select(Account.shopper_id, Account.program_id, Account.id)
                         .where(Account.shopper_id.in_(shopper_ids)))
        return {(a, p): i for a, p, i in rows if (a, p) in pairs}

    found = existing()
    now = clock.now()
    missing = [{"shopper_id": a, "program_id": p, "balance": 0, "held": 0, "created_at": now}
               for a, p in sorted(pairs - set(found))]
    if missing:
        insert_ignoring_conflicts(s, Account, missing, ["shopper_id", "program_id"], Account.id)
        found = existing()  # includes accounts a concurrent transaction just opened
    return found


def link_membership(s: Session, shopper: Shopper, program: Program, number: str) -> Account:
    if program.kind == PARTNER_PROGRAM:
        raise ApiError("invalid_request", "Membership cards belong to a store program.")
    ledger.lock_accounts(s, shoppers=[shopper.id])
    account = account_for(s, shopper, program)
    if account.membership_number == number:
        return account
    with db.unique(s, "membership_number_taken"):
        account.membership_number = number
    return account


def balance_view(b: Balance) -> dict[str, Any]:
    return {"program": b.program, "program_name": b.program_name, "kind": b.kind,
            "balance": b.balance, "held": b.held, "available": b.available,
            "membership_number": b.membership_number}


def account_view(account: Account) -> dict[str, Any]:
    return balance_view(Balance(account.program.code, account.program.name,
                                account.program.kind, account.balance, account.held,
                                account.membership_number, account.id, account.program_id))


def history(s: Session, shopper: Shopper, *, program: str | None, before: int | None,
            limit: int) -> list[LedgerEntry]:
    query = (select(LedgerEntry).join(Account, LedgerEntry.account_id == Account.id)
             .where(Account.shopper_id == shopper.id))
    if program:
        query = query.where(LedgerEntry.program_id == program_by_code(s, program).id)
    if before:
        query = query.where(LedgerEntry.id < before)
    return list(s.scalars(query.order_by(LedgerEntry.id.desc()).limit(limit)))


