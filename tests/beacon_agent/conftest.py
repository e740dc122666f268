"""Fixtures of the agent's tests: a small real HTTP server standing in for the API's
agent endpoints (it checks every signature with rewards_protocol.signing), a radio that
plays adverts to the service on a clock the test sets, and helpers to wait for a
condition without sleeping."""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from beacon_agent import config as agent_config
from beacon_agent.radio import FINISHED, SIMULATED, OnAdvert
from rewards_protocol import signing, trace
from rewards_protocol.events import (
    ACCEPTED,
    CONFIG_PATH,
    DUPLICATE,
    HEARTBEAT_PATH,
    REJECTED,
    SIGHTINGS_PATH,
    EventError,
    parse_event,
)

UNREACHABLE = "http://127.0.0.1:9"  # an API out of reach: nothing listens there


class Clock:
    """A clock the test sets (``PlayedRadio``: to the time of each advert heard)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def set(self, now: float) -> None:
        self.now = now


class PlayedRadio:
    """Hears ``adverts`` as fast as the engine takes them, then finishes, as a simulated
    trace does; ``set_time`` moves the test's clock to each advert's time before it is
    heard. ``stamped``: each advert carries its time, as the simulated radio's do; else
    the service stamps it, as it does the Bluetooth adapter's."""

    def __init__(self, adverts: Iterable[trace.Advertisement], on_advert: OnAdvert,
                 set_time: Callable[[float], None], *, stamped: bool = True) -> None:
        self.state = SIMULATED
        self._adverts, self._on_advert, self._set_time = adverts, on_advert, set_time
        self._stamped = stamped

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.sleep(0)  # the service's housekeeping waits for its first tick
        for advert in self._adverts:
            self._set_time(advert.t)
            self._on_advert(advert.address, advert.rssi, advert.manufacturer_data,
                            advert.t if self._stamped else None)
        self.state = FINISHED


@dataclass
class StandInApi:
    """What the agent's side of PROTOCOLS.md section 3 needs from the API, and a record
    of what reached it."""

    url: str = ""
    agent_id: str = "7"
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    remote_config: dict[str, Any] = field(default_factory=lambda: {
        "agent_id": "7", "store": "berlin-1", "company_id": 65535, "rssi_offset": None,
        "enter_rssi": None, "dwell_seconds": None, "exit_after_seconds": None,
        "max_batch_events": 500})
    fail_next: int = 0  # answer this many sighting batches with 503
    refuse_tokens: set[str] = field(default_factory=set)  # a batch holding one gets 422
    hold: threading.Event | None = None  # when set, sighting requests wait for it, then 503
    accepted: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    batches: int = 0
    unauthorized: int = 0
    requested: threading.Event = field(default_factory=threading.Event)
    _nonces: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def verified(self, method: str, path: str, headers: Any, body: bytes) -> bool:
        timestamp = headers.get(signing.HEADER_TIMESTAMP, "")
        nonce = headers.get(signing.HEADER_NONCE, "")
        with self._lock:
            fresh = nonce not in self._nonces
            self._nonces.add(nonce)
        return (headers.get(signing.HEADER_AGENT) == self.agent_id and fresh
                and signing.nonce_well_formed(nonce)
                and signing.timestamp_fresh(timestamp, time.time())
                and signing.signature_matches(self.secret, method, path, timestamp, nonce, body,
                                              headers.get(signing.HEADER_SIGNATURE, "")))

    def sightings(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.requested.set()
        if self.hold is not None:
            self.hold.wait(30)
            return 503, _error("unavailable")
        with self._lock:
            self.batches += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, _error("unavailable")
            if any(raw.get("token") in self.refuse_tokens for raw in body["events"]):
                return 422, _error("invalid_request")
            results = []
            known = {e["event_id"] for e in self.accepted}
            for raw in body["events"]:
                try:
                    event = parse_event(raw)
                except EventError as exc:
                    results.append({"event_id": raw.get("event_id"), "status": REJECTED,
                                    "reason": exc.reason})
                    continue
                if event.event_id in known:
                    self.duplicates += 1
                    results.append({"event_id": event.event_id, "status": DUPLICATE})
                else:
                    known.add(event.event_id)
                    self.accepted.append(raw)
                    results.append({"event_id": event.event_id, "status": ACCEPTED})
            return 200, {"results": results}


def _error(code: str) -> dict[str, Any]:
    """The API's error shape (rewards_api.errors)."""
    return {"error": {"code": code, "message": f"stand-in: {code}"}}


class _StandInHandler(BaseHTTPRequestHandler):
    """The stand-in API's HTTP face; its server carries the ``StandInApi`` as ``api``."""

    def _answer(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        api: StandInApi = self.server.api  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not api.verified(method, self.path, self.headers, body):
            api.unauthorized += 1
            return self._answer(401, _error("bad_signature"))
        if method == "GET" and self.path == CONFIG_PATH:
            return self._answer(200, api.remote_config)
        if method == "POST" and self.path == HEARTBEAT_PATH:
            api.heartbeats.append(json.loads(body))
            return self._answer(200, {"recorded": True})
        if method == "POST" and self.path == SIGHTINGS_PATH:
            return self._answer(*api.sightings(json.loads(body)))
        return self._answer(404, _error("not_found"))

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stand_in_api() -> Iterator[StandInApi]:
    api = StandInApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StandInHandler)
    server.api = api  # type: ignore[attr-defined]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield api
    if api.hold is not None:
        api.hold.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def agent_config_file(tmp_path: Path, stand_in_api: StandInApi) -> Path:
    """A provisioned agent config (state in tmp_path) for the stand-in API."""
    path = tmp_path / "etc" / "agent.toml"
    agent_config.write(path, stand_in_api.url, stand_in_api.agent_id, stand_in_api.secret.hex(),
                       state_dir=tmp_path / "state")
    return path

