"""Goods brought back against a committed checkout: the money refund and the pro-rata
clawback of the points the returned items earned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards_api.errors import ApiError
from rewards_api.pos import offers
from rewards_api.pos.checkout import locked_checkout
from rewards_api.pos.models import COMMITTED, Checkout, CheckoutReturn
from rewards_api.pos.values import BasketLine, basket_of
from rewards_api.pos.wallet import wallet_for
from rewards_api.staff.models import StaffKey


@dataclass(frozen=True)
class ReturnedLine:
    """What comes back: ``quantity`` of the product ``gtin``."""

    gtin: str
    quantity: int


def _returned_before(s: Session, checkout: Checkout) -> dict[str, int]:
    """Quantities returned earlier, by GTIN."""
    returned: dict[str, int] = {}
    for earlier in s.scalars(select(CheckoutReturn).where(CheckoutReturn.checkout_id == checkout.id)):
        for item in earlier.lines:
            returned[item["gtin"]] = returned.get(item["gtin"], 0) + item["quantity"]
    return returned


def _share(total: int, bought: int, before: int, now: int) -> int:
    """The part of ``total`` that ``now`` more of ``bought`` items carry, after
    ``before`` came back earlier; cumulatively rounded, so partial returns add up."""
    return total * (before + now) // bought - total * before // bought


def return_items(s: Session, checkout_id: int, staff: StaffKey, items: Sequence[ReturnedLine],
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
    returned_before = _returned_before(s, checkout)
    programs = offers.checkout_programs(s, checkout.store)
    clawback = {p.code: 0 for p in programs}
    refund = 0
    basket = basket_of(checkout)
    for item in items:
        bought: list[BasketLine] = [x for x in basket if x.gtin == item.gtin]
        quantity = sum(x.quantity for x in bought)
        before = returned_before.get(item.gtin, 0)
        if before + item.quantity > quantity:
            raise ApiError("return_quantity_too_large", details={"gtin": item.gtin,
                                                                  "returnable": quantity - before})
        returned_before[item.gtin] = before + item.quantity
        refund += _share(sum(x.paid_minor for x in bought), quantity, before, item.quantity)
        for program in programs:
            earned = sum((x.points or {})[program.code] for x in bought)
            clawback[program.code] += _share(earned, quantity, before, item.quantity)
    wallet = wallet_for(s, checkout, locked=True)
    record = CheckoutReturn(checkout_id=checkout.id, staff_key_id=staff.id,
                            lines=[{"gtin": i.gtin, "quantity": i.quantity} for i in items],
                            points={}, refund_minor=refund, created_at=now)
    s.add(record)
    s.flush()
    points = {}
    for program in programs:
        taken = wallet.claw_back(program, clawback[program.code], return_id=record.id,
                                 actor=f"staff:{staff.id}", now=now)
        points[program.code] = {"clawed_back": taken, "shortfall": clawback[program.code] - taken}
    record.points = points
    s.flush()
    return record
