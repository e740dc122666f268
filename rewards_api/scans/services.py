"""Scanning products for points.

A scan earns a campaign's points only if all of these hold, checked in this order,
each failure with its own error code:

1. the shopper has an active visit at the store (seen by the store's agent within
   ``SCAN_VISIT_WITHIN_SECONDS``): ``not_in_store``. A photo of a barcode or shelf tag
   shared online is worth nothing from home;
2. the code is a product of a campaign running at that store now: ``not_a_campaign_product``;
3. the shopper has not earned that campaign's points yet in its period (once per store
   and store-local day, or once per campaign): ``already_scanned``. The ledger's unique
   idempotency key is the lock, so two racing scans award once;
4. the campaign's budget has room: ``campaign_budget_exhausted``. One conditional UPDATE
   (``points_awarded + points <= budget``) in the award's transaction, so concurrent
   scans never overspend it.

No savepoint: the budget UPDATE runs before the entry is written (after the balance
moved, so the campaign's contended row is locked as briefly as can be), so a refusal
for the budget only undoes the balance move, and a scan refused as ``already_scanned``
by the entry's key gives the budget back, in the same transaction.

A product in several running campaigns (e.g. the store's own and a brand's through
the partner program) earns each of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    bindparam,
    delete,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rewards_api.db import rows_changed
from rewards_api.errors import ApiError
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import SCAN, Account, LedgerEntry, Program
from rewards_api.products.models import Product, StoreProduct
from rewards_api.scans.models import (
    PER_DAY,
    RefusedScan,
    ScanCampaign,
    ScanCampaignProduct,
    ScanCampaignStore,
    ScanRateWindow,
)
from rewards_api.shoppers import services as shoppers
from rewards_api.shoppers.identity import SignedIn
from rewards_api.shoppers.models import Shopper
from rewards_api.stores.models import Store, local_date
from rewards_api.visits.services import in_store

RATE_WINDOW = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ScannedProduct:
    gtin: str
    name: str
    picture_url: str | None
    id: int


@dataclass(frozen=True, slots=True)
class ScanPlace:
    """The store of a scan, with the scanning shopper's visit there."""

    store_id: int
    chain_id: int
    timezone: str
    in_store: bool  # an active, unflagged visit


@dataclass(frozen=True, slots=True)
class RunningCampaign:
    """What a scan needs of a campaign (read with Core: this is on every scan's path)."""

    id: int
    code: str
    points: int
    per_shopper: str
    program_id: int
    program: str


@dataclass(frozen=True, slots=True)
class Award:
    campaign: RunningCampaign
    entry_id: int
    balance: int


@dataclass(frozen=True, slots=True)
class ScanResult:
    product: ScannedProduct
    awards: list[Award]


def _running_at_store(store_id: Any, chain_id: Any, at: Any) -> tuple[ColumnElement[bool], ...]:
    """The WHERE clause of campaigns running at the store at ``at`` (values, or
    bindparams in a statement built once)."""
    listed = select(ScanCampaignStore.campaign_id).where(ScanCampaignStore.store_id == store_id)
    return (ScanCampaign.starts_at <= at, ScanCampaign.ends_at > at,
            or_(ScanCampaign.chain_id == chain_id, ScanCampaign.id.in_(listed)))


