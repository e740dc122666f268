"""What a purchase in a store takes part in: its programs, their catalog as pricing
sees it, and their earn rates. Read once per request."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from flask_babel import gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rewards_api import i18n
from rewards_api.errors import ApiError
from rewards_api.ledger.models import PARTNER_PROGRAM, STORE_PROGRAM, Program
from rewards_api.localized import services as localized
from rewards_api.pos import pricing
from rewards_api.pos.models import EarnRule, Reward
from rewards_api.pos.values import AppliedReward
from rewards_api.stores.models import Store

T = TypeVar("T")


def request_cached(s: Session, key: tuple[Any, ...], make: Callable[[], T]) -> T:
    """Programs, catalog and earn rules change rarely; one request reads each once
    (the session, and with it this cache, ends with the request)."""
    cache = s.info.setdefault("pos_cache", {})
    if key not in cache:
        cache[key] = make()
    found: T = cache[key]
    return found


def store_program(s: Session, store: Store) -> Program | None:
    """The chain's own program, if it has one."""
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
    return list(request_cached(s, ("programs", store.chain_id), load))


def check_currency(programs: Sequence[Program], currency: str) -> None:
    """A basket is priced in the currency of every program it earns in."""
    for program in programs:
        if program.currency != currency:
            raise ApiError("invalid_request",
                           "%(program)s counts in %(currency)s; send the basket in %(currency)s.",
                           params={"program": program.name, "currency": program.currency},
                           details={"basket": ["currency"]})


def point_values(programs: Sequence[Program]) -> dict[str, int]:
    """What a point of each program is worth (minor units), by program code."""
    return {p.code: p.point_value_minor for p in programs}


def offer_of(reward: Reward, name: str | None = None) -> pricing.Offer:
    """``reward`` as pricing sees it, named ``name`` (its name in the reader's language)
    or as stored."""
    return pricing.Offer(
        ref=f"{reward.program.code}:{reward.code}", program=reward.program.code,
        name=name or reward.name, kind=reward.kind, points=reward.points_cost,
        amount_off_minor=reward.amount_off_minor, percent_off=reward.percent_off,
        cap_minor=reward.cap_minor, product_gtin=reward.product_gtin,
        min_basket_minor=reward.min_basket_minor,
        eligible_gtins=tuple(reward.eligible_gtins or ()))


def catalog_offers(s: Session, programs: Sequence[Program]) -> list[pricing.Offer]:
    """The active rewards of ``programs``, named in the reader's language."""
    def load() -> list[pricing.Offer]:
        rewards = s.scalars(select(Reward).where(
            Reward.program_id.in_([p.id for p in programs]), Reward.active.is_(True))
            .order_by(Reward.id)).all()
        named = localized.names(s, localized.REWARD, {r.id: r.name for r in rewards})
        return [offer_of(r, named[r.id]) for r in rewards]
    return list(request_cached(s, ("catalog", i18n.current(), *(p.id for p in programs)),
                               load))


def reward_names(s: Session, refs: Iterable[str]) -> dict[str, str]:
    """The names of the rewards ``refs`` (``"<program>:<code>"``, retired ones too) in
    the reader's language; a ref of no reward (a practice offer) is left out."""
    wanted = {tuple(ref.split(":", 1)) for ref in refs if ":" in ref}
    if not wanted:
        return {}
    rows = [(program, code, reward_id, name) for program, code, reward_id, name in s.execute(
        select(Program.code, Reward.code, Reward.id, Reward.name)
        .join(Program, Program.id == Reward.program_id)
        .where(Program.code.in_({p for p, _ in wanted}), Reward.code.in_({c for _, c in wanted})))
        if (program, code) in wanted]
    named = localized.names(s, localized.REWARD, {reward_id: name for *_, reward_id, name in rows})
    return {f"{program}:{code}": named[reward_id] for program, code, reward_id, _ in rows}


def in_language(s: Session, applied: Sequence[AppliedReward]) -> list[AppliedReward]:
    """``applied`` (named in the language of the cashier who applied them) with the
    names of the reader's language."""
    named = reward_names(s, (a.reward for a in applied))
    return [dataclasses.replace(a, name=named.get(a.reward, a.name)) for a in applied]


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
    return request_cached(s, ("earn", *(p.id for p in programs)), load)


def why_not(refusal: pricing.NotEligible) -> str:
    """Why a reward does not fit, in the caller's language."""
    why = (gettext(refusal.why) if refusal.minimum_minor is None
           else gettext(refusal.why, minimum=i18n.amount(refusal.minimum_minor)))
    return gettext("%(reward)s: %(why)s", reward=refusal.offer.name, why=why)
