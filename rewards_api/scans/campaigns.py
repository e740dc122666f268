"""Scan campaigns as the back office runs them: list, create, change, end.

A campaign is never deleted (the ledger's scan entries name it). Ending it sets its end
to now: scans from then on are refused as for any campaign that is over, and what it
gave out (``points_awarded`` against ``budget``) stays as it was. Its points, program,
start and stores are fixed once it exists, so every award of a campaign is alike;
name, end, budget and products may change while it has not ended.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.orm import Session

from rewards_api import db
from rewards_api.audit import services as audit
from rewards_api.audit.services import Actor
from rewards_api.errors import ApiError
from rewards_api.ledger.models import Program
from rewards_api.localized import services as localized
from rewards_api.products.models import Product
from rewards_api.scans.models import (
    PER_DAY,
    PER_SHOPPER_LIMITS,
    ScanCampaign,
    ScanCampaignProduct,
    ScanCampaignStore,
)
from rewards_api.stores.models import Chain, Store

FIELDS = ("code", "name", "program_id", "chain_id", "points", "starts_at", "ends_at",
          "per_shopper", "budget", "points_awarded")


def _state(s: Session, campaign: ScanCampaign) -> dict[str, Any]:
    state = localized.snapshot(s, localized.CAMPAIGN, campaign, FIELDS)
    state["store_ids"] = store_ids(s, campaign)
    state["gtins"] = [p.gtin for p in products_of(s, campaign)]
    return state


def store_ids(s: Session, campaign: ScanCampaign) -> list[int]:
    """The stores a campaign lists (none for a chain-wide one)."""
    return list(s.scalars(select(ScanCampaignStore.store_id)
                          .where(ScanCampaignStore.campaign_id == campaign.id)
                          .order_by(ScanCampaignStore.store_id)))


def products_of(s: Session, campaign: ScanCampaign) -> list[Product]:
    return list(s.scalars(select(Product).join(ScanCampaignProduct,
                                               ScanCampaignProduct.product_id == Product.id)
                          .where(ScanCampaignProduct.campaign_id == campaign.id)
                          .order_by(Product.gtin)))


def _runs_in(stores: ColumnElement[bool]) -> ColumnElement[bool]:
    """A condition on ``ScanCampaign``: it runs in a store meeting ``stores``."""
    listed = (select(ScanCampaignStore.campaign_id)
              .join(Store, Store.id == ScanCampaignStore.store_id).where(stores))
    return or_(ScanCampaign.id.in_(listed),
               ScanCampaign.chain_id.in_(select(Store.chain_id).where(stores)))


def campaigns_in(s: Session, stores: ColumnElement[bool]) -> list[ScanCampaign]:
    """Campaigns that run in any store meeting ``stores`` (a condition on ``Store``),
    the newest first."""
    return list(s.scalars(select(ScanCampaign).where(_runs_in(stores))
                          .order_by(ScanCampaign.starts_at.desc(), ScanCampaign.id.desc())))


def campaign_in(s: Session, campaign_id: int, stores: ColumnElement[bool]) -> ScanCampaign:
    """Campaign ``campaign_id`` if it runs in a store meeting ``stores``, else
    ``campaign_not_found`` (another chain's campaigns are not even said to exist)."""
    campaign = s.scalars(select(ScanCampaign).where(ScanCampaign.id == campaign_id,
                                                    _runs_in(stores))).first()
    if campaign is None:
        raise ApiError("campaign_not_found")
    return campaign


def _audit(s: Session, actor: Actor, action: str, campaign: ScanCampaign,
           before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    stores = after["store_ids"]
    chain_id = campaign.chain_id or (s.get_one(Store, stores[0]).chain_id if stores else None)
    audit.record(s, actor, action, "campaign", campaign.code,
                 store_id=stores[0] if len(stores) == 1 else None, chain_id=chain_id,
                 program_id=campaign.program_id, before=before, after=after)


def _check(points: int, budget: int | None, starts_at: dt.datetime, ends_at: dt.datetime,
           per_shopper: str, products: Sequence[Product]) -> None:
    if not products:
        raise ApiError("invalid_request", "A campaign names at least one product.")
    if points <= 0 or (budget is not None and budget < points):
        raise ApiError("invalid_request", "Points are positive and a budget covers at least "
                       "one award.")
    if ends_at <= starts_at:
        raise ApiError("invalid_request", "The campaign must end after it starts.")
    if per_shopper not in PER_SHOPPER_LIMITS:
        raise ApiError("invalid_request", "per_shopper is one of %(limits)s.",
                       params={"limits": ", ".join(PER_SHOPPER_LIMITS)})


def create_campaign(s: Session, actor: Actor, *, code: str, name: str, program: Program,
                    points: int, starts_at: dt.datetime, ends_at: dt.datetime,
                    products: Sequence[Product], stores: Sequence[Store], chain: Chain | None,
                    per_shopper: str = PER_DAY, budget: int | None = None,
                    names: Mapping[str, str] | None = None) -> ScanCampaign:
    """A campaign in the listed ``stores``, or in every store of ``chain``.

    A chain's store program pays only in that chain's stores; the partner program
    (brand co-funding) anywhere.
    """
    if (chain is None) == (not stores):
        raise ApiError("invalid_request", "Name either stores or a whole chain.")
    _check(points, budget, starts_at, ends_at, per_shopper, products)
    chain_ids = {chain.id} if chain else {store.chain_id for store in stores}
    if not all(program.pays_in_chain(chain_id) for chain_id in chain_ids):
        raise ApiError("invalid_request", "Program %(program)s pays only in its own chain's "
                       "stores.", params={"program": program.code})
    campaign = ScanCampaign(code=code, name=name, program_id=program.id, points=points,
                            starts_at=starts_at, ends_at=ends_at, per_shopper=per_shopper,
                            budget=budget, chain_id=chain.id if chain else None,
                            points_awarded=0)
    with db.unique(s, "code_taken"):
        s.add(campaign)
    s.add_all([ScanCampaignStore(campaign_id=campaign.id, store_id=store.id)
               for store in {st.id: st for st in stores}.values()])
    _set_products(s, campaign, products)
    localized.set_names(s, localized.CAMPAIGN, campaign.id, names)
    s.refresh(campaign)
    _audit(s, actor, audit.CREATE, campaign, None, _state(s, campaign))
    return campaign


def _set_products(s: Session, campaign: ScanCampaign, products: Sequence[Product]) -> None:
    s.execute(delete(ScanCampaignProduct).where(ScanCampaignProduct.campaign_id == campaign.id))
    s.add_all([ScanCampaignProduct(campaign_id=campaign.id, product_id=product.id)
               for product in {p.id: p for p in products}.values()])
    s.flush()


def _require_not_ended(campaign: ScanCampaign, now: dt.datetime) -> None:
    if campaign.ends_at <= now:
        raise ApiError("campaign_already_ended")


def change_campaign(s: Session, actor: Actor, campaign: ScanCampaign, *,
                    name: str | None = None, ends_at: dt.datetime | None = None,
                    budget: int | None = None, products: Sequence[Product] | None = None,
                    names: Mapping[str, str] | None = None) -> ScanCampaign:
    """Change what may change of a running or future campaign (the module docstring).
    A budget never drops below what the campaign already gave out."""
    _require_not_ended(campaign, actor.at)
    before = _state(s, campaign)
    new_end = ends_at or campaign.ends_at
    if new_end <= max(campaign.starts_at, actor.at):
        raise ApiError("invalid_request", "The new end must be after the start and after "
                       "now; to stop the campaign now, end it.")
    new_budget = campaign.budget if budget is None else budget
    if new_budget is not None and new_budget < campaign.points_awarded + campaign.points:
        raise ApiError("invalid_request", "The budget must cover what was given out "
                       "(%(points)s points) and one more award.",
                       params={"points": campaign.points_awarded})
    _check(campaign.points, new_budget, campaign.starts_at, new_end, campaign.per_shopper,
           products if products is not None else products_of(s, campaign))
    campaign.name = name or campaign.name
    campaign.ends_at = new_end
    campaign.budget = new_budget
    if products is not None:
        _set_products(s, campaign, products)
    localized.set_names(s, localized.CAMPAIGN, campaign.id, names)
    s.flush()
    _audit(s, actor, audit.CHANGE, campaign, before, _state(s, campaign))
    return campaign


def end_campaign(s: Session, actor: Actor, campaign: ScanCampaign) -> ScanCampaign:
    """End a running campaign now: later scans are refused, its figures stay."""
    _require_not_ended(campaign, actor.at)
    if campaign.starts_at >= actor.at:
        raise ApiError("campaign_not_started")
    before = _state(s, campaign)
    campaign.ends_at = actor.at
    s.flush()
    _audit(s, actor, audit.END, campaign, before, _state(s, campaign))
    return campaign
