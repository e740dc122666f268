"""The API the shopper app needs beyond the foundation: profile changes, the server-made
checkout code, and the public list of stores."""

from __future__ import annotations

import re

from PIL import Image
from pyzbar.pyzbar import decode

from rewards_api.shoppers.services import checkout_totp


def _patch(api, token, body, key=None):
    return api.call("PATCH", "/v1/me", json=body, auth=token, key=key)


def test_assist_opt_in_is_off_by_default_and_can_be_turned_on_and_off(api, world):
    shopper = api.register("Nina")
    assert api.get("/v1/me", auth=shopper["token"]).get_json()["assist_opt_in"] is False
    on = _patch(api, shopper["token"], {"assist_opt_in": True})
    assert on.status_code == 200
    assert on.get_json()["assist_opt_in"] is True
    assert api.get("/v1/me", auth=shopper["token"]).get_json()["assist_opt_in"] is True
    assert _patch(api, shopper["token"], {"assist_opt_in": False}).get_json()["assist_opt_in"] is False
    assert api.get("/v1/me", auth=shopper["token"]).get_json()["assist_opt_in"] is False


def test_profile_change_is_idempotent_and_validated(api, world):
    shopper = api.register("Olaf")
    first = _patch(api, shopper["token"], {"display_name": "  Ole "}, key="rename-1")
    assert first.status_code == 200
    assert first.get_json()["display_name"] == "Ole"
    replay = _patch(api, shopper["token"], {"display_name": "  Ole "}, key="rename-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == first.get_json()
    for bad in [{}, {"display_name": ""}, {"display_name": "   "}, {"assist_opt_in": "maybe"},
                {"display_name": "x" * 101}, {"phone": "+4915100000000"}]:
        response = _patch(api, shopper["token"], bad)
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["code"] == "invalid_request"
    assert api.get("/v1/me", auth=shopper["token"]).get_json()["display_name"] == "Ole"
    no_key = api.client.patch("/v1/me", json={"assist_opt_in": True},
                              headers={"Authorization": f"Bearer {shopper['token']}"})
    assert no_key.get_json()["error"]["code"] == "idempotency_key_missing"


def test_only_a_shopper_changes_their_own_profile(api, world):
    assert _patch(api, None, {"assist_opt_in": True}).status_code == 401
    assert _patch(api, world.keys["manager"], {"assist_opt_in": True}).status_code == 403


def test_server_checkout_code_is_a_scannable_qr_of_the_current_code(api, world):
    shopper = api.register("Pia")
    response = api.get("/v1/me/checkout-code", auth=shopper["token"])
    assert response.status_code == 200
    body = response.get_json()
    assert re.fullmatch(r"\d{8}", body["code"])
    assert body["content"] == f"RWD1:{shopper['public_id']}:{body['code']}"
    assert 1 <= body["expires_in"] <= 30
    assert checkout_totp(shopper["checkout_secret"]).verify(
        body["code"], valid_window=1)
    assert body["qr_svg"].startswith("<svg") or body["qr_svg"].startswith("<?xml")
    assert [symbol.data.decode() for symbol in decode(_rasterise(body["qr_svg"]))] == [body["content"]]


def test_checkout_code_needs_a_shopper(api, world):
    assert api.get("/v1/me/checkout-code").status_code == 401
    assert api.get("/v1/me/checkout-code", auth=world.keys["cashier"]).status_code == 403


def test_public_store_list_shows_active_stores_with_their_program(api, world, app):
    from rewards_api import db
    from rewards_api.stores.models import Store

    with app.app_context():
        s = db.session()
        s.get(Store, world.store_ids[1]).active = False
        s.commit()
    response = api.get("/v1/stores")
    assert response.status_code == 200
    stores = response.get_json()["stores"]
    assert [(st["code"], st["program"], st["timezone"]) for st in stores] == [
        ("berlin-1", "corner-points", "Europe/Berlin")]


def _rasterise(svg: str) -> Image.Image:
    """Draw the QR's path (unit squares ``M x,y H.. V.. H.. z``) into a bitmap, as a
    scanner camera would see it."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    pixels = image.load()
    for x, y in re.findall(r"M(\d+),(\d+)H", svg):
        for dx in range(scale):
            for dy in range(scale):
                pixels[int(x) * scale + dx, int(y) * scale + dy] = 0
    return image
