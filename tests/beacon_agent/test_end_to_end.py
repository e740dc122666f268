"""Simulated store entrance → ``beacon-agent replay --upload`` → the real API over real
HTTP (werkzeug in a thread) → visits and walk-in points, with tokens the API issued."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from beacon_agent import cli
from beacon_agent import config as agent_config
from beacon_agent.outbox import Outbox
from beacon_agent.upload import AgentApi, Uploader
from rewards_api import db
from rewards_api.agents import services as agents
from rewards_api.visits.models import Visit
from rewards_protocol.events import MAX_BATCH_EVENTS, PresenceEvent
from rewards_protocol.presence import WINDOW_SECONDS, window_of
from tests.rewards_api.walkins.conftest import add_rule
from tests.support.world import setup_actor

SHOPPERS = {"rosa": "walk_in", "li": "walk_in", "noor": "window_shopper", "ben": "passer_by"}


def test_simulated_entrance_becomes_visits_and_walk_in_points(
        app: Any, api: Any, world: Any, live_url: str, tmp_path: Path) -> None:
    berlin = world.store_ids[0]
    add_rule(app, "corner-points", berlin, 10)
    add_rule(app, "partner-plus", berlin, 5)
    with app.app_context():
        agent, secret = agents.provision(db.session(), setup_actor(), berlin, "entrance")
        db.session().commit()
        agent_id = str(agent.id)
    config_path = tmp_path / "agent.toml"
    agent_config.write(config_path, live_url, agent_id, secret, state_dir=tmp_path / "state")

    shoppers = {label: api.register(label.title()) for label in SHOPPERS}
    # The trace starts at the previous window, so that it ends before now (taken after
    # registering them: the API gives tokens from the window before the current one).
    start = float((window_of(time.time()) - 1) * WINDOW_SECONDS)
    tokens = {}
    for label in SHOPPERS:
        response = api.get(f"/v1/me/presence-tokens?from={int(start)}&count=4",
                           auth=shoppers[label]["token"])
        assert response.status_code == 200, response.get_json()
        tokens[label] = response.get_json()
    (tmp_path / "tokens.json").write_text(json.dumps(tokens))
    trace_path, truth_path = tmp_path / "trace.jsonl", tmp_path / "truth.json"
    assert cli.main(["simulate", "--out", str(trace_path), "--truth", str(truth_path),
                     "--tokens", str(tmp_path / "tokens.json"), "--start", str(start),
                     "--minutes", "2", "--walk-ins", "2", "--window-shoppers", "1",
                     "--passers-by", "1", "--dwell-minutes", "6", "7", "--seed", "2"]) == 0
    truth = json.loads(truth_path.read_text())
    assert {s["label"]: s["role"] for s in truth["shoppers"]} == SHOPPERS

    events_path = tmp_path / "events.jsonl"
    assert cli.main(["replay", str(trace_path), "--events-out", str(events_path), "--upload",
                     "--config", str(config_path)]) == 0
    decided = [json.loads(line) for line in events_path.read_text().splitlines()]
    outbox = Outbox(tmp_path / "state" / "outbox.sqlite3")
    assert outbox.depth() == 0
    assert outbox.counters() == {"accepted": len(decided)}

    balances = {}
    for label, shopper in shoppers.items():
        me = api.get("/v1/me", auth=shopper["token"]).get_json()
        balances[label] = {a["program"]: a["balance"] for a in me["accounts"]}
    assert balances["rosa"] == balances["li"] == {"corner-points": 10, "partner-plus": 5}
    assert set(balances["noor"].values()) == set(balances["ben"].values()) == {0}
    with app.app_context():
        visits = db.session().scalars(select(Visit)).all()
        assert len(visits) == 2 and all(v.store_id == berlin for v in visits)
        assert all(v.ended_at is not None for v in visits)  # the exits arrived too

    # The same events again, last first: the API takes order and repeats in its stride.
    api_client = AgentApi(live_url, agent_id, bytes.fromhex(secret))
    results = api_client.send_sightings(lambda: [{k: v for k, v in e.items() if k != "t"}
                                                 for e in reversed(decided)])
    api_client.close()
    assert {r["status"] for r in results.values()} == {"duplicate"}
    with app.app_context():
        assert len(db.session().scalars(select(Visit)).all()) == 2


def test_a_batch_the_api_refuses_as_too_large_is_split_not_lost(
        app: Any, world: Any, live_url: str, tmp_path: Path) -> None:
    with app.app_context():
        agent, secret = agents.provision(db.session(), setup_actor(), world.store_ids[0], "entrance")
        db.session().commit()
        agent_id = str(agent.id)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    count = MAX_BATCH_EVENTS + 100
    now = time.time()
    outbox.put((now, PresenceEvent(
        event_id=PresenceEvent.new_id(), kind="enter", frame_version=1, key_id=0,
        token=f"{n:032x}", first_seen=now - 30, last_seen=now, rssi_max=-60, rssi_median=-66,
        count=30)) for n in range(count))
    api_client = AgentApi(live_url, agent_id, bytes.fromhex(secret))
    # A misconfigured batch size: the API answers 413 batch_too_large for the whole batch.
    uploader = Uploader(outbox, api_client, batch_size=count, sleep=lambda _: None)
    assert uploader.drain() == count
    api_client.close()
    # Each half was answered event by event (tokens nobody was given: rejected, not refused).
    assert outbox.depth() == 0
    assert outbox.counters() == {"rejected": count}
