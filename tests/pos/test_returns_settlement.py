"""Returns (pro-rata clawback, never a surprise negative balance), partner settlement
and earnings sent later by an offline register."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

from rewards_api import db
from rewards_api.ledger.models import PURCHASE, RETURN
from rewards_api.pos.models import Checkout
from rewards_api.products import gtin
from tests.support.shop import BASKET, COFFEE


def _committed(shop) -> dict:
    checkout = shop.open().get_json()
    shop.post(f"/v1/pos/checkouts/{checkout['id']}/rewards")
    return shop.commit(checkout["id"]).get_json()


def _coffee_line(shop, checkout_id: int) -> dict:
    """The committed coffee line: its discount share and what it earned per program."""
    with shop.app.app_context():
        return next(x for x in db.session().get(Checkout, checkout_id).basket
                    if x["gtin"] == gtin.normalize(COFFEE))


def test_return_claws_back_earned_points_pro_rata_and_refunds_what_was_paid(shop):
    checkout = _committed(shop)
    path = f"/v1/pos/checkouts/{checkout['id']}/returns"
    coffee = _coffee_line(shop, checkout["id"])
    coffee_store, coffee_partner = coffee["points"]["corner-points"], coffee["points"]["partner-plus"]
    before = shop.accounts()
    first = shop.post(path, json={"lines": [{"gtin": COFFEE, "quantity": 1}]})
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["points"]["corner-points"] == {"clawed_back": coffee_store // 2, "shortfall": 0}
    assert body["points"]["partner-plus"]["clawed_back"] == coffee_partner // 2
    second = shop.post(path, json={"lines": [{"gtin": COFFEE, "quantity": 1}]}).get_json()
    # Two halves add up to the whole, whatever the rounding.
    assert (body["points"]["corner-points"]["clawed_back"]
            + second["points"]["corner-points"]["clawed_back"]) == coffee_store
    after = shop.accounts()
    assert after["corner-points"].balance == before["corner-points"].balance - coffee_store
    # Redeemed points are not refunded; the money back is what the coffee cost after
    # its share of the discounts (the free coffee took one of the two).
    assert body["refund_minor"] + second["refund_minor"] == 700 - coffee["discount_minor"]
    assert coffee["discount_minor"] >= 350
    returns = shop.entries(RETURN)
    assert all(e.amount < 0 and e.reference == f"checkout:{checkout['id']}" for e in returns)
    too_many = shop.post(path, json={"lines": [{"gtin": COFFEE, "quantity": 1}]})
    assert too_many.status_code == 422
    assert too_many.get_json()["error"]["code"] == "return_quantity_too_large"


def test_clawback_never_takes_a_balance_below_zero_the_shortfall_is_recorded(api, shop):
    checkout = _committed(shop)
    balance = shop.accounts()["corner-points"].balance
    spent = api.post("/v1/admin/adjustments", auth=shop.world.keys["manager"],
                     json={"public_id": shop.shopper["public_id"], "program": "corner-points",
                           "amount": -balance, "reason": "spent elsewhere (test)"})
    assert spent.status_code == 201, spent.get_json()
    everything = [{"gtin": x["gtin"], "quantity": x["quantity"]} for x in BASKET["lines"]]
    answer = shop.post(f"/v1/pos/checkouts/{checkout['id']}/returns",
                       json={"lines": everything}).get_json()
    earned = sum(e.amount for e in shop.entries(PURCHASE) if e.program.code == "corner-points")
    assert answer["points"]["corner-points"] == {"clawed_back": 0, "shortfall": earned}
    assert shop.accounts()["corner-points"].balance == 0


def test_settlement_report_and_csv_per_store(api, shop):
    checkout = _committed(shop)
    issued = next(e.amount for e in shop.entries(PURCHASE) if e.program.code == "partner-plus")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    report = api.get(f"/v1/admin/settlement?from={today}&to={today}",
                     auth=shop.world.keys["manager"])
    assert report.status_code == 200, report.get_json()
    assert report.get_json()["stores"] == [{
        "store": "berlin-1", "currency": "EUR", "points_redeemed": 250, "points_issued": issued,
        "owed_to_store_minor": 250, "owed_to_partner_minor": issued,
        "net_to_store_minor": 250 - issued}]
    everywhere = api.get(f"/v1/admin/settlement?from={today}&to={today}",
                         auth=shop.world.keys["admin"]).get_json()["stores"]
    assert [row["store"] for row in everywhere] == ["berlin-1", "munich-1"]
    shop.post(f"/v1/pos/checkouts/{checkout['id']}/returns",
              json={"lines": [{"gtin": COFFEE, "quantity": 2}]})
    exported = api.get(f"/v1/admin/settlement/berlin-1.csv?from={today}&to={today}",
                       auth=shop.world.keys["manager"])
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [int(r["points_issued"]) for r in rows][0] == issued
    assert int(rows[1]["points_issued"]) < 0 and rows[1]["return_id"]
    foreign = api.get(f"/v1/admin/settlement/berlin-1.csv?from={today}&to={today}",
                      auth=shop.world.keys["other_manager"])
    assert foreign.status_code == 403
    yesterday = (dt.date.fromisoformat(today) - dt.timedelta(days=1)).isoformat()
    empty = api.get(f"/v1/admin/settlement?from={yesterday}&to={yesterday}",
                    auth=shop.world.keys["manager"]).get_json()["stores"][0]
    assert empty["points_issued"] == 0 and empty["owed_to_store_minor"] == 0


def test_offline_earning_counts_once_with_the_code_checked_at_purchase_time(shop):
    purchased = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    body = {"code": shop.code(purchased.timestamp()), "basket": BASKET, "cashier": "Anna",
            "purchased_at": purchased.isoformat(), "offline_id": str(uuid.uuid4())}
    first = shop.post("/v1/pos/offline-earnings", json=body)
    assert first.status_code == 201, first.get_json()
    # Resent days later under another request key: still the same checkout, no new points.
    again = shop.post("/v1/pos/offline-earnings", json=body)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(shop.entries(PURCHASE)) == 2
    assert first.get_json()["receipt"]["discount_minor"] == 0
    old = dict(body, offline_id=str(uuid.uuid4()),
               purchased_at=(purchased - dt.timedelta(days=8)).isoformat())
    refused = shop.post("/v1/pos/offline-earnings", json=old)
    assert refused.get_json()["error"]["code"] == "offline_earning_too_old"
