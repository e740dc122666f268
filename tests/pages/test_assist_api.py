"""Staff assist: shoppers who opted in ask for help while checked in; staff of that
store see them with the products they scanned this visit."""

from __future__ import annotations

import datetime as dt

from rewards_api import db
from rewards_api.visits.models import IMPOSSIBLE_TRAVEL, Visit
from tests.pages.store_day import NOW


def _opt_in(api, token, on=True):
    response = api.call("PATCH", "/v1/me", json={"assist_opt_in": on}, auth=token)
    assert response.status_code == 200


def _ask(api, token, store_id, key=None):
    return api.post("/v1/me/help-requests", json={"store_id": store_id}, auth=token, key=key)


def _waiting(api, world, key="cashier", store=0):
    return api.get(f"/v1/stores/{world.store_ids[store]}/assist", auth=world.keys[key])


def test_off_by_default_nobody_is_listed(api, world, day):
    refused = _ask(api, day.tokens["Cem"], world.store_ids[0])
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "assist_not_opted_in"
    assert _waiting(api, world).get_json()["shoppers"] == []


def test_a_checked_in_shopper_who_asks_is_shown_with_their_scans(api, world, day):
    _opt_in(api, day.tokens["Cem"])
    asked = _ask(api, day.tokens["Cem"], world.store_ids[0], key="help-1")
    assert asked.status_code == 201
    again = _ask(api, day.tokens["Cem"], world.store_ids[0])  # a second tap, new key
    assert again.get_json()["id"] == asked.get_json()["id"]
    waiting = _waiting(api, world)
    assert waiting.status_code == 200
    [cem] = waiting.get_json()["shoppers"]
    assert cem["display_name"] == "Cem"
    assert cem["help_request_id"] == asked.get_json()["id"]
    assert cem["waiting_minutes"] == 0
    assert {(s["product"], s["aisle"], s["points"]) for s in cem["scans"]} == {
        ("Filter coffee 500 g", "Aisle 4, top shelf", 25)}
    assert len(cem["scans"]) == 2  # one line per campaign it paid in
    # A manager of the store sees the same list; the shopper's phone and id are not in it.
    assert _waiting(api, world, key="manager").get_json()["shoppers"] == waiting.get_json()["shoppers"]
    assert "public_id" not in cem and "phone" not in cem


def test_only_a_checked_in_shopper_can_ask(api, world, day):
    # Ana's visits today are over; Munich is another store than the one Cem is in.
    _opt_in(api, day.tokens["Ana"])
    _opt_in(api, day.tokens["Cem"])
    for token, store in [(day.tokens["Ana"], world.store_ids[0]), (day.tokens["Cem"], world.store_ids[1])]:
        refused = _ask(api, token, store)
        assert refused.status_code == 409
        assert refused.get_json()["error"]["code"] == "not_in_store"
    assert _ask(api, day.tokens["Cem"], 9999).get_json()["error"]["code"] == "store_not_found"
    bad = api.post("/v1/me/help-requests", json={"store_id": "here"}, auth=day.tokens["Cem"])
    assert bad.status_code == 400


def test_opting_out_or_leaving_takes_the_shopper_off_the_list(api, world, day, app):
    _opt_in(api, day.tokens["Cem"])
    assert _ask(api, day.tokens["Cem"], world.store_ids[0]).status_code == 201
    _opt_in(api, day.tokens["Cem"], on=False)
    assert _waiting(api, world).get_json()["shoppers"] == []
    _opt_in(api, day.tokens["Cem"], on=True)
    assert len(_waiting(api, world).get_json()["shoppers"]) == 1
    with app.app_context():
        s = db.session()
        s.get(Visit, day.visit_ids["cem"]).ended_at = NOW - dt.timedelta(minutes=1)
        s.commit()
    assert _waiting(api, world).get_json()["shoppers"] == []


def test_a_flagged_visit_cannot_ask_nor_stay_listed(api, world, day, app):
    """A visit flagged as impossible travel (a relayed token) is not "in the store", as
    for scans (visits.services.in_store)."""
    _opt_in(api, day.tokens["Cem"])
    assert _ask(api, day.tokens["Cem"], world.store_ids[0]).status_code == 201
    with app.app_context():
        s = db.session()
        s.get(Visit, day.visit_ids["cem"]).flag = IMPOSSIBLE_TRAVEL
        s.commit()
    assert _waiting(api, world).get_json()["shoppers"] == []
    refused = _ask(api, day.tokens["Cem"], world.store_ids[0], key="after-flag")
    assert refused.get_json()["error"]["code"] == "not_in_store"


