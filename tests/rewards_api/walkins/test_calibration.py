"""The heartbeat's calibration and app phones nearby (PROTOCOLS.md section 3): stored,
refused when out of the contract, counted once, shown in words; and a manager tuning
an agent from the back office."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from rewards_api import db
from rewards_api.agents.models import NearbyHour
from rewards_protocol import events
from tests.rewards_api.walkins.test_agents import HEARTBEAT

WALKED = {"state": "calibrated", "method": "walk_test", "calibrated_at": "2026-12-02T10:00:00Z",
          "outside_dbm": -78.5, "inside_dbm": -61.0, "advice": ["street_too_loud"]}


def _listed(api, auth, agent_id, language="en"):
    answer = api.client.get("/v1/admin/agents?store=berlin-1", headers={
        "Authorization": f"Bearer {auth}", "Accept-Language": language})
    assert answer.status_code == 200, answer.get_json()
    return next(a for a in answer.get_json()["agents"] if a["agent_id"] == str(agent_id))


def _nearby(app):
    with app.app_context():
        return {(row.agent_id, row.hour, row.store_id): row.phones
                for row in db.session().scalars(select(NearbyHour))}


def test_a_heartbeat_with_calibration_and_nearby_is_stored_and_shown(app, api, walkins, world,
                                                                     clock):
    door = walkins.agents["berlin-door"]
    answer = door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, calibration=WALKED, nearby=7))
    assert answer.status_code == 200, answer.get_json()

    shown = _listed(api, world.keys["manager"], door.agent_id)["calibration"]
    assert shown == {
        "state": "calibrated", "method": "walk_test",
        "calibrated_at": "2026-12-02T10:00:00+00:00", "outside_dbm": -78.5, "inside_dbm": -61.0,
        "summary": "Calibrated on Dec 2 by walk test",
        "advice": [{"code": "street_too_loud",
                    "text": "Hears the street too loudly: move it further in", "attention": True}]}
    german = _listed(api, world.keys["manager"], door.agent_id, "de")["calibration"]
    assert "2. Dez." in german["summary"]  # the day as German writes it (Babel)
    hour = clock.now.replace(minute=0, second=0, microsecond=0)
    assert _nearby(app) == {(door.agent_id, hour, world.store_ids[0]): 7}

    dashboard = api.get(f"/v1/admin/stores/{world.store_ids[0]}/dashboard?days=1",
                        auth=world.keys["manager"]).get_json()
    on_board = next(a for a in dashboard["agents"] if a["agent_id"] == door.agent_id)
    assert on_board["calibration"]["summary"] == "Calibrated on Dec 2 by walk test"


@pytest.mark.parametrize(("change", "field"), [
    ({"calibration": dict(WALKED, state="perfect")}, "state"),
    ({"calibration": dict(WALKED, method="guess")}, "method"),
    ({"calibration": dict(WALKED, method=None)}, "method"),  # calibrated, but how?
    ({"calibration": dict(WALKED, outside_dbm=-200)}, "outside_dbm"),
    ({"calibration": dict(WALKED, inside_dbm=35.0)}, "inside_dbm"),
    ({"calibration": dict(WALKED, calibrated_at="yesterday")}, "calibrated_at"),
    ({"calibration": dict(WALKED, calibrated_at="2026-12-02T10:00:00")}, "calibrated_at"),
    ({"calibration": dict(WALKED, advice=["move_the_shop"])}, "advice"),
    ({"calibration": dict(WALKED, advice=["street_too_loud", "street_too_loud"])}, "advice"),
    ({"calibration": dict(WALKED, colour="blue")}, "colour"),
    ({"calibration": {"state": "default"}}, "method"),
    ({"nearby": -1}, "nearby"),
    ({"nearby": 10**9}, "nearby"),
    ({"nearby": 2.5}, "nearby"),
    ({"refused_events": 2**40}, "refused_events"),  # past its column (found by the fuzz test)
])
def test_values_outside_the_contract_are_refused_with_a_code(app, walkins, change, field):
    door = walkins.agents["berlin-door"]
    answer = door.post(events.HEARTBEAT_PATH, {**HEARTBEAT, "nearby": 3, **change})
    assert answer.status_code == 400, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_request"
    assert field in str(error["details"])
    assert _nearby(app) == {}  # nothing of a refused heartbeat is kept


def test_an_older_agent_without_the_fields_is_accepted(api, walkins, world):
    door = walkins.agents["berlin-door"]
    assert door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, calibration=WALKED)).status_code == 200
    assert door.post(events.HEARTBEAT_PATH, HEARTBEAT).status_code == 200  # downgraded
    shown = _listed(api, world.keys["manager"], door.agent_id)["calibration"]
    assert (shown["state"], shown["advice"]) == (None, [])
    assert shown["summary"] == "Calibration not reported (older agent software)"


def test_learning_and_default_states_read_as_such(api, walkins, world):
    door, back = walkins.agents["berlin-door"], walkins.agents["berlin-back"]
    learning = {"state": "learning", "method": "traffic", "calibrated_at": None,
                "outside_dbm": None, "inside_dbm": None, "advice": ["needs_more_traffic"]}
    default = {"state": "default", "method": None, "calibrated_at": None, "outside_dbm": None,
               "inside_dbm": None, "advice": ["inside_too_quiet"]}
    assert door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, calibration=learning)).status_code == 200
    assert back.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, calibration=default)).status_code == 200
    door_shown = _listed(api, world.keys["manager"], door.agent_id)["calibration"]
    back_shown = _listed(api, world.keys["manager"], back.agent_id, "pt")["calibration"]
    assert door_shown["summary"] == "Learning this entrance from its traffic"
    assert [a["text"] for a in door_shown["advice"]] == [
        "Still learning this entrance: needs more shoppers"]
    assert back_shown["advice"][0]["code"] == "inside_too_quiet"


def test_an_agent_that_learned_its_walk_ins_wait_says_so(api, walkins, world):
    door = walkins.agents["berlin-door"]
    learned = {"state": "calibrated", "method": "traffic", "calibrated_at": "2026-12-02T11:00:00Z",
               "outside_dbm": -66.5, "inside_dbm": -77.0, "advice": ["slow_walk_ins"]}
    assert door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, calibration=learned)).status_code == 200
    shown = _listed(api, world.keys["manager"], door.agent_id)["calibration"]
    assert shown["summary"] == "Calibrated on Dec 2 from its traffic"
    assert shown["advice"] == [{
        "code": "slow_walk_ins",
        "text": "Walk-ins are confirmed after about 5 minutes here: at this door it cannot tell "
                "a shopper coming in from one at the window. A shopper who leaves sooner gets "
                "no walk-in points; tell shoppers it takes 5 minutes", "attention": False}]
    # For information: it does not make the door an agent needing attention in the chain
    # view (the back door, never heard from, is one), as advice to move it does.
    assert _needing_attention(api, world) == 1
    assert door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, calibration=WALKED)).status_code == 200
    assert _needing_attention(api, world) == 2


FAR_END_SENTENCE = ("Does not hear the far end of the shop: walk-ins who go to the back may be "
                    "missed when their phone changes its code there. Add a second agent "
                    "mid-floor: the Agents page says how")


def test_a_walk_test_that_did_not_hear_the_far_end_asks_for_a_second_agent(api, walkins, world):
    door = walkins.agents["berlin-door"]
    deep = dict(WALKED, advice=["far_end_unheard"])
    assert _needing_attention(api, world) == 2  # neither agent has reported yet
    assert door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, calibration=deep)).status_code == 200
    shown = _listed(api, world.keys["manager"], door.agent_id)["calibration"]
    assert shown["advice"] == [{"code": "far_end_unheard", "text": FAR_END_SENTENCE,
                                "attention": True}]  # it needs someone to act: add an agent
    assert _needing_attention(api, world) == 2
    clean = dict(WALKED, advice=[])
    assert door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, calibration=clean)).status_code == 200
    assert _needing_attention(api, world) == 1


def _needing_attention(api, world):
    chain = api.get("/v1/admin/chain", auth=world.keys["admin"]).get_json()["stores"]
    return next(row for row in chain if row["store"] == "berlin-1")["agents_needing_attention"]


def test_a_retried_heartbeat_is_not_counted_twice(app, walkins, world, clock):
    door, back = walkins.agents["berlin-door"], walkins.agents["berlin-back"]
    beat = dict(HEARTBEAT, nearby=4)
    first = door.post(events.HEARTBEAT_PATH, beat)
    assert first.status_code == 200
    # The same signed request again (a proxy or the agent retrying after a lost answer):
    replay = door.client.post(events.HEARTBEAT_PATH, data=json.dumps(beat).encode(),
                              headers=door.sent[-1], content_type="application/json")
    assert replay.status_code == 401
    assert replay.get_json()["error"]["code"] == "nonce_reused"
    clock.advance(minutes=1)
    assert door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, nearby=2)).status_code == 200
    assert door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, nearby=0)).status_code == 200
    assert back.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, nearby=5)).status_code == 200
    clock.advance(hours=1)
    assert door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, nearby=1)).status_code == 200

    hour = (clock.now - dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    berlin = world.store_ids[0]
    assert _nearby(app) == {(door.agent_id, hour, berlin): 6, (back.agent_id, hour, berlin): 5,
                            (door.agent_id, hour + dt.timedelta(hours=1), berlin): 1}


def test_a_manager_tunes_their_own_stores_agent_and_it_is_audited(api, walkins, world):
    door = walkins.agents["berlin-door"]
    path = f"/v1/admin/agents/{door.agent_id}"
    tuned = api.call("PATCH", path, auth=world.keys["manager"], json={"rssi_offset": -6})
    assert tuned.status_code == 200, tuned.get_json()
    assert door.get(events.CONFIG_PATH).get_json()["rssi_offset"] == -6  # the agent picks it up

    refused = {
        "other_manager": api.call("PATCH", path, auth=world.keys["other_manager"],
                                  json={"rssi_offset": 9}),
        "cashier": api.call("PATCH", path, auth=world.keys["cashier"], json={"rssi_offset": 9}),
        "out of range": api.call("PATCH", path, auth=world.keys["manager"],
                                 json={"rssi_offset": 99}),
    }
    assert {name: r.get_json()["error"]["code"] for name, r in refused.items()} == {
        "other_manager": "agent_not_found", "cashier": "forbidden",
        "out of range": "invalid_request"}
    assert door.get(events.CONFIG_PATH).get_json()["rssi_offset"] == -6

    entries = api.get("/v1/admin/audit?store=berlin-1", auth=world.keys["manager"]).get_json()
    changes = [e for e in entries["entries"]
               if e["resource"] == "agent" and e["action"] == "change"]
    assert len(changes) == 1
    assert (changes[0]["before"]["rssi_offset"], changes[0]["after"]["rssi_offset"]) == (0, -6)
