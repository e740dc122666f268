"""Basket lines and applied rewards keep the JSON shape checkouts were stored with."""

from __future__ import annotations

from rewards_api.pos.values import AppliedReward, BasketLine, points_of

COMMITTED_LINE = {"gtin": "04006381333931", "quantity": 2, "unit_price_minor": 350,
                  "description": "Coffee", "discount_minor": 120,
                  "points": {"corner-points": 10, "partner-plus": 12}}
APPLIED = {"reward": "corner-points:5-off", "program": "corner-points", "name": "5.00 off",
           "points": 400, "discount_minor": 500, "hold_id": 7}


def test_a_stored_line_reads_and_writes_back_unchanged():
    line = BasketLine.from_json(COMMITTED_LINE)
    assert line.to_json() == COMMITTED_LINE
    assert (line.total_minor, line.paid_minor) == (700, 580)


def test_a_line_as_rung_up_has_no_discount_and_no_points_yet():
    line = BasketLine.from_json({"gtin": "04006381333931", "quantity": 1,
                                 "unit_price_minor": 99})
    assert line.to_json() == {"gtin": "04006381333931", "quantity": 1,
                              "unit_price_minor": 99, "discount_minor": 0}


def test_an_applied_reward_reads_and_writes_back_unchanged():
    applied = AppliedReward.from_json(APPLIED)
    assert applied.to_json() == APPLIED
    other = AppliedReward("partner-plus:free-coffee", "partner-plus", "Free coffee", 250, 350,
                          None)
    assert points_of([applied, other], "corner-points") == 400
    assert points_of([applied, other], "partner-plus") == 250
