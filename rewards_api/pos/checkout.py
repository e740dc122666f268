"""The checkout flow at the register: open (identify + basket), apply rewards (one hold
per reward), the shopper's consent, void, and commit (capture + earn + receipt +
settlement in one transaction).

Every function flushes; the request's unit of work commits. Concurrency: a checkout
is changed only after ``SELECT ... FOR UPDATE`` of its row (PostgreSQL; SQLite
serializes writers), so two registers never both commit or void it. Points move only
through the checkout's ``Wallet`` (``rewards_api.pos.wallet``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from rewards_api.db import dialect_insert
from rewards_api.errors import ApiError
from rewards_api.ledger.models import Program
from rewards_api.pos import offers, pricing
from rewards_api.pos.identification import Identification, identify
from rewards_api.pos.models import (
    AGREED,
    AGREED_ON_PHONE,
    AGREED_TO_CASHIER,
    COMMITTED,
    DECLINED_ON_PHONE,
    IDENTIFIED,
    REWARDS_APPLIED,
    VOIDED,
    Checkout,
    CheckoutCodeUse,
)
from rewards_api.pos.receipt import receipt_of
from rewards_api.pos.values import (
    AppliedReward,
    BasketLine,
    applied_of,
    basket_of,
    set_applied,
    set_basket,
)
from rewards_api.pos.wallet import HOLDS_BY_ID, Wallet, wallet_for
from rewards_api.shoppers.models import Shopper
from rewards_api.staff import scope
from rewards_api.staff.models import StaffKey
from rewards_api.stores.models import Store
from rewards_api.stores.services import open_store

_LOCKED_CHECKOUT = (select(Checkout).where(Checkout.id == bindparam("checkout_id"))
                    .with_for_update(of=Checkout).execution_options(populate_existing=True))


def budgets(wallet: Wallet, programs: Sequence[Program]) -> dict[str, int]:
    """What each program (by code) can spend on the checkout of ``wallet``."""
    return {program.code: wallet.budget(program) for program in programs}


def register_store(staff: StaffKey) -> Store:
    """The store of a register's key; checkouts are opened only there."""
    if staff.store is None:
        raise ApiError("forbidden", "Checkouts are opened with the key of a store's register.")
    return open_store(staff.store)


def new_checkout(s: Session, staff: StaffKey, ident: Identification, *, currency: str,
                 lines: Sequence[BasketLine], cashier: str, training: bool,
                 code_time: dt.datetime, created_at: dt.datetime) -> Checkout:
    """A checkout at the register of ``staff`` for the shopper ``ident`` names (a
    checkout code valid at ``code_time``), not yet added to the session."""
    store = register_store(staff)
    who = identify(s, store, ident, training=training, code_time=code_time)
    if who.shopper is not None:
        offers.request_cached(s, ("shopper", who.shopper.id), lambda: who.shopper)
    checkout = Checkout(
        store_id=store.id, staff_key_id=staff.id, cashier=cashier.strip(),
        shopper_id=who.shopper.id if who.shopper else None, identified_by=who.how,
        code_step=who.code_step, training=training, status=IDENTIFIED, currency=currency,
        applied=[], created_at=created_at)
    set_basket(checkout, lines)
    checkout.store = store
    offers.check_currency(offers.checkout_programs(s, store), currency)
    return checkout


def open_checkout(s: Session, staff: StaffKey, ident: Identification, *, currency: str,
                  lines: Sequence[BasketLine], cashier: str, training: bool,
                  code_time: dt.datetime, now: dt.datetime) -> Checkout:
    """Identify the shopper for a basket at the register of ``staff``. Checkout codes
    come from the phone's own clock: ``code_time`` is real time (``clock.wall()``), also
    when the app runs on a simulated clock (``now``)."""
    checkout = new_checkout(s, staff, ident, currency=currency, lines=lines, cashier=cashier,
                            training=training, code_time=code_time, created_at=now)
    programs = offers.checkout_programs(s, checkout.store)
    wallet = wallet_for(s, checkout)
    checkout.rewards_offered = bool(pricing.suggest(
        basket_of(checkout), wallet.offers(programs), budgets(wallet, programs),
        offers.point_values(programs)))
    s.add(checkout)
    s.flush()
    return checkout


