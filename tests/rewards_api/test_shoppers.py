"""Shopper endpoints over HTTP, on both backends."""

from __future__ import annotations

from rewards_api.shoppers.services import checkout_totp


def test_register_then_me_shows_partner_account(api, world):
    shopper = api.register("Rosa", phone="+49 151 1234567")
    assert len(shopper["public_id"]) == 10
    me = api.get("/v1/me", auth=shopper["token"])
    assert me.status_code == 200
    body = me.get_json()
    assert body["display_name"] == "Rosa"
    assert [a["program"] for a in body["accounts"]] == ["partner-plus"]
    assert body["accounts"][0]["balance"] == 0


def test_me_needs_a_token(api, world):
    response = api.get("/v1/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"
    response = api.get("/v1/me", auth="st_not-a-real-token")
    assert response.status_code == 401


def test_same_phone_twice_is_refused(api, world):
    api.register("A", phone="+4915100000009")
    response = api.post("/v1/shoppers", json={"display_name": "B", "phone": "+4915100000009"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "phone_taken"


def test_login_with_checkout_code_and_token_rotation(api, world):
    shopper = api.register("Kim")
    code = checkout_totp(shopper["checkout_secret"]).now()
    login = api.post("/v1/shoppers/login", json={"public_id": shopper["public_id"], "code": code})
    assert login.status_code == 201
    new_token = login.get_json()["token"]
    assert api.get("/v1/me", auth=new_token).status_code == 200
    wrong = api.post("/v1/shoppers/login", json={"public_id": shopper["public_id"], "code": "00000000"})
    assert wrong.status_code == 401
    rotated = api.post("/v1/me/token", auth=new_token)
    assert rotated.status_code == 201
    assert api.get("/v1/me", auth=new_token).status_code == 401
    assert api.get("/v1/me", auth=rotated.get_json()["token"]).status_code == 200


def test_link_membership_number(api, world):
    a = api.register("A")
    b = api.register("B")
    linked = api.post("/v1/me/memberships", auth=a["token"],
                      json={"program": "corner-points", "membership_number": "CM-1001"})
    assert linked.status_code == 200, linked.get_json()
    assert linked.get_json()["membership_number"] == "CM-1001"
    taken = api.post("/v1/me/memberships", auth=b["token"],
                     json={"program": "corner-points", "membership_number": "CM-1001"})
    assert taken.get_json()["error"]["code"] == "membership_number_taken"
    partner = api.post("/v1/me/memberships", auth=b["token"],
                       json={"program": "partner-plus", "membership_number": "CM-1002"})
    assert partner.status_code == 400
    programs = [x["program"] for x in api.get("/v1/me", auth=a["token"]).get_json()["accounts"]]
    assert sorted(programs) == ["corner-points", "partner-plus"]
