"""Checkout at the register: identify the shopper, offer and hold rewards of the store
and the partner program, commit (capture + earn + receipt + settlement in one
transaction), void, returns and earnings sent later by an offline register.

Every function flushes; the request's idempotency wrapper commits. Concurrency: a
checkout is changed only after ``SELECT ... FOR UPDATE`` of its row (PostgreSQL;
SQLite serializes writers), so two registers never both commit or void it.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext
from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rewards_api import i18n
from rewards_api.db import dialect_insert
from rewards_api.errors import ApiError
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import (
    PARTNER_PROGRAM,
    PURCHASE,
    RETURN,
    STORE_PROGRAM,
    Account,
    Hold,
    Program,
)
from rewards_api.pos import pricing
from rewards_api.pos.models import (
    AGREED,
    AGREED_ON_PHONE,
    AGREED_TO_CASHIER,
    BY_CODE,
    BY_MEMBERSHIP,
    BY_PHONE,
    BY_PRACTICE,
    COMMITTED,
    DECLINED_ON_PHONE,
    IDENTIFIED,
    OPEN_STATES,
    REWARDS_APPLIED,
    VOIDED,
    Checkout,
    CheckoutCodeUse,
    CheckoutReturn,
    EarnRule,
    Reward,
    SettlementRecord,
)
from rewards_api.products import gtin as gtins
from rewards_api.shoppers import services as shoppers
from rewards_api.shoppers.models import Shopper
from rewards_api.staff import scope
from rewards_api.staff.models import StaffKey
from rewards_api.stores.models import Store
from rewards_protocol import checkout_code

# A code up to 10 minutes old is answered "expired" (show the new one), anything else
# "wrong": the cashier's next step differs.
EXPIRED_LOOKBACK_STEPS = 20
# How long a register may have been offline and still send a purchase's earning.
OFFLINE_MAX_AGE = dt.timedelta(days=7)

# Training mode: the practice shopper's code (printed in the staff guide), balances
# and rewards. They go through the whole flow; nothing touches a ledger.
PRACTICE_NAME = "Practice Shopper"
PRACTICE_BALANCES = {STORE_PROGRAM: 1500, PARTNER_PROGRAM: 900}


def _practice_offers(program: Program) -> list[pricing.Offer]:
    if program.kind == STORE_PROGRAM:
        return [pricing.Offer(f"{program.code}:practice-2-off", program.code, "Practice: 2.00 off",
                              "amount_off", 150, amount_off_minor=200, min_basket_minor=500),
                pricing.Offer(f"{program.code}:practice-10-percent", program.code,
                              "Practice: 10% off (max 3.00)", "percent_off", 300,
                              percent_off=10, cap_minor=300)]
    return [pricing.Offer(f"{program.code}:practice-free-coffee", program.code,
                          "Practice: free coffee", "free_product", 250,
                          product_gtin=gtins.normalize(checkout_code.PRACTICE_PRODUCT_GTIN))]


# --- identification -------------------------------------------------------------------

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


# What ``identify`` answers when the code, phone or number finds nobody: the attempts
# the sign-in throttle counts (a basket in the wrong currency is no guess).
IDENTIFICATION_FAILURES = frozenset({
    "checkout_code_invalid", "checkout_code_wrong", "checkout_code_expired",
    "checkout_code_used", "shopper_not_found", "shopper_erased", "training_mismatch"})


def identify(s: Session, store: Store, ident: dict[str, Any], *, training: bool,
             now: dt.datetime) -> tuple[Shopper | None, str, int | None]:
    """(shopper, how, code step) from exactly one of code / phone / membership_number;
    the practice code gives no shopper and only in training mode."""
    code = ident.get("code")
    is_practice = code is not None and code.strip() == checkout_code.PRACTICE_CODE
    if training != is_practice:
        raise ApiError("training_mismatch")
    if is_practice:
        return None, BY_PRACTICE, None
    if code is not None:
        shopper, step = verify_checkout_code(s, code, now)
        return shopper, BY_CODE, step
    found: Shopper | None
    if ident.get("phone") is not None:
        phone = shoppers.normalize_phone(ident["phone"])
        found = s.scalars(select(Shopper).where(Shopper.phone == phone)).first()
        how = BY_PHONE
    else:
        program = store_program(s, store)
        account = s.scalars(select(Account).where(
            Account.program_id == (program.id if program else -1),
            Account.membership_number == ident["membership_number"])).first()
        found = s.get(Shopper, account.shopper_id) if account else None
        how = BY_MEMBERSHIP
    if found is None:
        raise ApiError("shopper_not_found")
    if found.erased_at is not None:
        raise ApiError("shopper_erased")
    return found, how, None


# --- programs, catalog, earn rules ------------------------------------------------------

def _request_cached(s: Session, key: tuple[Any, ...], make: Any) -> Any:
    """Programs, catalog and earn rules change rarely; one request reads each once
    (the session, and with it this cache, ends with the request)."""
    cache = s.info.setdefault("pos_cache", {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


def store_program(s: Session, store: Store) -> Program | None:
    return s.scalars(select(Program).where(Program.kind == STORE_PROGRAM,
                                           Program.chain_id == store.chain_id)).first()


def checkout_programs(s: Session, store: Store) -> list[Program]:
    """The programs a purchase in ``store`` takes part in: the chain's own, the partner's."""
    def load() -> list[Program]:
        found = s.scalars(select(Program).where(or_(
            (Program.kind == STORE_PROGRAM) & (Program.chain_id == store.chain_id),
            Program.kind == PARTNER_PROGRAM)).order_by(Program.id)).all()
        own = next((p for p in found if p.kind == STORE_PROGRAM), None)
        partner = next((p for p in found if p.kind == PARTNER_PROGRAM), None)
        return [p for p in (own, partner) if p is not None]
    return list(_request_cached(s, ("programs", store.chain_id), load))


def point_values(programs: Sequence[Program]) -> dict[str, int]:
    """What a point of each program is worth (minor units), by program code."""
    return {p.code: p.point_value_minor for p in programs}


def offer_of(reward: Reward) -> pricing.Offer:
    return pricing.Offer(
        ref=f"{reward.program.code}:{reward.code}", program=reward.program.code,
        name=reward.name, kind=reward.kind, points=reward.points_cost,
        amount_off_minor=reward.amount_off_minor, percent_off=reward.percent_off,
        cap_minor=reward.cap_minor, product_gtin=reward.product_gtin,
        min_basket_minor=reward.min_basket_minor,
        eligible_gtins=tuple(reward.eligible_gtins or ()))


def catalog(s: Session, programs: Sequence[Program], training: bool) -> list[pricing.Offer]:
    if training:
        return [offer for program in programs for offer in _practice_offers(program)]

    def load() -> list[pricing.Offer]:
        rewards = s.scalars(select(Reward).where(
            Reward.program_id.in_([p.id for p in programs]), Reward.active.is_(True))
            .order_by(Reward.id))
        return [offer_of(r) for r in rewards]
    return list(_request_cached(s, ("catalog", *(p.id for p in programs)), load))


def earn_rates(s: Session, programs: Sequence[Program]) -> dict[str, pricing.EarnRates]:
    """The earn rates of ``programs`` by program code (one query)."""
    def load() -> dict[str, pricing.EarnRates]:
        rules = s.scalars(select(EarnRule).where(
            EarnRule.program_id.in_([p.id for p in programs]))).all()
        rates = {}
        for program in programs:
            own = [r for r in rules if r.program_id == program.id]
            base = next((r.points_per_unit for r in own if r.gtin is None), 0)
            rates[program.code] = pricing.EarnRates(
                base, {r.gtin: r.multiplier for r in own if r.gtin is not None})
        return rates
    rates: dict[str, pricing.EarnRates] = _request_cached(
        s, ("earn", *(p.id for p in programs)), load)
    return rates


# --- the checkout -----------------------------------------------------------------------

def _lines(checkout: Checkout) -> list[pricing.Line]:
    return [pricing.Line(x["gtin"], x["quantity"], x["unit_price_minor"]) for x in checkout.basket]


# Statements every checkout request runs, built once (building costs more than running).
_ACCOUNTS_OF = select(Account).where(Account.shopper_id == bindparam("shopper_id"))
_LOCKED_CHECKOUT = (select(Checkout).where(Checkout.id == bindparam("checkout_id"))
                    .with_for_update(of=Checkout).execution_options(populate_existing=True))
_HOLDS_BY_ID = select(Hold).where(Hold.id.in_(bindparam("hold_ids", expanding=True)))


def _accounts(s: Session, checkout: Checkout) -> dict[int, Account]:
    """The shopper's accounts by program id (none for a practice checkout)."""
    if checkout.shopper_id is None:
        return {}
    return {a.program_id: a for a in s.scalars(_ACCOUNTS_OF, {"shopper_id": checkout.shopper_id})}


