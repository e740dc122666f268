"""The shopper's history says what happened and where (issue 15, point 7): "Reward: 1.00
off chocolate" at "Berlin Mitte", not "Reward -100"."""

from __future__ import annotations

from tests.support.shop import build_shop, grant


def test_history_names_the_reward_the_purchase_and_the_store(app, api, world):
    shop = build_shop(app, api, world)
    opened = shop.open()
    assert opened.status_code == 201, opened.get_json()
    checkout = opened.get_json()["id"]
    applied = shop.post(f"/v1/pos/checkouts/{checkout}/rewards",
                        json={"rewards": ["partner-plus:chocolate-1-off"]})
    assert applied.status_code == 200, applied.get_json()
    assert shop.commit(checkout).status_code == 200

    entries = api.get("/v1/me/history", auth=shop.shopper["token"]).get_json()["entries"]
    by_kind = {e["kind"]: e for e in entries}
    assert by_kind["redemption"]["what"] == "Reward: 1.00 off chocolate"
    assert by_kind["redemption"]["amount"] == -100
    assert by_kind["redemption"]["where"] == "Berlin Mitte"
    assert by_kind["purchase"]["what"] == "Purchase"
    assert by_kind["purchase"]["where"] == "Berlin Mitte"
    assert by_kind["adjustment"]["what"] == "Correction: test grant"
    assert by_kind["adjustment"]["where"] is None


def test_the_history_speaks_the_shoppers_language(app, api, world):
    shopper = api.register("Rosa")
    assert api.call("PATCH", "/v1/me", auth=shopper["token"],
                    json={"language": "de"}).status_code == 200
    grant(app, shopper["public_id"], "corner-points", 5)
    [entry] = api.get("/v1/me/history", auth=shopper["token"]).get_json()["entries"]
    assert entry["kind"] == "adjustment"
    assert entry["what"] == "Korrektur: test grant"
