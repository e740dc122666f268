"""Shopper endpoints: registration, sign-in and the shopper's own data (/v1/me)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Regexp
from flask import current_app, g
from marshmallow import ValidationError, validates_schema

from rewards_api import clock, db, i18n, privacy
from rewards_api.auth import shopper_required
from rewards_api.history import entry_views
from rewards_api.idempotency import idempotent, issues_credential
from rewards_api.schemas import Paging, StrictSchema
from rewards_api.shoppers import services
from rewards_api.shoppers.models import ShopperToken
from rewards_api.signin.throttle import throttled
from rewards_api.stores.services import program_by_code
from rewards_api.visits import services as visits

bp = APIBlueprint("shoppers", __name__, tag="Shoppers")


def phone_target(phone: str) -> str:
    """A phone number as the sign-in throttle counts it (sign-up answers phone_taken,
    so trying numbers there is guessing too)."""
    return "phone:" + re.sub(r"[^0-9]", "", phone)


def token_ttl() -> dt.timedelta:
    return dt.timedelta(days=current_app.config["SHOPPER_TOKEN_TTL_DAYS"])


class RegisterIn(StrictSchema):
    display_name = String(required=True, validate=Length(min=1, max=100))
    phone = String(load_default=None, validate=Length(max=30))


class RegisterOut(StrictSchema):
    token = String(metadata={"description": "Bearer token; send as Authorization: Bearer ..."})
    public_id = String()
    checkout_secret = String(metadata={"description": "Base32 TOTP secret; shown only once"})


class LoginIn(StrictSchema):
    public_id = String(required=True, validate=Length(equal=10))
    code = String(required=True, validate=Regexp(r"^\d{8}$"))


class TokenOut(StrictSchema):
    token = String()


class AccountOut(StrictSchema):
    program = String()
    program_name = String()
    kind = String()
    balance = Integer()
    held = Integer()
    available = Integer()
    membership_number = String(allow_none=True)


class MeOut(StrictSchema):
    public_id = String()
    display_name = String()
    assist_opt_in = Boolean(metadata={"description": "Staff on the floor may see that I asked for help"})
    language = String(allow_none=True, metadata={
        "description": "The language I chose in the app (en, de, pt); null: my browser's"})
    accounts = List(Nested(AccountOut))


class ProfileIn(StrictSchema):
    display_name = String(validate=Length(min=1, max=100))
    assist_opt_in = Boolean()
    language = String(validate=OneOf(i18n.LANGUAGES), metadata={
        "description": "The language the app, its messages and e-mails speak to me"})

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Send display_name, assist_opt_in, language or more.")


class CheckoutCodeOut(StrictSchema):
    code = String(metadata={"description": "The current 8-digit TOTP code"})
    content = String(metadata={"description": "What the QR holds: RWD1:<public_id>:<code>"})
    qr_svg = String(metadata={"description": "The QR as an SVG document"})
    expires_in = Integer(metadata={"description": "Seconds until the next code"})


class HistoryQuery(Paging):
    program = String(load_default=None)


class EntryOut(StrictSchema):
    id = Integer()
    program = String()
    kind = String()
    amount = Integer()
    reference = String()
    store_id = Integer(allow_none=True)
    reason = String(allow_none=True)
    created_at = String()
    what = String(metadata={"description": "What happened, e.g. 'Reward: 1.00 off'"})
    where = String(allow_none=True, metadata={"description": "The store's name, if in a store"})


class HistoryOut(StrictSchema):
    entries = List(Nested(EntryOut))
    next_before = Integer(allow_none=True)


class MembershipIn(StrictSchema):
    program = String(required=True, validate=Length(min=1, max=40))
    membership_number = String(required=True, validate=Regexp(r"^[A-Za-z0-9-]{4,40}$"))


class MembershipOut(AccountOut):
    """The account the card was linked to (its own name: apispec wants one per use)."""


class ErasedOut(StrictSchema):
    erased = Boolean()


@bp.post("/v1/shoppers")
@issues_credential
@bp.input(RegisterIn)
@bp.output(RegisterOut, status_code=201)
@throttled(lambda data: [phone_target(data["phone"])] if data.get("phone") else [])
def register(json_data: dict[str, Any]) -> dict[str, Any]:
    """Sign up. The checkout secret is returned once: the app keeps it to show the
    checkout code offline."""
    shopper, token = services.register(db.session(), json_data["display_name"],
                                       json_data["phone"], token_ttl())
    return {"token": token, "public_id": shopper.public_id,
            "checkout_secret": shopper.checkout_secret}


@bp.post("/v1/shoppers/login")
@issues_credential
@bp.input(LoginIn)
@bp.output(TokenOut, status_code=201)
@throttled(lambda data: [f"shopper:{data['public_id'].upper()}"])
def login(json_data: dict[str, Any]) -> dict[str, Any]:
    """Sign in on a device that holds the checkout secret, with the current code."""
    _, token = services.login(db.session(), json_data["public_id"], json_data["code"],
                              token_ttl())
    return {"token": token}


@bp.get("/v1/me")
@shopper_required
@bp.output(MeOut)
@bp.doc(security="BearerAuth")
def me() -> dict[str, Any]:
    """The signed-in shopper and their balance in every program they belong to."""
    me = g.signed_in
    return {"public_id": me.public_id, "display_name": me.display_name,
            "assist_opt_in": me.assist_opt_in, "language": me.language,
            "accounts": [services.balance_view(b) for b in me.balances]}


class VisitOut(StrictSchema):
    store_id = Integer()
    store_name = String()
    started_at = String(metadata={"description": "When the visit began (ISO 8601, UTC)"})
    since = String(metadata={"description": "The same in the store's time, HH:MM"})


class MyVisitOut(StrictSchema):
    visit = Nested(VisitOut, allow_none=True)


@bp.get("/v1/me/visit")
@shopper_required
@bp.output(MyVisitOut)
@bp.doc(security="BearerAuth")
def my_visit() -> dict[str, Any]:
    """The store I am in now, and since when (checked in: seen there recently, by the
    same rule as scans and help requests), or null."""
    return {"visit": visits.visit_now(db.session(), g.signed_in.shopper_id, clock.now(),
                                      visits.checked_in_within())}


@bp.patch("/v1/me")
@shopper_required
@idempotent
@bp.input(ProfileIn)
@bp.output(MeOut)
@bp.doc(security="BearerAuth")
def update_me(json_data: dict[str, Any]) -> dict[str, Any]:
    """Change my display name, my assist opt-in (off by default: only when it is on
    can store staff see that I asked for help) or my language. Sending the same values
    again is harmless."""
    shopper = services.update_profile(db.session(), g.shopper,
                                      display_name=json_data.get("display_name"),
                                      assist_opt_in=json_data.get("assist_opt_in"),
                                      language=json_data.get("language"))
    return {"public_id": shopper.public_id, "display_name": shopper.display_name,
            "assist_opt_in": shopper.assist_opt_in, "language": shopper.language,
            "accounts": [services.account_view(a) for a in shopper.accounts]}


@bp.get("/v1/me/checkout-code")
@shopper_required
@bp.output(CheckoutCodeOut)
@bp.doc(security="BearerAuth")
def checkout_code() -> dict[str, Any]:
    """My checkout code and its QR right now, for phones that cannot compute the code
    themselves. The app computes it on the phone when it can (it works without signal)."""
    return services.checkout_code(g.shopper, clock.wall())


@bp.get("/v1/me/history")
@shopper_required
@bp.input(HistoryQuery, location="query")
@bp.output(HistoryOut)
@bp.doc(security="BearerAuth")
def history(query_data: dict[str, Any]) -> dict[str, Any]:
    """Points history, newest first; pass ``next_before`` as ``before`` for the next page."""
    entries = services.history(db.session(), g.shopper, program=query_data["program"],
                               before=query_data["before"], limit=query_data["limit"])
    next_before = entries[-1].id if len(entries) == query_data["limit"] else None
    return {"entries": entry_views(db.session(), entries), "next_before": next_before}


@bp.post("/v1/me/memberships")
@shopper_required
@idempotent
@bp.input(MembershipIn)
@bp.output(MembershipOut)
@bp.doc(security="BearerAuth")
def link_membership(json_data: dict[str, Any]) -> dict[str, Any]:
    """Link the number of an existing store-program card to this shopper."""
    s = db.session()
    program = program_by_code(s, json_data["program"])
    account = services.link_membership(s, g.shopper, program, json_data["membership_number"])
    return services.account_view(account)


@bp.post("/v1/me/token")
@shopper_required
@issues_credential
@bp.output(TokenOut, status_code=201)
@bp.doc(security="BearerAuth")
def rotate_token() -> dict[str, Any]:
    """Swap the current token for a new one; the old one stops working."""
    s = db.session()
    return {"token": services.rotate_token(s, s.get_one(ShopperToken, g.signed_in.token_id),
                                           token_ttl())}


@bp.get("/v1/me/export")
@shopper_required
@bp.doc(security="BearerAuth")
def export() -> dict[str, Any]:
    """Everything stored about me, as JSON."""
    return privacy.export(db.session(), g.shopper)


@bp.delete("/v1/me")
@shopper_required
@idempotent
@bp.output(ErasedOut)
@bp.doc(security="BearerAuth")
def erase() -> dict[str, Any]:
    """Erase me: personal data is removed; points history stays anonymous."""
    privacy.erase(db.session(), g.shopper)
    return {"erased": True}
