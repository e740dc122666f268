"""Stores changed and closed by their chain's admins (a closed store refuses walk-ins,
scans and checkouts with ``store_closed`` and keeps its history), the programs a key
reads, adjustments in the audit trail, the rules' preview sentences in the reader's
language, and the assortment's export, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from rewards_api import db
from rewards_api.ledger.models import LedgerEntry
from rewards_api.scans.models import ScanCampaign
from tests.rewards_api.scans.conftest import shop  # noqa: F401 (fixture)
from tests.support.scan_shop import (
    COFFEE,
    SODA_UPCA,
    balances,
    error_code,
    scan_code,
    shopper_at,
)
from tests.support.world import SETUP


def _trail(api, auth, resource):
    entries = api.get(f"/v1/admin/audit?resource={resource}", auth=auth).get_json()["entries"]
    return [e for e in entries if e["actor"] != SETUP]


def test_a_chain_admin_changes_a_store_and_the_change_is_audited(api, world, other, clock):
    berlin = world.store_ids[0]
    admin = world.keys["chain_admin"]
    changed = api.call("PATCH", f"/v1/admin/stores/{berlin}", auth=admin, json={
        "name": "Berlin Mitte am Platz", "language": "de", "timezone": "Europe/Lisbon"})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["name"], changed.get_json()["language"],
            changed.get_json()["timezone"]) == ("Berlin Mitte am Platz", "de", "Europe/Lisbon")
    listed = {s["code"]: s for s in api.get("/v1/admin/stores", auth=admin).get_json()["stores"]}
    assert listed["berlin-1"]["name"] == "Berlin Mitte am Platz"
    [entry] = _trail(api, world.keys["admin"], "store")
    assert (entry["action"], entry["resource_id"], entry["at"]) == (
        "change", "berlin-1", clock.now.isoformat())
    assert entry["before"]["timezone"] == "Europe/Berlin" and entry["before"]["language"] is None
    assert entry["after"]["timezone"] == "Europe/Lisbon" and entry["after"]["language"] == "de"
    # Its manager sees the change in the store's audit log.
    assert [e["action"] for e in _trail(api, world.keys["manager"], "store")] == ["change"]


def test_a_store_change_is_validated_and_only_for_the_chains_admins(api, world, other):
    berlin = world.store_ids[0]
    for body, field in [({"timezone": "Mars/Olympus"}, None), ({"language": "fr"}, "language"),
                        ({"name": ""}, "name"), ({"active": False}, "active"), ({}, None)]:
        refused = api.call("PATCH", f"/v1/admin/stores/{berlin}", auth=world.keys["chain_admin"],
                           json=body)
        assert (refused.status_code, error_code(refused)) == (400, "invalid_request"), body
        if field:
            assert field in str(refused.get_json()["error"]["details"])
    for key in (world.keys["manager"], world.keys["cashier"], other.keys["admin"]):
        refused = api.call("PATCH", f"/v1/admin/stores/{berlin}", auth=key, json={"name": "X"})
        assert refused.status_code in (401, 403), refused.get_json()
        refused = api.post(f"/v1/admin/stores/{berlin}/close", auth=key)
        assert refused.status_code in (401, 403), refused.get_json()
    assert _trail(api, world.keys["admin"], "store") == []


def test_closing_a_store_mid_day_refuses_scans_and_checkouts_and_keeps_its_history(
        app, api, world, other, shop, clock):  # noqa: F811 (fixture)
    berlin = world.store_ids[0]
    sam = shopper_at(api, app, clock, berlin)
    assert scan_code(api, sam, berlin, COFFEE).status_code == 201
    assert balances(app, sam)["corner-points"] == 50

    clock.advance(hours=2)
    closed = api.post(f"/v1/admin/stores/{berlin}/close", auth=world.keys["chain_admin"])
    assert closed.status_code == 200 and closed.get_json()["active"] is False
    [entry] = _trail(api, world.keys["admin"], "store")
    assert (entry["action"], entry["before"]["active"], entry["after"]["active"]) == (
        "close", True, False)

    clock.advance(minutes=5)
    refused = scan_code(api, sam, berlin, COFFEE)
    assert (refused.status_code, error_code(refused)) == (409, "store_closed")
    checkout = api.post("/v1/pos/checkouts", auth=world.keys["cashier"], json={
        "membership_number": "CM-0000", "cashier": "Ana K.",
        "basket": {"currency": "EUR", "lines": [{"gtin": COFFEE, "quantity": 1,
                                                 "unit_price_minor": 500}]}})
    assert (checkout.status_code, error_code(checkout)) == (409, "store_closed")
    assert "closed" in checkout.get_json()["error"]["message"]
    again = api.post(f"/v1/admin/stores/{berlin}/close", auth=world.keys["chain_admin"])
    assert error_code(again) == "store_closed"

    # History stays: the points, the campaign's use, the store in the admin's list.
    assert balances(app, sam)["corner-points"] == 50
    with app.app_context():
        s = db.session()
        assert s.scalar(select(func.count()).select_from(LedgerEntry)
                        .where(LedgerEntry.store_id == berlin)) == 1
        assert s.get_one(ScanCampaign, shop.campaigns["coffee-week"]).points_awarded == 50
    listed = {s["code"]: s for s in api.get("/v1/admin/stores", auth=world.keys["chain_admin"])
              .get_json()["stores"]}
    assert listed["berlin-1"]["active"] is False
    assert "berlin-1" not in [s["code"] for s in api.get("/v1/stores").get_json()["stores"]]
    # Munich, open, still scans.
    munich_shopper = shopper_at(api, app, clock, world.store_ids[1], "Mo")
    assert scan_code(api, munich_shopper, world.store_ids[1], SODA_UPCA, "upca").status_code == 201


def test_the_programs_a_key_reads_and_what_it_may_do_with_them(api, world, other):
    def programs(key):
        answer = api.get("/v1/admin/programs", auth=key)
        assert answer.status_code == 200, answer.get_json()
        return {p["code"]: (p["pays"], p["catalog"]) for p in answer.get_json()["programs"]}

    assert programs(world.keys["manager"]) == {"corner-points": (True, False),
                                               "partner-plus": (False, False)}
    assert programs(world.keys["chain_admin"]) == {"corner-points": (True, True),
                                                   "partner-plus": (False, False)}
    assert programs(world.keys["partner"]) == {"partner-plus": (False, True)}
    assert programs(world.keys["admin"]) == {"corner-points": (True, True),
                                             "partner-plus": (True, True),
                                             "fresh-points": (True, True)}
    assert programs(other.keys["manager"]) == {"fresh-points": (True, False),
                                               "partner-plus": (False, False)}
    assert api.get("/v1/admin/programs", auth=world.keys["cashier"]).status_code == 403
    assert api.get("/v1/admin/programs").status_code == 401


def test_an_adjustment_is_audited_with_the_balance_before_and_after(app, api, world, other, clock):
    rosa = api.register("Rosa")
    body = {"public_id": rosa["public_id"], "program": "corner-points", "amount": 40,
            "reason": "Coupon not scanned"}
    made = api.post("/v1/admin/adjustments", auth=world.keys["manager"], json=body)
    assert made.status_code == 201, made.get_json()
    taken = api.post("/v1/admin/adjustments", auth=world.keys["manager"],
                     json=dict(body, amount=-15, reason="Counted twice"))
    assert taken.get_json()["balance"] == 25
    entries = _trail(api, world.keys["manager"], "points")
    assert [(e["action"], e["before"], e["after"]["balance"], e["after"]["amount"],
             e["after"]["reason"]) for e in entries] == [
        ("adjust", {"balance": 40}, 25, -15, "Counted twice"),
        ("adjust", {"balance": 0}, 40, 40, "Coupon not scanned")]
    assert entries[0]["resource_id"] == f"corner-points:{rosa['public_id']}"
    assert entries[0]["actor"].startswith("staff:") and entries[0]["at"] == clock.now.isoformat()
    assert entries[0]["store_id"] == world.store_ids[0]
    # Another store's manager does not read Berlin's corrections; a refused one leaves none.
    assert _trail(api, world.keys["other_manager"], "points") == []
    refused = api.post("/v1/admin/adjustments", auth=world.keys["manager"],
                       json=dict(body, program="partner-plus"))
    assert refused.status_code == 403
    assert len(_trail(api, world.keys["admin"], "points")) == 2


WALK_IN = "/v1/admin/walk-in-rules"


def test_a_walk_in_rule_preview_says_what_it_will_do_in_the_readers_language(api, world, other):
    manager = world.keys["manager"]
    query = "program=corner-points&store=berlin-1&points=1500&starts_on=2026-11-28&ends_on=2026-11-28"
    one_day = api.get(f"{WALK_IN}/preview?{query}&daily_budget=50000", auth=manager)
    assert one_day.status_code == 200, one_day.get_json()
    assert one_day.get_json()["preview"] == (
        "A shopper who walks into Berlin Mitte on Saturday, November 28, 2026 gets 1,500 "
        "Corner Points, at most once a day, until the 50,000-point daily budget runs out.")
    open_ended = api.get(f"{WALK_IN}/preview?program=corner-points&store=berlin-1&points=20",
                         auth=manager).get_json()["preview"]
    assert open_ended == ("A shopper who walks into Berlin Mitte any day from Nov 23, 2026 on "
                          "gets 20 Corner Points, at most once a day.")
    german = api.get(f"{WALK_IN}/preview?{query}&daily_budget=50000", auth=manager,
                     headers={"Accept-Language": "de"}).get_json()["preview"]
    # Babel writes German numbers and days, whatever the catalog's sentence says.
    assert "1.500" in german and "50.000" in german and "Samstag" in german
    # Created, the rule's listing carries the same sentence.
    made = api.post(WALK_IN, auth=manager, json={
        "program": "corner-points", "store": "berlin-1", "points": 1500,
        "starts_on": "2026-11-28", "ends_on": "2026-11-28", "daily_budget": 50000})
    assert made.get_json()["preview"] == one_day.get_json()["preview"]


def test_a_walk_in_rule_preview_is_refused_as_creating_it_would_be(api, world, other):
    manager = world.keys["manager"]
    for query, code in [
        ("program=corner-points&store=berlin-1&points=0", "invalid_request"),
        ("program=corner-points&store=berlin-1", "invalid_request"),
        ("program=corner-points&store=berlin-1&points=5&starts_on=2026-12-02&ends_on=2026-12-01",
         "invalid_request"),
        ("program=corner-points&store=munich-1&points=5", "forbidden"),
        ("program=partner-plus&store=berlin-1&points=5", "forbidden"),
        ("program=nope&store=berlin-1&points=5", "program_not_found"),
    ]:
        refused = api.get(f"{WALK_IN}/preview?{query}", auth=manager)
        assert refused.status_code >= 400 and error_code(refused) == code, (query, refused.get_json())
    assert api.get(f"{WALK_IN}/preview?program=corner-points&store=berlin-1&points=5",
                   auth=world.keys["cashier"]).status_code == 403
    # A preview changes nothing: no rule, no audit entry.
    assert api.get(f"{WALK_IN}/preview?program=corner-points&store=berlin-1&points=5",
                   auth=manager).status_code == 200
    assert api.get(WALK_IN, auth=manager).get_json()["walk_in_rules"] == []
    assert _trail(api, world.keys["admin"], "walk_in_rule") == []


def test_an_earn_rule_preview_for_the_base_rate_and_a_product(app, api, world, other):
    admin = world.keys["chain_admin"]
    base = api.get("/v1/admin/earn-rules/preview?program=corner-points&points_per_unit=2",
                   auth=admin)
    assert base.get_json()["preview"] == "Every €1.00 spent earns 2 Corner Points."
    none = api.get("/v1/admin/earn-rules/preview?program=corner-points&points_per_unit=0",
                   auth=admin).get_json()["preview"]
    assert none == "Purchases earn no Corner Points."
    product = api.get(f"/v1/admin/earn-rules/preview?program=corner-points&gtin={COFFEE}"
                      "&multiplier=3", auth=admin).get_json()["preview"]
    assert product == f"Buying Morning Coffee 500 g ({COFFEE}) earns 3 times the usual Corner Points."
    german = api.get("/v1/admin/earn-rules/preview?program=corner-points&points_per_unit=2",
                     auth=admin, headers={"Accept-Language": "de"}).get_json()["preview"]
    assert "1,00\xa0€" in german
    set_rule = api.post("/v1/admin/earn-rules", auth=admin,
                        json={"program": "corner-points", "points_per_unit": 2})
    assert set_rule.get_json()["preview"] == base.get_json()["preview"]
    listed = api.get("/v1/admin/earn-rules?program=corner-points", auth=world.keys["manager"])
    assert base.get_json()["preview"] in [r["preview"] for r in listed.get_json()["earn_rules"]]
    # A manager reads the rules but previews (and sets) none; a bad GTIN is refused.
    assert api.get("/v1/admin/earn-rules/preview?program=corner-points&points_per_unit=2",
                   auth=world.keys["manager"]).status_code == 403
    bad = api.get("/v1/admin/earn-rules/preview?program=corner-points&gtin=4006381333932",
                  auth=admin)
    assert error_code(bad) == "invalid_request"


def test_the_assortment_exports_as_the_csv_its_import_reads(api, world, other):
    berlin = world.store_ids[0]
    exported = api.get(f"/v1/admin/stores/{berlin}/products.csv", auth=world.keys["manager"])
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert 'filename="products-berlin-1.csv"' in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {r["gtin"].lstrip("0"): (r["name"], r["aisle"]) for r in rows}[COFFEE] == (
        "Morning Coffee 500 g", "Aisle 3, top shelf")
    again = api.post(f"/v1/admin/stores/{berlin}/products", auth=world.keys["manager"],
                     json={"csv": exported.get_data(as_text=True)})
    assert again.get_json()["imported"] == len(rows) == 4
    # Names per language go out and come back: an export imported again keeps them.
    named = "gtin,name,name_de,name_pt\n" + COFFEE + ",Morning Coffee 500 g,Morgenkaffee,Café\n"
    assert api.post(f"/v1/admin/stores/{berlin}/products", auth=world.keys["manager"],
                    json={"csv": named}).status_code == 200
    exported = api.get(f"/v1/admin/stores/{berlin}/products.csv", auth=world.keys["manager"])
    api.post(f"/v1/admin/stores/{berlin}/products", auth=world.keys["manager"],
             json={"csv": exported.get_data(as_text=True)})
    rows = list(csv.DictReader(io.StringIO(api.get(
        f"/v1/admin/stores/{berlin}/products.csv", auth=world.keys["manager"]).get_data(as_text=True))))
    coffee = next(r for r in rows if r["gtin"].lstrip("0") == COFFEE)
    assert (coffee["name_de"], coffee["name_pt"]) == ("Morgenkaffee", "Café")
    assert api.get(f"/v1/admin/stores/{berlin}/products.csv",
                   auth=world.keys["other_manager"]).status_code == 403
