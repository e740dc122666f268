"""Staff keys (shown once) and agents (a one-time enrolment code) over HTTP, and the
agent side's ``beacon-agent enrol``."""

from __future__ import annotations

import uuid

from beacon_agent import cli as agent_cli
from beacon_agent import config as agent_config
from beacon_agent.upload import AgentApi
from tests.support.scan_shop import error_code


def test_a_new_key_is_shown_once_and_works(api, world, other):
    manager = world.keys["manager"]
    key = str(uuid.uuid4())
    issued = api.post("/v1/admin/staff-keys", auth=manager, key=key,
                      json={"role": "cashier", "store": "berlin-1", "label": "Register 3"})
    assert issued.status_code == 201, issued.get_json()
    register = issued.get_json()["key"]
    assert register.startswith("sk_")
    retried = api.post("/v1/admin/staff-keys", auth=manager, key=key,
                       json={"role": "cashier", "store": "berlin-1", "label": "Register 3"})
    assert error_code(retried) == "idempotency_answer_not_kept"
    assert register not in retried.get_data(as_text=True)
    listed = api.get("/v1/admin/staff-keys?store=berlin-1", auth=manager)
    assert "Register 3" in listed.get_data(as_text=True)
    assert register not in listed.get_data(as_text=True)
    assert sum(k["label"] == "Register 3" for k in listed.get_json()["staff_keys"]) == 1
    # The new register key opens checkouts; revoked, it is refused.
    assert api.get("/v1/stores/1/scan-products", auth=register).status_code == 200
    staff_id = issued.get_json()["id"]
    assert api.post(f"/v1/admin/staff-keys/{staff_id}/revoke", auth=manager).status_code == 200
    assert api.get("/v1/stores/1/scan-products", auth=register).status_code == 401


def test_who_issues_which_key(api, world, other):
    def issue(auth, **body):
        return api.post("/v1/admin/staff-keys", auth=auth, json=dict({"label": "K"}, **body))

    manager, chain_admin = world.keys["manager"], world.keys["chain_admin"]
    assert issue(manager, role="manager", store="berlin-1").status_code == 403
    assert issue(manager, role="cashier", store="munich-1").status_code == 403
    assert issue(manager, role="admin", chain="corner").status_code == 403
    assert issue(chain_admin, role="manager", store="munich-1").status_code == 201
    assert issue(chain_admin, role="admin", chain="corner").status_code == 201
    assert issue(chain_admin, role="admin", chain="fresh").status_code == 403
    assert issue(chain_admin, role="partner").status_code == 403
    assert issue(chain_admin, role="admin").status_code == 403  # head office's own
    assert issue(world.keys["admin"], role="partner").status_code == 201
    no_store = issue(world.keys["admin"], role="cashier")
    assert error_code(no_store) == "invalid_request"
    assert issue(world.keys["cashier"], role="cashier", store="berlin-1").status_code == 403
    assert issue(world.keys["partner"], role="cashier", store="berlin-1").status_code == 403


def test_the_partner_operator_changes_only_the_partner_programs_rewards(api, world, other):
    partner = world.keys["partner"]
    reward = {"code": "brand-cola", "name": "Cola 1.00 off", "kind": "amount_off",
              "points_cost": 80, "amount_off_minor": 100}
    made = api.post("/v1/admin/rewards", auth=partner, json=dict(reward, program="partner-plus"))
    assert made.status_code == 201, made.get_json()
    assert api.post("/v1/admin/rewards", auth=partner,
                    json=dict(reward, program="corner-points")).status_code == 403
    retired = api.call("PATCH", f"/v1/admin/rewards/{made.get_json()['id']}", auth=partner,
                       json={"active": False})
    assert retired.get_json()["active"] is False
    listed = api.get("/v1/admin/rewards", auth=partner).get_json()["rewards"]
    assert {r["program"] for r in listed} == {"partner-plus"}
    assert api.post("/v1/admin/earn-rules", auth=partner,
                    json={"program": "partner-plus", "points_per_unit": 3}).status_code == 403
    settlement = api.get("/v1/admin/settlement?from=2026-11-01&to=2026-11-30", auth=partner)
    assert settlement.status_code == 200
    assert {s["store"] for s in settlement.get_json()["stores"]} >= {"berlin-1", "lisbon-1"}
    for path in ("/v1/admin/campaigns", "/v1/admin/walk-in-rules", "/v1/admin/staff-keys",
                 "/v1/admin/agents", f"/v1/admin/stores/{world.store_ids[0]}/dashboard"):
        assert api.get(path, auth=partner).status_code == 403, path


