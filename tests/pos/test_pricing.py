"""Pricing rules and the suggested combination, as plain functions."""

from __future__ import annotations

import pytest

from rewards_api.pos.pricing import (
    EarnRates,
    Line,
    NotEligible,
    Offer,
    earn,
    price,
    spread,
    suggest,
)

LINES = [Line("1111111111111", 2, 500), Line("2222222222222", 1, 300)]  # 13.00


def off(ref: str, points: int, amount: int, program: str = "store", **kw) -> Offer:
    return Offer(ref, program, ref, "amount_off", points, amount_off_minor=amount, **kw)


def test_spread_is_pro_rata_and_adds_up():
    assert spread(100, [1000, 300]) == [77, 23]
    assert sum(spread(7, [1, 1, 1])) == 7
    assert spread(0, [0, 0]) == [0, 0]


def test_never_discounts_below_zero_and_refuses_useless_rewards():
    priced = price(LINES, [off("a", 1, 1000), off("b", 1, 1000)])
    assert priced.total_discount == 1300 and priced.line_discounts == [1000, 300]
    with pytest.raises(NotEligible, match="nothing is left"):
        price(LINES, [off("a", 1, 1300), off("b", 1, 100)])
    with pytest.raises(NotEligible, match="at least"):
        price(LINES, [off("a", 1, 100, min_basket_minor=2000)])


def test_percent_cap_eligible_products_and_free_product():
    percent = Offer("p", "store", "p", "percent_off", 1, percent_off=50, cap_minor=200,
                    eligible_gtins=("1111111111111",))
    free = Offer("f", "partner", "f", "free_product", 1, product_gtin="2222222222222")
    priced = price(LINES, [percent, free])
    assert priced.discounts == {"f": 300, "p": 200}
    assert priced.line_discounts == [200, 300]


def test_suggestion_respects_each_programs_points_and_prefers_fewer_points_on_a_tie():
    offers = [off("big", 500, 600), off("small", 200, 300), off("same", 100, 300),
              off("partner", 50, 100, program="partner")]
    # 500 store points: "big" alone and "small"+"same" both take 6.00 off; the pair
    # costs 300 points instead of 500. 40 partner points buy nothing.
    chosen = suggest(LINES, offers, {"store": 500, "partner": 40}, {})
    assert sorted(o.ref for o in chosen) == ["same", "small"]
    # 600 store points: "big"+"same" (9.00 off) is worth most.
    assert sorted(o.ref for o in suggest(LINES, offers, {"store": 600}, {})) == ["big", "same"]
    assert suggest(LINES, offers, {"store": 99, "partner": 0}, {}) == []


def test_suggestion_is_the_best_value_for_the_points_not_the_most_money():
    # The demo shopper: 300 points worth a cent each, an 8.00 basket. 10 % off takes
    # 0.80 for 200 points, "1.00 off" 1.00 for 50: only the second is worth its points.
    basket = [Line("1111111111111", 1, 800)]
    percent = Offer("10-percent", "store", "10% off", "percent_off", 200, percent_off=10)
    one_off = off("1-off", 50, 100)
    chosen = suggest(basket, [percent, one_off], {"store": 300}, {"store": 1})
    assert [o.ref for o in chosen] == ["1-off"]
    # Points worth nothing elsewhere: the most money off is the best value.
    both = suggest(basket, [percent, one_off], {"store": 300}, {"store": 0})
    assert sorted(o.ref for o in both) == ["1-off", "10-percent"]
    # Nothing is worth its points: nothing is suggested (the cashier can still add one).
    assert suggest(basket, [percent], {"store": 300}, {"store": 1}) == []


def test_earning_is_on_what_is_paid_times_the_product_multiplier():
    rates = EarnRates(points_per_unit=2, multipliers={"2222222222222": 3})
    assert earn(LINES, [0, 0], rates) == [20, 18]
    assert earn(LINES, [500, 300], rates) == [10, 0]
