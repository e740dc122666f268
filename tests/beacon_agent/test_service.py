"""``beacon-agent run`` end to end on a simulated radio: the same callback, engine,
outbox and signed uploads as with the adapter, against the stand-in API."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from beacon_agent import __version__, simulator
from beacon_agent import config as agent_config
from beacon_agent.outbox import Outbox
from beacon_agent.radio import FINISHED, SimulatedRadio, SpeedClock
from beacon_agent.service import AgentService
from beacon_agent.upload import AgentApi
from rewards_protocol.events import ENTER, parse_event
from tests.beacon_agent.conftest import UNREACHABLE, Clock, PlayedRadio, StandInApi


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


class Stepped:
    """The Pi's clock: ``behind`` seconds behind true time (no real-time clock; the last
    time saved at shutdown) until network time steps it right at ``step_at`` (true time)."""

    def __init__(self, true: Callable[[], float], behind: float, step_at: float) -> None:
        self._true, self._behind, self._step_at = true, behind, step_at

    def __call__(self) -> float:
        now = self._true()
        return now if now >= self._step_at else now - self._behind


def test_network_time_setting_the_clock_mid_run_changes_no_decision(
        tmp_path: Path, stand_in_api: StandInApi, agent_config_file: Path) -> None:
    # A Pi without a real-time clock boots an hour and 130 s behind and runs, shoppers
    # come in; 12 minutes on, network time sets its clock right. The engine keeps to a
    # clock no setting moves: it decides as if the clock had never been set. (On the
    # Pi's clock, every phone heard at the jump had been heard for an hour more: each
    # was let in at once, whoever it was.)
    simulation = simulator.simulate(simulator.Scenario(
        seed=11, minutes=25, walk_ins=8, window_shoppers=3, passers_by=10,
        site=simulator.Site(dwell_minutes=(6, 14))))
    start = simulation.header.start
    adverts = [replace(advert, t=start + advert.t) for advert in simulation.adverts]
    steady = Clock(start)  # the Pi's steady clock, moved on by the radio to each advert
    services: list[AgentService] = []

    def decided(step_at: float, run: str) -> list[tuple[str, str, float]]:
        steady.set(start)
        cfg = replace(agent_config.load(agent_config_file, environ={}), state_dir=tmp_path / run)
        # The API is out of reach: what was decided stays queued, and the phones' clock is
        # learned from the air alone.
        service = AgentService(
            cfg, lambda on_advert: PlayedRadio(adverts, on_advert, steady.set, stamped=False),
            api=lambda: AgentApi(UNREACHABLE, cfg.agent_id, cfg.secret()),
            clock=Stepped(steady, 3730.0, step_at), steady=steady)
        asyncio.run(service.run())
        services.append(service)
        outbox = Outbox(cfg.outbox_path)
        try:
            return [(p.event["kind"], p.event["token"], p.event["last_seen"])
                    for p in outbox.pending(1000)]
        finally:
            outbox.close()

    never_set = decided(float("inf"), "never-set")
    assert sum(kind == ENTER for kind, *_ in never_set) >= 4
    assert decided(start + 720.0, "set-mid-run") == never_set
    # Both engines heard where the phones change token: 130 s before their own clock's
    # boundaries (3,730 s is six windows and 130 s). The walk test keeps to the phones'
    # clock by what the status says of the Pi's clock now: 130 s behind theirs where it
    # was never set, right once it was.
    never_set_service, set_service = services
    assert never_set_service.clock_ahead_of_phones() == pytest.approx(-130.0, abs=5.0)
    assert set_service.clock_ahead_of_phones() == pytest.approx(0.0, abs=5.0)


def test_the_engine_takes_the_phones_clock_from_the_apis_until_it_hears_them_change(
        tmp_path: Path, stand_in_api: StandInApi, agent_config_file: Path) -> None:
    # A Pi whose network blocks network time, 130 s ahead: from its start, the engine
    # looks for rotations where the phones' clock (the API's) has them, not its own.
    cfg = agent_config.load(agent_config_file, environ={})

    def started(url: str) -> AgentService:
        def pi_clock() -> float:
            return time.time() + 130.0
        service = AgentService(cfg, lambda on_advert: PlayedRadio([], on_advert, Clock(0.0).set),
                               api=lambda: AgentApi(url, cfg.agent_id, cfg.secret(), clock=pi_clock),
                               clock=pi_clock, steady=time.monotonic)
        asyncio.run(service.run())
        return service

    service = started(stand_in_api.url)
    assert service.engine.boundaries.offset == pytest.approx(130.0, abs=2.0)
    assert service.clock_ahead_of_phones() == pytest.approx(130.0, abs=2.0)
    # The API out of reach: its own clock, as before.
    assert started(UNREACHABLE).engine.boundaries.offset == 0.0