# The scan path's statements, built once: building one costs more than running it.
# The store, and whether the shopper is in it (visits.services.in_store).
_PLACE = select(
    Store.chain_id, Store.timezone, Store.active,
    exists().where(*in_store(bindparam("shopper_id"), Store.id, bindparam("at"),
                             bindparam("since"))),
).where(Store.id == bindparam("store_id"))
_CAMPAIGNS_FOR = (
    select(Product.gtin, Product.name, Product.picture_url, Product.id, ScanCampaign.id, ScanCampaign.code, ScanCampaign.points, ScanCampaign.per_shopper,
           ScanCampaign.program_id, Program.code)
    .join(ScanCampaignProduct, ScanCampaignProduct.product_id == Product.id)
    .join(ScanCampaign, ScanCampaign.id == ScanCampaignProduct.campaign_id)
    .join(Program, Program.id == ScanCampaign.program_id)
    .where(Product.gtin == bindparam("gtin"),
           *_running_at_store(bindparam("store_id"), bindparam("chain_id"), bindparam("at")))
    .order_by(ScanCampaign.id)
)
_CAMPAIGNS = cast(Table, ScanCampaign.__table__)
_SPEND_BUDGET = (
    update(_CAMPAIGNS)
    .where(_CAMPAIGNS.c.id == bindparam("campaign_id"),
           or_(_CAMPAIGNS.c.budget.is_(None),
               _CAMPAIGNS.c.points_awarded + bindparam("award_points", type_=Integer)
               <= _CAMPAIGNS.c.budget))
    .values(points_awarded=_CAMPAIGNS.c.points_awarded + bindparam("award_points", type_=Integer))
)
_EARNED = select(LedgerEntry.id).where(LedgerEntry.program_id == bindparam("program_id"),
                                       LedgerEntry.idempotency_key == bindparam("key"))
_GIVE_BACK_BUDGET = (
    update(_CAMPAIGNS).where(_CAMPAIGNS.c.id == bindparam("campaign_id"))
    .values(points_awarded=_CAMPAIGNS.c.points_awarded - bindparam("award_points", type_=Integer))
)


def campaigns_for(s: Session, place: ScanPlace, gtin14: str, at: dt.datetime
                  ) -> tuple[ScannedProduct | None, list[RunningCampaign]]:
    """The product with this GTIN and the campaigns running at the store at ``at`` that
    include it, by id (one query: this is on every scan's path)."""
    rows = s.connection().execute(_CAMPAIGNS_FOR, {
        "gtin": gtin14, "at": at, "chain_id": place.chain_id, "store_id": place.store_id}).all()
    if not rows:
        return None, []
    return ScannedProduct(*rows[0][:4]), [RunningCampaign(*tuple(row)[4:]) for row in rows]


def award_key(campaign_id: int, per_shopper: str, shopper_id: int, store_id: int,
              local_date: dt.date) -> str:
    """The ledger idempotency key that makes the per-shopper limit hold (``local_date``:
    the store's calendar day of the scan)."""
    if per_shopper == PER_DAY:
        return f"scan:{campaign_id}:{shopper_id}:{store_id}:{local_date.isoformat()}"
    return f"scan:{campaign_id}:{shopper_id}"


def award_reference(campaign_code: str) -> str:
    """The ledger reference of a scan award: its campaign (the product scanned is the
    entry's ``gtin``)."""
    return f"scan:{campaign_code}"[:80]


def campaign_of_award(reference: str) -> str | None:
    """The campaign code in a scan award's ledger reference (``award_reference``; entries
    written before migration 0019 add ``:<gtin>``)."""
    kind, _, rest = reference.partition(":")
    return rest.partition(":")[0] or None if kind == "scan" else None


def scan_place(s: Session, shopper_id: int, store_id: int, at: dt.datetime,
               within: dt.timedelta) -> ScanPlace:
    """The open store ``store_id`` (else ``store_not_found``, or ``store_closed``) and
    whether the shopper is in it (``visits.services.in_store``). One query."""
    row = s.connection().execute(_PLACE, {"store_id": store_id, "shopper_id": shopper_id,
                                          "at": at, "since": at - within}).first()
    if row is None:
        raise ApiError("store_not_found")
    if not row.active:
        raise ApiError("store_closed")
    return ScanPlace(store_id, row.chain_id, row.timezone, bool(row[3]))


