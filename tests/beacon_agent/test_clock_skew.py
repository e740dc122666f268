"""A Pi without a real-time clock signs with a wrong time: the API's 401 tells it the
server's time, the agent corrects its offset and the same requests go through at once,
with every queued event answered for (nothing dropped, no backoff); the walk-ins it
recorded on the wrong clock arrive at their true times."""

from __future__ import annotations

import datetime as dt
import json
import socket
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tenacity import stop_after_attempt

from beacon_agent.outbox import Outbox
from beacon_agent.upload import AgentApi, ApiUnavailable, Uploader
from rewards_api import db
from rewards_api.agents import services as agents
from rewards_api.agents.models import Agent
from rewards_api.ledger.models import WALK_IN, LedgerEntry
from rewards_api.walkins.models import ACCEPTED, Sighting
from rewards_protocol.events import PresenceEvent
from tests.beacon_agent.conftest import UNREACHABLE
from tests.beacon_agent.test_outbox_upload import event
from tests.rewards_api.walkins.conftest import T0, add_rule, download_tokens, seen
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


@pytest.mark.parametrize("ntp_before_upload", [False, True], ids=["api-corrects", "ntp-corrects"])
@pytest.mark.parametrize("skew_s", [-40 * 365 * 86400, -3 * 86400, 7200])
def test_walk_ins_recorded_on_a_skewed_clock_reach_the_api_on_its_clock(
        app: Any, world: Any, api: Any, live_url: str, tmp_path: Path, skew_s: int,
        ntp_before_upload: bool) -> None:
    """Walk-ins the agent recorded while its clock was off (a Pi booted without network)
    are sent on the API's clock, whether the API's 401 or NTP set the clock before the
    upload: each is accepted at its true time and earns once, none is lost."""
    server_clock = Clock(T0)
    app.config["CLOCK"] = server_clock
    berlin = world.store_ids[0]
    add_rule(app, "partner-plus", berlin, 5)
    with app.app_context():
        agent, secret = agents.provision(db.session(), setup_actor(), berlin, "entrance")
        db.session().commit()
        agent_id = str(agent.id)
    pi_time, steady = [T0.timestamp() + skew_s], [1_000.0]
    outbox = Outbox(tmp_path / "outbox.sqlite3", clock=lambda: pi_time[0],
                    steady=lambda: steady[0], boot_id="this-boot")
    true_times = []
    for n in range(3):  # a walk-in a minute, recorded on the Pi's clock
        walker = api.register(f"Walker {n}")
        tokens = download_tokens(api, walker, T0 - dt.timedelta(minutes=10), count=6)
        seen_at = server_clock.now - dt.timedelta(seconds=20)
        on_true_clock = seen(tokens, seen_at, seconds=15)
        true_times.append(on_true_clock["first_seen"])
        outbox.put([(pi_time[0], PresenceEvent(**{
            **on_true_clock, "first_seen": on_true_clock["first_seen"] + skew_s,
            "last_seen": on_true_clock["last_seen"] + skew_s}))])
        for clock in (pi_time, steady):
            clock[0] += 60
        server_clock.advance(seconds=60)
    if ntp_before_upload:
        pi_time[0] = server_clock.now.timestamp()
    agent_api = AgentApi(live_url, agent_id, bytes.fromhex(secret), clock=lambda: pi_time[0])
    uploader = Uploader(outbox, agent_api, sleep=pytest.fail)

    assert uploader.drain(stop=stop_after_attempt(1)) == 3
    agent_api.close()
    assert outbox.counters() == {"accepted": 3}
    with app.app_context():
        s = db.session()
        arrived = sorted(r.first_seen_at.timestamp() for r in s.scalars(select(Sighting)))
        assert arrived == pytest.approx(true_times, abs=1)
        assert len(s.scalars(select(LedgerEntry).where(LedgerEntry.kind == WALK_IN)).all()) == 3


def test_events_of_an_earlier_boot_are_moved_by_what_that_boot_learned(tmp_path: Path) -> None:
    """After a reboot the steady clock starts again: an earlier boot's steady readings
    tell nothing against this boot's, only against the API's time that boot stored."""
    path = tmp_path / "outbox.sqlite3"
    learned = Outbox(path, clock=lambda: 1_000.0, steady=lambda: 5.0, boot_id="boot-1")
    learned.put([(1_000.0, event(1))])
    # Boot 1 once reached the API: at steady 8 the API's time was 40,000.
    learned.acknowledge([], {}, api_time=40_000.0)
    learned.close()
    never = Outbox(path, clock=lambda: 2_000.0, steady=lambda: 3.0, boot_id="boot-2")
    never.put([(2_000.0, event(2))])  # boot 2 never reached the API
    never.close()
    after = Outbox(path, clock=lambda: 9_000.0, steady=lambda: 7.0, boot_id="boot-3")
    pending = after.pending(10)
    moved, as_recorded = after.corrected(pending, server_now=50_000.0)
    # Recorded at 1,000 on boot 1's clock at the steady reading (5.0) at which that boot
    # learned the API's time was 40,000: truly at 40,000.
    assert moved["first_seen"] == pytest.approx(pending[0].event["first_seen"] + 39_000)
    assert as_recorded == pending[1].event
    assert after.unproven(pending) == {pending[1].seq}


