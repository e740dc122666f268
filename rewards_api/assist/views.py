"""Staff assist endpoints: shoppers ask for help; staff of the store see and answer."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import DateTime, Integer, List, Nested, String
from flask import g

from rewards_api import clock, db
from rewards_api.assist import services
from rewards_api.auth import shopper_required, staff_required
from rewards_api.idempotency import idempotent
from rewards_api.schemas import StrictSchema
from rewards_api.staff import scope
from rewards_api.staff.models import CASHIER
from rewards_api.visits import services as visits

bp = APIBlueprint("assist", __name__, tag="Assist")


class HelpRequestIn(StrictSchema):
    store_id = Integer(required=True)


class HelpRequestOut(StrictSchema):
    id = Integer()
    store_id = Integer()
    created_at = String()
    helped_at = String(allow_none=True)


class VisitScanOut(StrictSchema):
    product = String()
    gtin = String(allow_none=True)
    aisle = String(allow_none=True)
    points = Integer()
    refused = String(allow_none=True, metadata={"description": "Why it earned nothing (an error code), or null"})
    at = String()


class WaitingShopperOut(StrictSchema):
    help_request_id = Integer()
    display_name = String()
    asked_at = String()
    waiting_minutes = Integer()
    in_store_since = String()
    scans = List(Nested(VisitScanOut), metadata={"description": "What the shopper tried to scan this visit, newest first"})


class AssistOut(StrictSchema):
    store_id = Integer()
    store_name = String()
    as_of = DateTime()
    shoppers = List(Nested(WaitingShopperOut))


@bp.post("/v1/me/help-requests")
@shopper_required
@idempotent
@bp.input(HelpRequestIn)
@bp.output(HelpRequestOut, status_code=201)
@bp.doc(security="BearerAuth")
def ask_for_help(json_data: dict[str, Any]) -> dict[str, Any]:
    """I need help in this store. Needs the assist opt-in on and a check-in (an active
    visit) at the store; asking again during the same visit returns the open request."""
    request = services.ask_for_help(db.session(), g.shopper, json_data["store_id"], clock.now(),
                                    visits.checked_in_within())
    return services.request_view(request)


@bp.get("/v1/stores/<int:store_id>/assist")
@staff_required(CASHIER)
@bp.output(AssistOut)
@bp.doc(security="BearerAuth")
def waiting_shoppers(store_id: int) -> dict[str, Any]:
    """Checked-in shoppers of this store who opted in and asked for help, oldest first,
    with the campaign products they scanned during this visit (staff of the store)."""
    s = db.session()
    store = scope.require_store(g.staff, services.active_store(s, store_id))
    at = clock.now()
    return {"store_id": store.id, "store_name": store.name, "as_of": at,
            "shoppers": [services.waiting_view(s, request, shopper, visit, at)
                         for request, shopper, visit in services.waiting(s, store, at,
                                                                         visits.checked_in_within())]}


@bp.post("/v1/stores/<int:store_id>/assist/<int:request_id>/helped")
@staff_required(CASHIER)
@idempotent
@bp.output(HelpRequestOut)
@bp.doc(security="BearerAuth")
def mark_helped(store_id: int, request_id: int) -> dict[str, Any]:
    """I helped this shopper: they leave the list (staff of the store)."""
    s = db.session()
    store = scope.require_store(g.staff, services.active_store(s, store_id))
    return services.request_view(services.mark_helped(s, store, request_id, g.principal,
                                                      clock.now()))
