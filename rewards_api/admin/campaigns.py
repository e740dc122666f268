"""``/v1/admin/campaigns``: scan campaigns (``rewards_api.scans.campaigns``). A manager
runs campaigns in their store; a chain admin in any of the chain's stores or in all of
them at once; the paying program must be one the caller pays out of."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import AwareDateTime, Boolean, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from flask import g

from rewards_api import clock, db
from rewards_api.admin.shared import SECURITY, StoreQuery, actor, store_by_code
from rewards_api.auth import staff_required
from rewards_api.idempotency import idempotent
from rewards_api.localized import services as localized
from rewards_api.products.services import products_by_gtin
from rewards_api.scans import campaigns
from rewards_api.scans.models import PER_DAY, PER_SHOPPER_LIMITS, ScanCampaign
from rewards_api.schemas import Gtin, StrictSchema, names_field
from rewards_api.staff import scope
from rewards_api.staff.models import MANAGER
from rewards_api.stores.models import Chain, Store
from rewards_api.stores.services import chain_by_code, program_by_code

bp = APIBlueprint("admin_campaigns", __name__, tag="Admin")

MAX_POINTS = 1_000_000
MAX_BUDGET = 10**12
# Instants a campaign may name (date arithmetic around them cannot overflow).
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2999, 12, 31, tzinfo=dt.UTC)


def _instant(**kwargs: Any) -> AwareDateTime:
    return AwareDateTime(validate=Range(EARLIEST, LATEST), **kwargs)


class CampaignIn(StrictSchema):
    code = String(required=True, validate=Regexp(r"^[a-z0-9-]{2,40}$"))
    name = String(required=True, validate=Length(min=1, max=200))
    names = names_field(200)
    program = String(required=True, validate=Length(min=1, max=40),
                     metadata={"description": "The program that pays: the chain's own, or "
                                              "the partner program (head office)"})
    points = Integer(required=True, validate=Range(1, MAX_POINTS),
                     metadata={"description": "Points per scan"})
    starts_at = _instant(required=True)
    ends_at = _instant(required=True)
    products = List(Gtin(), required=True, validate=Length(min=1, max=100))
    stores = List(String(validate=Length(min=1, max=40)), load_default=list,
                  validate=Length(max=1000), metadata={"description": "Store codes"})
    chain = String(load_default=None, validate=Length(min=1, max=40),
                   metadata={"description": "Every store of this chain, instead of stores"})
    per_shopper = String(load_default=PER_DAY, validate=OneOf(PER_SHOPPER_LIMITS),
                         metadata={"description": "day: once per store and store-local day; "
                                                  "campaign: once"})
    budget = Integer(load_default=None, validate=Range(1, MAX_BUDGET),
                     metadata={"description": "Most points the campaign gives out in all"})


class CampaignChangeIn(StrictSchema):
    name = String(validate=Length(min=1, max=200))
    names = names_field(200)
    ends_at = _instant()
    budget = Integer(validate=Range(1, MAX_BUDGET))
    products = List(Gtin(), validate=Length(min=1, max=100))


class CampaignProductOut(StrictSchema):
    gtin = String()
    name = String()


class CampaignOut(StrictSchema):
    id = Integer()
    code = String()
    name = String()
    names = Dict(keys=String(), values=String(),
                 metadata={"description": "The name per language (translations only)"})
    program = String()
    points = Integer()
    starts_at = String(metadata={"description": "ISO 8601, UTC"})
    ends_at = String()
    running = Boolean(metadata={"description": "Scans earn its points now"})
    per_shopper = String()
    budget = Integer(allow_none=True)
    points_awarded = Integer(metadata={"description": "Points given out so far"})
    awards = Integer(metadata={"description": "Scans that earned its points"})
    chain = String(allow_none=True, metadata={"description": "Chain-wide: the chain's code"})
    stores = List(String(), metadata={"description": "The listed stores' codes"})
    products = List(Nested(CampaignProductOut))


class CampaignsOut(StrictSchema):
    campaigns = List(Nested(CampaignOut))


def campaign_view(campaign: ScanCampaign) -> dict[str, Any]:
    s, now = db.session(), clock.now()
    return {
        "id": campaign.id, "code": campaign.code, "name": campaign.name,
        "names": localized.all_names(s, localized.CAMPAIGN, [campaign.id]).get(campaign.id, {}),
        "program": campaign.program.code, "points": campaign.points,
        "starts_at": campaign.starts_at.isoformat(), "ends_at": campaign.ends_at.isoformat(),
        "running": campaign.starts_at <= now < campaign.ends_at,
        "per_shopper": campaign.per_shopper, "budget": campaign.budget,
        "points_awarded": campaign.points_awarded,
        "awards": campaign.points_awarded // campaign.points,
        "chain": s.get_one(Chain, campaign.chain_id).code if campaign.chain_id else None,
        "stores": [s.get_one(Store, i).code for i in campaigns.store_ids(s, campaign)],
        "products": [{"gtin": p.gtin, "name": p.name}
                     for p in campaigns.products_of(s, campaign)],
    }


def _stores(store_code: str | None) -> Any:
    if store_code is None:
        return scope.stores_in_scope(g.staff)
    return Store.id == store_by_code(store_code).id


def _changeable(campaign_id: int) -> ScanCampaign:
    """The campaign, if the caller acts on every store it runs in."""
    s = db.session()
    campaign = campaigns.campaign_in(s, campaign_id, scope.stores_in_scope(g.staff))
    if campaign.chain_id is not None:
        scope.require_chain_wide(g.staff, campaign.chain_id)
    for store_id in campaigns.store_ids(s, campaign):
        scope.require_store(g.staff, s.get(Store, store_id))
    return campaign


@bp.post("/v1/admin/campaigns")
@staff_required(MANAGER)
@idempotent
@bp.input(CampaignIn)
@bp.output(CampaignOut, status_code=201)
@bp.doc(security=SECURITY)
def create_campaign(json_data: dict[str, Any]) -> dict[str, Any]:
    """Start a scan campaign in listed stores, or in every store of a chain."""
    s = db.session()
    chain = chain_by_code(s, json_data["chain"]) if json_data["chain"] else None
    if chain is not None:
        scope.require_chain_wide(g.staff, chain.id)
    stores = [store_by_code(code) for code in json_data["stores"]]
    program = scope.require_program(g.staff, program_by_code(s, json_data["program"]))
    campaign = campaigns.create_campaign(
        s, actor(), code=json_data["code"], name=json_data["name"], program=program,
        points=json_data["points"], starts_at=json_data["starts_at"],
        ends_at=json_data["ends_at"], products=products_by_gtin(s, json_data["products"]),
        stores=stores, chain=chain, per_shopper=json_data["per_shopper"],
        budget=json_data["budget"], names=json_data["names"])
    return campaign_view(campaign)


@bp.get("/v1/admin/campaigns")
@staff_required(MANAGER)
@bp.input(StoreQuery, location="query")
@bp.output(CampaignsOut)
@bp.doc(security=SECURITY)
def list_campaigns(query_data: dict[str, Any]) -> dict[str, Any]:
    """The campaigns running, planned or over in your stores (or one of them), newest
    first, with the points each gave out against its budget."""
    found = campaigns.campaigns_in(db.session(), _stores(query_data["store"]))
    return {"campaigns": [campaign_view(c) for c in found]}


@bp.patch("/v1/admin/campaigns/<int:campaign_id>")
@staff_required(MANAGER)
@idempotent
@bp.input(CampaignChangeIn)
@bp.output(CampaignOut)
@bp.doc(security=SECURITY)
def change_campaign(campaign_id: int, json_data: dict[str, Any]) -> dict[str, Any]:
    """Rename a campaign that has not ended, move its end, change its budget (never
    below what it gave out) or its products. Its points, program, start and stores stay."""
    s = db.session()
    campaign = _changeable(campaign_id)
    products = json_data.get("products")
    return campaign_view(campaigns.change_campaign(
        s, actor(), campaign, name=json_data.get("name"), ends_at=json_data.get("ends_at"),
        budget=json_data.get("budget"), names=json_data["names"],
        products=products_by_gtin(s, products) if products is not None else None))


@bp.post("/v1/admin/campaigns/<int:campaign_id>/end")
@staff_required(MANAGER)
@idempotent
@bp.output(CampaignOut)
@bp.doc(security=SECURITY)
def end_campaign(campaign_id: int) -> dict[str, Any]:
    """End a running campaign now: scans from now on are refused; what it gave out
    stays on its figures (and in shoppers' balances)."""
    return campaign_view(campaigns.end_campaign(db.session(), actor(),
                                                _changeable(campaign_id)))
