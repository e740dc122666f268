"""GET /v1/me/visit: the store the shopper is in now and since when (store time), by
the same "checked in" rule as scans; only their own visit."""

from __future__ import annotations

from tests.rewards_api.walkins.conftest import T0, download_tokens, seen


def test_the_visit_shows_while_the_shopper_is_in_the_store(api, world, walkins, clock):
    rosa, sam = api.register("Rosa"), api.register("Sam")
    assert api.get("/v1/me/visit", auth=rosa["token"]).get_json() == {"visit": None}

    answer = walkins.agents["berlin-door"].sightings([seen(download_tokens(api, rosa, T0), T0)])
    assert answer.get_json()["results"][0]["status"] == "accepted"

    visit = api.get("/v1/me/visit", auth=rosa["token"]).get_json()["visit"]
    assert visit["store_id"] == world.store_ids[0] and visit["store_name"] == "Berlin Mitte"
    assert visit["since"] == "11:00"  # 10:00 UTC in Berlin
    assert api.get("/v1/me/visit", auth=sam["token"]).get_json() == {"visit": None}
    # Not seen for longer than the check-in window: no longer in the store.
    clock.advance(minutes=20)
    assert api.get("/v1/me/visit", auth=rosa["token"]).get_json() == {"visit": None}
