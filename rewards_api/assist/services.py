"""Help requests: asking, the staff's list of who is waiting, marking them helped.

The signal is explicit: a shopper who turned on the assist opt-in (off by default)
presses "I need help" in the app while checked in (an active visit at the store).
Staff see the request only while all three still hold: the opt-in is on, the visit
is going on and the request is younger than ``HELP_REQUEST_TTL``; refused scans alone
never put anyone on the list (the shopper decides whether staff come over).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards_api.assist.models import HelpRequest
from rewards_api.errors import ApiError
from rewards_api.shoppers.models import Shopper
from rewards_api.stores.models import Store
from rewards_api.visits.models import Visit

# A request nobody answered within an hour is stale: the shopper has probably found
# their way or given up, and can ask again.
HELP_REQUEST_TTL = dt.timedelta(hours=1)


def active_store(s: Session, store_id: int) -> Store:
    store = s.get(Store, store_id)
    if store is None or not store.active:
        raise ApiError("store_not_found")
    return store


def current_visit(s: Session, shopper_id: int, store_id: int, now: dt.datetime,
                  idle_gap: dt.timedelta) -> Visit | None:
    """The shopper's visit at the store that is going on now: not ended, seen within
    the idle gap."""
    return s.scalars(
        select(Visit).where(Visit.shopper_id == shopper_id, Visit.store_id == store_id,
                            Visit.ended_at.is_(None), Visit.started_at <= now,
                            Visit.last_seen_at >= now - idle_gap)
        .order_by(Visit.last_seen_at.desc()).limit(1)).first()


def ask_for_help(s: Session, shopper: Shopper, store_id: int, now: dt.datetime,
                 idle_gap: dt.timedelta) -> HelpRequest:
    """Open a help request, or return the one already open for this visit."""
    store = active_store(s, store_id)
    if not shopper.assist_opt_in:
        raise ApiError("assist_not_opted_in")
    # Serialise a shopper's requests (a double tap must not ask twice).
    s.execute(select(Shopper.id).where(Shopper.id == shopper.id).with_for_update())
    visit = current_visit(s, shopper.id, store.id, now, idle_gap)
    if visit is None:
        raise ApiError("not_in_store")
    existing = s.scalars(
        select(HelpRequest).where(HelpRequest.visit_id == visit.id,
                                  HelpRequest.helped_at.is_(None),
                                  HelpRequest.created_at >= now - HELP_REQUEST_TTL)
        .order_by(HelpRequest.id.desc()).limit(1)).first()
    if existing is not None:
        return existing
    request = HelpRequest(shopper_id=shopper.id, store_id=store.id, visit_id=visit.id,
                          created_at=now)
    s.add(request)
    s.flush()
    return request


def waiting(s: Session, store: Store, now: dt.datetime, idle_gap: dt.timedelta
            ) -> list[tuple[HelpRequest, Shopper, Visit]]:
    """Open requests staff should answer, oldest first, one per shopper."""
    rows = s.execute(
        select(HelpRequest, Shopper, Visit)
        .join(Shopper, Shopper.id == HelpRequest.shopper_id)
        .join(Visit, Visit.id == HelpRequest.visit_id)
        .where(HelpRequest.store_id == store.id, HelpRequest.helped_at.is_(None),
               HelpRequest.created_at >= now - HELP_REQUEST_TTL,
               Shopper.assist_opt_in.is_(True), Shopper.erased_at.is_(None),
               Visit.ended_at.is_(None), Visit.last_seen_at >= now - idle_gap)
        .order_by(HelpRequest.created_at, HelpRequest.id)).tuples().all()
    seen: set[int] = set()
    result = []
    for request, shopper, visit in rows:
        if shopper.id not in seen:
            seen.add(shopper.id)
            result.append((request, shopper, visit))
    return result


def mark_helped(s: Session, store: Store, request_id: int, actor: str,
                now: dt.datetime) -> HelpRequest:
    """Staff answered the request; marking it again changes nothing."""
    request = s.get(HelpRequest, request_id, with_for_update=True)
    if request is None or request.store_id != store.id:
        raise ApiError("help_request_not_found")
    if request.helped_at is None:
        request.helped_at = now
        request.helped_by = actor
        s.flush()
    return request


def request_view(request: HelpRequest) -> dict[str, Any]:
    return {"id": request.id, "store_id": request.store_id,
            "created_at": request.created_at.isoformat(),
            "helped_at": request.helped_at.isoformat() if request.helped_at else None}


def export_help_requests(s: Session, shopper: Shopper) -> list[dict[str, Any]]:
    return [request_view(r) for r in s.scalars(
        select(HelpRequest).where(HelpRequest.shopper_id == shopper.id)
        .order_by(HelpRequest.id))]
