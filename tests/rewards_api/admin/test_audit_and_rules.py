"""Every back-office change leaves one audit entry (who, when, before, after), readable
within the reader's scope and never changed; walk-in rules and assortment imports over
HTTP; the command line leaves the same trail."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from rewards_api.db import make_engine
from tests.support.scan_shop import COFFEE, GUM, error_code
from tests.support.world import SETUP


def _trail(api, auth, query=""):
    entries = api.get(f"/v1/admin/audit{query}", auth=auth).get_json()["entries"]
    return [e for e in entries if e["actor"] != SETUP]


def test_every_change_is_audited_with_who_when_before_and_after(api, world, other, clock):
    manager, admin = world.keys["manager"], world.keys["chain_admin"]
    berlin = world.store_ids[0]
    changes = [
        (manager, "POST", "/v1/admin/campaigns", {
            "code": "coffee-days", "name": "Coffee days", "program": "corner-points",
            "points": 50, "products": [COFFEE], "stores": ["berlin-1"],
            "starts_at": "2026-11-23T00:00:00+01:00", "ends_at": "2026-11-30T00:00:00+01:00"},
         ("create", "campaign")),
        (manager, "POST", "/v1/admin/walk-in-rules",
         {"program": "corner-points", "store": "berlin-1", "points": 20}, ("create", "walk_in_rule")),
        (manager, "POST", f"/v1/admin/stores/{berlin}/products",
         {"csv": f"gtin,name,aisle\n{GUM},Mint Gum,Checkout\n"}, ("import", "products")),
        (manager, "POST", "/v1/admin/staff-keys",
         {"role": "cashier", "store": "berlin-1", "label": "Register 9"}, ("create", "staff_key")),
        (manager, "POST", "/v1/admin/agents", {"store": "berlin-1"}, ("create", "agent")),
        (admin, "POST", "/v1/admin/rewards", {
            "program": "corner-points", "code": "2-off", "name": "2.00 off", "kind": "amount_off",
            "points_cost": 100, "amount_off_minor": 200}, ("create", "reward")),
        (admin, "POST", "/v1/admin/earn-rules", {"program": "corner-points", "points_per_unit": 2},
         ("create", "earn_rule")),
    ]
    made = {}
    for auth, method, path, body, what in changes:
        response = api.call(method, path, auth=auth, json=body)
        assert response.status_code in (200, 201), (path, response.get_json())
        made[what] = response.get_json()
    campaign = made[("create", "campaign")]["id"]
    rule = made[("create", "walk_in_rule")]["id"]
    agent = made[("create", "agent")]["agent_id"]
    key = made[("create", "staff_key")]["id"]
    reward = made[("create", "reward")]["id"]
    clock.advance(minutes=30)
    for auth, method, path, body, what in [
        (manager, "PATCH", f"/v1/admin/campaigns/{campaign}", {"budget": 5000}, ("change", "campaign")),
        (manager, "POST", f"/v1/admin/campaigns/{campaign}/end", None, ("end", "campaign")),
        (manager, "POST", f"/v1/admin/walk-in-rules/{rule}/end", {}, ("end", "walk_in_rule")),
        (manager, "POST", f"/v1/admin/staff-keys/{key}/revoke", None, ("revoke", "staff_key")),
        (manager, "PATCH", f"/v1/admin/agents/{agent}", {"rssi_offset": 4}, ("change", "agent")),
        (manager, "POST", f"/v1/admin/agents/{agent}/disable", None, ("disable", "agent")),
        (admin, "PATCH", f"/v1/admin/rewards/{reward}", {"active": False}, ("change", "reward")),
        (admin, "POST", "/v1/admin/earn-rules", {"program": "corner-points", "points_per_unit": 3},
         ("change", "earn_rule")),
    ]:
        response = api.call(method, path, auth=auth, json=body)
        assert response.status_code == 200, (path, response.get_json())
        changes.append((auth, method, path, body, what))
    trail = _trail(api, world.keys["admin"])
    # One entry per change (the agent's enrolment code is one more), newest first.
    done = [(e["action"], e["resource"]) for e in reversed(trail) if e["action"] != "enrol"]
    assert done == [what for *_, what in changes]
    by_what = {(e["action"], e["resource"]): e for e in trail}
    ended = by_what[("end", "campaign")]
    assert ended["before"]["ends_at"] == "2026-11-29T23:00:00+00:00"
    assert ended["after"]["ends_at"] == clock.now.isoformat()
    assert ended["at"] == clock.now.isoformat() and ended["actor"].startswith("staff:")
    assert by_what[("change", "agent")]["before"]["rssi_offset"] == 0
    assert by_what[("change", "agent")]["after"]["rssi_offset"] == 4
    assert by_what[("change", "earn_rule")]["before"]["points_per_unit"] == 2
    assert by_what[("revoke", "staff_key")]["after"]["revoked_at"] is not None
    for entry in trail:  # no key, secret or enrolment code is ever written down
        assert "sk_" not in str(entry) and made[("create", "agent")]["enrolment_code"] not in str(entry)


def test_names_per_language_are_audited_before_and_after(api, world, other, clock):
    manager, admin = world.keys["manager"], world.keys["chain_admin"]
    reward = api.post("/v1/admin/rewards", auth=admin, json={
        "program": "corner-points", "code": "2-off", "name": "2.00 off", "kind": "amount_off",
        "points_cost": 100, "amount_off_minor": 200, "names": {"de": "2,00 Rabatt"}})
    assert reward.status_code == 201, reward.get_json()
    campaign = api.post("/v1/admin/campaigns", auth=manager, json={
        "code": "coffee-days", "name": "Coffee days", "program": "corner-points", "points": 50,
        "products": [COFFEE], "stores": ["berlin-1"], "names": {"pt": "Dias do café"},
        "starts_at": "2026-11-23T00:00:00+01:00", "ends_at": "2026-11-30T00:00:00+01:00"})
    assert campaign.status_code == 201, campaign.get_json()
    clock.advance(minutes=5)
    for path, auth, names in [
            (f"/v1/admin/rewards/{reward.get_json()['id']}", admin, {"pt": "2,00 de desconto"}),
            (f"/v1/admin/campaigns/{campaign.get_json()['id']}", manager,
             {"de": "Kaffeetage", "pt": "Dias do café"})]:
        changed = api.call("PATCH", path, auth=auth, json={"names": names})
        assert changed.status_code == 200, changed.get_json()
    # A renaming in the assortment file's name columns is audited by its import.
    berlin = world.store_ids[0]
    assert api.post(f"/v1/admin/stores/{berlin}/products", auth=manager, json={
        "csv": f"gtin,name,name_de\n{GUM},Mint Gum,Minzkaugummi\n"}).status_code == 200
    assert api.post(f"/v1/admin/stores/{berlin}/products", auth=manager, json={
        "csv": f"gtin,name\n{GUM},Mint Gum\n"}).status_code == 200  # no name columns

    by_what = {(e["action"], e["resource"]): e for e in _trail(api, world.keys["admin"])}
    assert by_what[("create", "reward")]["after"]["names"] == {"de": "2,00 Rabatt"}
    assert by_what[("change", "reward")]["before"]["names"] == {"de": "2,00 Rabatt"}
    assert by_what[("change", "reward")]["after"]["names"] == {"pt": "2,00 de desconto"}
    assert by_what[("create", "campaign")]["after"]["names"] == {"pt": "Dias do café"}
    assert by_what[("change", "campaign")]["before"]["names"] == {"pt": "Dias do café"}
    assert by_what[("change", "campaign")]["after"]["names"] == {"de": "Kaffeetage",
                                                                 "pt": "Dias do café"}
    imports = _trail(api, manager, "?resource=products")
    gum = GUM.zfill(14)
    assert imports[1]["before"] == {"names": {gum: {}}}
    assert imports[1]["after"]["names"] == {gum: {"de": "Minzkaugummi"}}
    assert imports[0]["before"] is None and "names" not in imports[0]["after"]


def test_each_reader_sees_the_trail_of_their_scope(api, world, other):
    assert api.post("/v1/admin/walk-in-rules", auth=world.keys["manager"], json={
        "program": "corner-points", "store": "berlin-1", "points": 20}).status_code == 201
    assert api.post("/v1/admin/walk-in-rules", auth=world.keys["other_manager"], json={
        "program": "corner-points", "store": "munich-1", "points": 10}).status_code == 201
    assert api.post("/v1/admin/rewards", auth=world.keys["partner"], json={
        "program": "partner-plus", "code": "p-off", "name": "P", "kind": "amount_off",
        "points_cost": 10, "amount_off_minor": 10}).status_code == 201

    def stores_seen(key, query=""):
        return sorted({(e["resource"], e["store_id"]) for e in _trail(api, world.keys[key], query)},
                      key=str)

    berlin, munich = world.store_ids
    assert stores_seen("manager") == [("walk_in_rule", berlin)]
    assert stores_seen("other_manager") == [("walk_in_rule", munich)]
    assert stores_seen("chain_admin") == sorted([("walk_in_rule", berlin), ("walk_in_rule", munich)],
                                                key=str)
    assert stores_seen("chain_admin", "?store=munich-1") == [("walk_in_rule", munich)]
    assert stores_seen("partner") == [("reward", None)]
    assert len(stores_seen("admin", "?resource=walk_in_rule")) == 2
    assert _trail(api, other.keys["admin"]) == []  # another chain's admin
    assert api.get("/v1/admin/audit?store=berlin-1", auth=world.keys["other_manager"]).status_code == 403
    assert api.get("/v1/admin/audit", auth=world.keys["cashier"]).status_code == 403


def test_the_trail_cannot_be_changed(api, world, other, database_url):
    api.post("/v1/admin/walk-in-rules", auth=world.keys["manager"],
             json={"program": "corner-points", "store": "berlin-1", "points": 20})
    engine = make_engine(database_url)
    for statement in ("UPDATE audit_entries SET actor = 'someone else'", "DELETE FROM audit_entries"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()


def test_an_assortment_with_bad_lines_names_each_and_imports_nothing(api, world, other):
    berlin = world.store_ids[0]
    bad = ("gtin,name,aisle\n"
           "4006381333932,Coffee,Aisle 3\n"      # line 2: wrong check digit
           f"{GUM},,Checkout\n"                   # line 3: no name
           "4000000000013,Bread,Bakery\n"         # line 4: good
           "4000000000013,Bread again,Bakery\n")  # line 5: the same product twice
    refused = api.post(f"/v1/admin/stores/{berlin}/products", auth=world.keys["manager"],
                       json={"csv": bad})
    assert (refused.status_code, error_code(refused)) == (422, "assortment_invalid")
    lines = refused.get_json()["error"]["details"]["lines"]
    assert [line["line"] for line in lines] == [2, 3, 5]
    assert "check digit" in lines[0]["message"] and "already on line 4" in lines[2]["message"]
    carried = api.get(f"/v1/admin/stores/{berlin}/products", auth=world.keys["manager"])
    assert "Bread" not in carried.get_data(as_text=True)
    good = api.post(f"/v1/admin/stores/{berlin}/products", auth=world.keys["manager"],
                    json={"csv": "gtin,name,aisle\n4000000000013,Bread,Bakery\n"})
    assert good.get_json() == {"store": "berlin-1", "imported": 1}
    assert api.post(f"/v1/admin/stores/{world.store_ids[1]}/products", auth=world.keys["manager"],
                    json={"csv": "gtin,name\n4000000000013,Bread\n"}).status_code == 403


def test_walk_in_rules_pay_only_the_programs_of_the_callers_chain(api, world, other):
    made = api.post("/v1/admin/walk-in-rules", auth=world.keys["manager"], json={
        "program": "corner-points", "store": "berlin-1", "points": 20, "starts_on": "2026-11-23",
        "daily_budget": 400})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["ends_on"] is None
    partner = api.post("/v1/admin/walk-in-rules", auth=world.keys["manager"], json={
        "program": "partner-plus", "store": "berlin-1", "points": 20})
    assert partner.status_code == 403
    foreign = api.post("/v1/admin/walk-in-rules", auth=world.keys["admin"], json={
        "program": "fresh-points", "store": "berlin-1", "points": 20})
    assert error_code(foreign) == "invalid_request"
    ended = api.post(f"/v1/admin/walk-in-rules/{made.get_json()['id']}/end",
                     auth=world.keys["manager"], json={"last_day": "2026-11-25"})
    assert ended.get_json()["ends_on"] == "2026-11-25"
    listed = api.get("/v1/admin/walk-in-rules", auth=world.keys["other_manager"]).get_json()
    assert listed == {"walk_in_rules": []}


def test_the_command_line_leaves_the_same_trail(app, api, world, other):
    runner = app.test_cli_runner()
    provisioned = runner.invoke(args=["agents", "provision", "--store", "berlin-1"])
    assert provisioned.exit_code == 0, provisioned.output
    assert "enrolment_code: " in provisioned.output and "secret" not in provisioned.output
    code = provisioned.output.split("enrolment_code: ")[1].split()[0]
    assert api.post("/v1/agents/enrol", json={"code": code}).status_code == 200
    trail = _trail(api, world.keys["admin"], "?resource=agent")
    assert [(e["action"], e["actor"].split(":")[0]) for e in reversed(trail)] == [
        ("create", "cli"), ("enrol", "cli"), ("enrol", "agent")]
