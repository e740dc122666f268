"""What the agent learned of its entrance survives a restart (``beacon_agent.memory``):
the service learns from an hour of a store, stops and starts again on the same state
directory; learning from another place or another version is ignored; a crash during a
save leaves the previous one. All on injected clocks."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from beacon_agent import cli, constants, simulator
from beacon_agent import config as agent_config
from beacon_agent.engine import SiteLearning
from beacon_agent.memory import Memory
from beacon_agent.outbox import Outbox
from beacon_agent.service import AgentService
from rewards_protocol import trace
from tests.beacon_agent.conftest import Clock, PlayedRadio, StandInApi

DAY = 86_400.0


def an_hour_of_the_store() -> list[trace.Advertisement]:
    simulation = simulator.simulate(simulator.Scenario(seed=7, minutes=60))
    start = simulation.header.start
    return [replace(advert, t=start + advert.t) for advert in simulation.adverts]


def run_agent(config_file: Path, adverts: list[trace.Advertisement],
              clock: Clock) -> AgentService:
    cfg = agent_config.load(config_file, environ={})
    service = AgentService(cfg, lambda on_advert: PlayedRadio(adverts, on_advert, clock.set),
                           clock=clock)
    asyncio.run(service.run())
    return service


def test_a_restarted_agent_goes_on_from_what_its_store_taught_it(
        tmp_path: Path, stand_in_api: StandInApi, agent_config_file: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    hour = an_hour_of_the_store()
    first = run_agent(agent_config_file, hour, Clock(hour[0].t))
    learned = first.engine.site_state()
    assert learned.learned
    (beat,) = stand_in_api.heartbeats  # sent as the hour ended: learned since then
    assert beat["calibration"]["method"] == "traffic"
    since = beat["calibration"]["calibrated_at"]
    assert since is not None

    # A day later (a power cut, an update) it starts again and hears nobody yet: its
    # engine asks what the store taught it before, and its heartbeat says since when.
    again = run_agent(agent_config_file, [], Clock(hour[-1].t + DAY))
    assert again.engine.site_state() == learned
    assert (again.engine.learned.rise_db(constants.RISE_DB)
            == first.engine.learned.rise_db(constants.RISE_DB))
    assert stand_in_api.heartbeats[-1]["calibration"] == beat["calibration"]

    # Enrolled again, as another store's agent: it learns that store afresh.
    agent_config.write(agent_config_file, stand_in_api.url, "8", stand_in_api.secret.hex(),
                       state_dir=tmp_path / "state")
    caplog.set_level(logging.WARNING, logger="beacon_agent.memory")
    elsewhere = run_agent(agent_config_file, [], Clock(hour[-1].t + 2 * DAY))
    assert not elsewhere.engine.site_state().learned
    assert "learned at another place" in caplog.text


def learned_at_a_store() -> SiteLearning:
    """What an hour of a store teaches: enough outsiders and insiders."""
    learning = SiteLearning()
    for n in range(constants.OUTSIDE_SAMPLES_NEEDED):
        learning.outside(10.0 + n / 2)
        learning.outsider(-80.0 + n / 4, heard=100.0 + n)
    learning.outside(float("-inf"))  # a phone that never held the gate
    for n in range(constants.INSIDE_SAMPLES_NEEDED):
        learning.inside(30.0 + n, -62.0 - n)
    assert learning.state().learned
    return learning


def config(tmp_path: Path, **changes: object) -> agent_config.AgentConfig:
    cfg = agent_config.AgentConfig("https://rewards.example", "12", tmp_path / "secret",
                                   state_dir=tmp_path / "state")
    return replace(cfg, **changes)


def test_a_snapshot_restores_what_was_learned_and_refuses_another_form() -> None:
    learning = learned_at_a_store()
    stored = json.loads(json.dumps(learning.snapshot()))
    restored = SiteLearning.restored(stored)
    assert restored.state() == learning.state()
    assert restored.rise_db(constants.RISE_DB) == learning.rise_db(constants.RISE_DB) == 25.5
    assert restored.long_dwell(constants.LONG_DWELL_S) == learning.long_dwell(constants.LONG_DWELL_S)
    assert restored.snapshot() == learning.snapshot()
    for other in ({**stored, "form": SiteLearning.FORM + 1}, {**stored, "walk_ins": []},
                  {k: v for k, v in stored.items() if k != "inside_rises"},
                  {**stored, "inside_rises": 3}, {**stored, "inside_rises": ["loud"]}, []):
        with pytest.raises(ValueError):
            SiteLearning.restored(other)  # type: ignore[arg-type]


def test_learning_of_another_place_or_version_is_ignored_with_a_log_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    here = config(tmp_path)
    outbox = Outbox(here.outbox_path)
    assert Memory(outbox, here).recall() is None  # nothing kept yet: nothing to say
    assert not caplog.records
    assert Memory(outbox, here).keep(learned_at_a_store(), 1_000.0, 1_100.0)
    recalled = Memory(outbox, here).recall()
    assert recalled is not None and (recalled.learned_at, recalled.saved_at) == (1_000.0, 1_100.0)
    assert recalled.learning.state() == learned_at_a_store().state()

    caplog.set_level(logging.WARNING, logger="beacon_agent.memory")
    moved = [replace(here, agent_id="13"),  # provisioned again, for another store
             replace(here, api_url="https://other.example"),
             replace(here, calibrated_at="2026-12-03T10:00:00Z")]  # a new walk test
    for elsewhere in moved:
        caplog.clear()
        assert Memory(outbox, elsewhere).recall() is None
        assert "another place" in caplog.text

    # A newer agent kept fields this one does not know.
    record, saved_at = outbox.learned()  # type: ignore[misc]
    record["learning"] = {**record["learning"], "form": SiteLearning.FORM + 1, "walk_ins": [1]}
    outbox.keep_learned(record, saved_at)
    caplog.clear()
    assert Memory(outbox, here).recall() is None
    assert "another version" in caplog.text
    outbox.close()


def test_it_saves_only_what_changed() -> None:
    class Counting:
        saves = 0

        def keep_learned(self, record: dict[str, object], at: float) -> None:
            self.saves += 1

    outbox = Counting()
    memory = Memory(outbox, config(Path("/nowhere")))  # type: ignore[arg-type]
    learning = SiteLearning()
    assert memory.keep(learning, None, 1.0)
    assert not memory.keep(learning, None, 2.0)
    learning.outside(12.0)
    assert memory.keep(learning, None, 3.0)
    assert not memory.keep(learning, None, 4.0)
    assert memory.keep(learning, 4.0, 4.0)  # learned since then
    assert outbox.saves == 3


KILLED_IN_A_SAVE = """
import os, signal, sys
from beacon_agent.engine import SiteLearning
from beacon_agent.memory import Memory
from beacon_agent.outbox import Outbox
from tests.beacon_agent.test_memory import config
from pathlib import Path

