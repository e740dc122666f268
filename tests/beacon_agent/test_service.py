"""``beacon-agent run`` end to end on a simulated radio: the same callback, engine,
outbox and signed uploads as with the adapter, against the stand-in API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from beacon_agent import __version__, simulator
from beacon_agent import config as agent_config
from beacon_agent.radio import FINISHED, SimulatedRadio, SpeedClock
from beacon_agent.service import AgentService
from rewards_protocol.events import ENTER, parse_event
from tests.beacon_agent.conftest import StandInApi


def test_run_on_a_simulated_radio_uploads_and_beats(
        tmp_path: Path, stand_in_api: StandInApi, agent_config_file: Path) -> None:
    trace_path = tmp_path / "trace.jsonl"
    with trace_path.open("w") as out, (tmp_path / "truth.json").open("w") as truth:
        simulator.write(simulator.Scenario(seed=5, minutes=3, walk_ins=4, window_shoppers=2,
                                           passers_by=3, site=simulator.Site(dwell_minutes=(6, 7))),
                        out, truth)
    truth_data = json.loads((tmp_path / "truth.json").read_text())
    owner = {t: s["role"] for s in truth_data["shoppers"] for t in s["tokens"]}
    stand_in_api.remote_config["rssi_offset"] = 1.0
    cfg = agent_config.load(agent_config_file, environ={})
    clock = SpeedClock(speed=400.0)
    service = AgentService(cfg, lambda on_advert: SimulatedRadio(trace_path, on_advert, clock),
                           clock=clock)
    asyncio.run(service.run())

    assert service.radio.state == FINISHED
    assert service.engine.settings.calibration_db == 1.0  # the API's setting was applied
    events = [parse_event(raw) for raw in stand_in_api.accepted]
    entered = {e.token for e in events if e.kind == ENTER}
    assert entered and {owner[token] for token in entered} == {"walk_in"}
    assert len({e.event_id for e in events}) == len(events)
    assert service.outbox.path.exists()
    beat = stand_in_api.heartbeats[0]
    assert beat["software_version"] == __version__ and beat["queue_depth"] >= 0
    assert set(beat) == {"queue_depth", "software_version", "adverts_per_second", "scanner_state",
                         "refused_events", "last_refusal_code", "calibration", "nearby"}
    assert (beat["refused_events"], beat["last_refusal_code"]) == (0, None)
    # No walk test in its config, and three minutes are too few phones to learn the entrance.
    assert beat["calibration"]["state"] in ("default", "learning")
    assert {k: v for k, v in beat["calibration"].items() if k != "state"} == {
        "method": None, "calibrated_at": None, "outside_dbm": None, "inside_dbm": None,
        "advice": ["needs_more_traffic"]}
    assert 0 <= sum(b["nearby"] for b in stand_in_api.heartbeats) <= service.pipeline.nearby.count


def test_a_walk_test_survives_provisioning_again_and_a_restart(
        tmp_path: Path, stand_in_api: StandInApi, agent_config_file: Path) -> None:
    trace_path = tmp_path / "trace.jsonl"
    with trace_path.open("w") as out, (tmp_path / "truth.json").open("w") as truth:
        simulator.write(simulator.Scenario(seed=5, minutes=1), out, truth)
    agent_config.store_calibration(agent_config_file, -71.5, -60.0, "2026-12-02T10:00:00Z")
    # Provisioned again with the same credentials (the demo does at each start; an
    # installer may enrol again), then the agent starts: it still says how and when.
    agent_config.write(agent_config_file, stand_in_api.url, stand_in_api.agent_id,
                       stand_in_api.secret.hex(), state_dir=tmp_path / "state")
    cfg = agent_config.load(agent_config_file, environ={})
    clock = SpeedClock(speed=400.0)
    service = AgentService(cfg, lambda on_advert: SimulatedRadio(trace_path, on_advert, clock),
                           clock=clock)
    asyncio.run(service.run())

    assert stand_in_api.heartbeats[0]["calibration"] == {
        "state": "calibrated", "method": "walk_test", "calibrated_at": "2026-12-02T10:00:00Z",
        "outside_dbm": -71.5, "inside_dbm": -60.0, "advice": []}
