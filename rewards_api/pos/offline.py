"""Earnings sent later by a register that was offline: the purchase earns its points
once, however often and however late (within a week) it is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rewards_api.errors import ApiError
from rewards_api.pos.checkout import complete, new_checkout, register_store
from rewards_api.pos.identification import Identification
from rewards_api.pos.models import Checkout
from rewards_api.pos.values import BasketLine
from rewards_api.staff.models import StaffKey

# How long a register may have been offline and still send a purchase's earning.
OFFLINE_MAX_AGE = dt.timedelta(days=7)
# How far ahead of the API's clock a register's purchase time may be.
CLOCK_SKEW = dt.timedelta(minutes=5)


def _sent_before(s: Session, store_id: int, offline_key: str) -> Checkout | None:
    return s.scalars(select(Checkout).where(Checkout.store_id == store_id,
                                            Checkout.offline_key == offline_key)).first()


def record_offline_earning(s: Session, staff: StaffKey, ident: Identification, *,
                           currency: str, lines: Sequence[BasketLine], cashier: str,
                           purchased_at: dt.datetime, offline_key: str, now: dt.datetime
                           ) -> Checkout:
    """A purchase made while the register was offline earns its points now, once: the
    queue item's ``offline_key`` is unique per store, so a resend returns the same
    checkout. The checkout code is checked at the time of purchase."""
    store = register_store(staff)
    existing = _sent_before(s, store.id, offline_key)
    if existing is not None:
        return existing
    if not now - OFFLINE_MAX_AGE <= purchased_at <= now + CLOCK_SKEW:
        raise ApiError("offline_earning_too_old")
    checkout = new_checkout(s, staff, ident, currency=currency, lines=lines, cashier=cashier,
                            training=False, code_time=purchased_at,
                            created_at=purchased_at)
    checkout.offline_key = offline_key
    try:
        with s.begin_nested():
            s.add(checkout)
            s.flush()
    except IntegrityError:  # the same purchase sent twice at once: the first one counts
        sent = _sent_before(s, store.id, offline_key)
        assert sent is not None
        return sent
    complete(s, checkout, staff, now)
    return checkout