here = config(Path(sys.argv[1]))
outbox = Outbox(here.outbox_path)
# Killed as the save's transaction commits: its row is written, not committed.
outbox._db.set_trace_callback(
    lambda sql: os.kill(os.getpid(), signal.SIGKILL) if sql == "COMMIT" else None)
Memory(outbox, here).keep(SiteLearning(), 2_000.0, 2_100.0)
"""


def test_a_crash_during_a_save_leaves_the_previous_one(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    here = config(tmp_path)
    outbox = Outbox(here.outbox_path)
    Memory(outbox, here).keep(learned_at_a_store(), 1_000.0, 1_100.0)
    outbox.close()

    killed = subprocess.run([sys.executable, "-c", KILLED_IN_A_SAVE, str(tmp_path)],
                            cwd=Path(__file__).parents[2], check=False)
    assert killed.returncode == -9

    outbox = Outbox(here.outbox_path)
    recalled = Memory(outbox, here).recall()
    assert recalled is not None and (recalled.learned_at, recalled.saved_at) == (1_000.0, 1_100.0)
    assert recalled.learning.state() == learned_at_a_store().state()
    outbox.close()

    # A row no agent could have written (a disk's fault, a hand's edit): the agent says
    # so and learns afresh, and its next save is read again.
    with sqlite3.connect(here.outbox_path) as db:
        db.execute("UPDATE learned SET record = '{\"place\": {\"api_'")
    outbox = Outbox(here.outbox_path)
    caplog.set_level(logging.WARNING, logger="beacon_agent.memory")
    assert Memory(outbox, here).recall() is None
    assert "cannot be read" in caplog.text
    assert Memory(outbox, here).keep(learned_at_a_store(), 3_000.0, 3_000.0)
    assert Memory(outbox, here).recall() is not None
    outbox.close()


def test_status_says_what_has_been_learned_and_since_when(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "agent.toml"
    agent_config.write(path, "https://rewards.example", "12", "ab" * 32, tmp_path / "state")
    here = agent_config.load(path, environ={})
    outbox = Outbox(here.outbox_path)
    learning = SiteLearning()
    for rise, level in ((12.0, -80.0), (15.0, -78.0)):
        learning.outside(rise)
        learning.outsider(level, heard=60.0)
    Memory(outbox, here).keep(learning, None, 1_100.0)
    assert cli.main(["status", "--config", str(path)]) == 0
    shown = capsys.readouterr().out
    assert "learned: still learning: 2 phones outside and 0 inside heard so far" in shown
    assert "advice: It is still learning this entrance: it needs more shoppers." in shown

    Memory(outbox, here).keep(learned_at_a_store(), 1_000.0, 1_100.0)
    outbox.close()
    assert cli.main(["status", "--config", str(path)]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines()
                if line.startswith("learned: "))
    assert line.startswith(f"learned: the entrance since {cli._local_time(1_000.0)}, from "
                           f"{constants.OUTSIDE_SAMPLES_NEEDED} phones outside (loudest "
                           f"-75.2 dBm) and {constants.INSIDE_SAMPLES_NEEDED} inside")
    # Its outsiders were heard for 100-119 s (a slow street): a phone is let in on its
    # minutes after 3 minutes plus 1.4 times the 0.75 quantile of those, not after 5.
    assert "; a phone heard for 5.7 minutes is let in; " in line
    assert cli.main(["status", "--config", str(path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["learned"] == {
        "learned": True, "learned_at": 1_000.0, "outsiders": constants.OUTSIDE_SAMPLES_NEEDED,
        "insiders": constants.INSIDE_SAMPLES_NEEDED, "outside_dbm": -75.25,
        "inside_dbm": -64.0, "long_dwell_s": 341.0, "saved_at": 1_100.0}
    assert shown["advice"] == []  # its insiders rose beyond the outsiders: the crossing decides

    # Where the outsiders were heard for 30-49 s (a busy street), under 5 minutes only at
    # the gate.
    def status_of(learning: SiteLearning, saved_at: float) -> str:
        outbox = Outbox(here.outbox_path)
        Memory(outbox, here).keep(learning, 1_000.0, saved_at)
        outbox.close()
        assert cli.main(["status", "--config", str(path)]) == 0
        return capsys.readouterr().out

    brief = learned_at_a_store()
    for n in range(constants.OUTSIDE_SAMPLES):
        brief.outsider(-80.0, heard=30.0 + n % 20)
    assert ("; a phone heard for 4.2 minutes at -88.0 dBm or louder is let in (5.0 minutes "
            "fainter); ") in status_of(brief, 1_150.0)

    slow = learned_at_a_store()
    for _ in range(constants.INSIDE_SAMPLES_NEEDED + 1):
        slow.inside(12.0, -75.0)  # most shoppers inside rose no further than those outside
    assert ("advice: Walk-ins are confirmed after about 5 minutes here: at this door it cannot "
            "tell a shopper coming in from one at the window.") in status_of(slow, 1_200.0)
    assert cli.main(["status", "--config", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["advice"] == ["slow_walk_ins"]
