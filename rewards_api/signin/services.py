"""Signing in on a new phone: a code sent to the shopper's verified e-mail address, or a
passkey (WebAuthn, through the ``webauthn`` package).

Codes and challenges are one-time secrets: short-lived, used once, and only a keyed
digest of each is stored. Nothing here tells whether an address has an account.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import secrets
from typing import Any

import webauthn
from flask import current_app
from flask_babel import gettext
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from rewards_api import db, i18n, mail
from rewards_api.db import rows_changed
from rewards_api.errors import ApiError
from rewards_api.shoppers.models import Shopper
from rewards_api.shoppers.services import issue_token
from rewards_api.signin.models import OneTimeSecret, Passkey

log = logging.getLogger(__name__)

ADD_EMAIL = "add_email"
EMAIL_SIGN_IN = "email_sign_in"
PASSKEY_REGISTER = "passkey_register"
PASSKEY_SIGN_IN = "passkey_sign_in"
CODE_DIGITS = 6
# Long enough to create a passkey (the phone asks for a fingerprint), short for replay.
CHALLENGE_TTL = dt.timedelta(minutes=5)
RP_NAME = "Proximity Rewards"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise ApiError("invalid_request", "Write the e-mail address like name@example.com.",
                       details={"email": ["not an e-mail address"]})
    return email


def _target(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _digest(purpose: str, target: str, secret: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}\n{target}\n{secret}".encode(), hashlib.sha256).hexdigest()


def _code_ttl() -> dt.timedelta:
    return dt.timedelta(minutes=current_app.config["SIGN_IN_CODE_TTL_MINUTES"])


def _keep(s: Session, purpose: str, target: str, secret: str, at: dt.datetime,
          ttl: dt.timedelta, *, shopper_id: int | None = None, email: str | None = None
          ) -> None:
    if purpose in (ADD_EMAIL, EMAIL_SIGN_IN):  # only the newest code works: fewer to guess
        s.execute(update(OneTimeSecret)
                  .where(OneTimeSecret.purpose == purpose, OneTimeSecret.target == target,
                         OneTimeSecret.used_at.is_(None))
                  .values(used_at=at).execution_options(synchronize_session=False))
    s.add(OneTimeSecret(purpose=purpose, target=target, secret_hash=_digest(purpose, target, secret),
                        shopper_id=shopper_id, email=email, created_at=at,
                        expires_at=at + ttl))
    s.flush()


def _use(s: Session, purpose: str, target: str, secret: str, at: dt.datetime
         ) -> OneTimeSecret | None:
    """The unexpired, unused secret that matches, now used; None when none matches.
    The UPDATE settles a race between two uses of one secret: one of them wins."""
    wanted = _digest(purpose, target, secret)
    candidates = s.scalars(select(OneTimeSecret).where(
        OneTimeSecret.purpose == purpose, OneTimeSecret.target == target,
        OneTimeSecret.used_at.is_(None), OneTimeSecret.expires_at > at))
    for candidate in candidates:
        if hmac.compare_digest(candidate.secret_hash, wanted):
            won = rows_changed(s.execute(
                update(OneTimeSecret)
                .where(OneTimeSecret.id == candidate.id, OneTimeSecret.used_at.is_(None))
                .values(used_at=at).execution_options(synchronize_session=False)))
            return candidate if won else None
    return None


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


# --- e-mail ------------------------------------------------------------------------------

def start_adding_email(s: Session, shopper: Shopper, raw_email: str, at: dt.datetime) -> str:
    """Send a code to the address; the address is the shopper's once the code comes back."""
    email = normalize_email(raw_email)
    code = _new_code()
    _keep(s, ADD_EMAIL, _target(f"shopper:{shopper.id}"), code, at, _code_ttl(),
          shopper_id=shopper.id, email=email)
    with i18n.speaking(shopper.language):
        mail.send(email, gettext("%(code)s is your code to add this address", code=code),
                  gettext("Type %(code)s in the rewards app to add this address to your "
                          "account, %(name)s. Then a new phone can sign in with a code sent "
                          "here.\n\nDid not ask for it? Ignore this message.",
                          code=code, name=shopper.display_name))
    return email


