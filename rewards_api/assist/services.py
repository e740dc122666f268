"""Help requests: asking, the staff's list of who is waiting, marking them helped.

The signal is explicit: a shopper who turned on the assist opt-in (off by default)
presses "I need help" in the app while checked in (an active visit at the store, by
the same rule as scanning). Staff see the request only while all of these still hold:
the opt-in is on, the visit has not ended and was seen recently, and the request is
younger than ``HELP_REQUEST_TTL``. Scans alone never put anyone on the list: the
shopper decides whether staff come over.

With each shopper staff see the campaign products scanned during the visit, from the
ledger's scan entries (``LedgerEntry.scanned_gtin``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards_api.assist.models import HelpRequest
from rewards_api.errors import ApiError
from rewards_api.ledger.models import SCAN, Account, LedgerEntry
from rewards_api.products.gtin import display
from rewards_api.products.models import Product, StoreProduct
from rewards_api.scans.models import RefusedScan
from rewards_api.shoppers.models import Shopper
from rewards_api.stores.models import Store
from rewards_api.stores.services import open_store
from rewards_api.visits.models import Visit
from rewards_api.visits.services import active_visit, in_store

# A request nobody answered within an hour is stale: the shopper has probably found
# their way or given up, and can ask again.
HELP_REQUEST_TTL = dt.timedelta(hours=1)


def active_store(s: Session, store_id: int) -> Store:
    return open_store(s.get(Store, store_id))


def ask_for_help(s: Session, shopper: Shopper, store_id: int, now: dt.datetime,
                 within: dt.timedelta) -> HelpRequest:
    """Open a help request, or return the one already open for this visit."""
    store = active_store(s, store_id)
    if not shopper.assist_opt_in:
        raise ApiError("assist_not_opted_in")
    # Serialise a shopper's requests (a double tap must not ask twice).
    s.execute(select(Shopper.id).where(Shopper.id == shopper.id).with_for_update())
    visit = active_visit(s, shopper.id, store.id, now, within)
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


def waiting(s: Session, store: Store, now: dt.datetime, within: dt.timedelta
            ) -> list[tuple[HelpRequest, Shopper, Visit]]:
    """Open requests staff should answer, oldest first, one per shopper."""
    rows = s.execute(
        select(HelpRequest, Shopper, Visit)
        .join(Shopper, Shopper.id == HelpRequest.shopper_id)
        .join(Visit, Visit.id == HelpRequest.visit_id)
        .where(HelpRequest.store_id == store.id, HelpRequest.helped_at.is_(None),
               HelpRequest.created_at >= now - HELP_REQUEST_TTL,
               Shopper.assist_opt_in.is_(True), Shopper.erased_at.is_(None),
               *in_store(HelpRequest.shopper_id, store.id, now, now - within))
        .order_by(HelpRequest.created_at, HelpRequest.id)).all()
    seen: set[int] = set()
    result = []
    for request, shopper, visit in rows:
        if shopper.id not in seen:
            seen.add(shopper.id)
            result.append((request, shopper, visit))
    return result


def visit_scans(s: Session, visit: Visit) -> list[dict[str, Any]]:
    """What the shopper tried to scan during ``visit``, newest first, with the product's
    aisle in the store: scans that earned points (one line per product and campaign)
    and scans that were refused (``refused`` says why; kept only with the opt-in)."""
    rows = s.execute(
        select(LedgerEntry.scanned_gtin, LedgerEntry.amount, LedgerEntry.created_at)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(Account.shopper_id == visit.shopper_id, LedgerEntry.store_id == visit.store_id,
               LedgerEntry.kind == SCAN, LedgerEntry.amount > 0,
               LedgerEntry.created_at >= visit.started_at)
        .order_by(LedgerEntry.id.desc())).all()
    refused = s.execute(
        select(RefusedScan.gtin, RefusedScan.reason, RefusedScan.at)
        .where(RefusedScan.shopper_id == visit.shopper_id,
               RefusedScan.store_id == visit.store_id, RefusedScan.at >= visit.started_at)
    ).all()
    gtins = {gtin for gtin, _, _ in rows}
    gtins |= {gtin for gtin, _, _ in refused if gtin}
    products = {product.gtin: (product.name, aisle) for product, aisle in s.execute(
        select(Product, StoreProduct.aisle)
        .outerjoin(StoreProduct, (StoreProduct.product_id == Product.id)
                   & (StoreProduct.store_id == visit.store_id))
        .where(Product.gtin.in_(gtins)))}
    result = []
    for gtin, amount, created_at in rows:
        assert gtin is not None, "a scan entry names its product"
        name, aisle = products.get(gtin, (gtin, None))
        result.append({"product": name, "gtin": gtin, "aisle": aisle, "points": amount,
                       "refused": None, "at": created_at.isoformat()})
    for tried, reason, at in refused:
        name, aisle = (products.get(tried, (display(tried), None)) if tried
                       else ("an unreadable code", None))
        result.append({"product": name, "gtin": tried, "aisle": aisle, "points": 0,
                       "refused": reason, "at": at.isoformat()})
    return sorted(result, key=lambda scan: scan["at"], reverse=True)


def waiting_view(s: Session, request: HelpRequest, shopper: Shopper, visit: Visit,
                 now: dt.datetime) -> dict[str, Any]:
    return {"help_request_id": request.id, "display_name": shopper.display_name,
            "asked_at": request.created_at.isoformat(),
            "waiting_minutes": int((now - request.created_at).total_seconds() // 60),
            "in_store_since": visit.started_at.isoformat(),
            "scans": visit_scans(s, visit)}


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
