"""Checkout over HTTP on both backends: identify, apply both programs, commit, void."""

from __future__ import annotations

from sqlalchemy import select

from rewards_api import db
from rewards_api.ledger.models import CAPTURED, PURCHASE, REDEMPTION, RELEASED, Hold
from rewards_api.pos.models import Checkout, SettlementRecord
from tests.support.shop import BASKET_TOTAL, COFFEE

ALL_FOUR = ["corner-points:10-percent", "corner-points:5-off",
            "partner-plus:chocolate-1-off", "partner-plus:free-coffee"]
SUGGESTED = ["corner-points:5-off", "partner-plus:free-coffee"]


def test_identify_shows_both_programs_and_suggests_the_best_combination(shop):
    response = shop.open()
    assert response.status_code == 201, response.get_json()
    view = response.get_json()
    assert view["status"] == "identified"
    assert view["shopper"]["display_name"] == "Rosa"
    assert [(p["program"], p["kind"], p["balance"]) for p in view["programs"]] == [
        ("corner-points", "store", 1000), ("partner-plus", "partner", 600)]
    # The best value for the points (a point is worth a cent): free coffee (3.50 for
    # 250) and 5.00 off (for 400); not 10% off (1.22 for 200 points) nor 1.00 off
    # chocolate (1.00 for 100), though all four together would take more money off.
    assert sorted(view["suggested"]) == SUGGESTED
    assert view["suggested_value_minor"] == 350 + 500
    assert view["consent"] is None
    assert view["applied"] == [] and view["totals"]["to_pay_minor"] == BASKET_TOTAL
    assert all(p["earn_preview"] > 0 for p in view["programs"])
    assert {a.program.code: a.held for a in shop.accounts().values()} == {
        "corner-points": 0, "partner-plus": 0}


def test_apply_suggested_then_commit_captures_earns_and_settles(shop):
    checkout = shop.open().get_json()
    applied = shop.post(f"/v1/pos/checkouts/{checkout['id']}/rewards")
    assert applied.status_code == 200, applied.get_json()
    view = applied.get_json()
    assert view["status"] == "rewards_applied"
    assert sorted(a["reward"] for a in view["applied"]) == SUGGESTED
    assert view["totals"]["to_pay_minor"] == BASKET_TOTAL - 850
    assert view["consent"] == "pending"
    held = shop.accounts()
    assert (held["corner-points"].held, held["partner-plus"].held) == (400, 250)

    committed = shop.commit(checkout["id"])
    assert committed.status_code == 200, committed.get_json()
    receipt = committed.get_json()["receipt"]
    earned = {line["program"]: line["points"] for line in receipt["lines"] if line["kind"] == "earned"}
    assert set(earned) == {"corner-points", "partner-plus"} and all(earned.values())
    redeemed = [line for line in receipt["lines"] if line["kind"] == "redeemed"]
    assert sorted(-line["points"] for line in redeemed) == [250, 400]
    assert receipt["to_pay_minor"] == BASKET_TOTAL - 850
    assert committed.get_json()["consent"] == "cashier"
    after = shop.accounts()
    assert after["corner-points"].balance == 1000 - 400 + earned["corner-points"]
    assert after["partner-plus"].balance == 600 - 250 + earned["partner-plus"]
    assert after["corner-points"].held == after["partner-plus"].held == 0
    balances = {line["program"]: line["points"] for line in receipt["lines"] if line["kind"] == "balance"}
    assert balances == {"corner-points": after["corner-points"].balance,
                        "partner-plus": after["partner-plus"].balance}
    with shop.app.app_context():
        s = db.session()
        assert {h.status for h in s.scalars(select(Hold))} == {CAPTURED}
        record = s.scalars(select(SettlementRecord)).one()
        assert (record.points_redeemed, record.points_issued) == (250, earned["partner-plus"])
        assert record.owed_to_store_minor == 250  # partner-plus points are worth 1 cent
        row = s.get(Checkout, checkout["id"])
        assert (row.cashier, row.rewards_offered, row.rewards_applied) == ("Anna", True, True)


