"""One product, one code: every spelling of a GTIN (EAN-13 as printed, its 14-digit form)
is the same product for rewards, earn rules and returns."""

from __future__ import annotations

import copy

from tests.support.shop import BASKET, COFFEE


def _basket_spelt(spell) -> dict:
    basket = copy.deepcopy(BASKET)
    for line in basket["lines"]:
        line["gtin"] = spell(line["gtin"])
    return basket


def _programs(view: dict) -> dict:
    return {p["program"]: p for p in view["programs"]}


def test_a_product_gets_the_same_rewards_and_points_however_its_code_is_spelt(shop):
    as_printed = shop.open(basket=BASKET).get_json()
    padded = shop.open(basket=_basket_spelt(lambda g: g.zfill(14))).get_json()
    assert padded["suggested"] == as_printed["suggested"]
    assert "partner-plus:free-coffee" in padded["suggested"]
    for code, program in _programs(as_printed).items():
        other = _programs(padded)[code]
        assert other["earn_preview"] == program["earn_preview"]
        assert other["rewards"] == program["rewards"]


def test_an_earn_rule_set_under_the_other_spelling_replaces_the_products_rule(shop):
    before = _programs(shop.open().get_json())["corner-points"]["earn_preview"]
    rule = shop.api.post("/v1/admin/earn-rules", auth=shop.world.keys["admin"],
                         json={"program": "corner-points", "gtin": COFFEE.zfill(14),
                               "multiplier": 5})
    assert rule.status_code == 200 and rule.get_json()["gtin"] == COFFEE.zfill(14)
    after = _programs(shop.open().get_json())["corner-points"]["earn_preview"]
    # The coffee earned 2x its base points, now 5x: 3x more, from 2 coffees at 3.50.
    assert after - before == 3 * (2 * 350 // 100)


def test_returns_match_the_bought_product_in_any_spelling(shop):
    checkout = shop.open().get_json()
    assert shop.commit(checkout["id"]).status_code == 200
    back = shop.post(f"/v1/pos/checkouts/{checkout['id']}/returns",
                     json={"lines": [{"gtin": COFFEE.zfill(14), "quantity": 1}]})
    assert back.status_code == 201, back.get_json()
    again = shop.post(f"/v1/pos/checkouts/{checkout['id']}/returns",
                      json={"lines": [{"gtin": COFFEE, "quantity": 2}]})
    assert again.get_json()["error"]["code"] == "return_quantity_too_large"


def test_a_code_with_a_wrong_check_digit_is_refused(shop):
    wrong = _basket_spelt(lambda g: g[:-1] + str((int(g[-1]) + 1) % 10))
    refused = shop.open(basket=wrong)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "invalid_request"