def _locked_accounts(s: Session, checkout: Checkout) -> dict[int, Account]:
    """``_accounts``, row-locked in the one lock order (ledger.lock_accounts); none for
    a practice checkout."""
    if checkout.shopper_id is None or checkout.training:
        return {}
    return {a.program_id: a for a in ledger.lock_accounts(s, shoppers=[checkout.shopper_id])}


def _shopper(s: Session, checkout: Checkout) -> Shopper:
    """The checkout's shopper, read once per request."""
    shopper: Shopper | None = _request_cached(s, ("shopper", checkout.shopper_id),
                                              lambda: s.get(Shopper, checkout.shopper_id))
    assert shopper is not None, "only practice checkouts have no shopper"
    return shopper


def _budgets(checkout: Checkout, programs: Sequence[Program], accounts: dict[int, Account]
             ) -> dict[str, int]:
    """Points each program can spend on this checkout: what is available plus what this
    checkout already holds (re-applying swaps holds, it does not stack them)."""
    budgets = {}
    for program in programs:
        if checkout.training:
            budgets[program.code] = PRACTICE_BALANCES[program.kind]
            continue
        account = accounts.get(program.id)
        own = sum(a["points"] for a in checkout.applied if a["program"] == program.code)
        budgets[program.code] = (account.available if account else 0) + own
    return budgets