def test_an_old_request_drops_off(api, world, day, app):
    _opt_in(api, day.tokens["Cem"])
    assert _ask(api, day.tokens["Cem"], world.store_ids[0]).status_code == 201
    # Cem is still seen in the store 61 minutes later, but nobody came: the request is stale.
    with app.app_context():
        s = db.session()
        s.get(Visit, day.visit_ids["cem"]).last_seen_at = NOW + dt.timedelta(minutes=61)
        s.commit()
    app.config["CLOCK"] = lambda: NOW + dt.timedelta(minutes=61)
    assert _waiting(api, world).get_json()["shoppers"] == []


def test_staff_mark_a_shopper_helped(api, world, day):
    _opt_in(api, day.tokens["Cem"])
    request_id = _ask(api, day.tokens["Cem"], world.store_ids[0]).get_json()["id"]
    path = f"/v1/stores/{world.store_ids[0]}/assist/{request_id}/helped"
    helped = api.post(path, auth=world.keys["cashier"], key="helped-1")
    assert helped.status_code == 200
    assert helped.get_json()["helped_at"] is not None
    assert api.post(path, auth=world.keys["cashier"], key="helped-1").get_json() == helped.get_json()
    assert _waiting(api, world).get_json()["shoppers"] == []
    # Asking again after being helped opens a new request.
    assert _ask(api, day.tokens["Cem"], world.store_ids[0]).get_json()["id"] != request_id
    export = api.get("/v1/me/export", auth=day.tokens["Cem"]).get_json()
    assert [r["id"] for r in export["help_requests"]][0] == request_id


def test_staff_of_another_store_neither_see_nor_answer(api, world, day):
    _opt_in(api, day.tokens["Cem"])
    request_id = _ask(api, day.tokens["Cem"], world.store_ids[0]).get_json()["id"]
    assert _waiting(api, world, key="other_manager").status_code == 403
    other = api.post(f"/v1/stores/{world.store_ids[0]}/assist/{request_id}/helped",
                     auth=world.keys["other_manager"])
    assert other.status_code == 403
    # In their own store's path the Berlin request does not exist.
    wrong_store = api.post(f"/v1/stores/{world.store_ids[1]}/assist/{request_id}/helped",
                           auth=world.keys["other_manager"])
    assert wrong_store.status_code == 404
    assert wrong_store.get_json()["error"]["code"] == "help_request_not_found"
    assert _waiting(api, world, key="other_manager", store=1).get_json()["shoppers"] == []


def test_shoppers_cannot_read_the_assist_list(api, world, day):
    path = f"/v1/stores/{world.store_ids[0]}/assist"
    assert api.get(path, auth=day.tokens["Cem"]).status_code == 403
    assert api.get(path).status_code == 401


def _scan(api, token, store_id, code, symbology="ean13"):
    return api.post("/v1/me/scans", json={"store_id": store_id, "code": code,
                                          "symbology": symbology}, auth=token)


def test_refused_scans_show_what_an_opted_in_shopper_tried(api, app, world, day):
    from rewards_api.scans.models import RefusedScan

    tea = "5000112000764"  # a real product code, in no campaign
    # Before the opt-in nothing about refused scans is kept.
    assert _scan(api, day.tokens["Cem"], world.store_ids[0], tea).status_code == 422
    _opt_in(api, day.tokens["Cem"])
    refused = _scan(api, day.tokens["Cem"], world.store_ids[0], tea)
    assert refused.get_json()["error"]["code"] == "not_a_campaign_product"
    assert _scan(api, day.tokens["Cem"], world.store_ids[0], "4006381333932").status_code == 422
    # A refusal naming a store that does not exist is not kept (and is no server error).
    assert _scan(api, day.tokens["Cem"], 9999, "4006381333932").status_code == 422
    assert _ask(api, day.tokens["Cem"], world.store_ids[0]).status_code == 201
    [cem] = _waiting(api, world).get_json()["shoppers"]
    tried = [(s["product"], s["points"], s["refused"]) for s in cem["scans"]]
    assert (tea, 0, "not_a_campaign_product") in tried
    assert ("an unreadable code", 0, "invalid_check_digit") in tried
    assert ("Filter coffee 500 g", 25, None) in tried
    with app.app_context():
        assert len(db.session().query(RefusedScan).all()) == 2
    # They are the shopper's data: in the export, gone after a day.
    export = api.get("/v1/me/export", auth=day.tokens["Cem"]).get_json()
    assert {r["reason"] for r in export["refused_scans"]} == {"not_a_campaign_product",
                                                             "invalid_check_digit"}
    with app.app_context():
        s = db.session()
        for row in s.query(RefusedScan):
            row.at = app.config["CLOCK"]() - dt.timedelta(days=2)  # the purge reads that clock
        s.commit()
    result = app.test_cli_runner().invoke(args=["purge"])
    assert "refused scans: 2 removed" in result.output
