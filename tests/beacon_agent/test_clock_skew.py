"""A Pi without a real-time clock signs with a wrong time: the API's 401 tells it the
server's time, the agent corrects its offset and the same requests go through at once,
with every queued event answered for (nothing dropped, no backoff)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tenacity import stop_after_attempt

from beacon_agent.outbox import Outbox
from beacon_agent.upload import AgentApi, Uploader
from rewards_api import db
from rewards_api.agents import services as agents
from tests.beacon_agent.test_outbox_upload import event
from tests.rewards_api.walkins.conftest import T0
from tests.support.clock import Clock
from tests.support.world import setup_actor


@pytest.mark.parametrize("skew_s", [-40 * 365 * 86400, -3600, 7200])
def test_a_skewed_agent_corrects_its_clock_from_the_401_and_loses_nothing(
        app: Any, world: Any, live_url: str, tmp_path: Path, skew_s: int) -> None:
    server_clock = Clock(T0)
    app.config["CLOCK"] = server_clock
    with app.app_context():
        agent, secret = agents.provision(db.session(), setup_actor(), world.store_ids[0], "entrance")
        db.session().commit()
        agent_id = str(agent.id)
    pi_time = [T0.timestamp() + skew_s]
    api = AgentApi(live_url, agent_id, bytes.fromhex(secret), clock=lambda: pi_time[0])
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put((T0.timestamp(), event(n)) for n in range(5))
    waits: list[float] = []
    uploader = Uploader(outbox, api, sleep=waits.append)

    assert uploader.drain(stop=stop_after_attempt(2)) == 5
    assert outbox.depth() == 0 and waits == []
    assert api.clock_offset_s == pytest.approx(-skew_s, abs=1)
    api.heartbeat(0, 1.0, "scanning", "test")  # signed with the corrected time

    # NTP sets the Pi's clock: the offset is now wrong, and corrected again.
    pi_time[0] = T0.timestamp() + 60
    server_clock.advance(seconds=60)
    api.heartbeat(0, 1.0, "scanning", "test")
    assert api.clock_offset_s == pytest.approx(0, abs=1)
    api.close()