@pytest.mark.parametrize("skew_s", [-3 * 86400, 7200])
def test_walk_ins_recorded_before_a_reboot_on_a_wrong_clock_earn_or_are_set_aside(
        app: Any, world: Any, api: Any, live_url: str, tmp_path: Path, skew_s: int) -> None:
    """Boot 1 runs on a wrong clock: its first walk-in is uploaded (the API's 401 tells
    it the time) and the next two are recorded while the network is down. Boot 2 never
    reaches the API, on a right clock; boot 3 neither, on a wrong clock. Boot 4 (the
    steady clock from zero again, its clock wrong another way) uploads them all: boot
    1's are moved by the time it learned and earn at their true times, boot 2's earns as
    recorded, boot 3's is refused for its time and set aside with the API's code,
    counted in the heartbeat. Nothing is lost, nothing retried for ever."""
    server_clock = Clock(T0)
    app.config["CLOCK"] = server_clock
    berlin = world.store_ids[0]
    add_rule(app, "partner-plus", berlin, 5)
    with app.app_context():
        agent, secret = agents.provision(db.session(), setup_actor(), berlin, "entrance")
        db.session().commit()
        agent_id = str(agent.id)
    path = tmp_path / "outbox.sqlite3"
    pi_time, steady = [0.0], [0.0]
    true_times: list[float] = []

    def boot(name: str, skew: float) -> tuple[Outbox, AgentApi]:
        pi_time[0], steady[0] = server_clock.now.timestamp() + skew, 10.0
        return (Outbox(path, clock=lambda: pi_time[0], steady=lambda: steady[0], boot_id=name),
                AgentApi(live_url, agent_id, bytes.fromhex(secret), clock=lambda: pi_time[0]))

    def walk_in(outbox: Outbox, skew: float) -> PresenceEvent:
        walker = api.register(f"Walker {len(true_times)}")
        tokens = download_tokens(api, walker, T0 - dt.timedelta(minutes=10), count=12)
        on_true_clock = seen(tokens, server_clock.now - dt.timedelta(seconds=20), seconds=15)
        true_times.append(on_true_clock["first_seen"])
        recorded = PresenceEvent(**{**on_true_clock,
                                    "first_seen": on_true_clock["first_seen"] + skew,
                                    "last_seen": on_true_clock["last_seen"] + skew})
        outbox.put([(pi_time[0], recorded)])
        for clock in (pi_time, steady):
            clock[0] += 60
        server_clock.advance(seconds=60)
        return recorded

    outbox, agent_api = boot("boot-1", skew_s)
    walk_in(outbox, skew_s)
    assert Uploader(outbox, agent_api, sleep=pytest.fail).drain(stop=stop_after_attempt(1)) == 1
    walk_in(outbox, skew_s)  # the network is down from here on
    walk_in(outbox, skew_s)
    outbox.close()
    outbox, _ = boot("boot-2", 0)
    walk_in(outbox, 0)
    outbox.close()
    outbox, _ = boot("boot-3", 7200)
    unknowable = walk_in(outbox, 7200)
    outbox.close()
    outbox, agent_api = boot("boot-4", -skew_s)
    uploader = Uploader(outbox, agent_api, sleep=pytest.fail)

    assert uploader.drain(stop=stop_after_attempt(1)) == 4
    assert outbox.depth() == 0
    assert outbox.counters() == {"accepted": 4, "refused": 1}
    assert outbox.refused(10) == [("event_in_future", unknowable.to_json())]
    agent_api.heartbeat(0, 1.0, "scanning", "test", refused=1,
                        last_refusal_code=outbox.status()["last_refusal_code"])
    agent_api.close()
    outbox.close()
    with app.app_context():
        s = db.session()
        arrived = sorted(r.first_seen_at.timestamp() for r in s.scalars(
            select(Sighting).where(Sighting.status == ACCEPTED)))
        assert arrived == pytest.approx(true_times[:4], abs=1)
        assert len(s.scalars(select(LedgerEntry).where(LedgerEntry.kind == WALK_IN)).all()) == 4
        reported = s.get(Agent, int(agent_id))
        assert reported is not None
        assert (reported.refused_events, reported.last_refusal_code) == (1, "event_in_future")


def test_an_outbox_from_before_clock_records_opens_and_sends_its_events_as_recorded(
        tmp_path: Path) -> None:
    """An agent upgraded in place: its outbox file has no clock columns yet."""
    path = tmp_path / "outbox.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                    "event_id TEXT NOT NULL UNIQUE, decided_at REAL NOT NULL, event TEXT NOT NULL)")
        queued = event(1)
        old.execute("INSERT INTO outbox (event_id, decided_at, event) VALUES (?, ?, ?)",
                    (queued.event_id, 1.0, json.dumps(queued.to_json())))
    outbox = Outbox(path)
    pending = outbox.pending(10)
    assert outbox.corrected(pending, server_now=50_000.0) == [queued.to_json()]
    outbox.put([(2.0, event(2))])  # new events get the clock records
    assert outbox.pending(10)[1].steady_at is not None
    outbox.close()


@pytest.mark.parametrize("skew_s", [-3730.0, 130.0])
def test_the_apis_answer_tells_a_pi_how_far_its_clock_is_off(live_url: str, skew_s: float) -> None:
    # The walk test keeps to the phones' clock by it (``beacon-agent calibrate``): the real
    # API's server stamps every answer with its time, no credentials needed.
    api = AgentApi(live_url, "0", b"", clock=lambda: time.time() + skew_s)
    try:
        assert api.api_clock_ahead_s() == pytest.approx(-skew_s, abs=1.5)
    finally:
        api.close()


def test_an_api_that_does_not_answer_in_time_tells_no_time() -> None:
    # Nothing listens, or a server takes the connection and never answers (the agent's
    # radio waits for it at start: ``API_CLOCK_WAIT_S``).
    with socket.create_server(("127.0.0.1", 0)) as silent:
        for url in (UNREACHABLE, f"http://127.0.0.1:{silent.getsockname()[1]}"):
            api = AgentApi(url, "0", b"")
            with pytest.raises(ApiUnavailable):
                api.api_clock_ahead_s(timeout=0.2)
            api.close()