def open_checkout(s: Session, staff: StaffKey, *, ident: dict[str, Any], basket: dict[str, Any],
                  cashier: str, training: bool, now: dt.datetime) -> Checkout:
    """Identify the shopper for a basket at the register of ``staff``."""
    store = _register_store(staff)
    shopper, how, step = identify(s, store, ident, training=training, now=now)
    if shopper is not None:
        _request_cached(s, ("shopper", shopper.id), lambda: shopper)
    checkout = Checkout(
        store_id=store.id, staff_key_id=staff.id, cashier=cashier.strip(),
        shopper_id=shopper.id if shopper else None, identified_by=how, code_step=step,
        training=training, status=IDENTIFIED, currency=basket["currency"],
        basket=[dict(line, discount_minor=0) for line in basket["lines"]], applied=[],
        created_at=now)
    checkout.store = store
    programs = checkout_programs(s, store)
    _check_currency(programs, checkout.currency)
    checkout.rewards_offered = bool(pricing.suggest(
        _lines(checkout), catalog(s, programs, training),
        _budgets(checkout, programs, _accounts(s, checkout)), point_values(programs)))
    s.add(checkout)
    s.flush()
    return checkout


def _register_store(staff: StaffKey) -> Store:
    if staff.store is None:
        raise ApiError("forbidden", "Checkouts are opened with the key of a store's register.")
    return staff.store


def _check_currency(programs: Sequence[Program], currency: str) -> None:
    for program in programs:
        if program.currency != currency:
            raise ApiError("invalid_request",
                           f"{program.name} counts in {program.currency}; send the basket in "
                           f"{program.currency}.", details={"basket": ["currency"]})


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