def scan(s: Session, shopper: SignedIn, store_id: int, gtins: list[str], *, at: dt.datetime,
         within: dt.timedelta) -> ScanResult:
    """Award the points for scanning one product (see the module docstring).

    ``gtins`` are the 14-digit codes read from the scan, best first (a photo may hold
    more than one); the first that is a campaign product here is the one scanned.
    Raises ``ApiError`` with the refusal's code (``store_not_found`` first).
    """
    place = scan_place(s, shopper.shopper_id, store_id, at, within)
    if not place.in_store:
        raise ApiError("not_in_store")
    product: ScannedProduct | None = None
    campaigns: list[RunningCampaign] = []
    for code in gtins:
        product, campaigns = campaigns_for(s, place, code, at)
        if campaigns:
            break
    if product is None or not campaigns:
        raise ApiError("not_a_campaign_product")
    awards, refusals = [], []
    ledger.lock_accounts(s, shoppers=[shopper.shopper_id])
    for campaign in sorted(campaigns, key=lambda c: (c.program_id, c.id)):
        try:
            awards.append(_award(s, shopper, place, product, campaign, at))
        except ApiError as refusal:
            refusals.append(refusal)
    if not awards:
        # Having scanned it already says more to the shopper than an empty budget.
        raise next((r for r in refusals if r.code == "already_scanned"), refusals[0])
    return ScanResult(product, awards)


def _award(s: Session, shopper: SignedIn, place: ScanPlace, product: ScannedProduct,
           campaign: RunningCampaign, at: dt.datetime) -> Award:
    connection = s.connection()
    key = award_key(campaign.id, campaign.per_shopper, shopper.shopper_id, place.store_id,
                    local_date(place.timezone, at))
    budget = {"campaign_id": campaign.id, "award_points": campaign.points}

    def spend_budget() -> None:
        # The campaign's row stays locked to the end of the transaction, so concurrent
        # scans never overspend it; the ledger runs this as late as it can.
        if rows_changed(connection.execute(_SPEND_BUDGET, budget)) != 1:
            earned = connection.execute(_EARNED, {"program_id": campaign.program_id, "key": key})
            raise ApiError("already_scanned" if earned.first() else "campaign_budget_exhausted")

    # The sign-in read the shopper's accounts; open one only on first use.
    account = next((b for b in shopper.balances if b.program_id == campaign.program_id), None)
    account_id = account.account_id if account else shoppers.account_for(
        s, s.get_one(Shopper, shopper.shopper_id), s.get_one(Program, campaign.program_id)).id
    written = ledger.credit(s, [ledger.Credit(
        account_id, campaign.program_id, SCAN, campaign.points,
        reference=award_reference(campaign.code), actor=f"shopper:{shopper.shopper_id}",
        idempotency_key=key, store_id=place.store_id, at=at, gtin=product.gtin)],
        guard=spend_budget)
    if not written:
        # The entry's unique key settles a race between two scans of one shopper: the
        # second one gives the budget back and is refused.
        connection.execute(_GIVE_BACK_BUDGET, budget)
        raise ApiError("already_scanned")
    return Award(campaign, written[0].entry_id, written[0].balance)


_COUNT_SCAN = {
    dialect.dialect.name: dialect.insert(ScanRateWindow.__table__)
    .values(shopper_id=bindparam("shopper_id"), window_start=bindparam("window_start"), scans=1)
    .on_conflict_do_update(index_elements=["shopper_id", "window_start"],
                           set_={"scans": ScanRateWindow.__table__.c.scans + 1})
    .returning(ScanRateWindow.__table__.c.scans)
    for dialect in (postgresql, sqlite)
}


def count_scan(s: Session, shopper_id: int, at: dt.datetime) -> int:
    """Count one scan request in the shopper's minute; returns the minute's count so far.
    One upsert, so concurrent requests in any web process add up exactly."""
    connection = s.connection()
    return int(connection.execute(_COUNT_SCAN[connection.dialect.name], {
        "shopper_id": shopper_id, "window_start": rate_window(at)}).scalar_one())


def rate_window(at: dt.datetime) -> dt.datetime:
    return at.replace(second=0, microsecond=0)


# Refusals worth showing to staff who help the shopper (the others say nothing about
# what the shopper is looking for, or happen before the store is known).
HELPFUL_REFUSALS = frozenset({"not_a_campaign_product", "already_scanned",
                              "campaign_budget_exhausted", "unreadable_image",
                              "barcode_unclear", "invalid_check_digit"})
REFUSED_SCAN_RETENTION = dt.timedelta(days=1)


