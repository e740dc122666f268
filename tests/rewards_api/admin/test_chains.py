"""Chains, stores and programs over HTTP: head office makes chains and programs, a
chain's admin opens stores in its chain."""

from __future__ import annotations

from tests.support.scan_shop import error_code
from tests.support.world import SETUP


def test_head_office_makes_chains_and_programs_and_chain_admins_open_stores(api, world, other):
    head_office, chain_admin = world.keys["admin"], world.keys["chain_admin"]
    for key in (chain_admin, world.keys["manager"]):
        assert api.post("/v1/admin/chains", auth=key,
                        json={"code": "north", "name": "North"}).status_code == 403
    assert api.post("/v1/admin/chains", auth=head_office,
                    json={"code": "north", "name": "North Foods"}).status_code == 201
    program = api.post("/v1/admin/programs", auth=head_office, json={
        "code": "north-points", "name": "North Points", "kind": "store", "chain": "north"})
    assert program.status_code == 201, program.get_json()
    assert program.get_json()["chain"] == "north"
    no_chain = api.post("/v1/admin/programs", auth=head_office, json={
        "code": "north-2", "name": "N", "kind": "store"})
    assert error_code(no_chain) == "invalid_request"
    opened = api.post("/v1/admin/stores", auth=chain_admin, json={
        "code": "hamburg-1", "name": "Hamburg", "chain": "corner", "timezone": "Europe/Berlin"})
    assert opened.status_code == 201, opened.get_json()
    assert api.post("/v1/admin/stores", auth=chain_admin, json={
        "code": "oslo-1", "name": "Oslo", "chain": "north",
        "timezone": "Europe/Oslo"}).status_code == 403
    assert api.post("/v1/admin/stores", auth=world.keys["manager"], json={
        "code": "kiel-1", "name": "Kiel", "chain": "corner",
        "timezone": "Europe/Berlin"}).status_code == 403
    bad_zone = api.post("/v1/admin/stores", auth=chain_admin, json={
        "code": "mars-1", "name": "Mars", "chain": "corner", "timezone": "Mars/Olympus"})
    assert error_code(bad_zone) == "invalid_request"
    taken = api.post("/v1/admin/stores", auth=head_office, json={
        "code": "hamburg-1", "name": "Hamburg", "chain": "corner", "timezone": "Europe/Berlin"})
    assert error_code(taken) == "code_taken"
    mine = api.get("/v1/admin/stores", auth=chain_admin).get_json()["stores"]
    assert [s["code"] for s in mine] == ["berlin-1", "hamburg-1", "munich-1"]
    assert [s["code"] for s in api.get("/v1/admin/stores", auth=world.keys["manager"]
                                       ).get_json()["stores"]] == ["berlin-1"]
    trail = [(e["action"], e["resource"], e["resource_id"])
             for e in api.get("/v1/admin/audit", auth=head_office).get_json()["entries"]
             if e["actor"] != SETUP]
    assert trail == [("create", "store", "hamburg-1"), ("create", "program", "north-points"),
                     ("create", "chain", "north")]
