"""Points are spent only with the shopper's consent: on their phone while the checkout
is open, or by the cashier's explicit confirmation after asking; the API enforces it."""

from __future__ import annotations

from rewards_api.ledger.models import REDEMPTION

SUGGESTED = ["corner-points:5-off", "partner-plus:free-coffee"]


def _applied(shop, **body) -> dict:
    checkout = shop.open().get_json()
    applied = shop.post(f"/v1/pos/checkouts/{checkout['id']}/rewards", json=body)
    assert applied.status_code == 200, applied.get_json()
    return applied.get_json()


def _phone(shop) -> dict:
    answer = shop.api.get("/v1/me/checkout", auth=shop.shopper["token"])
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["checkout"]


def _answer(shop, checkout_id: int, rewards: list[str], agree: bool, token: str | None = None):
    return shop.api.post(f"/v1/me/checkouts/{checkout_id}/consent",
                         auth=token or shop.shopper["token"],
                         json={"rewards": rewards, "agree": agree})


def _commit(shop, checkout_id: int, **body):
    return shop.post(f"/v1/pos/checkouts/{checkout_id}/commit", json=body)


def test_commit_without_consent_is_refused_and_spends_nothing(shop):
    view = _applied(shop)
    refused = _commit(shop, view["id"])
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "consent_required"
    assert shop.entries(REDEMPTION) == []
    assert shop.accounts()["corner-points"].held == 400
    wrong = _commit(shop, view["id"], shopper_agreed=["corner-points:5-off"])
    assert wrong.get_json()["error"]["code"] == "consent_out_of_date"
    assert _commit(shop, view["id"], shopper_agreed=SUGGESTED).status_code == 200
    assert len(shop.entries(REDEMPTION)) == 2


def test_the_shopper_agrees_on_their_phone_then_the_cashier_completes(shop):
    assert _phone(shop) is None  # nothing to answer before rewards are applied
    view = _applied(shop)
    asked = _phone(shop)
    assert asked["id"] == view["id"] and asked["consent"] == "pending"
    assert asked["question"] == "Use 400 Corner Points and 250 Partner Plus points for 8.50 off?"
    assert sorted(r["reward"] for r in asked["rewards"]) == SUGGESTED
    agreed = _answer(shop, view["id"], [r["reward"] for r in asked["rewards"]], True)
    assert agreed.status_code == 200 and agreed.get_json()["checkout"]["consent"] == "phone"
    cashier_sees = shop.api.get(f"/v1/pos/checkouts/{view['id']}", auth=shop.registers[0])
    assert cashier_sees.get_json()["consent"] == "phone"
    committed = _commit(shop, view["id"])
    assert committed.status_code == 200 and committed.get_json()["consent"] == "phone"
    assert len(shop.entries(REDEMPTION)) == 2
    assert _phone(shop) is None


def test_consent_is_to_exactly_the_rewards_applied_now(shop):
    view = _applied(shop)
    assert _answer(shop, view["id"], SUGGESTED, True).status_code == 200
    # The cashier then adds a reward: the shopper's yes was not to this one.
    changed = shop.post(f"/v1/pos/checkouts/{view['id']}/rewards",
                        json={"rewards": [*SUGGESTED, "partner-plus:chocolate-1-off"]})
    assert changed.get_json()["consent"] == "pending"
    assert _commit(shop, view["id"]).get_json()["error"]["code"] == "consent_required"
    stale = _answer(shop, view["id"], SUGGESTED, True)
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "consent_out_of_date"


def test_a_decline_on_the_phone_stops_the_spend_until_the_shopper_says_yes(shop):
    view = _applied(shop)
    declined = _answer(shop, view["id"], SUGGESTED, False)
    assert declined.get_json()["checkout"]["consent"] == "declined"
    refused = _commit(shop, view["id"])
    assert refused.get_json()["error"]["code"] == "consent_required"
    assert "declined" in refused.get_json()["error"]["message"]
    # Removing the rewards completes the sale without spending points.
    shop.post(f"/v1/pos/checkouts/{view['id']}/rewards", json={"rewards": []})
    assert _commit(shop, view["id"]).status_code == 200
    assert shop.entries(REDEMPTION) == []


def test_only_the_checkouts_own_shopper_answers(api, shop):
    view = _applied(shop)
    stranger = api.register("Someone Else")
    refused = _answer(shop, view["id"], SUGGESTED, True, token=stranger["token"])
    assert refused.status_code == 404
    assert refused.get_json()["error"]["code"] == "checkout_not_found"
    staff = api.post(f"/v1/me/checkouts/{view['id']}/consent", auth=shop.registers[0],
                     json={"rewards": SUGGESTED, "agree": True})
    assert staff.status_code == 403
    bad = _answer(shop, view["id"], "all", True)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_request"
