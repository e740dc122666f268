"""Agents: provisioning from the command line, central settings, heartbeats, purge."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from rewards_api import db
from rewards_api.agents.models import Agent, AgentNonce
from rewards_api.visits.models import Visit
from rewards_api.walkins.models import Sighting, WalkInRule
from rewards_protocol import events
from tests.rewards_api.walkins.conftest import T0, AgentClient, download_tokens, seen

HEARTBEAT = {"queue_depth": 3, "software_version": "1.2.0", "adverts_per_second": 41.5,
             "scanner_state": "scanning"}


def test_provisioned_agent_signs_with_the_printed_secret(app, client, clock, world):
    result = app.test_cli_runner().invoke(args=["agents", "provision", "--store", "berlin-1", "--show-secret"])
    assert result.exit_code == 0, result.output
    found = re.search(r"agent_id: (\d+)\nsecret: ([0-9a-f]{64})", result.output)
    assert found is not None
    agent = AgentClient(client, clock, int(found.group(1)), bytes.fromhex(found.group(2)))
    with app.app_context():
        stored = db.session().get(Agent, agent.agent_id)
        assert found.group(2) not in stored.secret_encrypted  # encrypted at rest

    tuned = app.test_cli_runner().invoke(
        args=["agents", "tune", str(agent.agent_id), "--rssi-offset", "-4", "--enter-rssi", "-70"])
    assert tuned.exit_code == 0, tuned.output
    config = agent.get(events.CONFIG_PATH)

    assert config.status_code == 200, config.get_json()
    assert config.get_json() == {
        "agent_id": str(agent.agent_id), "store": "berlin-1", "company_id": 0xFFFF,
        "rssi_offset": -4, "enter_rssi": -70, "dwell_seconds": 20, "exit_after_seconds": 90,
        "max_batch_events": 500}
    missing_store = app.test_cli_runner().invoke(args=["agents", "provision", "--store", "nope"])
    assert missing_store.exit_code != 0 and "no store" in missing_store.output


def test_heartbeat_is_visible_to_the_stores_manager_only(app, api, walkins, world, clock):
    door = walkins.agents["berlin-door"]
    response = door.post(events.HEARTBEAT_PATH, HEARTBEAT)
    assert response.status_code == 200, response.get_json()
    bad = door.post(events.HEARTBEAT_PATH, dict(HEARTBEAT, queue_depth=-1))
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "invalid_request"

    listing = api.get("/v1/admin/agents", auth=world.keys["manager"])
    assert listing.status_code == 200
    by_id = {a["agent_id"]: a for a in listing.get_json()["agents"]}
    assert set(by_id) == {str(walkins.agents[n].agent_id) for n in ("berlin-door", "berlin-back")}
    beat = by_id[str(door.agent_id)]
    assert beat["last_seen_at"] == clock.now.isoformat()
    assert (beat["queue_depth"], beat["software_version"], beat["adverts_per_second"],
            beat["scanner_state"]) == (3, "1.2.0", 41.5, "scanning")
    assert (beat["refused_events"], beat["last_refusal_code"]) == (0, None)  # an older agent
    assert by_id[str(walkins.agents["berlin-back"].agent_id)]["last_seen_at"] is None

    refusing = door.post(events.HEARTBEAT_PATH,
                         dict(HEARTBEAT, refused_events=2, last_refusal_code="invalid_request"))
    assert refusing.status_code == 200, refusing.get_json()
    listing = api.get("/v1/admin/agents", auth=world.keys["manager"]).get_json()["agents"]
    beat = next(a for a in listing if a["agent_id"] == str(door.agent_id))
    assert (beat["refused_events"], beat["last_refusal_code"]) == (2, "invalid_request")

    other = api.get("/v1/admin/agents?store=berlin-1", auth=world.keys["other_manager"])
    assert other.status_code == 403
    assert api.get("/v1/admin/agents", auth=world.keys["cashier"]).status_code == 403
    everyone = api.get("/v1/admin/agents", auth=world.keys["admin"]).get_json()["agents"]
    assert len(everyone) == 3
    unknown = api.get("/v1/admin/agents?store=nope", auth=world.keys["admin"])
    assert unknown.get_json()["error"]["code"] == "store_not_found"


def test_purge_removes_old_sightings_and_nonces_but_keeps_visits(app, api, walkins, clock):
    shopper = api.register("Rosa")
    tokens = download_tokens(api, shopper, T0)
    door = walkins.agents["berlin-door"]
    assert door.sightings([seen(tokens, T0)]).get_json()["accepted"] == 1
    with app.app_context():
        s = db.session()
        old = s.scalars(select(Sighting)).one()
        old.received_at = T0 - dt.timedelta(days=31)
        s.commit()
    clock.set(T0 + dt.timedelta(minutes=5))
    door.sightings([seen(tokens, clock.now)])
    clock.set(T0 + dt.timedelta(days=1))  # the command reads the app's clock too

    result = app.test_cli_runner().invoke(args=["purge"])

    assert result.exit_code == 0, result.output
    assert "raw sightings: 1 removed" in result.output
    assert "agent nonces: 2 removed" in result.output  # both requests' windows are over
    with app.app_context():
        s = db.session()
        assert s.scalar(select(func.count()).select_from(Sighting)) == 1
        assert s.scalar(select(func.count()).select_from(AgentNonce)) == 0
        assert s.scalar(select(func.count()).select_from(Visit)) == 1


def test_export_lists_the_shoppers_visits(app, api, walkins):
    shopper = api.register("Rosa")
    other = api.register("Otto")
    walkins.agents["berlin-door"].sightings([seen(download_tokens(api, shopper, T0), T0)])
    walkins.agents["berlin-door"].sightings([seen(download_tokens(api, other, T0), T0)])
    export = api.get("/v1/me/export", auth=shopper["token"]).get_json()
    assert export["visits"] == [{"store": "berlin-1", "started_at": T0.isoformat(),
                                 "last_seen_at": (T0 + dt.timedelta(seconds=12)).isoformat(),
                                 "ended_at": None, "flag": None}]


def test_walk_in_rules_from_the_command_line(app, world):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["walkins", "rule", "create", "--program", "partner-plus",
                               "--store", "munich-1", "--points", "25", "--starts-on",
                               "2026-12-01", "--daily-budget", "500"])
    assert made.exit_code == 0, made.output
    with app.app_context():
        rule = db.session().scalars(select(WalkInRule)).one()
        assert (rule.points, rule.starts_on, rule.ends_on, rule.daily_budget) == (
            25, dt.date(2026, 12, 1), None, 500)
    ended = runner.invoke(args=["walkins", "rule", "end", str(rule.id), "--last-day",
                                "2026-12-24"])
    assert ended.exit_code == 0, ended.output
    listed = runner.invoke(args=["walkins", "rule", "list"])
    assert "points=25 from=2026-12-01 to=2026-12-24 daily_budget=500" in listed.output
    zero = runner.invoke(args=["walkins", "rule", "create", "--program", "partner-plus",
                               "--store", "munich-1", "--points", "0"])
    assert zero.exit_code != 0


def test_a_chains_program_pays_walk_ins_only_in_its_own_stores(app, world):
    runner = app.test_cli_runner()
    for args in (["chains", "create", "kiosk", "--name", "Kiosk Co"],
                 ["stores", "create", "kiosk-1", "--chain", "kiosk", "--name", "Kiosk 1",
                  "--timezone", "Europe/Berlin"]):
        assert runner.invoke(args=args).exit_code == 0
    other = runner.invoke(args=["walkins", "rule", "create", "--program", "corner-points",
                                "--store", "kiosk-1", "--points", "10"])
    assert other.exit_code != 0 and "program of another chain" in other.output
    partner = runner.invoke(args=["walkins", "rule", "create", "--program", "partner-plus",
                                  "--store", "kiosk-1", "--points", "10"])
    assert partner.exit_code == 0, partner.output


def test_expired_nonces_are_cleared_along_the_way(app, walkins, clock):
    door = walkins.agents["berlin-door"]
    assert door.sightings([], nonce="f" * 32).status_code == 200
    clock.set(T0 + dt.timedelta(minutes=11))  # the first request's timestamp is too old now
    assert door.sightings([], nonce="e" * 32).status_code == 200
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(AgentNonce)) == 2
    assert door.sightings([], nonce="0" * 32).status_code == 200  # clears as it goes
    with app.app_context():
        assert set(db.session().scalars(select(AgentNonce.nonce))) == {"e" * 32, "0" * 32}