def test_commit_retried_with_the_same_key_replays_the_same_receipt(shop):
    checkout = shop.open().get_json()
    shop.post(f"/v1/pos/checkouts/{checkout['id']}/rewards")
    first = shop.commit(checkout["id"], key="commit-1")
    again = shop.commit(checkout["id"], key="commit-1")
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["receipt"] == first.get_json()["receipt"]
    assert len(shop.entries(PURCHASE)) == 2 and len(shop.entries(REDEMPTION)) == 2
    other_key = shop.commit(checkout["id"], key="commit-2")
    assert other_key.status_code == 409
    assert other_key.get_json()["error"]["code"] == "checkout_closed"
    assert len(shop.entries(PURCHASE)) == 2


def test_void_releases_every_hold(shop):
    checkout = shop.open().get_json()
    shop.post(f"/v1/pos/checkouts/{checkout['id']}/rewards")
    voided = shop.post(f"/v1/pos/checkouts/{checkout['id']}/void")
    assert voided.get_json()["status"] == "voided"
    accounts = shop.accounts()
    assert accounts["corner-points"].held == 0 and accounts["corner-points"].balance == 1000
    with shop.app.app_context():
        assert {h.status for h in db.session().scalars(select(Hold))} == {RELEASED}
    late = shop.commit(checkout["id"])
    assert late.get_json()["error"]["code"] == "checkout_closed"


def test_reapplying_swaps_holds_instead_of_stacking_them(shop):
    checkout = shop.open().get_json()
    path = f"/v1/pos/checkouts/{checkout['id']}/rewards"
    shop.post(path)
    chosen = shop.post(path, json={"rewards": ["partner-plus:free-coffee"]})
    assert [a["reward"] for a in chosen.get_json()["applied"]] == ["partner-plus:free-coffee"]
    accounts = shop.accounts()
    assert (accounts["corner-points"].held, accounts["partner-plus"].held) == (0, 250)


def test_the_same_points_cannot_be_held_by_two_checkouts(shop):
    first = shop.open().get_json()
    shop.post(f"/v1/pos/checkouts/{first['id']}/rewards", json={"rewards": ALL_FOUR})
    second = shop.open(register=1).get_json()
    # 400 store points are left: 5.00 off (400) fits, 5.00 + 10% (600) does not.
    assert second["programs"][0]["available"] == 400
    both = shop.post(f"/v1/pos/checkouts/{second['id']}/rewards", register=1,
                     json={"rewards": ["corner-points:5-off", "corner-points:10-percent"]})
    assert both.status_code == 409
    assert both.get_json()["error"]["code"] == "insufficient_points"
    assert shop.accounts()["corner-points"].held == 600


def test_identify_by_phone_and_by_membership_number(shop):
    by_phone = shop.open(code=None, phone="+49 151 12345678")
    assert by_phone.status_code == 201, by_phone.get_json()
    assert by_phone.get_json()["identified_by"] == "phone"
    by_card = shop.open(code=None, membership_number="CM-1001")
    assert by_card.get_json()["identified_by"] == "membership_number"
    unknown = shop.open(code=None, membership_number="CM-9999")
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["code"] == "shopper_not_found"
    two = shop.open(phone="+4915112345678")
    assert two.status_code == 400 and two.get_json()["error"]["code"] == "invalid_request"


def test_bad_codes_have_their_own_error_codes(shop):
    not_a_code = shop.open(code="4006381333931")
    assert not_a_code.get_json()["error"]["code"] == "checkout_code_invalid"
    wrong = shop.open(code=f"RWD1:{shop.shopper['public_id']}:12345678")
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "checkout_code_wrong"
    practice = shop.open(code="RWD1:TRAINING22:00000000")
    assert practice.get_json()["error"]["code"] == "training_mismatch"