def locked_checkout(s: Session, checkout_id: int, staff: StaffKey) -> Checkout:
    """The checkout, row-locked for the rest of the transaction; staff of its store only."""
    checkout = s.scalars(_LOCKED_CHECKOUT, {"checkout_id": checkout_id}).first()
    if checkout is None or not scope.may_act_in(staff, checkout.store):
        raise ApiError("checkout_not_found")
    return checkout


def get_checkout(s: Session, checkout_id: int, staff: StaffKey) -> Checkout:
    checkout = s.get(Checkout, checkout_id)
    if checkout is None or not scope.may_act_in(staff, checkout.store):
        raise ApiError("checkout_not_found")
    return checkout


def _require_open(checkout: Checkout) -> None:
    if checkout.status == COMMITTED:
        raise ApiError("checkout_closed", "This checkout is already completed; start a new "
                       "one for the next sale.")
    if checkout.status == VOIDED:
        raise ApiError("checkout_closed", "This checkout was voided; scan the shopper's code "
                       "again to start over.")


def _chosen_offers(refs: list[str], on_offer: dict[str, pricing.Offer]) -> list[pricing.Offer]:
    if len(set(refs)) != len(refs):
        raise ApiError("invalid_request", "Each reward can be applied once per checkout.")
    unknown = [ref for ref in refs if ref not in on_offer]
    if unknown:
        raise ApiError("reward_not_found", details={"rewards": unknown})
    return [on_offer[ref] for ref in refs]


def apply_rewards(s: Session, checkout_id: int, staff: StaffKey, refs: list[str] | None, *,
                  ttl: dt.timedelta, now: dt.datetime) -> Checkout:
    """Apply exactly ``refs`` (or, if None, the suggested combination): earlier holds of
    this checkout are released and one hold per reward is placed."""
    checkout = locked_checkout(s, checkout_id, staff)
    _require_open(checkout)
    programs = offers.checkout_programs(s, checkout.store)
    wallet = wallet_for(s, checkout, locked=True)
    on_offer = {o.ref: o for o in wallet.offers(programs)}
    budget = budgets(wallet, programs)
    wallet.release(applied_of(checkout), now)
    lines = basket_of(checkout)
    chosen = (pricing.suggest(lines, list(on_offer.values()), budget,
                              offers.point_values(programs))
              if refs is None else _chosen_offers(refs, on_offer))
    try:
        priced = pricing.price(lines, chosen)
    except pricing.NotEligible as exc:
        raise ApiError("reward_not_eligible", "%(why)s; choose another reward.",
                       params={"why": offers.why_not(exc)}, details={"reward": exc.offer.ref}) from exc
    by_code = {p.code: p for p in programs}
    applied = []
    for offer in chosen:
        if offer.points > budget[offer.program]:
            raise ApiError("insufficient_points")
        hold_id = wallet.hold(by_code[offer.program], offer.points, ttl=ttl, now=now)
        applied.append(AppliedReward(offer.ref, offer.program, offer.name, offer.points,
                                     priced.discounts[offer.ref], hold_id))
    set_applied(checkout, applied)
    set_basket(checkout, [replace(line, discount_minor=d)
                          for line, d in zip(lines, priced.line_discounts, strict=True)])
    checkout.status = REWARDS_APPLIED if applied else IDENTIFIED
    checkout.rewards_applied = bool(applied)
    checkout.consent = None  # these rewards have not been agreed to yet
    s.flush()
    return checkout


def _require_same_rewards(checkout: Checkout, refs: Sequence[str]) -> None:
    """Consent is to exactly the rewards applied now, not to an earlier choice."""
    applied = [a.reward for a in applied_of(checkout)]
    if sorted(refs) != sorted(applied):
        raise ApiError("consent_out_of_date", details={"applied": applied})


# --- the shopper's consent on their phone ---------------------------------------------

def asking_checkout(s: Session, shopper: Shopper, now: dt.datetime) -> Checkout | None:
    """The shopper's open checkout whose rewards wait for their answer (or got it),
    while its held points are still reserved."""
    checkout = s.scalars(select(Checkout).where(
        Checkout.shopper_id == shopper.id, Checkout.status == REWARDS_APPLIED)
        .order_by(Checkout.id.desc()).limit(1)).first()
    if checkout is None:
        return None
    holds = s.scalars(HOLDS_BY_ID, {"hold_ids": [a.hold_id for a in applied_of(checkout)]})
    if any(h.expires_at <= now for h in holds):
        return None
    return checkout


