"""What the register and the shopper's phone show of a checkout: both programs side by
side with balances, the rewards on offer (and why one does not apply), the suggested
combination, what is applied, the question the shopper is asked, totals and receipt.

Values only: the views' schemas shape them into JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards_api import i18n
from rewards_api.ledger.models import Program
from rewards_api.pos import offers, pricing, receipt
from rewards_api.pos.checkout import budgets
from rewards_api.pos.models import OPEN_STATES, Checkout
from rewards_api.pos.values import AppliedReward, BasketLine, applied_of, basket_of, points_of
from rewards_api.pos.wallet import HOLDS_BY_ID, PRACTICE_NAME, Wallet, wallet_for
from rewards_api.shoppers.models import Shopper


@dataclass(frozen=True)
class RewardOnOffer:
    reward: str
    name: str
    kind: str
    points: int
    value_minor: int
    eligible: bool
    why_not: str | None


@dataclass(frozen=True)
class ProgramOnScreen:
    program: str
    name: str
    kind: str
    balance: int
    available: int
    rewards: list[RewardOnOffer]
    earn_preview: int


@dataclass(frozen=True)
class ShopperOnScreen:
    display_name: str


@dataclass(frozen=True)
class Totals:
    basket_minor: int
    discount_minor: int
    to_pay_minor: int


@dataclass(frozen=True)
class CheckoutScreen:
    """Everything the cashier sees of one checkout."""

    id: int
    status: str
    training: bool
    store: str
    cashier: str
    identified_by: str
    shopper: ShopperOnScreen
    currency: str
    programs: list[ProgramOnScreen]
    suggested: list[str]
    suggested_value_minor: int
    applied: list[AppliedReward]
    consent: str | None
    question: str | None
    lines: list[BasketLine]
    holds_expire_at: str | None
    totals: Totals
    receipt: dict[str, Any] | None


@dataclass(frozen=True)
class ConsentScreen:
    """What the shopper's phone shows of a checkout waiting for their answer."""

    id: int
    store: str
    currency: str
    question: str | None
    discount_minor: int
    consent: str | None
    rewards: list[AppliedReward]

    def to_json(self) -> dict[str, Any]:
        """The shape GET /v1/me/checkout answers (the live stream sends the same)."""
        return {"id": self.id, "store": self.store, "currency": self.currency,
                "question": self.question, "discount_minor": self.discount_minor,
                "consent": self.consent,
                "rewards": [{"reward": a.reward, "program": a.program, "name": a.name,
                             "points": a.points, "discount_minor": a.discount_minor}
                            for a in self.rewards]}


def _points_text(points: int, program_name: str) -> str:
    if program_name.lower().endswith("points"):  # "Corner Points", not "Corner Points points"
        return f"{i18n.number(points)} {program_name}"
    return gettext("%(points)s %(program)s points", points=i18n.number(points),
                   program=program_name)


def question(applied: Sequence[AppliedReward], programs: Sequence[Program]) -> str | None:
    """What the shopper is asked, on the phone and by the cashier alike, in the
    caller's language: "Use 50 Corner Points for 1.00 off?"; None without rewards."""
    if not applied:
        return None
    spent = [(p, points_of(applied, p.code)) for p in programs]
    discount = sum(a.discount_minor for a in applied)
    return gettext("Use %(points)s for %(discount)s off?",
                   points=i18n.listing([_points_text(n, p.name) for p, n in spent if n]),
                   discount=i18n.amount(discount))


def consent_of(checkout: Checkout) -> str | None:
    """None without rewards; "pending" until the shopper answers; else how they did."""
    if not checkout.applied:
        return None
    return checkout.consent or "pending"


def consent_screen(s: Session, checkout: Checkout) -> ConsentScreen:
    applied = offers.in_language(s, applied_of(checkout))
    return ConsentScreen(
        id=checkout.id, store=checkout.store.name, currency=checkout.currency,
        question=question(applied, offers.checkout_programs(s, checkout.store)),
        discount_minor=sum(a.discount_minor for a in applied),
        consent=consent_of(checkout), rewards=applied)


def _program_on_screen(program: Program, wallet: Wallet, on_offer: Sequence[pricing.Offer],
                       lines: Sequence[BasketLine], budget: int, rates: pricing.EarnRates
                       ) -> ProgramOnScreen:
    rewards = []
    for offer in on_offer:
        if offer.program != program.code:
            continue
        value, refusal = pricing.value_alone(lines, offer)
        why = None if refusal is None else offers.why_not(refusal)
        if why is None and offer.points > budget:
            why = gettext("%(reward)s: needs %(points)s points", reward=offer.name,
                          points=i18n.number(offer.points))
        rewards.append(RewardOnOffer(offer.ref, offer.name, offer.kind, offer.points, value,
                                     why is None, why))
    return ProgramOnScreen(
        program=program.code, name=program.name, kind=program.kind,
        balance=wallet.balance(program), available=budget, rewards=rewards,
        earn_preview=sum(pricing.earn(lines, [line.discount_minor for line in lines], rates)))


def checkout_screen(s: Session, checkout: Checkout) -> CheckoutScreen:
    """The checkout as the cashier sees it (and its receipt once committed)."""
    programs = offers.checkout_programs(s, checkout.store)
    lines = basket_of(checkout)
    applied = offers.in_language(s, applied_of(checkout))
    wallet = wallet_for(s, checkout)
    on_offer = wallet.offers(programs)
    budget = budgets(wallet, programs)
    point_values = offers.point_values(programs)
    suggested = (pricing.suggest(lines, on_offer, budget, point_values)
                 if checkout.status in OPEN_STATES else [])
    rates = offers.earn_rates(s, programs)
    shopper = (offers.request_cached(s, ("shopper", checkout.shopper_id),
                                     lambda: s.get(Shopper, checkout.shopper_id))
               if checkout.shopper_id else None)
    hold_ids = [a.hold_id for a in applied if a.hold_id is not None]
    holds = list(s.scalars(HOLDS_BY_ID, {"hold_ids": hold_ids})) if hold_ids else []
    gross = sum(line.total_minor for line in lines)
    discount = sum(a.discount_minor for a in applied)
    return CheckoutScreen(
        id=checkout.id, status=checkout.status, training=checkout.training,
        store=checkout.store.code, cashier=checkout.cashier,
        identified_by=checkout.identified_by,
        shopper=ShopperOnScreen(shopper.display_name if shopper else PRACTICE_NAME),
        currency=checkout.currency,
        programs=[_program_on_screen(p, wallet, on_offer, lines, budget[p.code], rates[p.code])
                  for p in programs],
        suggested=[o.ref for o in suggested],
        suggested_value_minor=(pricing.price(lines, suggested).total_discount
                               if suggested else 0),
        applied=applied, consent=consent_of(checkout), question=question(applied, programs),
        lines=lines,
        holds_expire_at=min(h.expires_at for h in holds).isoformat() if holds else None,
        totals=Totals(gross, discount, gross - discount),
        receipt=receipt.rendered(s, checkout))


def export_checkouts(s: Session, shopper: Shopper) -> list[dict[str, Any]]:
    """The shopper's checkouts for ``GET /v1/me/export``."""
    return [{"id": c.id, "store": c.store.code, "status": c.status,
             "created_at": c.created_at.isoformat(),
             "committed_at": c.committed_at.isoformat() if c.committed_at else None,
             "basket": c.basket, "applied": c.applied, "receipt": c.receipt}
            for c in s.scalars(select(Checkout).where(Checkout.shopper_id == shopper.id)
                               .order_by(Checkout.id))]