def _release_holds(s: Session, checkout: Checkout, now: dt.datetime) -> None:
    for applied in checkout.applied:
        if applied["hold_id"] is not None:
            hold = s.get(Hold, applied["hold_id"])
            assert hold is not None
            ledger.release(s, hold, now=now)


def apply_rewards(s: Session, checkout_id: int, staff: StaffKey, refs: list[str] | None, *,
                  ttl: dt.timedelta, now: dt.datetime) -> Checkout:
    """Apply exactly ``refs`` (or, if None, the suggested combination): earlier holds of
    this checkout are released and one hold per reward is placed."""
    checkout = locked_checkout(s, checkout_id, staff)
    _require_open(checkout)
    programs = checkout_programs(s, checkout.store)
    offers = {o.ref: o for o in catalog(s, programs, checkout.training)}
    accounts = _locked_accounts(s, checkout)
    budgets = _budgets(checkout, programs, accounts)
    _release_holds(s, checkout, now)
    lines = _lines(checkout)
    if refs is None:
        chosen = pricing.suggest(lines, list(offers.values()), budgets, point_values(programs))
    else:
        if len(set(refs)) != len(refs):
            raise ApiError("invalid_request", "Each reward can be applied once per checkout.")
        unknown = [ref for ref in refs if ref not in offers]
        if unknown:
            raise ApiError("reward_not_found", details={"rewards": unknown})
        chosen = [offers[ref] for ref in refs]
    try:
        priced = pricing.price(lines, chosen)
    except pricing.NotEligible as exc:
        raise ApiError("reward_not_eligible", f"{exc}; choose another reward.",
                       details={"reward": exc.offer.ref}) from exc
    by_code = {p.code: p for p in programs}
    applied = []
    for offer in chosen:
        hold_id = None
        if not checkout.training:
            if offer.points > budgets[offer.program]:
                raise ApiError("insufficient_points")
            program = by_code[offer.program]
            account = accounts.get(program.id) or shoppers.account_for(
                s, _shopper(s, checkout), program)
            accounts[program.id] = account
            hold = ledger.reserve(s, account, offer.points, ttl=ttl, now=now,
                                  reference=f"checkout:{checkout.id}", store_id=checkout.store_id)
            hold_id = hold.id
        applied.append({"reward": offer.ref, "program": offer.program, "name": offer.name,
                        "points": offer.points, "discount_minor": priced.discounts[offer.ref],
                        "hold_id": hold_id})
    checkout.applied = applied
    checkout.basket = [dict(line, discount_minor=d)
                       for line, d in zip(checkout.basket, priced.line_discounts, strict=True)]
    checkout.status = REWARDS_APPLIED if applied else IDENTIFIED
    checkout.rewards_applied = bool(applied)
    checkout.consent = None  # these rewards have not been agreed to yet
    s.flush()
    return checkout


def _require_same_rewards(checkout: Checkout, refs: Sequence[str]) -> None:
    """Consent is to exactly the rewards applied now, not to an earlier choice."""
    if sorted(refs) != sorted(a["reward"] for a in checkout.applied):
        raise ApiError("consent_out_of_date", details={
            "applied": [a["reward"] for a in checkout.applied]})


# --- the shopper's consent on their phone ---------------------------------------------

def asking_checkout(s: Session, shopper: Shopper, now: dt.datetime) -> Checkout | None:
    """The shopper's open checkout whose rewards wait for their answer (or got it),
    while its held points are still reserved."""
    checkout = s.scalars(select(Checkout).where(
        Checkout.shopper_id == shopper.id, Checkout.status == REWARDS_APPLIED)
        .order_by(Checkout.id.desc()).limit(1)).first()
    if checkout is None:
        return None
    holds = list(s.scalars(_HOLDS_BY_ID, {"hold_ids": [a["hold_id"] for a in checkout.applied]}))
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