def test_rewards_that_do_not_fit_are_refused_with_the_reason(shop):
    checkout = shop.open(basket={"currency": "EUR", "lines": [
        {"gtin": "4000000000013", "quantity": 1, "unit_price_minor": 280}]}).get_json()
    offers = {r["reward"]: r for p in checkout["programs"] for r in p["rewards"]}
    assert offers["partner-plus:free-coffee"]["eligible"] is False
    assert "not in the basket" in offers["partner-plus:free-coffee"]["why_not"]
    refused = shop.post(f"/v1/pos/checkouts/{checkout['id']}/rewards",
                        json={"rewards": ["corner-points:5-off"]})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "reward_not_eligible"
    unknown = shop.post(f"/v1/pos/checkouts/{checkout['id']}/rewards",
                        json={"rewards": ["corner-points:nope"]})
    assert unknown.get_json()["error"]["code"] == "reward_not_found"


def test_training_checkout_goes_through_and_touches_no_balance(shop):
    entries_before = len(shop.entries())
    basket = {"currency": "EUR", "lines": [
        {"gtin": COFFEE, "quantity": 1, "unit_price_minor": 350},
        {"gtin": "4000000000013", "quantity": 2, "unit_price_minor": 280}]}
    opened = shop.open(code="RWD1:TRAINING22:00000000", training=True, basket=basket)
    assert opened.status_code == 201, opened.get_json()
    view = opened.get_json()
    assert view["training"] is True and view["shopper"]["display_name"] == "Practice Shopper"
    assert {p["program"] for p in view["programs"]} == {"corner-points", "partner-plus"}
    assert len({r.split(":")[0] for r in view["suggested"]}) == 2
    shop.post(f"/v1/pos/checkouts/{view['id']}/rewards")
    committed = shop.commit(view["id"]).get_json()
    assert committed["status"] == "committed" and committed["receipt"]["training"] is True
    assert len(shop.entries()) == entries_before
    with shop.app.app_context():
        assert db.session().scalars(select(Hold)).first() is None
    real_code_in_training = shop.open(training=True)
    assert real_code_in_training.get_json()["error"]["code"] == "training_mismatch"


def test_the_catalog_is_the_admins_not_the_registers_or_store_managers(api, shop):
    reward = {"program": "corner-points", "code": "x-off", "name": "X", "kind": "amount_off",
              "points_cost": 5, "amount_off_minor": 5}
    assert api.post("/v1/admin/rewards", auth=shop.registers[0], json=reward).status_code == 403
    assert api.post("/v1/admin/rewards", auth=shop.world.keys["manager"],
                    json=reward).status_code == 403
    incomplete = dict(reward, code="y-off", amount_off_minor=None)
    missing = api.post("/v1/admin/rewards", auth=shop.world.keys["admin"], json=incomplete)
    assert missing.status_code == 400 and "amount_off_minor" in missing.get_json()["error"]["message"]
    dup = api.post("/v1/admin/rewards", auth=shop.world.keys["admin"],
                   json=dict(reward, code="5-off"))
    assert dup.get_json()["error"]["code"] == "reward_code_taken"


def test_another_stores_register_cannot_touch_the_checkout(api, shop):
    checkout = shop.open().get_json()
    response = api.post(f"/v1/pos/checkouts/{checkout['id']}/commit",
                        auth=shop.world.keys["other_manager"], json={})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "checkout_not_found"


def test_the_shoppers_export_includes_their_checkouts(api, shop):
    checkout = shop.open().get_json()
    shop.commit(checkout["id"])
    exported = api.get("/v1/me/export", auth=shop.shopper["token"]).get_json()
    assert [c["id"] for c in exported["checkouts"]] == [checkout["id"]]
    assert exported["checkouts"][0]["receipt"]["checkout_id"] == checkout["id"]
