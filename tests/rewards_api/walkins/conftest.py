"""Walk-in fixtures: a settable clock, provisioned agents that sign like the real agent
(rewards_protocol.signing), walk-in rules for both programs, and event builders that go
through the BLE frame like a phone and an agent would."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from rewards_api import db
from rewards_api.agents import services as agents
from rewards_api.ledger.models import Program
from rewards_api.walkins.models import WalkInRule
from rewards_protocol import events, presence, signing
from tests.support.clock import Clock
from tests.support.world import setup_actor

T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)  # 11:00 in Berlin


@pytest.fixture
def clock(app: Any) -> Clock:
    the_clock = Clock(T0)
    app.config["CLOCK"] = the_clock
    return the_clock


@dataclass
class AgentClient:
    """Posts like the beacon agent: JSON body, signed headers."""

    client: Any
    clock: Clock
    agent_id: int
    secret: bytes
    sent: list[dict[str, str]] = field(default_factory=list)

    def headers(self, method: str, path: str, body: bytes, **kwargs: Any) -> dict[str, str]:
        kwargs.setdefault("now", self.clock.now.timestamp())
        return signing.sign_headers(str(self.agent_id), self.secret, method, path, body, **kwargs)

    def post(self, path: str, payload: Any, **sign: Any) -> Any:
        body = json.dumps(payload).encode()
        headers = self.headers("POST", path, body, **sign)
        self.sent.append(headers)
        return self.client.post(path, data=body, headers=headers, content_type="application/json")

    def get(self, path: str, **sign: Any) -> Any:
        return self.client.get(path, headers=self.headers("GET", path, b"", **sign))

    def sightings(self, event_list: list[dict[str, Any]], **sign: Any) -> Any:
        return self.post(events.SIGHTINGS_PATH, {"events": event_list}, **sign)


@dataclass
class Walkins:
    """The walk-in world: agents by name, each with a signing client."""

    agents: dict[str, AgentClient]
    rule_ids: dict[str, int]


def provision(app: Any, client: Any, clock: Clock, store_id: int) -> AgentClient:
    with app.app_context():
        agent, secret = agents.provision(db.session(), setup_actor(), store_id, "entrance")
        db.session().commit()
        return AgentClient(client, clock, agent.id, bytes.fromhex(secret))


def add_rule(app: Any, program: str, store_id: int, points: int, **extra: Any) -> int:
    with app.app_context():
        s = db.session()
        program_id = s.query(Program.id).filter(Program.code == program).scalar()
        rule = WalkInRule(program_id=program_id, store_id=store_id, points=points,
                          starts_on=dt.date(2026, 1, 1), **extra)
        s.add(rule)
        s.commit()
        return rule.id


@pytest.fixture
def walkins(app: Any, client: Any, clock: Clock, world: Any) -> Walkins:
    berlin, munich = world.store_ids
    agent_clients = {
        "berlin-door": provision(app, client, clock, berlin),
        "berlin-back": provision(app, client, clock, berlin),
        "munich-door": provision(app, client, clock, munich),
    }
    rules = {
        "corner-berlin": add_rule(app, "corner-points", berlin, 10),
        "partner-berlin": add_rule(app, "partner-plus", berlin, 5),
        "corner-munich": add_rule(app, "corner-points", munich, 10),
    }
    return Walkins(agent_clients, rules)


def download_tokens(api: Any, shopper: dict[str, Any], start: dt.datetime, count: int = 144
                    ) -> dict[int, dict[str, Any]]:
    """The shopper's tokens by window, as the app downloads them."""
    response = api.get(f"/v1/me/presence-tokens?from={int(start.timestamp())}&count={count}",
                       auth=shopper["token"])
    assert response.status_code == 200, response.get_json()
    return {t["window"]: t for t in response.get_json()}


def advertised(tokens: dict[int, dict[str, Any]], at: float) -> presence.Frame:
    """The frame the phone advertises at ``at`` (unix seconds), as the agent parses it:
    the token of that window in a BLE frame."""
    token = tokens[presence.window_of(at)]
    advert = {0xFFFF: presence.encode_frame(token["key_id"], bytes.fromhex(token["token"]))}
    frame = presence.frame_from_manufacturer_data(advert)
    assert frame is not None
    return frame


def seen(tokens: dict[int, dict[str, Any]], at: dt.datetime, *, kind: str = "enter",
         seconds: float = 12.0, rssi: int = -60) -> dict[str, Any]:
    """A presence event for the token the phone advertises at ``at``: what the agent
    reports of the frame it parsed."""
    frame = advertised(tokens, at.timestamp())
    start = at.timestamp()
    return events.PresenceEvent(
        event_id=str(uuid.uuid4()), kind=kind, frame_version=frame.version,
        key_id=frame.key_id, token=frame.token_hex, first_seen=start,
        last_seen=start + seconds, rssi_max=rssi + 6, rssi_median=rssi, count=20,
    ).to_json()