def test_an_enrolment_code_gives_the_agent_its_secret_once(app, api, world, other, clock):
    provisioned = api.post("/v1/admin/agents", auth=world.keys["manager"],
                           json={"store": "berlin-1", "label": "Front door"})
    assert provisioned.status_code == 201, provisioned.get_json()
    body = provisioned.get_json()
    code = body["enrolment_code"]
    assert len(code) == 19 and code.count("-") == 3
    # Typed in lower case without dashes, it still works: once.
    enrolled = api.post("/v1/agents/enrol", json={"code": code.replace("-", "").lower()})
    assert enrolled.status_code == 200, enrolled.get_json()
    credentials = enrolled.get_json()
    assert credentials["agent_id"] == body["agent_id"] and credentials["store"] == "berlin-1"
    assert len(bytes.fromhex(credentials["secret"])) == 32
    again = api.post("/v1/agents/enrol", json={"code": code})
    assert (again.status_code, error_code(again)) == (401, "enrolment_code_invalid")
    assert credentials["secret"] not in api.get("/v1/admin/audit", auth=world.keys["admin"]
                                                ).get_data(as_text=True)
    # A new code for the same agent expires after a week; a disabled agent's never works.
    agent = body["agent_id"]
    late = api.post(f"/v1/admin/agents/{agent}/enrolment-code", auth=world.keys["manager"])
    clock.advance(days=7, seconds=1)
    expired = api.post("/v1/agents/enrol", json={"code": late.get_json()["enrolment_code"]})
    assert error_code(expired) == "enrolment_code_invalid"
    fresh = api.post(f"/v1/admin/agents/{agent}/enrolment-code", auth=world.keys["manager"])
    assert api.post(f"/v1/admin/agents/{agent}/disable", auth=world.keys["manager"]).status_code == 200
    refused = api.post("/v1/agents/enrol", json={"code": fresh.get_json()["enrolment_code"]})
    assert error_code(refused) == "enrolment_code_invalid"
    munich = api.post(f"/v1/admin/agents/{agent}/enrolment-code", auth=world.keys["other_manager"])
    assert error_code(munich) == "agent_not_found"


def test_tuning_an_agent_changes_the_settings_it_downloads(api, world, other):
    made = api.post("/v1/admin/agents", auth=world.keys["manager"], json={"store": "berlin-1"})
    agent = made.get_json()["agent_id"]
    tuned = api.call("PATCH", f"/v1/admin/agents/{agent}", auth=world.keys["manager"],
                     json={"enter_rssi": -68, "dwell_seconds": 30})
    assert tuned.status_code == 200, tuned.get_json()
    listed = api.get("/v1/admin/agents?store=berlin-1", auth=world.keys["manager"]).get_json()
    mine = next(a for a in listed["agents"] if a["agent_id"] == agent)
    assert (mine["enter_rssi"], mine["dwell_seconds"], mine["rssi_offset"]) == (-68, 30, 0)
    assert api.call("PATCH", f"/v1/admin/agents/{agent}", auth=world.keys["other_manager"],
                    json={"enter_rssi": -90}).status_code == 404


def test_beacon_agent_enrol_writes_its_config_and_the_api_knows_it(app, api, world, other,
                                                                   live_url, tmp_path):
    code = api.post("/v1/admin/agents", auth=world.keys["manager"],
                    json={"store": "berlin-1"}).get_json()["enrolment_code"]
    path = tmp_path / "agent.toml"
    assert agent_cli.main(["enrol", code, "--api", live_url, "--config", str(path),
                           "--state-dir", str(tmp_path / "state")]) == 0
    cfg = agent_config.load(path)
    assert (path.with_name("secret").stat().st_mode & 0o777) == 0o600
    client = AgentApi(cfg.api_url, cfg.agent_id, cfg.secret())
    try:
        assert client.fetch_config()["store"] == "berlin-1"
    finally:
        client.close()
    # The code is spent: a second Pi with it gets nothing and writes nothing.
    other_path = tmp_path / "second" / "agent.toml"
    assert agent_cli.main(["enrol", code, "--api", live_url, "--config", str(other_path)]) != 0
    assert not other_path.exists()


def test_guessing_enrolment_codes_is_throttled_like_sign_in(app, api, world, other):
    app.config["SIGN_IN_ATTEMPTS_PER_CLIENT"] = 3
    code = api.post("/v1/admin/agents", auth=world.keys["manager"],
                    json={"store": "berlin-1"}).get_json()["enrolment_code"]
    for guess in ("AAAA-AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB-BBBB", "CCCC-CCCC-CCCC-CCCC"):
        assert error_code(api.post("/v1/agents/enrol", json={"code": guess})) == "enrolment_code_invalid"
    blocked = api.post("/v1/agents/enrol", json={"code": code})
    assert (blocked.status_code, error_code(blocked)) == (429, "too_many_attempts")
    assert int(blocked.headers["Retry-After"]) > 0
