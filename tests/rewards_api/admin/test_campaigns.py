"""Scan campaigns over HTTP: who runs them where, and ending one in the middle of a day."""

from __future__ import annotations

import datetime as dt

from tests.support.scan_shop import COFFEE, GUM, balances, error_code, scan_code, shopper_at

WEEK = {"program": "corner-points", "points": 50, "products": [COFFEE, GUM],
        "starts_at": "2026-11-23T00:00:00+01:00", "ends_at": "2026-11-30T00:00:00+01:00"}


def campaign(code: str, **fields):
    return dict(WEEK, code=code, name=code.title(), **fields)


def test_a_manager_runs_campaigns_in_their_own_store_only(api, world, other):
    manager = world.keys["manager"]
    created = api.post("/v1/admin/campaigns", auth=manager,
                       json=campaign("coffee-days", stores=["berlin-1"], budget=500))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["stores"] == ["berlin-1"] and body["running"] is True
    assert [p["gtin"] for p in body["products"]] == sorted([COFFEE.zfill(14), GUM.zfill(14)])
    munich = api.post("/v1/admin/campaigns", auth=manager,
                      json=campaign("munich-days", stores=["munich-1"]))
    assert munich.status_code == 403
    chain_wide = api.post("/v1/admin/campaigns", auth=manager, json=campaign("all", chain="corner"))
    assert chain_wide.status_code == 403
    partner_paid = api.post("/v1/admin/campaigns", auth=manager,
                            json=campaign("brand", stores=["berlin-1"], program="partner-plus"))
    assert partner_paid.status_code == 403
    # The chain's admin runs one in every store; Munich's manager sees it, not Berlin's own.
    assert api.post("/v1/admin/campaigns", auth=world.keys["chain_admin"],
                    json=campaign("all-stores", chain="corner")).status_code == 201
    seen = api.get("/v1/admin/campaigns", auth=world.keys["other_manager"]).get_json()
    assert [c["code"] for c in seen["campaigns"]] == ["all-stores"]
    assert api.post(f"/v1/admin/campaigns/{body['id']}/end",
                    auth=world.keys["other_manager"]).get_json()["error"]["code"] == "campaign_not_found"
    assert api.get("/v1/admin/campaigns", auth=other.keys["admin"]).get_json() == {"campaigns": []}
    taken = api.post("/v1/admin/campaigns", auth=manager,
                     json=campaign("coffee-days", stores=["berlin-1"]))
    assert error_code(taken) == "code_taken"
    unknown = api.post("/v1/admin/campaigns", auth=manager,
                       json=campaign("tea", stores=["berlin-1"], products=["4000000000013"]))
    assert error_code(unknown) == "product_not_found"


def test_ending_a_campaign_mid_day_refuses_later_scans_and_keeps_its_figures(app, api, world,
                                                                             other, clock):
    manager = world.keys["manager"]
    berlin = world.store_ids[0]
    created = api.post("/v1/admin/campaigns", auth=manager,
                       json=campaign("coffee-days", stores=["berlin-1"], budget=500)).get_json()
    early = shopper_at(api, app, clock, berlin, "Early")
    assert scan_code(api, early, berlin, COFFEE).status_code == 201
    clock.advance(hours=2)  # noon in Berlin: the campaign ends now
    ended = api.post(f"/v1/admin/campaigns/{created['id']}/end", auth=manager)
    assert ended.status_code == 200, ended.get_json()
    body = ended.get_json()
    assert body["running"] is False
    assert dt.datetime.fromisoformat(body["ends_at"]) == clock.now
    assert (body["points_awarded"], body["budget"], body["awards"]) == (50, 500, 1)
    late = shopper_at(api, app, clock, berlin, "Late")
    refused = scan_code(api, late, berlin, GUM, "ean8")
    assert error_code(refused) == "not_a_campaign_product"
    assert balances(app, late).get("corner-points", 0) == 0
    assert balances(app, early)["corner-points"] == 50  # what it gave stays given
    listed = api.get("/v1/admin/campaigns?store=berlin-1", auth=manager).get_json()["campaigns"]
    assert (listed[0]["points_awarded"], listed[0]["budget"]) == (50, 500)
    again = api.post(f"/v1/admin/campaigns/{created['id']}/end", auth=manager)
    assert error_code(again) == "campaign_already_ended"
    changed = api.call("PATCH", f"/v1/admin/campaigns/{created['id']}", auth=manager,
                       json={"name": "Back again"})
    assert error_code(changed) == "campaign_already_ended"


def test_changing_a_campaign_keeps_its_budget_above_what_it_gave(app, api, world, other, clock):
    manager = world.keys["manager"]
    berlin = world.store_ids[0]
    created = api.post("/v1/admin/campaigns", auth=manager,
                       json=campaign("coffee-days", stores=["berlin-1"], budget=100)).get_json()
    assert scan_code(api, shopper_at(api, app, clock, berlin), berlin, COFFEE).status_code == 201
    path = f"/v1/admin/campaigns/{created['id']}"
    too_low = api.call("PATCH", path, auth=manager, json={"budget": 60})
    assert error_code(too_low) == "invalid_request" and "50 points" in too_low.get_json()["error"]["message"]
    changed = api.call("PATCH", path, auth=manager, json={"budget": 1000, "products": [GUM]})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["budget"] == 1000
    assert [p["gtin"] for p in changed.get_json()["products"]] == [GUM.zfill(14)]
    coffee_now = scan_code(api, shopper_at(api, app, clock, berlin, "Next"), berlin, COFFEE)
    assert error_code(coffee_now) == "not_a_campaign_product"
    future = api.post("/v1/admin/campaigns", auth=manager, json=campaign(
        "next-week", stores=["berlin-1"], starts_at="2026-12-01T00:00:00+01:00",
        ends_at="2026-12-08T00:00:00+01:00")).get_json()
    not_started = api.post(f"/v1/admin/campaigns/{future['id']}/end", auth=manager)
    assert error_code(not_started) == "campaign_not_started"
