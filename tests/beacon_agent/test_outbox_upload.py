"""The outbox and the uploader against a real HTTP server standing in for the API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from tenacity import stop_after_attempt

from beacon_agent import simulator
from beacon_agent.outbox import Outbox
from beacon_agent.replay import replay
from beacon_agent.upload import AgentApi, ApiUnavailable, Uploader
from rewards_api.gunicorn_host import wait_until
from rewards_protocol.events import ENTER, EXIT, PresenceEvent
from tests.beacon_agent.conftest import UNREACHABLE, StandInApi


def event(n: int, kind: str = ENTER) -> PresenceEvent:
    return PresenceEvent(event_id=PresenceEvent.new_id(), kind=kind, frame_version=1, key_id=0,
                         token=f"{n:032x}", first_seen=1_763_800_000.0 + n,
                         last_seen=1_763_800_020.0 + n, rssi_max=-60, rssi_median=-66, count=30)


def api_for(stand_in: StandInApi, secret: bytes | None = None) -> AgentApi:
    return AgentApi(stand_in.url, stand_in.agent_id, secret or stand_in.secret)


def test_outbox_keeps_events_until_acknowledged(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    events = [event(n) for n in range(3)]
    assert outbox.put((100.0 + n, e) for n, e in enumerate(events)) == 3
    assert outbox.put([(200.0, events[0])]) == 0  # the same event_id again: ignored
    pending = outbox.pending(10)
    assert [p.event for p in pending] == [e.to_json() for e in events]
    outbox.acknowledge([pending[0].seq], {"accepted": 1})
    reopened = Outbox(tmp_path / "outbox.sqlite3")
    assert [p.event["event_id"] for p in reopened.pending(10)] == [e.event_id for e in events[1:]]
    assert reopened.counters() == {"accepted": 1}


def test_full_outbox_drops_the_oldest_and_counts_them(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3", max_events=5)
    events = [event(n) for n in range(8)]
    outbox.put((float(n), e) for n, e in enumerate(events[:4]))
    outbox.put((float(n), e) for n, e in enumerate(events[4:]))
    assert outbox.depth() == 5
    assert [p.event["token"] for p in outbox.pending(10)] == [e.token for e in events[3:]]
    assert outbox.counters() == {"dropped_full": 3}


def test_api_failing_five_times_receives_every_event_exactly_once(
        tmp_path: Path, stand_in_api: StandInApi) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    events = [event(n, ENTER if n % 2 else EXIT) for n in range(7)]
    outbox.put((float(n), e) for n, e in enumerate(events))
    stand_in_api.fail_next = 5
    waits: list[float] = []
    uploader = Uploader(outbox, api_for(stand_in_api), batch_size=3, sleep=waits.append,
                        backoff_max_s=60)
    assert uploader.drain() == 7
    assert sorted(e["event_id"] for e in stand_in_api.accepted) == sorted(
        e.event_id for e in events)
    assert stand_in_api.batches == 5 + 3 and len(waits) == 5
    # Full jitter: each wait is random in [0, min(max, base * 2^attempt)].
    assert all(0 <= w <= min(60, 2 ** (n + 1)) for n, w in enumerate(waits))
    assert outbox.depth() == 0 and outbox.counters()["accepted"] == 7
    assert "last_upload_at" in outbox.status()


def test_sending_again_is_harmless(tmp_path: Path, stand_in_api: StandInApi) -> None:
    events = [event(n) for n in range(4)]
    for attempt in range(2):  # e.g. the answer was lost and the outbox was restored
        outbox = Outbox(tmp_path / f"outbox-{attempt}.sqlite3")
        outbox.put((0.0, e) for e in events)
        Uploader(outbox, api_for(stand_in_api)).drain()
    assert len(stand_in_api.accepted) == 4 and stand_in_api.duplicates == 4


def test_bad_signature_keeps_the_events(tmp_path: Path, stand_in_api: StandInApi) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put([(0.0, event(1))])
    uploader = Uploader(outbox, api_for(stand_in_api, secret=b"x" * 32), sleep=lambda _: None)
    with pytest.raises(ApiUnavailable, match="401") as failure:
        uploader.drain(stop=stop_after_attempt(2))
    # An answer about the agent, not the events: kept and retried, the code read.
    assert (failure.value.status, failure.value.code) == (401, "bad_signature")
    assert stand_in_api.unauthorized == 2 and outbox.depth() == 1
    assert "refused" not in outbox.counters()


def test_no_answer_has_no_code(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put([(0.0, event(1))])
    api = AgentApi(UNREACHABLE, "7", b"x" * 32)
    with pytest.raises(ApiUnavailable) as failure:
        Uploader(outbox, api, sleep=lambda _: None).drain(stop=stop_after_attempt(1))
    assert (failure.value.status, failure.value.code) == (None, None)
    assert outbox.depth() == 1


def test_a_refused_event_is_set_aside_and_the_others_go_on(
        tmp_path: Path, stand_in_api: StandInApi) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    events = [event(n) for n in range(9)]
    poison = events[5]
    stand_in_api.refuse_tokens = {poison.token}
    outbox.put((float(n), e) for n, e in enumerate(events))
    waits: list[float] = []
    uploader = Uploader(outbox, api_for(stand_in_api), batch_size=8, sleep=waits.append,
                        now=lambda: 1234.5)
    assert uploader.drain(stop=stop_after_attempt(3)) == 9
    assert waits == []  # a refusal is not retried as it is
    assert sorted(e["event_id"] for e in stand_in_api.accepted) == sorted(
        e.event_id for e in events if e is not poison)
    assert outbox.depth() == 0
    assert outbox.counters() == {"accepted": 8, "refused": 1}
    assert outbox.refused(10) == [("invalid_request", poison.to_json())]
    assert outbox.status()["last_refusal_code"] == "invalid_request"
    # Halving finds it: 8 -> 4 -> 2 -> 1 refused, 4 + 2 + 1 accepted, then the ninth.
    assert stand_in_api.batches == 8


def test_rejected_events_leave_the_outbox_and_are_counted(
        tmp_path: Path, stand_in_api: StandInApi) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    bad = {**event(2).to_json(), "rssi_max": -99}  # below its median: the API rejects it
    outbox.put([(0.0, event(1)), (0.0, PresenceEvent(**bad))])
    Uploader(outbox, api_for(stand_in_api)).drain()
    assert outbox.depth() == 0
    assert outbox.counters() == {"accepted": 1, "rejected": 1}


def test_events_survive_sigkill_between_decide_and_upload(
        tmp_path: Path, stand_in_api: StandInApi, agent_config_file: Path) -> None:
    trace_path, events_path = tmp_path / "trace.jsonl", tmp_path / "events.jsonl"
    with trace_path.open("w") as out, (tmp_path / "truth.json").open("w") as truth:
        simulator.write(simulator.Scenario(seed=3, minutes=10, walk_ins=6, window_shoppers=2,
                                           passers_by=4, site=simulator.Site(dwell_minutes=(2, 4))),
                        out, truth)
    stand_in_api.hold = threading.Event()  # the upload hangs: the process is mid-upload
    child = subprocess.Popen(
        [sys.executable, "-m", "beacon_agent.cli", "replay", str(trace_path), "--events-out",
         str(events_path), "--upload", "--config", str(agent_config_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert stand_in_api.requested.wait(60), "the agent never tried to upload"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    stand_in_api.hold = None
    decided = [json.loads(line) for line in events_path.read_text().splitlines()]
    with trace_path.open() as lines:  # the same trace decided in this process
        assert len(decided) == replay(lines, None).events > 0

    outbox = Outbox(tmp_path / "state" / "outbox.sqlite3")  # the next start of the agent
    Uploader(outbox, api_for(stand_in_api)).drain()
    received = sorted(e["event_id"] for e in stand_in_api.accepted)
    assert received == sorted(e["event_id"] for e in decided)
    assert len(set(received)) == len(received)


def test_heartbeat_and_remote_config_are_signed_requests(stand_in_api: StandInApi) -> None:
    api = api_for(stand_in_api)
    assert api.fetch_config()["store"] == "berlin-1"
    api.heartbeat(queue_depth=3, adverts_per_second=12.345, scanner_state="scanning",
                  software_version="0.1.0")
    wait_until(lambda: stand_in_api.heartbeats, "the heartbeat arriving", seconds=20)
    assert stand_in_api.heartbeats == [{"queue_depth": 3, "software_version": "0.1.0",
                                        "refused_events": 0, "last_refusal_code": None,
                                        "adverts_per_second": 12.35,
                                        "scanner_state": "scanning"}]


class PausesRecorded(threading.Event):
    """The upload loop's stop event: records each pause; a new event is decided during
    the first, and the service stops during the second."""

    def __init__(self, outbox: Outbox) -> None:
        super().__init__()
        self.outbox, self.pauses = outbox, list[float]()

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(float(timeout or 0.0))
        if len(self.pauses) == 1:
            self.outbox.put([(300.0, event(1))])
        else:
            self.set()
        return self.is_set()


def test_the_upload_loop_sends_then_lets_events_gather_for_its_interval(
        tmp_path: Path, stand_in_api: StandInApi) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put([(200.0, event(0))])
    stop = PausesRecorded(outbox)
    # A simulated store 30 times fast lets events gather for 1/30 of the interval.
    Uploader(outbox, api_for(stand_in_api), interval_s=5.0 / 30).run(stop)
    assert stop.pauses == [5.0 / 30, 5.0 / 30]
    assert [e["token"] for e in stand_in_api.accepted] == [event(0).token, event(1).token]
    assert outbox.depth() == 0