def _points_text(points: int, program_name: str) -> str:
    if program_name.lower().endswith("points"):  # "Corner Points", not "Corner Points points"
        return f"{i18n.number(points)} {program_name}"
    return gettext("%(points)s %(program)s points", points=i18n.number(points),
                   program=program_name)


def _question(checkout: Checkout, programs: Sequence[Program]) -> str | None:
    """What the shopper is asked, on the phone and by the cashier alike, in the
    caller's language: "Use 50 Corner Points for 1.00 off?"; None without rewards."""
    if not checkout.applied:
        return None
    spent = [(p, sum(a["points"] for a in checkout.applied if a["program"] == p.code))
             for p in programs]
    discount = sum(a["discount_minor"] for a in checkout.applied)
    return gettext("Use %(points)s for %(discount)s off?",
                   points=i18n.listing([_points_text(n, p.name) for p, n in spent if n]),
                   discount=i18n.amount(discount))


def _why_not(refusal: pricing.NotEligible) -> str:
    """Why a reward does not fit, in the caller's language."""
    why = (gettext(refusal.why) if refusal.minimum_minor is None
           else gettext(refusal.why, minimum=i18n.amount(refusal.minimum_minor)))
    return gettext("%(reward)s: %(why)s", reward=refusal.offer.name, why=why)


def consent_view(s: Session, checkout: Checkout) -> dict[str, Any]:
    """What the shopper's phone shows of a checkout waiting for their answer."""
    return {"id": checkout.id, "store": checkout.store.name, "currency": checkout.currency,
            "question": _question(checkout, checkout_programs(s, checkout.store)),
            "discount_minor": sum(a["discount_minor"] for a in checkout.applied),
            "consent": _consent(checkout),
            "rewards": [_applied_view(a) for a in checkout.applied]}


def _applied_view(applied: dict[str, Any]) -> dict[str, Any]:
    return {k: applied[k] for k in ("reward", "program", "name", "points", "discount_minor")}


def _consent(checkout: Checkout) -> str | None:
    """None without rewards; "pending" until the shopper answers; else how they did."""
    if not checkout.applied:
        return None
    return checkout.consent or "pending"


def void(s: Session, checkout_id: int, staff: StaffKey, now: dt.datetime) -> Checkout:
    """Cancel an open checkout: its holds are released. Voiding twice is harmless."""
    checkout = locked_checkout(s, checkout_id, staff)
    if checkout.status == VOIDED:
        return checkout
    _require_open(checkout)
    _locked_accounts(s, checkout)
    _release_holds(s, checkout, now)
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
    _complete(s, checkout, staff, now)
    return checkout


def _complete(s: Session, checkout: Checkout, staff: StaffKey, now: dt.datetime) -> None:
    actor = f"staff:{staff.id}"
    if checkout.code_step is not None:
        used = s.execute(
            dialect_insert(s, CheckoutCodeUse)
            .values(shopper_id=checkout.shopper_id, step=checkout.code_step,
                    checkout_id=checkout.id)
            .on_conflict_do_nothing(index_elements=["shopper_id", "step"])
            .returning(CheckoutCodeUse.step)).first()
        if used is None:
            raise ApiError("checkout_code_used")
    programs = checkout_programs(s, checkout.store)
    lines = _lines(checkout)
    line_discounts = [line["discount_minor"] for line in checkout.basket]
    accounts: dict[str, Account] = {}
    if not checkout.training:
        locked = _locked_accounts(s, checkout)
        for program in programs:
            accounts[program.code] = (locked.get(program.id)
                                      or shoppers.account_for(s, _shopper(s, checkout), program))
        holds = {h.id: h for h in s.scalars(
            _HOLDS_BY_ID, {"hold_ids": [a["hold_id"] for a in checkout.applied]})}
        for applied in checkout.applied:
            ledger.capture(s, holds[applied["hold_id"]], actor=actor, now=now)
    earned: dict[str, int] = {}
    line_points: list[dict[str, int]] = [{} for _ in lines]
    for program in programs:
        per_line = pricing.earn(lines, line_discounts, earn_rates(s, programs)[program.code])
        for points_of_line, points in zip(line_points, per_line, strict=True):
            points_of_line[program.code] = points
        earned[program.code] = sum(per_line)
        if earned[program.code] > 0 and not checkout.training:
            ledger.post_entry(s, accounts[program.code], PURCHASE, earned[program.code],
                              reference=f"checkout:{checkout.id}", actor=actor,
                              idempotency_key=f"checkout:{checkout.id}:earn",
                              store_id=checkout.store_id, at=now)
    # What each line earned, kept for pro-rata clawback on returns.
    checkout.basket = [dict(line, points=points)
                       for line, points in zip(checkout.basket, line_points, strict=True)]
    if not checkout.training:
        _settle(s, checkout, programs, earned, now)
    checkout.receipt = _receipt(checkout, programs, earned, accounts)
    checkout.status = COMMITTED
    checkout.committed_at = now
    s.flush()


