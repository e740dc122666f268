"""Signing in on a new phone: e-mailed codes and passkeys (/v1/shoppers/sign-in...,
/v1/me/email, /v1/me/passkeys).

The answers that carry a token are never stored for replay (no ``@idempotent``): a
retry needs a new code or a new passkey prompt, and a credential is never handed out
twice. They commit on their own instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String
from apiflask.validators import Length, Regexp
from flask import current_app, g

from rewards_api import db
from rewards_api.auth import shopper_required
from rewards_api.clock import now
from rewards_api.idempotency import idempotent
from rewards_api.schemas import StrictSchema
from rewards_api.shoppers.views import TokenOut, token_ttl
from rewards_api.signin import services
from rewards_api.signin.throttle import throttled

bp = APIBlueprint("signin", __name__, tag="Sign-in")


class EmailIn(StrictSchema):
    email = String(required=True, validate=Length(min=3, max=254))


class CodeIn(StrictSchema):
    code = String(required=True, validate=Regexp(r"^\d{6}$"))


class EmailCodeIn(EmailIn, CodeIn):
    pass


class CodeSentOut(StrictSchema):
    sent = Boolean()
    message = String()


class EmailOut(StrictSchema):
    email = String()


class CredentialIn(StrictSchema):
    credential = Dict(required=True, metadata={
        "description": "The PublicKeyCredential from the browser, as JSON (base64url fields)"})


class PasskeyOptionsOut(StrictSchema):
    options = Dict(metadata={"description": "PublicKeyCredential creation or request options"})


class RegisteredOut(StrictSchema):
    registered = Boolean()


class PasskeyOut(StrictSchema):
    id = Integer()
    created_at = String()
    last_used_at = String(allow_none=True)


class SignInMethodsOut(StrictSchema):
    email = String(allow_none=True, metadata={"description": "Where sign-in codes are sent, or null"})
    passkeys = List(Nested(PasskeyOut))


class RemovedOut(StrictSchema):
    removed = Boolean()


def _committed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Commit what the view did (views that are not ``@idempotent``)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with db.transaction():
            return view(*args, **kwargs)

    return wrapper


def _email_target(data: dict[str, Any]) -> list[str]:
    return [f"email:{str(data.get('email', '')).strip().lower()}"]


def _passkey_target(data: dict[str, Any]) -> list[str]:
    return [f"passkey:{data.get('credential', {}).get('rawId', '')}"]


def _me_target(_: dict[str, Any]) -> list[str]:
    return [f"shopper:{g.signed_in.public_id}"]


def _adding_target(data: dict[str, Any]) -> list[str]:
    """Mail to an address being added counts for the shopper and for the address."""
    return _me_target(data) + _email_target(data)


@bp.post("/v1/me/email")
@shopper_required
@idempotent
@bp.input(EmailIn)
@bp.output(EmailOut, status_code=202)
@bp.doc(security="BearerAuth")
@throttled(_adding_target, successes_count=True)
def add_email(json_data: dict[str, Any]) -> dict[str, Any]:
    """Add an e-mail address for signing in on a new phone: a 6-digit code is mailed to
    it; send it to ``/v1/me/email/confirm``."""
    return {"email": services.start_adding_email(db.session(), g.shopper, json_data["email"],
                                                 now())}


@bp.post("/v1/me/email/confirm")
@shopper_required
@idempotent
@bp.input(CodeIn)
@bp.output(EmailOut)
@bp.doc(security="BearerAuth")
@throttled(_me_target)
def confirm_email(json_data: dict[str, Any]) -> dict[str, Any]:
    """The code from the e-mail: the address is now this shopper's."""
    return {"email": services.confirm_email(db.session(), g.shopper, json_data["code"], now())}


@bp.post("/v1/shoppers/sign-in-code")
@_committed
@bp.input(EmailIn)
@bp.output(CodeSentOut, status_code=202)
@throttled(_email_target, successes_count=True)
def send_sign_in_code(json_data: dict[str, Any]) -> dict[str, Any]:
    """Mail a sign-in code to the address if it belongs to an account. The answer is the
    same whether it does or not."""
    services.send_sign_in_code(db.session(), json_data["email"], now())
    minutes = current_app.config["SIGN_IN_CODE_TTL_MINUTES"]
    return {"sent": True, "message": "If this address belongs to an account, a code is on "
            f"its way; it works once, for {minutes} minutes."}


@bp.post("/v1/shoppers/sign-in")
@_committed
@bp.input(EmailCodeIn)
@bp.output(TokenOut, status_code=201)
@throttled(_email_target)
def sign_in_with_code(json_data: dict[str, Any]) -> dict[str, Any]:
    """Sign in on a new phone with the code mailed by ``/v1/shoppers/sign-in-code``."""
    return {"token": services.sign_in_with_code(db.session(), json_data["email"],
                                                json_data["code"], token_ttl(), now())}


@bp.post("/v1/me/passkeys/options")
@shopper_required
@_committed
@bp.output(PasskeyOptionsOut)
@bp.doc(security="BearerAuth")
def passkey_registration_options() -> dict[str, Any]:
    """Options for ``navigator.credentials.create``: a passkey on this phone."""
    return {"options": services.passkey_registration_options(db.session(), g.shopper, now())}


@bp.post("/v1/me/passkeys")
@shopper_required
@idempotent
@bp.input(CredentialIn)
@bp.output(RegisteredOut, status_code=201)
@bp.doc(security="BearerAuth")
def register_passkey(json_data: dict[str, Any]) -> dict[str, Any]:
    """Keep the passkey the phone just made; it signs in on this or another device."""
    services.register_passkey(db.session(), g.shopper, json_data["credential"], now())
    return {"registered": True}


@bp.get("/v1/me/sign-in-methods")
@shopper_required
@bp.output(SignInMethodsOut)
@bp.doc(security="BearerAuth")
def sign_in_methods() -> dict[str, Any]:
    """How a new phone can sign in to my account: my e-mail address and my passkeys.
    To change the address, send the new one to ``POST /v1/me/email``."""
    return services.sign_in_methods(db.session(), g.shopper)


@bp.delete("/v1/me/passkeys/<int:passkey_id>")
@shopper_required
@idempotent
@bp.output(RemovedOut)
@bp.doc(security="BearerAuth")
def remove_passkey(passkey_id: int) -> dict[str, Any]:
    """Remove one of my passkeys (a lost phone's): it no longer signs in."""
    services.remove_passkey(db.session(), g.shopper, passkey_id)
    return {"removed": True}


@bp.post("/v1/shoppers/passkey-options")
@_committed
@bp.output(PasskeyOptionsOut)
@throttled(lambda _: [], successes_count=True)
def passkey_sign_in_options() -> dict[str, Any]:
    """Options for ``navigator.credentials.get``: sign in with a passkey."""
    return {"options": services.passkey_sign_in_options(db.session(), now())}


@bp.post("/v1/shoppers/passkey-sign-in")
@_committed
@bp.input(CredentialIn)
@bp.output(TokenOut, status_code=201)
@throttled(_passkey_target)
def sign_in_with_passkey(json_data: dict[str, Any]) -> dict[str, Any]:
    """Sign in with the answer of ``navigator.credentials.get``."""
    return {"token": services.sign_in_with_passkey(db.session(), json_data["credential"],
                                                   token_ttl(), now())}
