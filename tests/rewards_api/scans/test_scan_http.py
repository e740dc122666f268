"""Scanning over HTTP on both backends: points once, during a visit, and every refusal
with its own code."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from rewards_api import credentials, db
from rewards_api.ledger.models import SCAN, LedgerEntry
from rewards_api.products.services import product_by_gtin
from rewards_api.scans import campaigns, decoder
from rewards_api.scans.models import ScanCampaign
from rewards_api.shoppers.models import Shopper
from rewards_api.shoppers.services import account_for
from rewards_api.stores.models import Store
from rewards_api.stores.services import program_by_code
from rewards_api.visits.models import IMPOSSIBLE_TRAVEL, Visit
from tests.support.barcodes import Conditions, blank_photo, photo, render, unclear_photo
from tests.support.scan_shop import (
    COFFEE,
    GUM,
    SODA_UPCA,
    TEA,
    balances,
    error_code,
    scan_code,
    scan_photo,
    shopper_at,
    walk_in,
)
from tests.support.world import setup_actor, staff_key


def test_scan_by_code_then_photo_earns_once_per_campaign(api, app, shop, clock):
    sam = shopper_at(api, app, clock, shop.berlin)
    first = scan_code(api, sam, shop.berlin, COFFEE)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["points"] == 50
    assert body["product"]["name"] == "Morning Coffee 500 g"
    assert [(a["campaign"], a["program"], a["balance"]) for a in body["awards"]] == \
        [("coffee-week", "corner-points", 50)]

    again = scan_photo(api, sam, shop.berlin, photo(render("ean13", COFFEE), Conditions(angle=12)))
    assert again.status_code == 409
    assert error_code(again) == "already_scanned"

    cola = scan_photo(api, sam, shop.berlin, photo(render("upca", SODA_UPCA), Conditions(angle=-30, blur=0.8)))
    assert cola.status_code == 201, cola.get_json()
    assert cola.get_json()["read"] == {"symbology": "upca", "value": SODA_UPCA}
    assert cola.get_json()["awards"][0]["program"] == "partner-plus"
    assert balances(app, sam) == {"corner-points": 50, "partner-plus": 30}


def test_the_same_request_retried_is_answered_once(api, app, shop, clock):
    sam = shopper_at(api, app, clock, shop.berlin)
    first = scan_code(api, sam, shop.berlin, COFFEE, key="retry-1")
    retry = scan_code(api, sam, shop.berlin, COFFEE, key="retry-1")
    assert first.status_code == retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json()
    assert balances(app, sam)["corner-points"] == 50


def test_no_points_without_a_visit_or_at_another_store(api, app, shop, clock):
    home = shopper_at(api, app, clock, None, "At home")
    response = scan_code(api, home, shop.berlin, COFFEE)
    assert (response.status_code, error_code(response)) == (409, "not_in_store")

    in_berlin = shopper_at(api, app, clock, shop.berlin, "In Berlin")
    # cola-brand runs in Munich too, but the shopper is in Berlin.
    elsewhere = scan_code(api, in_berlin, shop.munich, "0" + SODA_UPCA)
    assert (elsewhere.status_code, error_code(elsewhere)) == (409, "not_in_store")

    clock.advance(minutes=16)  # the visit was last seen longer ago than the 15 allowed
    stale = scan_code(api, in_berlin, shop.berlin, COFFEE)
    assert error_code(stale) == "not_in_store"
    assert balances(app, home) == {"partner-plus": 0}
    assert balances(app, in_berlin) == {"partner-plus": 0}


def test_a_shopper_who_left_or_whose_visit_is_flagged_is_not_in_the_store(api, app, shop, clock):
    """The rule the help requests use too (visits.services.in_store)."""
    left = shopper_at(api, app, clock, shop.berlin, "Left")
    relayed = shopper_at(api, app, clock, shop.berlin, "Relayed")
    with app.app_context():
        s = db.session()
        visits = {v.shopper_id: v for v in s.scalars(select(Visit))}
        visits[left["id"]].ended_at = clock.now - dt.timedelta(minutes=1)  # the exit arrived
        visits[relayed["id"]].flag = IMPOSSIBLE_TRAVEL
        s.commit()
    for shopper in (left, relayed):
        response = scan_code(api, shopper, shop.berlin, COFFEE)
        assert (response.status_code, error_code(response)) == (409, "not_in_store")
        assert balances(app, shopper) == {"partner-plus": 0}


def test_upca_and_its_ean13_form_are_one_product(api, app, shop, clock):
    sam = shopper_at(api, app, clock, shop.berlin)
    assert scan_code(api, sam, shop.berlin, SODA_UPCA, "upca").status_code == 201
    again = scan_code(api, sam, shop.berlin, "0" + SODA_UPCA, "ean13")
    assert error_code(again) == "already_scanned"


def test_refusals_have_their_own_codes(api, app, shop, clock):
    sam = shopper_at(api, app, clock, shop.berlin)
    cases = [
        (scan_code(api, sam, shop.berlin, "4006381333932"), 422, "invalid_check_digit"),
        (scan_code(api, sam, shop.berlin, TEA), 422, "not_a_campaign_product"),
        (scan_code(api, sam, shop.berlin, "4006381333948"), 422, "not_a_campaign_product"),
        (scan_code(api, sam, shop.berlin, "https://example.com/x", "qr"), 422, "not_a_campaign_product"),
        (scan_code(api, sam, shop.berlin, "400638133393"), 400, "invalid_request"),
        (scan_code(api, sam, shop.berlin, COFFEE, "code39"), 400, "invalid_request"),
        (scan_code(api, sam, 9999, COFFEE), 404, "store_not_found"),
        (scan_photo(api, sam, shop.berlin, blank_photo()), 422, "unreadable_image"),
        (scan_photo(api, sam, shop.berlin, unclear_photo()), 422, "barcode_unclear"),
        (scan_photo(api, sam, shop.berlin, b"not a picture at all"), 422, "unreadable_image"),
        (scan_photo(api, sam, shop.berlin, b"GIF89a....", "x.gif", "image/gif"), 422, "unreadable_image"),
        (api.post("/v1/me/scans", auth=sam["token"], data="code=1", content_type="text/plain"),
         415, "unsupported_media_type"),
        (api.post("/v1/me/scans", auth=sam["token"], data="{", content_type="application/json"),
         400, "malformed_json"),
    ]
    for response, status, code in cases:
        assert (response.status_code, error_code(response)) == (status, code), response.get_json()
        assert response.get_json()["error"]["message"]
    assert balances(app, sam) == {"partner-plus": 0}

    clock.advance(days=7)  # both campaigns have ended
    with app.app_context():
        walk_in(sam["id"], shop.berlin, clock.now)
        db.session().commit()
    assert error_code(scan_code(api, sam, shop.berlin, COFFEE)) == "not_a_campaign_product"


def test_once_per_store_local_day(api, app, shop, clock):
    # 22:30 UTC is 23:30 in Berlin; an hour later it is the next day there (not in UTC).
    clock.now = clock.now.replace(hour=22, minute=30)
    sam = shopper_at(api, app, clock, shop.berlin)
    assert scan_code(api, sam, shop.berlin, GUM, "ean8").status_code == 201
    clock.advance(minutes=10)
    assert error_code(scan_code(api, sam, shop.berlin, COFFEE)) == "already_scanned"
    clock.advance(minutes=50)
    with app.app_context():
        walk_in(sam["id"], shop.berlin, clock.now)
        db.session().commit()
    assert scan_code(api, sam, shop.berlin, COFFEE).status_code == 201
    assert balances(app, sam)["corner-points"] == 100


def test_budget_runs_out(api, app, shop, clock):
    with app.app_context():
        campaign = db.session().get(ScanCampaign, shop.campaigns["cola-brand"])
        campaign.budget = 60  # two awards of 30
        db.session().commit()
    answers, shoppers = [], []
    for n in range(3):
        shoppers.append(shopper_at(api, app, clock, shop.munich, f"S{n}"))
        answers.append(scan_code(api, shoppers[-1], shop.munich, SODA_UPCA, "upca"))
    assert [r.status_code for r in answers] == [201, 201, 409]
    assert error_code(answers[2]) == "campaign_budget_exhausted"
    # The refusal moved no points; having scanned already is still the answer to give.
    assert balances(app, shoppers[2]).get("partner-plus", 0) == 0
    assert error_code(scan_code(api, shoppers[0], shop.munich, SODA_UPCA, "upca")) == "already_scanned"
    assert balances(app, shoppers[0])["partner-plus"] == 30
    with app.app_context():
        s = db.session()
        assert s.get(ScanCampaign, shop.campaigns["cola-brand"]).points_awarded == 60
        assert s.scalar(select(func.count()).select_from(LedgerEntry)
                        .where(LedgerEntry.kind == SCAN)) == 2


def test_a_product_in_two_campaigns_earns_the_one_with_budget_left(api, app, shop, clock):
    with app.app_context():
        s = db.session()
        cola = s.get(ScanCampaign, shop.campaigns["cola-brand"])
        cola.budget = 30  # one award
        campaigns.create_campaign(
            s, setup_actor(), code="soda-store", name="Soda days", program=program_by_code(s, "corner-points"),
            points=20, starts_at=cola.starts_at, ends_at=cola.ends_at,
            products=[product_by_gtin(s, SODA_UPCA.zfill(14))], stores=[s.get(Store, shop.munich)],
            chain=None)
        s.commit()
    first = shopper_at(api, app, clock, shop.munich, "First")
    assert scan_code(api, first, shop.munich, SODA_UPCA, "upca").get_json()["points"] == 50
    second = shopper_at(api, app, clock, shop.munich, "Second")
    with app.app_context():  # an account in the brand's program already: its balance is moved
        s = db.session()
        account_for(s, s.get(Shopper, second["id"]), program_by_code(s, "partner-plus"))
        s.commit()
    answer = scan_code(api, second, shop.munich, SODA_UPCA, "upca")
    assert answer.status_code == 201, answer.get_json()
    assert [(a["campaign"], a["points"]) for a in answer.get_json()["awards"]] == [("soda-store", 20)]
    assert balances(app, second) == {"corner-points": 20, "partner-plus": 0}
    with app.app_context():
        assert db.session().get(ScanCampaign, shop.campaigns["cola-brand"]).points_awarded == 30


def test_rate_limit_counts_every_attempt_across_requests(api, app, shop, clock):
    app.config["SCAN_RATE_PER_MINUTE"] = 3
    clock.now = clock.now.replace(second=5)
    sam = shopper_at(api, app, clock, shop.berlin)
    codes = [error_code(scan_code(api, sam, shop.berlin, TEA)) for _ in range(3)]
    assert codes == ["not_a_campaign_product"] * 3  # refused, yet counted
    limited = scan_code(api, sam, shop.berlin, COFFEE)
    assert (limited.status_code, error_code(limited)) == (429, "rate_limited")
    assert limited.get_json()["error"]["details"]["retry_after_seconds"] == 56
    clock.advance(minutes=1)
    with app.app_context():
        walk_in(sam["id"], shop.berlin, clock.now)
        db.session().commit()
    assert scan_code(api, sam, shop.berlin, COFFEE).status_code == 201


def test_what_to_scan_for_shoppers_and_staff(api, app, world, shop, clock):
    sam = shopper_at(api, app, clock, shop.berlin)
    assert scan_code(api, sam, shop.berlin, GUM, "ean8").status_code == 201
    listing = api.get(f"/v1/stores/{shop.berlin}/scan-products", auth=sam["token"])
    assert listing.status_code == 200, listing.get_json()
    body = listing.get_json()
    assert body["local_date"] == "2026-11-23"
    seen = {(p["campaign"], p["product"]["code"]):
            (p["points"], p["aisle"], p["already_scanned"], p["scan_state"])
            for p in body["products"]}
    assert seen == {
        # One award per offer and day: the gum earned it, the coffee reached the limit.
        ("coffee-week", COFFEE): (50, "Aisle 3, top shelf", True, "limit_reached"),
        ("coffee-week", GUM): (50, "Checkout", True, "scanned"),
        ("cola-brand", "0" + SODA_UPCA): (30, "Aisle 7", False, "not_yet"),
    }
    staff = api.get(f"/v1/stores/{shop.berlin}/scan-products", auth=world.keys["cashier"])
    assert staff.status_code == 200
    assert {(p["already_scanned"], p["scan_state"]) for p in staff.get_json()["products"]} == {
        (None, None)}
    munich = api.get(f"/v1/stores/{shop.munich}/scan-products", auth=sam["token"]).get_json()
    assert [p["campaign"] for p in munich["products"]] == ["cola-brand"]
    assert api.get(f"/v1/stores/{shop.munich}/scan-products",
                   auth=world.keys["cashier"]).status_code == 403
    assert api.get(f"/v1/stores/{shop.berlin}/scan-products").status_code == 401


def test_a_staff_key_with_st_among_its_random_characters_is_still_staff(
        api, app, world, shop, monkeypatch):
    # One key in about 6,000 holds "st_" (the shopper token's prefix) in its random part;
    # it was taken for a shopper token and refused where shoppers and staff may both ask.
    monkeypatch.setattr(credentials.secrets, "token_urlsafe", lambda n: "abcst_" + "x" * 37)
    with app.app_context():
        key = staff_key("cashier", world.store_ids[0], "Register with st_ inside")
        db.session().commit()
    assert "st_" in key.removeprefix(credentials.STAFF_KEY_PREFIX)
    listing = api.get(f"/v1/stores/{shop.berlin}/scan-products", auth=key)
    assert listing.status_code == 200, listing.get_json()
    assert {p["scan_state"] for p in listing.get_json()["products"]} == {None}


def test_shelf_tags_print_qr_codes_that_scan_like_the_product(api, app, world, shop, clock):
    url = f"/v1/stores/{shop.berlin}/shelf-tags"
    sheet = api.get(url, auth=world.keys["manager"])
    assert sheet.status_code == 200
    assert sheet.mimetype == "application/pdf" and sheet.data.startswith(b"%PDF")
    page = api.get(url + "?format=png&page=1", auth=world.keys["manager"])
    assert page.mimetype == "image/png" and page.headers["X-Page-Count"] == "1"
    reads = decoder.decode(page.data)
    assert sorted((r.symbology, r.value) for r in reads) == \
        [("qr", "0" + SODA_UPCA), ("qr", COFFEE), ("qr", GUM)]
    assert api.get(url + "?format=png&page=2", auth=world.keys["manager"]).status_code == 400
    assert api.get(url, auth=world.keys["cashier"]).status_code == 403
    assert api.get(url, auth=world.keys["other_manager"]).status_code == 403

    sam = shopper_at(api, app, clock, shop.berlin)
    tag = scan_code(api, sam, shop.berlin, COFFEE, "qr")
    assert tag.status_code == 201 and tag.get_json()["points"] == 50
    home = shopper_at(api, app, clock, None, "Shared the tag online")
    assert error_code(scan_code(api, home, shop.berlin, COFFEE, "qr")) == "not_in_store"