def _settle(s: Session, checkout: Checkout, programs: Sequence[Program], earned: dict[str, int],
            now: dt.datetime) -> None:
    for program in programs:
        if program.kind != PARTNER_PROGRAM:
            continue
        redeemed = sum(a["points"] for a in checkout.applied if a["program"] == program.code)
        issued = earned.get(program.code, 0)
        if redeemed or issued:
            s.add(SettlementRecord(
                store_id=checkout.store_id, program_id=program.id, checkout_id=checkout.id,
                points_redeemed=redeemed, points_issued=issued,
                owed_to_store_minor=redeemed * program.point_value_minor,
                owed_to_partner_minor=issued * program.point_value_minor,
                currency=program.currency, created_at=now))


def _receipt(checkout: Checkout, programs: Sequence[Program], earned: dict[str, int],
             accounts: dict[str, Account]) -> dict[str, Any]:
    lines: list[dict[str, Any]] = []
    for program in programs:
        for applied in checkout.applied:
            if applied["program"] == program.code:
                lines.append({"program": program.code, "kind": "redeemed",
                              "text": f"{program.name}: {applied['name']}",
                              "points": -applied["points"],
                              "amount_minor": -applied["discount_minor"]})
        lines.append({"program": program.code, "kind": "earned",
                      "text": gettext("%(program)s: points earned", program=program.name),
                      "points": earned[program.code],
                      "amount_minor": 0})
        balance = (PRACTICE_BALANCES[program.kind]
                   - sum(a["points"] for a in checkout.applied if a["program"] == program.code)
                   + earned[program.code]) if checkout.training else accounts[program.code].balance
        lines.append({"program": program.code, "kind": "balance",
                      "text": gettext("%(program)s: new balance", program=program.name),
                      "points": balance,
                      "amount_minor": 0})
    gross = sum(x["quantity"] * x["unit_price_minor"] for x in checkout.basket)
    discount = sum(a["discount_minor"] for a in checkout.applied)
    return {"checkout_id": checkout.id, "training": checkout.training, "lines": lines,
            "total_minor": gross, "discount_minor": discount, "to_pay_minor": gross - discount}


# --- returns ----------------------------------------------------------------------------