def record_refusal(s: Session, shopper_id: int, store_id: int, gtin14: str | None,
                   reason: str, at: dt.datetime) -> None:
    """Keep a refused scan for the staff assist view (the caller checks the opt-in).
    Some refusals come before the store is checked: only a real store's are kept."""
    if reason in HELPFUL_REFUSALS and s.get(Store, store_id) is not None:
        s.add(RefusedScan(shopper_id=shopper_id, store_id=store_id, gtin=gtin14,
                          reason=reason, at=at))


def purge_refused_scans(s: Session, now: dt.datetime) -> int:
    """Refused scans are kept for a day (``rewards-api purge``)."""
    return rows_changed(s.execute(delete(RefusedScan)
                                  .where(RefusedScan.at < now - REFUSED_SCAN_RETENTION)))


def export_refused_scans(s: Session, shopper: Any) -> list[dict[str, Any]]:
    return [{"store_id": r.store_id, "gtin": r.gtin, "reason": r.reason,
             "at": r.at.isoformat()}
            for r in s.scalars(select(RefusedScan).where(RefusedScan.shopper_id == shopper.id)
                               .order_by(RefusedScan.id))]


def purge_rate_windows(s: Session, now: dt.datetime) -> int:
    """Forget rate counts of minutes that are over (``rewards-api purge``)."""
    return rows_changed(s.execute(delete(ScanRateWindow)
                                  .where(ScanRateWindow.window_start < now - RATE_WINDOW)))


@dataclass(frozen=True)
class ScanProduct:
    campaign: ScanCampaign
    product: Product
    aisle: str | None
    already_scanned: bool | None
    scan_state: str | None


# A product's scan state for a shopper (what the app shows beside it).
SCANNED = "scanned"  # this product earned the offer's points (today, or in the campaign)
NOT_YET = "not_yet"  # scanning it would earn them
LIMIT_REACHED = "limit_reached"  # the offer's points went to another of its products,
# or the offer gave out its whole budget: scanning this one earns nothing


def scan_products(s: Session, store: Store, at: dt.datetime, shopper: Shopper | None
                  ) -> list[ScanProduct]:
    """What earns scan points at ``store`` now, one item per campaign and product, with
    where to find it; for a shopper also whether they already earned the offer
    (``already_scanned``) and the product's own state (``scan_state``: one award per
    offer and shopper, so a product scanned earns the offer's points and its other
    products then reach the limit)."""
    rows = s.execute(
        select(ScanCampaign, Product, StoreProduct.aisle)
        .join(ScanCampaignProduct, ScanCampaignProduct.campaign_id == ScanCampaign.id)
        .join(Product, Product.id == ScanCampaignProduct.product_id)
        .outerjoin(StoreProduct, (StoreProduct.product_id == Product.id)
                   & (StoreProduct.store_id == store.id))
        .where(*_running_at_store(store.id, store.chain_id, at))
        .order_by(StoreProduct.aisle, Product.name, ScanCampaign.id)
    ).all()
    if shopper is None:
        return [ScanProduct(c, p, aisle, None, None) for c, p, aisle in rows]
    day = store.local_date(at)
    keys = {c.id: award_key(c.id, c.per_shopper, shopper.id, store.id, day) for c, _, _ in rows}
    # The key of each earned offer -> the product it was earned with.
    earned: dict[str | None, str | None] = {key: gtin for key, gtin in s.execute(
        select(LedgerEntry.idempotency_key, LedgerEntry.scanned_gtin)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(Account.shopper_id == shopper.id,
               LedgerEntry.idempotency_key.in_(set(keys.values()))))} if rows else {}

    def state(campaign: ScanCampaign, product: Product) -> str:
        if keys[campaign.id] in earned:
            return SCANNED if earned[keys[campaign.id]] == product.gtin else LIMIT_REACHED
        spent = campaign.budget is not None and campaign.points_awarded + campaign.points > campaign.budget
        return LIMIT_REACHED if spent else NOT_YET

    return [ScanProduct(c, p, aisle, keys[c.id] in earned, state(c, p)) for c, p, aisle in rows]