def answer_consent(s: Session, shopper: Shopper, checkout_id: int, refs: list[str], *,
                   agree: bool) -> Checkout:
    """The shopper agrees (or declines) on their phone to the rewards ``refs``."""
    checkout = s.scalars(_LOCKED_CHECKOUT, {"checkout_id": checkout_id}).first()
    if checkout is None or checkout.shopper_id != shopper.id:
        raise ApiError("checkout_not_found", "There is no such checkout of yours.")
    _require_open(checkout)
    _require_same_rewards(checkout, refs)
    checkout.consent = AGREED_ON_PHONE if agree else DECLINED_ON_PHONE
    s.flush()
    return checkout


def void(s: Session, checkout_id: int, staff: StaffKey, now: dt.datetime) -> Checkout:
    """Cancel an open checkout: its holds are released. Voiding twice is harmless."""
    checkout = locked_checkout(s, checkout_id, staff)
    if checkout.status == VOIDED:
        return checkout
    _require_open(checkout)
    wallet_for(s, checkout, locked=True).release(applied_of(checkout), now)
    checkout.status = VOIDED
    checkout.voided_at = now
    s.flush()
    return checkout


def commit(s: Session, checkout_id: int, staff: StaffKey, now: dt.datetime, *,
           shopper_agreed: list[str] | None = None) -> Checkout:
    """Tender: capture every hold, write the earning in both programs, the settlement
    record and the receipt, all in the caller's one transaction.

    Points are spent only with the shopper's consent: they agreed on their phone, or
    the cashier asked them and sends the rewards they agreed to (``shopper_agreed``)."""
    checkout = locked_checkout(s, checkout_id, staff)
    _require_open(checkout)
    if shopper_agreed is not None:
        _require_same_rewards(checkout, shopper_agreed)
        checkout.consent = AGREED_TO_CASHIER
    if checkout.applied and checkout.consent not in AGREED:
        if checkout.consent == DECLINED_ON_PHONE:
            raise ApiError("consent_required", "The shopper declined these rewards on their "
                           "phone: remove them, or ask again and press «Shopper agreed: "
                           "complete sale» if they now agree.")
        raise ApiError("consent_required")
    complete(s, checkout, staff, now)
    return checkout


def _use_code(s: Session, checkout: Checkout) -> None:
    """The checkout code that identified the shopper pays once, ever."""
    if checkout.code_step is None:
        return
    used = s.execute(
        dialect_insert(s, CheckoutCodeUse)
        .values(shopper_id=checkout.shopper_id, step=checkout.code_step,
                checkout_id=checkout.id)
        .on_conflict_do_nothing(index_elements=["shopper_id", "step"])
        .returning(CheckoutCodeUse.step)).first()
    if used is None:
        raise ApiError("checkout_code_used")


def complete(s: Session, checkout: Checkout, staff: StaffKey, now: dt.datetime) -> None:
    """Spend the applied rewards' points, earn in every program, keep what each line
    earned (for returns) and the receipt: the checkout is committed."""
    actor = f"staff:{staff.id}"
    _use_code(s, checkout)
    programs = offers.checkout_programs(s, checkout.store)
    wallet = wallet_for(s, checkout, locked=True)
    wallet.walk_in_at_till(actor=actor)
    applied = applied_of(checkout)
    wallet.capture(applied, actor=actor, now=now)
    lines = basket_of(checkout)
    rates = offers.earn_rates(s, programs)
    line_points: list[dict[str, int]] = [{} for _ in lines]
    earned: dict[str, int] = {}
    for program in programs:
        per_line = pricing.earn(lines, [line.discount_minor for line in lines],
                                rates[program.code])
        for points_of_line, points in zip(line_points, per_line, strict=True):
            points_of_line[program.code] = points
        earned[program.code] = sum(per_line)
        wallet.earn(program, earned[program.code], actor=actor, now=now)
    set_basket(checkout, [replace(line, points=points)
                          for line, points in zip(lines, line_points, strict=True)])
    checkout.receipt = receipt_of(checkout, programs, earned, wallet).to_json()
    checkout.status = COMMITTED
    checkout.committed_at = now
    s.flush()