def return_items(s: Session, checkout_id: int, staff: StaffKey, items: list[dict[str, Any]],
                 now: dt.datetime) -> CheckoutReturn:
    """Goods come back against a committed checkout.

    Earned points are clawed back pro rata to the returned quantity (cumulatively
    rounded, so several partial returns add up to the whole). A clawback never takes a
    balance below zero or below its holds: what the balance cannot cover is recorded
    as ``shortfall`` on the return. Points redeemed for rewards are not given back:
    the refund is what was paid for the items, i.e. after their share of the discount.
    """
    checkout = locked_checkout(s, checkout_id, staff)
    if checkout.status != COMMITTED:
        raise ApiError("checkout_closed", "Only a completed checkout can take returns.")
    returned_before: dict[str, int] = {}
    for earlier in s.scalars(select(CheckoutReturn).where(CheckoutReturn.checkout_id == checkout.id)):
        for item in earlier.lines:
            returned_before[item["gtin"]] = returned_before.get(item["gtin"], 0) + item["quantity"]
    programs = checkout_programs(s, checkout.store)
    clawback = {p.code: 0 for p in programs}
    refund = 0
    for item in items:
        bought = [x for x in checkout.basket if x["gtin"] == item["gtin"]]
        quantity = sum(x["quantity"] for x in bought)
        before = returned_before.get(item["gtin"], 0)
        if before + item["quantity"] > quantity:
            raise ApiError("return_quantity_too_large", details={"gtin": item["gtin"],
                                                                  "returnable": quantity - before})
        returned_before[item["gtin"]] = before + item["quantity"]

        def share(total: int, qty: int = quantity, was: int = before, now_: int = item["quantity"]
                  ) -> int:
            return total * (was + now_) // qty - total * was // qty

        refund += share(sum(x["quantity"] * x["unit_price_minor"] - x["discount_minor"]
                            for x in bought))
        for program in programs:
            clawback[program.code] += share(sum(x["points"][program.code] for x in bought))
    _locked_accounts(s, checkout)
    record = CheckoutReturn(checkout_id=checkout.id, staff_key_id=staff.id, lines=items,
                            points={}, refund_minor=refund, created_at=now)
    s.add(record)
    s.flush()
    points: dict[str, Any] = {}
    for program in programs:
        taken = 0
        if not checkout.training and clawback[program.code] > 0:
            account = shoppers.account_for(s, _shopper(s, checkout), program)
            taken = min(clawback[program.code], max(account.available, 0))
            if taken:
                ledger.post_entry(s, account, RETURN, -taken, reference=f"checkout:{checkout.id}",
                                  actor=f"staff:{staff.id}", store_id=checkout.store_id,
                                  idempotency_key=f"return:{record.id}", at=now)
        points[program.code] = {"clawed_back": taken, "shortfall": clawback[program.code] - taken}
        if program.kind == PARTNER_PROGRAM and taken and not checkout.training:
            s.add(SettlementRecord(
                store_id=checkout.store_id, program_id=program.id, checkout_id=checkout.id,
                return_id=record.id, points_redeemed=0, points_issued=-taken,
                owed_to_store_minor=0, owed_to_partner_minor=-taken * program.point_value_minor,
                currency=program.currency, created_at=now))
    record.points = points
    s.flush()
    return record


# --- earning sent later by an offline register -----------------------------------------

def record_offline_earning(s: Session, staff: StaffKey, *, ident: dict[str, Any],
                           basket: dict[str, Any], cashier: str, purchased_at: dt.datetime,
                           offline_key: str, now: dt.datetime) -> Checkout:
    """A purchase made while the register was offline earns its points now, once: the
    queue item's ``offline_key`` is unique per store, so a resend returns the same
    checkout. The checkout code is checked at the time of purchase."""
    store = _register_store(staff)
    existing = s.scalars(select(Checkout).where(Checkout.store_id == store.id,
                                                Checkout.offline_key == offline_key)).first()
    if existing is not None:
        return existing
    if not now - OFFLINE_MAX_AGE <= purchased_at <= now + dt.timedelta(minutes=5):
        raise ApiError("offline_earning_too_old")
    shopper, how, step = identify(s, store, ident, training=False, now=purchased_at)
    checkout = Checkout(
        store_id=store.id, staff_key_id=staff.id, cashier=cashier.strip(),
        shopper_id=shopper.id if shopper else None, identified_by=how, code_step=step,
        currency=basket["currency"], status=IDENTIFIED, offline_key=offline_key,
        basket=[dict(line, discount_minor=0) for line in basket["lines"]], applied=[],
        created_at=purchased_at)
    checkout.store = store
    _check_currency(checkout_programs(s, store), checkout.currency)
    try:
        with s.begin_nested():
            s.add(checkout)
            s.flush()
    except IntegrityError:  # the same purchase sent twice at once: the first one counts
        return s.scalars(select(Checkout).where(Checkout.store_id == store.id,
                                                Checkout.offline_key == offline_key)).one()
    _complete(s, checkout, staff, now)
    return checkout