def confirm_email(s: Session, shopper: Shopper, code: str, at: dt.datetime) -> str:
    used = _use(s, ADD_EMAIL, _target(f"shopper:{shopper.id}"), code, at)
    if used is None or used.email is None:
        raise ApiError("sign_in_code_wrong")
    with db.unique(s, "email_taken"):
        shopper.email = used.email
    return used.email


def send_sign_in_code(s: Session, raw_email: str, at: dt.datetime) -> None:
    """Mail a sign-in code if the address belongs to a shopper. The caller answers the
    same either way, so nobody learns whether an address has an account."""
    email = normalize_email(raw_email)
    shopper = s.scalars(select(Shopper).where(Shopper.email == email,
                                              Shopper.erased_at.is_(None))).first()
    if shopper is None:
        return
    code = _new_code()
    _keep(s, EMAIL_SIGN_IN, _target(email), code, at, _code_ttl(), shopper_id=shopper.id)
    try:
        with i18n.speaking(shopper.language):
            mail.send(email, gettext("%(code)s is your sign-in code", code=code),
                      gettext("Type %(code)s in the rewards app to sign in on this phone. The "
                              "code works once, for %(minutes)s minutes.\n\nDid not ask for "
                              "it? Ignore this message: without the code nobody can sign in.",
                              code=code, minutes=current_app.config["SIGN_IN_CODE_TTL_MINUTES"]))
    except ApiError:  # an answer that differs would tell that the address has an account
        log.exception("sign-in code not sent")


def sign_in_with_code(s: Session, raw_email: str, code: str, ttl: dt.timedelta,
                      at: dt.datetime) -> str:
    used = _use(s, EMAIL_SIGN_IN, _target(raw_email.strip().lower()), code, at)
    shopper = s.get(Shopper, used.shopper_id) if used and used.shopper_id else None
    if shopper is None or shopper.erased_at is not None:
        raise ApiError("sign_in_code_wrong")
    return issue_token(s, shopper, ttl)


# --- passkeys ----------------------------------------------------------------------------

def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _challenge_of(credential: dict[str, Any]) -> str:
    """The challenge the browser signed, from the credential's client data."""
    try:
        client_data = json.loads(base64url_to_bytes(credential["response"]["clientDataJSON"]))
        challenge = client_data["challenge"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError("invalid_request", "This is not a passkey answer from a browser.") from exc
    if not isinstance(challenge, str):
        raise ApiError("invalid_request", "This is not a passkey answer from a browser.")
    return challenge


def _use_challenge(s: Session, purpose: str, credential: dict[str, Any], at: dt.datetime
                   ) -> tuple[OneTimeSecret, bytes]:
    challenge = _challenge_of(credential)
    used = _use(s, purpose, _target(challenge), challenge, at)
    if used is None:
        raise ApiError("passkey_not_recognized", "This passkey request has expired; try again.")
    return used, base64url_to_bytes(challenge)


def _options(s: Session, purpose: str, options: Any, at: dt.datetime,
             shopper_id: int | None = None) -> dict[str, Any]:
    challenge = _b64url(options.challenge)
    _keep(s, purpose, _target(challenge), challenge, at, CHALLENGE_TTL, shopper_id=shopper_id)
    answer: dict[str, Any] = json.loads(webauthn.options_to_json(options))
    return answer


def passkey_registration_options(s: Session, shopper: Shopper, at: dt.datetime
                                 ) -> dict[str, Any]:
    """What ``navigator.credentials.create`` needs to make a passkey for this shopper."""
    existing = s.scalars(select(Passkey.credential_id).where(Passkey.shopper_id == shopper.id))
    options = webauthn.generate_registration_options(
        rp_id=current_app.config["WEBAUTHN_RP_ID"], rp_name=RP_NAME,
        user_id=shopper.public_id.encode(), user_name=shopper.public_id,
        user_display_name=shopper.display_name,
        exclude_credentials=[PublicKeyCredentialDescriptor(id=c) for c in existing],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED))
    return _options(s, PASSKEY_REGISTER, options, at, shopper.id)


