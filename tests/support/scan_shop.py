"""A store with products, scan campaigns and shoppers in it, and HTTP helpers to scan
there, for scan tests and benchmarks."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from rewards_api import db
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import Account
from rewards_api.products.services import AssortmentRow, carry, product_by_gtin
from rewards_api.scans import campaigns
from rewards_api.shoppers.models import Shopper
from rewards_api.stores.models import Chain, Store
from rewards_api.stores.services import program_by_code
from rewards_api.visits.models import Visit
from tests.support.world import setup_actor

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)

COFFEE = "4006381333931"  # EAN-13
SODA_UPCA = "036000291452"  # UPC-A; its EAN-13 form is 0036000291452
GUM = "96385074"  # EAN-8
TEA = "5000112000764"  # carried, but in no campaign


@dataclass
class Shop:
    berlin: int
    munich: int
    campaigns: dict[str, int] = field(default_factory=dict)


def stock_products(store_id: int) -> None:
    s = db.session()
    for code, name, aisle in [(COFFEE, "Morning Coffee 500 g", "Aisle 3, top shelf"),
                              (SODA_UPCA, "Cola Classic 1 l", "Aisle 7"),
                              (GUM, "Mint Gum", "Checkout"),
                              (TEA, "Breakfast Tea", "Aisle 3")]:
        carry(s, store_id, AssortmentRow(0, code.zfill(14), name, aisle, None))


def open_campaigns(world: object, *, soda_budget: int | None = None) -> Shop:
    """coffee-week: 50 points for coffee or gum in Berlin, paid by the chain's program;
    cola-brand: 30 points for cola in every store of the chain, paid by the partner
    program (a brand co-funds it), with an optional budget."""
    s = db.session()
    berlin, munich = world.store_ids  # type: ignore[attr-defined]
    stock_products(berlin)
    stock_products(munich)
    product = lambda code: product_by_gtin(s, code.zfill(14))  # noqa: E731
    coffee_week = campaigns.create_campaign(
        s, setup_actor(), code="coffee-week", name="Coffee week", program=program_by_code(s, "corner-points"),
        points=50, starts_at=NOW - dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=6),
        products=[product(COFFEE), product(GUM)], stores=[s.get(Store, berlin)], chain=None)
    cola = campaigns.create_campaign(
        s, setup_actor(), code="cola-brand", name="Cola brand days", program=program_by_code(s, "partner-plus"),
        points=30, starts_at=NOW - dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=6),
        products=[product(SODA_UPCA)], stores=[],
        chain=s.scalars(select(Chain).where(Chain.code == "corner")).one(), budget=soda_budget)
    return Shop(berlin, munich, {"coffee-week": coffee_week.id, "cola-brand": cola.id})


def shopper_id(public_id: str) -> int:
    return db.session().scalars(select(Shopper.id).where(Shopper.public_id == public_id)).one()


def walk_in(shopper: int, store_id: int, at: dt.datetime) -> None:
    """A visit that started a few minutes before ``at`` and is still going on."""
    db.session().add(Visit(shopper_id=shopper, store_id=store_id,
                           started_at=at - dt.timedelta(minutes=5), last_seen_at=at))


def shopper_at(api: Any, app: Any, clock: Any, store_id: int | None, name: str = "Sam") -> dict[str, Any]:
    """A registered shopper, with a visit going on at ``store_id`` (None: nowhere)."""
    shopper = api.register(name)
    with app.app_context():
        shopper["id"] = shopper_id(shopper["public_id"])
        if store_id is not None:
            walk_in(shopper["id"], store_id, clock.now)
        db.session().commit()
    return shopper


def scan_code(api: Any, shopper: dict[str, Any], store_id: int, code: str,
              symbology: str = "ean13", **kwargs: Any) -> Any:
    return api.post("/v1/me/scans", auth=shopper["token"],
                    json={"store_id": store_id, "code": code, "symbology": symbology}, **kwargs)


def scan_photo(api: Any, shopper: dict[str, Any], store_id: int, image: bytes,
               filename: str = "photo.jpg", mimetype: str = "image/jpeg") -> Any:
    return api.post("/v1/me/scans", auth=shopper["token"],
                    data={"store_id": str(store_id), "photo": (io.BytesIO(image), filename, mimetype)},
                    content_type="multipart/form-data")


def error_code(response: Any) -> str:
    return str(response.get_json()["error"]["code"])


def balances(app: Any, shopper: dict[str, Any]) -> dict[str, int]:
    with app.app_context():
        s = db.session()
        accounts = s.scalars(select(Account).where(Account.shopper_id == shopper["id"])).all()
        for account in accounts:  # the cached balance always equals the ledger's sum
            assert account.balance == ledger.ledger_sum(s, account.id)
        return {a.program.code: a.balance for a in accounts}