# --- what the register shows --------------------------------------------------------------

def checkout_view(s: Session, checkout: Checkout) -> dict[str, Any]:
    """Everything the cashier sees: both programs side by side with balances, the
    rewards on offer (and why one does not apply), the suggested combination, what
    is applied, the points the purchase will earn, totals and the receipt."""
    programs = checkout_programs(s, checkout.store)
    lines = _lines(checkout)
    offers = catalog(s, programs, checkout.training)
    accounts = _accounts(s, checkout)
    budgets = _budgets(checkout, programs, accounts)
    suggested = (pricing.suggest(lines, offers, budgets, point_values(programs))
                 if checkout.status in OPEN_STATES else [])
    line_discounts = [line["discount_minor"] for line in checkout.basket]
    shopper = _shopper(s, checkout) if checkout.shopper_id else None
    program_views = []
    for program in programs:
        account = accounts.get(program.id)
        balance = (PRACTICE_BALANCES[program.kind] if checkout.training
                   else account.balance if account else 0)
        rewards = []
        for offer in offers:
            if offer.program != program.code:
                continue
            value, refusal = pricing.value_alone(lines, offer)
            why = None if refusal is None else _why_not(refusal)
            if why is None and offer.points > budgets[program.code]:
                why = gettext("%(reward)s: needs %(points)s points", reward=offer.name,
                              points=i18n.number(offer.points))
            rewards.append({"reward": offer.ref, "name": offer.name, "kind": offer.kind,
                            "points": offer.points, "value_minor": value,
                            "eligible": why is None, "why_not": why})
        program_views.append({
            "program": program.code, "name": program.name, "kind": program.kind,
            "balance": balance, "available": budgets[program.code], "rewards": rewards,
            "earn_preview": sum(pricing.earn(lines, line_discounts,
                                             earn_rates(s, programs)[program.code])),
        })
    hold_ids = [a["hold_id"] for a in checkout.applied if a["hold_id"] is not None]
    holds = list(s.scalars(_HOLDS_BY_ID, {"hold_ids": hold_ids})) if hold_ids else []
    gross = sum(line.total_minor for line in lines)
    discount = sum(a["discount_minor"] for a in checkout.applied)
    return {
        "id": checkout.id, "status": checkout.status, "training": checkout.training,
        "store": checkout.store.code, "cashier": checkout.cashier,
        "identified_by": checkout.identified_by,
        "shopper": {"display_name": shopper.display_name if shopper else PRACTICE_NAME},
        "currency": checkout.currency,
        "programs": program_views,
        "suggested": [o.ref for o in suggested],
        "suggested_value_minor": pricing.price(lines, suggested).total_discount if suggested else 0,
        "applied": [_applied_view(a) for a in checkout.applied],
        "consent": _consent(checkout),
        "question": _question(checkout, programs),
        "lines": [{k: line.get(k) for k in ("gtin", "description", "quantity",
                                            "unit_price_minor", "discount_minor")}
                  for line in checkout.basket],
        "holds_expire_at": min(h.expires_at for h in holds).isoformat() if holds else None,
        "totals": {"basket_minor": gross, "discount_minor": discount,
                   "to_pay_minor": gross - discount},
        "receipt": checkout.receipt,
    }


def export_checkouts(s: Session, shopper: Shopper) -> list[dict[str, Any]]:
    """The shopper's checkouts for ``GET /v1/me/export``."""
    return [{"id": c.id, "store": c.store.code, "status": c.status,
             "created_at": c.created_at.isoformat(),
             "committed_at": c.committed_at.isoformat() if c.committed_at else None,
             "basket": c.basket, "applied": c.applied, "receipt": c.receipt}
            for c in s.scalars(select(Checkout).where(Checkout.shopper_id == shopper.id)
                               .order_by(Checkout.id))]


shoppers.EXPORTERS["checkouts"] = export_checkouts