def register_passkey(s: Session, shopper: Shopper, credential: dict[str, Any],
                     at: dt.datetime) -> Passkey:
    used, challenge = _use_challenge(s, PASSKEY_REGISTER, credential, at)
    if used.shopper_id != shopper.id:
        raise ApiError("passkey_not_recognized", "This passkey request has expired; try again.")
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge,
            expected_rp_id=current_app.config["WEBAUTHN_RP_ID"],
            expected_origin=current_app.config["WEBAUTHN_ORIGIN"])
    except WebAuthnException as exc:
        raise ApiError("invalid_request", "The passkey was not accepted: %(reason)s",
                       params={"reason": str(exc)}) from exc
    passkey = Passkey(shopper_id=shopper.id, credential_id=verified.credential_id,
                      public_key=verified.credential_public_key,
                      sign_count=verified.sign_count, created_at=at)
    with db.unique(s, "invalid_request", "This passkey is already registered."):
        s.add(passkey)
    return passkey


def sign_in_methods(s: Session, shopper: Shopper) -> dict[str, Any]:
    """How a new phone can sign in to this account: its e-mail address and passkeys."""
    passkeys = s.scalars(select(Passkey).where(Passkey.shopper_id == shopper.id)
                         .order_by(Passkey.created_at, Passkey.id))
    return {"email": shopper.email, "passkeys": [{
        "id": p.id, "created_at": p.created_at.isoformat(),
        "last_used_at": p.last_used_at.isoformat() if p.last_used_at else None}
        for p in passkeys]}


def remove_passkey(s: Session, shopper: Shopper, passkey_id: int) -> None:
    """Forget one of the shopper's passkeys: it signs in nowhere any more."""
    removed = s.execute(delete(Passkey).where(Passkey.id == passkey_id,
                                              Passkey.shopper_id == shopper.id))
    if rows_changed(removed) == 0:
        raise ApiError("not_found", "You have no such passkey; reload the list.")


def passkey_sign_in_options(s: Session, at: dt.datetime) -> dict[str, Any]:
    """What ``navigator.credentials.get`` needs; the phone offers its passkeys for us."""
    options = webauthn.generate_authentication_options(
        rp_id=current_app.config["WEBAUTHN_RP_ID"],
        user_verification=UserVerificationRequirement.PREFERRED)
    return _options(s, PASSKEY_SIGN_IN, options, at)


def sign_in_with_passkey(s: Session, credential: dict[str, Any], ttl: dt.timedelta,
                         at: dt.datetime) -> str:
    _, challenge = _use_challenge(s, PASSKEY_SIGN_IN, credential, at)
    try:
        credential_id = base64url_to_bytes(str(credential.get("rawId", "")))
    except ValueError as exc:
        raise ApiError("passkey_not_recognized") from exc
    passkey = s.scalars(select(Passkey).where(Passkey.credential_id == credential_id)).first()
    shopper = s.get(Shopper, passkey.shopper_id) if passkey else None
    if passkey is None or shopper is None or shopper.erased_at is not None:
        raise ApiError("passkey_not_recognized")
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge,
            expected_rp_id=current_app.config["WEBAUTHN_RP_ID"],
            expected_origin=current_app.config["WEBAUTHN_ORIGIN"],
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count)
    except WebAuthnException as exc:
        raise ApiError("passkey_not_recognized") from exc
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = at
    return issue_token(s, shopper, ttl)


def purge_one_time_secrets(s: Session, at: dt.datetime) -> int:
    """Codes and challenges past their time are of no use (``rewards-api purge``)."""
    return rows_changed(s.execute(delete(OneTimeSecret).where(OneTimeSecret.expires_at < at)))
