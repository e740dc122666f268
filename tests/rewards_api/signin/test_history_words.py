"""The shopper's history says what happened and where (issue 15, point 7): "Reward: 1.00
off chocolate" at "Berlin Mitte", not "Reward -100"."""

from __future__ import annotations

from alembic import command

from rewards_api import schema_migrations
from tests.support.shop import Shop, build_shop, grant


def _sale_with_a_reward(shop: Shop) -> None:
    opened = shop.open()
    assert opened.status_code == 201, opened.get_json()
    checkout = opened.get_json()["id"]
    applied = shop.post(f"/v1/pos/checkouts/{checkout}/rewards",
                        json={"rewards": ["partner-plus:chocolate-1-off"]})
    assert applied.status_code == 200, applied.get_json()
    assert shop.commit(checkout).status_code == 200


def test_history_names_the_reward_the_purchase_and_the_store(app, api, world):
    shop = build_shop(app, api, world)
    _sale_with_a_reward(shop)

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


def test_a_reward_redeemed_before_holds_knew_their_checkout_keeps_its_name(
        app, api, world, database_url):
    shop = build_shop(app, api, world)
    _sale_with_a_reward(shop)
    # Back to before migration 0022 (holds without checkout_id) and up again: the
    # migration finds each old hold's checkout in its reference.
    command.downgrade(schema_migrations.alembic_config(database_url), "0021")
    schema_migrations.upgrade(database_url)

    entries = api.get("/v1/me/history", auth=shop.shopper["token"]).get_json()["entries"]
    assert {e["kind"]: e["what"] for e in entries}["redemption"] == "Reward: 1.00 off chocolate"
