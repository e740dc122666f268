"""Recording refusals (one place: the ``recorded`` decorator) and reading them back.

A refused request's transaction is rolled back, so the refusal is written afterwards
in a transaction of its own, like the scan rate count and the sign-in throttle.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards_api import db
from rewards_api.clock import now
from rewards_api.errors import ApiError
from rewards_api.i18n import N_
from rewards_api.refusals.models import Refusal
from rewards_api.stores.models import Store

# The refusals the funnel shows, in the order a shopper meets them, with the words a
# loyalty team uses (translated where shown). A refusal not listed here (a malformed
# request, a rate limit) says nothing about the program and is not kept.
FUNNEL_REFUSALS: dict[str, str] = {
    "not_in_store": N_("scanned outside the store"),
    "not_a_campaign_product": N_("product not in a campaign"),
    "invalid_check_digit": N_("barcode typed wrong"),
    "unreadable_image": N_("unreadable photo"),
    "barcode_unclear": N_("unclear barcode in the photo"),
    "already_scanned": N_("limit reached (already scanned)"),
    "campaign_budget_exhausted": N_("campaign budget used up"),
    "checkout_code_expired": N_("expired checkout code"),
    "checkout_code_used": N_("checkout code used twice"),
}


def record(s: Session, store_id: int, code: str, gtin14: str | None, at: dt.datetime) -> None:
    """Add one refusal of a real store (some refusals name a store that does not exist)."""
    if code in FUNNEL_REFUSALS and s.get(Store, store_id) is not None:
        s.add(Refusal(store_id=store_id, code=code, gtin=gtin14, at=at))


def recorded(place: Callable[[], tuple[int, str | None] | None]) -> Callable[..., Any]:
    """Keep the funnel's refusals of the wrapped view. ``place()`` names the store and
    product of the request (None: not known yet); it is asked only on a refusal."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except ApiError as refusal:
                where = place() if refusal.code in FUNNEL_REFUSALS else None
                if where is not None:
                    s = db.session()
                    s.rollback()
                    record(s, where[0], refusal.code, where[1], now())
                    s.commit()
                raise

        return wrapper

    return decorator


def between(s: Session, store_ids: list[int], start: dt.datetime, end: dt.datetime
            ) -> list[tuple[int, str, str | None, dt.datetime]]:
    """``(store id, code, gtin, at)`` of each refusal at the stores in [start, end)."""
    return [(row.store_id, row.code, row.gtin, row.at) for row in s.execute(
        select(Refusal.store_id, Refusal.code, Refusal.gtin, Refusal.at).where(
            Refusal.store_id.in_(store_ids), Refusal.at >= start, Refusal.at < end))]
