"""Every role acts only within its own store, chain or program (rewards_api.staff.scope),
whichever route the store, chain or program comes from."""

from __future__ import annotations

from typing import Any

import pytest

from rewards_api import db
from tests.support.world import OtherChain, build_other_chain


@pytest.fixture
def other(app: Any, world: Any) -> OtherChain:
    with app.app_context():
        built = build_other_chain(world)
        db.session().commit()
        return built


def _adjust(api: Any, key: str, public_id: str, program: str, **extra: Any) -> Any:
    return api.post("/v1/admin/adjustments", auth=key,
                    json={"public_id": public_id, "program": program, "amount": 100000,
                          "reason": "x", **extra})


def _balances(api: Any, shopper: dict[str, Any]) -> dict[str, int]:
    me = api.get("/v1/me", auth=shopper["token"]).get_json()
    return {a["program"]: a["balance"] for a in me["accounts"]}


def test_no_manager_or_chain_admin_makes_points_in_another_chains_program(api, world, other):
    shopper = api.register("Gia")
    for key in (other.keys["manager"], other.keys["admin"]):
        refused = _adjust(api, key, shopper["public_id"], world.store_program)
        assert refused.status_code == 403, refused.get_json()
        assert refused.get_json()["error"]["code"] == "forbidden"
    # Nor by naming a store of the program's chain.
    refused = _adjust(api, other.keys["admin"], shopper["public_id"], world.store_program,
                      store_id=world.store_ids[0])
    assert refused.status_code == 403
    assert _balances(api, shopper).get(world.store_program, 0) == 0
    # Their own chain's program is theirs.
    assert _adjust(api, other.keys["manager"], shopper["public_id"], other.program).status_code == 201
    assert _adjust(api, world.keys["chain_admin"], shopper["public_id"],
                   world.store_program).status_code == 201


def test_the_partner_program_is_changed_by_head_office_only(api, world, other):
    shopper = api.register("Hal")
    for key in (world.keys["manager"], world.keys["chain_admin"], other.keys["admin"]):
        assert _adjust(api, key, shopper["public_id"], world.partner_program).status_code == 403
        rule = api.post("/v1/admin/earn-rules", auth=key,
                        json={"program": world.partner_program, "points_per_unit": 50})
        assert rule.status_code == 403
    assert _balances(api, shopper)[world.partner_program] == 0
    assert _adjust(api, world.keys["admin"], shopper["public_id"],
                   world.partner_program).status_code == 201


def test_a_chain_admin_acts_only_in_the_stores_of_its_chain(api, world, other):
    berlin = world.store_ids[0]
    admin = other.keys["admin"]
    for path in (f"/v1/admin/stores/{berlin}/dashboard", f"/v1/stores/{berlin}/assist",
                 f"/v1/stores/{berlin}/shelf-tags", "/v1/admin/agents?store=berlin-1",
                 "/v1/admin/settlement?from=2026-01-01&to=2026-01-02&store=berlin-1",
                 "/v1/admin/settlement/berlin-1.csv?from=2026-01-01&to=2026-01-02"):
        refused = api.get(path, auth=admin)
        assert refused.status_code == 403, (path, refused.get_json())
    own = api.get(f"/v1/admin/stores/{other.store_id}/dashboard", auth=admin)
    assert own.status_code == 200
    listed = api.get("/v1/admin/settlement?from=2026-01-01&to=2026-01-02", auth=admin).get_json()
    assert [s["store"] for s in listed["stores"]] == ["lisbon-1"]
    everywhere = api.get("/v1/admin/settlement?from=2026-01-01&to=2026-01-02",
                         auth=world.keys["admin"]).get_json()
    assert len(everywhere["stores"]) == 3
