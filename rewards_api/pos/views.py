"""Register endpoints (``/v1/pos``, cashier terminal keys) and the partner settlement
(``/v1/admin/settlement``; the catalog's back office is ``rewards_api.admin.catalog``).

A register drives a sale with: open (identify + basket) → rewards (apply the
suggested combination, or chosen ones) → commit (or void). Every call answers the
whole checkout as the cashier sees it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Date, DateTime, Dict, Integer, List, Nested, String
from apiflask.validators import Length, Range, Regexp
from flask import Response, current_app, g
from marshmallow import ValidationError, validates_schema

from rewards_api import clock, db
from rewards_api.auth import shopper_required, staff_required
from rewards_api.idempotency import idempotent
from rewards_api.pos import checkout, offline, returns, screen, settlement
from rewards_api.pos.identification import IDENTIFICATION_FAILURES, Identification
from rewards_api.pos.models import CheckoutReturn
from rewards_api.pos.returns import ReturnedLine
from rewards_api.pos.values import BasketLine
from rewards_api.refusals import services as refusals
from rewards_api.schemas import (
    MAX_BASKET_LINES,
    MAX_QUANTITY,
    MAX_UNIT_PRICE_MINOR,
    Gtin,
    StrictSchema,
)
from rewards_api.shoppers.views import phone_target
from rewards_api.signin.throttle import throttled
from rewards_api.staff import scope
from rewards_api.staff.models import CASHIER, MANAGER, PARTNER
from rewards_api.stores.models import Store
from rewards_protocol import checkout_code

bp = APIBlueprint("pos", __name__, tag="Checkout")

IDENTIFIERS = ("code", "phone", "membership_number")


class BasketLineIn(StrictSchema):
    gtin = Gtin(required=True)
    quantity = Integer(required=True, validate=Range(1, MAX_QUANTITY))
    unit_price_minor = Integer(required=True, validate=Range(0, MAX_UNIT_PRICE_MINOR))
    description = String(load_default="", validate=Length(max=100))


class BasketIn(StrictSchema):
    currency = String(required=True, validate=Regexp(r"^[A-Z]{3}$"))
    lines = List(Nested(BasketLineIn), required=True, validate=Length(min=1, max=MAX_BASKET_LINES))


class IdentifyIn(StrictSchema):
    """Exactly one of: the scanned checkout code, a phone number, a membership number."""

    code = String(validate=Length(max=100))
    phone = String(validate=Length(max=30))
    membership_number = String(validate=Regexp(r"^[A-Za-z0-9-]{4,40}$"))

    @validates_schema
    def _exactly_one(self, data: dict[str, Any], **_: Any) -> None:
        if sum(data.get(k) is not None for k in IDENTIFIERS) != 1:
            raise ValidationError("Give exactly one of code, phone or membership_number.",
                                  "identify")


class OpenIn(IdentifyIn):
    basket = Nested(BasketIn, required=True)
    cashier = String(required=True, validate=Length(min=1, max=100),
                     metadata={"description": "The cashier's name or number, as the POS knows them"})
    training = Boolean(load_default=False, metadata={"description": "Practice checkout"})


class ApplyIn(StrictSchema):
    rewards = List(String(validate=Length(max=90)), load_default=None, validate=Length(max=20),
                   metadata={"description": "Reward refs to apply; omit for the suggested "
                                            "combination; [] removes all"})


class CommitIn(StrictSchema):
    shopper_agreed = List(String(validate=Length(max=90)), load_default=None,
                          validate=Length(max=20),
                          metadata={"description": "The rewards the cashier asked the shopper "
                                                   "about and they agreed to (omit when they "
                                                   "agreed on their phone)"})


class ConsentIn(StrictSchema):
    rewards = List(String(validate=Length(max=90)), required=True, validate=Length(max=20),
                   metadata={"description": "The rewards the phone showed"})
    agree = Boolean(required=True)


class ReturnLineIn(StrictSchema):
    gtin = Gtin(required=True)
    quantity = Integer(required=True, validate=Range(1, MAX_QUANTITY))


class ReturnIn(StrictSchema):
    lines = List(Nested(ReturnLineIn), required=True, validate=Length(min=1, max=MAX_BASKET_LINES))


class OfflineEarningIn(IdentifyIn):
    basket = Nested(BasketIn, required=True)
    cashier = String(required=True, validate=Length(min=1, max=100))
    purchased_at = DateTime(required=True, format="iso")
    offline_id = String(required=True, validate=Length(min=8, max=100))


class RewardOfferOut(StrictSchema):
    reward = String()
    name = String()
    kind = String()
    points = Integer()
    value_minor = Integer()
    eligible = Boolean()
    why_not = String(allow_none=True)


class ProgramOut(StrictSchema):
    program = String()
    name = String()
    kind = String()
    balance = Integer()
    available = Integer()
    rewards = List(Nested(RewardOfferOut))
    earn_preview = Integer()


class AppliedOut(StrictSchema):
    reward = String()
    program = String()
    name = String()
    points = Integer()
    discount_minor = Integer()


class LineOut(StrictSchema):
    gtin = String()
    description = String(allow_none=True)
    quantity = Integer()
    unit_price_minor = Integer()
    discount_minor = Integer()


class ShopperOnScreenOut(StrictSchema):
    display_name = String()


class TotalsOut(StrictSchema):
    basket_minor = Integer()
    discount_minor = Integer()
    to_pay_minor = Integer()


class ReceiptLineOut(StrictSchema):
    program = String()
    kind = String(metadata={"description": "redeemed, earned or balance"})
    text = String(metadata={"description": "The line in the reader's language"})
    points = Integer()
    amount_minor = Integer()


class ReceiptOut(StrictSchema):
    checkout_id = Integer()
    training = Boolean()
    lines = List(Nested(ReceiptLineOut))
    total_minor = Integer()
    discount_minor = Integer()
    to_pay_minor = Integer()


class CheckoutOut(StrictSchema):
    id = Integer()
    status = String()
    training = Boolean()
    store = String()
    cashier = String()
    identified_by = String()
    shopper = Nested(ShopperOnScreenOut)
    currency = String()
    programs = List(Nested(ProgramOut))
    suggested = List(String())
    suggested_value_minor = Integer()
    applied = List(Nested(AppliedOut))
    consent = String(allow_none=True, metadata={
        "description": "null without rewards; pending, phone, cashier or declined"})
    question = String(allow_none=True, metadata={
        "description": "What the shopper is asked: Use 50 Corner Points for 1.00 off?"})
    lines = List(Nested(LineOut))
    holds_expire_at = String(allow_none=True)
    totals = Nested(TotalsOut)
    receipt = Nested(ReceiptOut, allow_none=True)


class AskingOut(StrictSchema):
    id = Integer()
    store = String()
    currency = String()
    question = String(allow_none=True)
    discount_minor = Integer()
    consent = String(allow_none=True)
    rewards = List(Nested(AppliedOut))


class MyCheckoutOut(StrictSchema):
    checkout = Nested(AskingOut, allow_none=True)


class ClawbackOut(StrictSchema):
    clawed_back = Integer()
    shortfall = Integer(metadata={"description": "What the balance could not cover"})


class ReturnOut(StrictSchema):
    id = Integer()
    checkout_id = Integer()
    points = Dict(keys=String(), values=Nested(ClawbackOut),
                  metadata={"description": "Per program code"})
    refund_minor = Integer()


class SettlementQuery(StrictSchema):
    from_ = Date(required=True, data_key="from")
    to = Date(required=True)
    store = String(load_default=None)


class SettlementCsvQuery(StrictSchema):
    from_ = Date(required=True, data_key="from")
    to = Date(required=True)


class StoreSettlementOut(StrictSchema):
    store = String()
    currency = String(allow_none=True, metadata={"description": "None: no records"})
    points_redeemed = Integer()
    points_issued = Integer()
    owed_to_store_minor = Integer()
    owed_to_partner_minor = Integer()
    net_to_store_minor = Integer(metadata={
        "description": "Positive: the partner pays the store; negative: the store pays"})


class SettlementOut(StrictSchema):
    from_ = String(data_key="from")
    to = String()
    stores = List(Nested(StoreSettlementOut))


def _view(checkout_id: int) -> screen.CheckoutScreen:
    s = db.session()
    return screen.checkout_screen(s, checkout.get_checkout(s, checkout_id, g.staff))


def _hold_ttl() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["HOLD_TTL_SECONDS"])


def _ident(data: dict[str, Any]) -> Identification:
    return Identification(**{k: data.get(k) for k in IDENTIFIERS})


def _lines(basket: dict[str, Any]) -> list[BasketLine]:
    return [BasketLine.from_json(line) for line in basket["lines"]]


def _identified_account(data: dict[str, Any]) -> list[str]:
    """The account a register tries to identify, for the sign-in throttle: a checkout
    code counts against its shopper (as a login with it does)."""
    if data.get("code") is not None:
        parsed = checkout_code.parse(data["code"])
        return [f"shopper:{parsed.public_id}"] if parsed else []
    if data.get("phone") is not None:
        return [phone_target(data["phone"])]
    return [f"membership:{data['membership_number']}"]


@bp.post("/v1/pos/checkouts")
@staff_required(CASHIER)
@idempotent
@bp.input(OpenIn)
@bp.output(CheckoutOut, status_code=201)
@bp.doc(security="BearerAuth")
@refusals.recorded(lambda: (g.staff.store_id, None) if g.staff.store_id is not None else None)
@throttled(_identified_account, failures=IDENTIFICATION_FAILURES)
def open_checkout(json_data: dict[str, Any]) -> screen.CheckoutScreen:
    """Identify the shopper (checkout code, phone or membership number) for a basket.

    Answers both programs side by side and the suggested combination; nothing is
    held yet. With ``training`` the practice code opens a practice checkout."""
    s = db.session()
    opened = checkout.open_checkout(
        s, g.staff, _ident(json_data), currency=json_data["basket"]["currency"],
        lines=_lines(json_data["basket"]), cashier=json_data["cashier"],
        training=json_data["training"], code_time=clock.wall(), now=clock.now())
    return screen.checkout_screen(s, opened)


@bp.get("/v1/pos/checkouts/<int:checkout_id>")
@staff_required(CASHIER)
@bp.output(CheckoutOut)
@bp.doc(security="BearerAuth")
def show_checkout(checkout_id: int) -> screen.CheckoutScreen:
    """The checkout as the cashier sees it (and its receipt once committed)."""
    return _view(checkout_id)


@bp.post("/v1/pos/checkouts/<int:checkout_id>/rewards")
@staff_required(CASHIER)
@idempotent
@bp.input(ApplyIn)
@bp.output(CheckoutOut)
@bp.doc(security="BearerAuth")
def apply_rewards(checkout_id: int, json_data: dict[str, Any]) -> screen.CheckoutScreen:
    """Apply rewards of both programs in one step: the suggested combination (no
    ``rewards``) or the listed ones. Each places a hold that expires in a few minutes."""
    s = db.session()
    return screen.checkout_screen(s, checkout.apply_rewards(
        s, checkout_id, g.staff, json_data["rewards"], ttl=_hold_ttl(), now=clock.now()))


@bp.post("/v1/pos/checkouts/<int:checkout_id>/commit")
@staff_required(CASHIER)
@idempotent
@bp.input(CommitIn)
@bp.output(CheckoutOut)
@bp.doc(security="BearerAuth")
def commit_checkout(checkout_id: int, json_data: dict[str, Any]) -> screen.CheckoutScreen:
    """At tender: capture the holds, earn in both programs, answer the receipt. Points
    are spent only once the shopper agreed: on their phone, or ``shopper_agreed`` lists
    the rewards they agreed to when the cashier asked (else ``409 consent_required``).
    Retry with the same Idempotency-Key after a lost answer: same receipt, nothing twice."""
    s = db.session()
    return screen.checkout_screen(s, checkout.commit(
        s, checkout_id, g.staff, clock.now(), shopper_agreed=json_data["shopper_agreed"]))


@bp.get("/v1/me/checkout")
@shopper_required
@bp.output(MyCheckoutOut)
@bp.doc(security="BearerAuth", tags=["Shoppers"])
def my_checkout() -> dict[str, Any]:
    """My checkout at a register whose rewards wait for my answer ("Use 50 Corner Points
    for 1.00 off?"), or null. The app asks every few seconds while it is open."""
    s = db.session()
    asking = checkout.asking_checkout(s, g.shopper, clock.now())
    return {"checkout": screen.consent_screen(s, asking) if asking else None}


@bp.post("/v1/me/checkouts/<int:checkout_id>/consent")
@shopper_required
@idempotent
@bp.input(ConsentIn)
@bp.output(MyCheckoutOut)
@bp.doc(security="BearerAuth", tags=["Shoppers"])
def answer_consent(checkout_id: int, json_data: dict[str, Any]) -> dict[str, Any]:
    """Agree (or decline) to spend my points on exactly the rewards my phone showed;
    ``409 consent_out_of_date`` when the cashier changed them meanwhile."""
    s = db.session()
    answered = checkout.answer_consent(s, g.shopper, checkout_id, json_data["rewards"],
                                       agree=json_data["agree"])
    return {"checkout": screen.consent_screen(s, answered)}


@bp.post("/v1/pos/checkouts/<int:checkout_id>/void")
@staff_required(CASHIER)
@idempotent
@bp.output(CheckoutOut)
@bp.doc(security="BearerAuth")
def void_checkout(checkout_id: int) -> screen.CheckoutScreen:
    """Cancel the checkout; held points go back to the shopper."""
    s = db.session()
    return screen.checkout_screen(s, checkout.void(s, checkout_id, g.staff, clock.now()))


@bp.post("/v1/pos/checkouts/<int:checkout_id>/returns")
@staff_required(CASHIER)
@idempotent
@bp.input(ReturnIn)
@bp.output(ReturnOut, status_code=201)
@bp.doc(security="BearerAuth")
def return_items(checkout_id: int, json_data: dict[str, Any]) -> CheckoutReturn:
    """Goods brought back: earned points are clawed back pro rata (never below zero:
    the shortfall is recorded); redeemed points are not refunded, the money refund is
    the price paid after the rewards' discount."""
    return returns.return_items(db.session(), checkout_id, g.staff,
                                [ReturnedLine(**line) for line in json_data["lines"]],
                                clock.now())


@bp.post("/v1/pos/offline-earnings")
@staff_required(CASHIER)
@idempotent
@bp.input(OfflineEarningIn)
@bp.output(CheckoutOut, status_code=201)
@bp.doc(security="BearerAuth")
def offline_earning(json_data: dict[str, Any]) -> screen.CheckoutScreen:
    """A purchase made while the register was offline: earn its points once (the
    ``offline_id`` makes a resend harmless, also after days)."""
    s = db.session()
    earned = offline.record_offline_earning(
        s, g.staff, _ident(json_data), currency=json_data["basket"]["currency"],
        lines=_lines(json_data["basket"]), cashier=json_data["cashier"],
        purchased_at=json_data["purchased_at"], offline_key=json_data["offline_id"],
        now=clock.now())
    return screen.checkout_screen(s, earned)


# --- back office ------------------------------------------------------------------------

def _stores_for(store_code: str | None) -> list[Store]:
    s = db.session()
    if store_code is not None:
        return [scope.require_settlement_store(
            g.staff, s.scalars(settlement.select_store(store_code)).first())]
    return list(s.scalars(settlement.select_store(None).where(scope.settlement_stores(g.staff))))


@bp.get("/v1/admin/settlement")
@staff_required(MANAGER, PARTNER)
@bp.input(SettlementQuery, location="query")
@bp.output(SettlementOut)
@bp.doc(security="BearerAuth", tags=["Admin"])
def settlement_report(query_data: dict[str, Any]) -> dict[str, Any]:
    """What the partner program owes each store (partner points redeemed there) and
    what each store owes the partner (partner points issued), per store, for the
    UTC days ``from`` to ``to`` inclusive."""
    start, end = query_data["from_"], query_data["to"]
    stores = _stores_for(query_data["store"])
    return {"from": start.isoformat(), "to": end.isoformat(),
            "stores": settlement.totals(db.reports_session(), stores, start, end)}


@bp.get("/v1/admin/settlement/<store_code>.csv")
@staff_required(MANAGER, PARTNER)
@bp.input(SettlementCsvQuery, location="query")
@bp.doc(security="BearerAuth", tags=["Admin"])
def settlement_csv(store_code: str, query_data: dict[str, Any]) -> Response:
    """One store's settlement records as CSV, one row per checkout or return."""
    store = _stores_for(store_code)[0]
    body = settlement.csv_text(db.reports_session(), store, query_data["from_"], query_data["to"])
    filename = f"settlement-{store.code}-{query_data['from_']}-{query_data['to']}.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
