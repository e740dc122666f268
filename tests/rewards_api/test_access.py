"""Who may do what: shoppers see only their own data; roles gate staff endpoints."""

from __future__ import annotations


def _adjust(api, key, public_id, amount=10, reason="because"):
    return api.post("/v1/admin/adjustments", auth=key,
                    json={"public_id": public_id, "program": "corner-points", "amount": amount,
                          "reason": reason})


def test_a_shopper_sees_only_their_own_data(api, world):
    alice, bob = api.register("Alice"), api.register("Bob")
    assert _adjust(api, world.keys["manager"], bob["public_id"], 40).status_code == 201
    me = api.get("/v1/me", auth=alice["token"]).get_json()
    assert me["public_id"] == alice["public_id"]
    assert all(a["balance"] == 0 for a in me["accounts"])
    history = api.get("/v1/me/history", auth=alice["token"]).get_json()
    assert history["entries"] == []
    export = api.get("/v1/me/export", auth=alice["token"]).get_json()
    assert export["shopper"]["public_id"] == alice["public_id"]
    assert bob["public_id"] not in str(export)
    bob_history = api.get("/v1/me/history", auth=bob["token"]).get_json()
    assert [e["amount"] for e in bob_history["entries"]] == [40]


def test_cashier_cannot_adjust_points_manager_can_with_reason(api, world):
    shopper = api.register("Carla")
    by_cashier = _adjust(api, world.keys["cashier"], shopper["public_id"])
    assert by_cashier.status_code == 403
    assert by_cashier.get_json()["error"]["code"] == "forbidden"
    without_reason = _adjust(api, world.keys["manager"], shopper["public_id"], reason="  ")
    assert without_reason.status_code == 422
    assert without_reason.get_json()["error"]["code"] == "reason_required"
    done = _adjust(api, world.keys["manager"], shopper["public_id"], reason="lost receipt")
    assert done.status_code == 201
    entry = api.get("/v1/me/history", auth=shopper["token"]).get_json()["entries"][0]
    assert entry["reason"] == "lost receipt"
    assert entry["kind"] == "adjustment"


def test_manager_of_another_store_cannot_adjust_here(api, world):
    shopper = api.register("Dirk")
    response = api.post("/v1/admin/adjustments", auth=world.keys["other_manager"],
                        json={"public_id": shopper["public_id"], "program": "corner-points",
                              "amount": 5, "reason": "x", "store_id": world.store_ids[0]})
    assert response.status_code == 403


def test_wrong_kind_of_credential_is_refused(api, world):
    shopper = api.register("Eve")
    assert api.get("/v1/me", auth=world.keys["admin"]).status_code == 403
    assert _adjust(api, shopper["token"], shopper["public_id"]).status_code == 403
    assert _adjust(api, "sk_forged", shopper["public_id"]).status_code == 401


def test_erasure_anonymises_and_keeps_the_ledger(api, world):
    shopper = api.register("Fay", phone="+4915100000077")
    _adjust(api, world.keys["manager"], shopper["public_id"], 30)
    erased = api.delete("/v1/me", auth=shopper["token"])
    assert erased.status_code == 200
    assert api.get("/v1/me", auth=shopper["token"]).status_code == 401
    again = api.post("/v1/shoppers", json={"display_name": "New Fay", "phone": "+4915100000077"})
    assert again.status_code == 201
    # The manager still sees a consistent ledger: the adjustment is still there.
    after = _adjust(api, world.keys["manager"], shopper["public_id"], -30, reason="close")
    assert after.status_code == 201
    assert after.get_json()["balance"] == 0
