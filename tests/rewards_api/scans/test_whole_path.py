"""The whole path over HTTP: the phone's presence token is seen by the store's agent,
which uploads a signed sighting batch (the real ingest makes the visit); then the
shopper scans by code and by photo and earns once; refusals for a second scan, for a
shopper who never walked in, and at another store."""

from __future__ import annotations

from rewards_api import db
from tests.rewards_api.walkins.conftest import download_tokens, provision, seen
from tests.support.barcodes import Conditions, photo, render
from tests.support.scan_shop import (
    COFFEE,
    SODA_UPCA,
    balances,
    error_code,
    scan_code,
    scan_photo,
    shopper_id,
)


def test_walk_in_then_scan_by_code_and_photo(app, api, client, shop, clock):
    door = provision(app, client, clock, shop.berlin)
    rosa = api.register("Rosa")
    with app.app_context():
        rosa["id"] = shopper_id(rosa["public_id"])
        db.session().commit()
    tokens = download_tokens(api, rosa, clock.now)
    entered = seen(tokens, clock.now)
    clock.advance(minutes=1)
    ingest = door.sightings([entered])
    assert ingest.status_code == 200, ingest.get_json()
    assert ingest.get_json()["accepted"] == 1

    by_code = scan_code(api, rosa, shop.berlin, COFFEE)
    assert by_code.status_code == 201, by_code.get_json()
    assert by_code.get_json()["points"] == 50
    by_photo = scan_photo(api, rosa, shop.berlin,
                          photo(render("upca", SODA_UPCA), Conditions(angle=15, jpeg_quality=50)))
    assert by_photo.status_code == 201, by_photo.get_json()
    assert by_photo.get_json()["points"] == 30

    second = scan_photo(api, rosa, shop.berlin, photo(render("ean13", COFFEE), Conditions(angle=-20)))
    assert (second.status_code, error_code(second)) == (409, "already_scanned")
    other_store = scan_code(api, rosa, shop.munich, "0" + SODA_UPCA)
    assert (other_store.status_code, error_code(other_store)) == (409, "not_in_store")
    stayed_home = api.register("Stayed home")
    with app.app_context():
        stayed_home["id"] = shopper_id(stayed_home["public_id"])
    assert error_code(scan_code(api, stayed_home, shop.berlin, COFFEE)) == "not_in_store"

    assert balances(app, rosa) == {"corner-points": 50, "partner-plus": 30}
    clock.advance(hours=1)  # the agent has not seen Rosa since: her visit is over
    late = scan_code(api, rosa, shop.berlin, "0" + SODA_UPCA)
    assert error_code(late) == "not_in_store"
