"""A simulated store entrance that writes trace files (PROTOCOLS.md section 5) and the
ground truth of who walked in when.

The floor plan, in metres: the glass shop front runs along ``y = 0`` (inside is
``y > 0``) with the door at ``0.5 <= x <= 2.0``; the pavement is 2-4 m outside the glass;
the store floor is ``-8 <= x <= 8``, ``1 <= y <= 16``. The entrance agent hangs 3.5 m
inside, over the entrance zone where shoppers take a basket (``-2 <= x <= 3``,
``1.5 <= y <= 4``); a second agent may hang deeper in the store.

Radio: log-distance path loss (exponent 2.2, a furnished room) from each phone's RSSI at
1 m (-59 dBm plus the phone's own offset, ±10 dB: phones, cases and pockets differ), minus
the glass (6 dB, laminated shop glass) when the line to the agent crosses the front beside
the door, plus Gaussian noise; adverts below the receiver's sensitivity (-100 dBm) or
lost (the configured rate) never reach the trace. Phones advertise every 100-1000 ms and
change token and random address together at each 10-minute window.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from rewards_protocol import presence, trace

GLASS_Y = 0.0
DOOR_X = (0.5, 2.0)
PAVEMENT_Y = (-4.0, -2.0)
STORE_X = (-8.0, 8.0)
STORE_Y = (1.0, 16.0)
STREET_END_X = 40.0  # where a walk along the pavement starts and ends
AGENT_POSITIONS = {"entrance": (0.5, 3.5), "deep": (0.0, 9.0)}
ENTRANCE_PAUSE_S = (3.0, 40.0)

RSSI_AT_1M = -59.0
PATH_LOSS_EXPONENT = 2.2
GLASS_LOSS_DB = 6.0
SENSITIVITY_DBM = -100
WALK_SPEED = (1.0, 1.5)  # m/s
TEST_KEY = bytes(range(16))  # the simulator's own presence key when no API tokens are given
TEST_KEY_ID = 0

WALK_IN = "walk_in"
WINDOW_SHOPPER = "window_shopper"
PASSER_BY = "passer_by"


@dataclass(frozen=True)
class Scenario:
    """What happens at the entrance; every random choice comes from ``seed``."""

    seed: int = 1
    minutes: float = 60.0  # arrivals happen within this span; the trace ends when the last one leaves
    walk_ins: int = 20
    window_shoppers: int = 20
    passers_by: int = 60
    dwell_minutes: tuple[float, float] = (3.0, 25.0)  # time a walk-in spends inside
    window_seconds: tuple[float, float] = (20.0, 180.0)  # time a window shopper stands outside
    noise_db: float = 4.0  # RSSI noise sigma
    loss: float = 0.2  # share of adverts the receiver misses
    phone_spread_db: float = 10.0  # phones' RSSI at 1 m differ by up to ± this
    interval_ms: tuple[float, float] = (100.0, 1000.0)
    agent: str = "entrance"
    start: float = 1_763_800_200.0  # unix time of t = 0 (a window boundary)


@dataclass
class Person:
    label: str
    role: str
    phone_offset_db: float
    interval_s: float
    path: list[tuple[float, float, float]]  # (t, x, y) waypoints, linear in between
    visits: list[dict[str, float]] = field(default_factory=list)


def _walk(rng: random.Random, path: list[tuple[float, float, float]], x: float, y: float,
          speed: float, pause: float = 0.0) -> None:
    t, px, py = path[-1]
    t += pause
    if pause:
        path.append((t, px, py))
    path.append((t + math.hypot(x - px, y - py) / speed, x, y))


def _people(s: Scenario, rng: random.Random, labels: list[str]) -> list[Person]:
    roles = [WALK_IN] * s.walk_ins + [WINDOW_SHOPPER] * s.window_shoppers + [PASSER_BY] * s.passers_by
    people = []
    for number, role in enumerate(roles):
        label = labels[number] if number < len(labels) else f"{role}-{number:04d}"
        speed = rng.uniform(*WALK_SPEED)
        side = rng.choice((-1.0, 1.0))
        lane = rng.uniform(*PAVEMENT_Y)
        arrive = rng.uniform(0.0, s.minutes * 60.0)
        path = [(arrive, side * STREET_END_X, lane)]
        person = Person(label, role, rng.uniform(-s.phone_spread_db, s.phone_spread_db),
                        rng.uniform(*s.interval_ms) / 1000.0, path)
        if role == WALK_IN:
            door = rng.uniform(DOOR_X[0] + 0.2, DOOR_X[1] - 0.2)
            _walk(rng, path, door, lane, speed)
            _walk(rng, path, door, GLASS_Y, speed)
            entered = path[-1][0]
            # Inside the door most shoppers stop a moment: basket, trolley, first display.
            _walk(rng, path, rng.uniform(-2.0, 3.0), rng.uniform(1.5, 4.0), speed * 0.7)
            _walk(rng, path, path[-1][1], path[-1][2], speed, pause=rng.uniform(*ENTRANCE_PAUSE_S))
            dwell = rng.uniform(*s.dwell_minutes) * 60.0
            spots = rng.randint(1, 4)
            for spot in range(spots):  # browse: walk to a shelf, stay, walk to the next
                _walk(rng, path, rng.uniform(*STORE_X), rng.uniform(*STORE_Y), speed * 0.7,
                      pause=dwell / spots if spot else 0.0)
            _walk(rng, path, door, 1.0, speed * 0.7, pause=dwell / spots)
            _walk(rng, path, door, GLASS_Y, speed)
            person.visits.append({"entered": round(entered, 3), "left": round(path[-1][0], 3)})
            _walk(rng, path, door, lane, speed)
        elif role == WINDOW_SHOPPER:
            while True:
                spot_x = rng.uniform(-7.0, 7.0)
                if not DOOR_X[0] - 0.3 <= spot_x <= DOOR_X[1] + 0.3:
                    break
            spot_y = rng.uniform(-1.0, -0.3)
            _walk(rng, path, spot_x, lane, speed)
            _walk(rng, path, spot_x, spot_y, speed * 0.7)
            _walk(rng, path, spot_x, lane, speed * 0.7, pause=rng.uniform(*s.window_seconds))
        _walk(rng, path, -side * STREET_END_X, lane, speed)
        people.append(person)
    return people


def _through_glass(x: float, y: float, ax: float, ay: float) -> bool:
    if (y < GLASS_Y) == (ay < GLASS_Y):
        return False
    crossing_x = x + (ax - x) * (GLASS_Y - y) / (ay - y)
    return not DOOR_X[0] <= crossing_x <= DOOR_X[1]


def _position(path: list[tuple[float, float, float]], t: float, leg: int) -> tuple[float, float, int]:
    while leg + 1 < len(path) and path[leg + 1][0] < t:
        leg += 1
    t0, x0, y0 = path[leg]
    if leg + 1 == len(path):
        return x0, y0, leg
    t1, x1, y1 = path[leg + 1]
    share = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
    return x0 + (x1 - x0) * share, y0 + (y1 - y0) * share, leg


class _Tokens:
    """Each person's token per window: from the API's presence-token lists, or sealed with
    the simulator's test key."""

    def __init__(self, given: dict[str, list[dict[str, Any]]] | None) -> None:
        self._given = {label: {int(t["window"]): (int(t["key_id"]), bytes.fromhex(t["token"]))
                               for t in tokens} for label, tokens in (given or {}).items()}
        self._refs: dict[str, int] = {}
        self.owners: dict[str, str] = {}  # token hex -> label, for the ground truth

    def labels(self) -> list[str]:
        return list(self._given)

    def frame(self, label: str, window: int) -> tuple[int, bytes]:
        if label in self._given:
            try:
                key_id, token = self._given[label][window]
            except KeyError:
                raise ValueError(f"the tokens for {label} do not cover window {window}") from None
        else:
            ref = self._refs.setdefault(label, 1_000_000 + len(self._refs))
            key_id, token = TEST_KEY_ID, presence.seal_token(TEST_KEY, ref, window)
        self.owners[token.hex()] = label
        return key_id, token


def _adverts(person: Person, s: Scenario, rng: random.Random, tokens: _Tokens,
             company_id: int) -> Iterator[trace.Advertisement]:
    ax, ay = AGENT_POSITIONS[s.agent]
    t, end, leg = person.path[0][0], person.path[-1][0], 0
    frames: dict[int, tuple[str, dict[int, bytes]]] = {}
    while t < end:
        x, y, leg = _position(person.path, t, leg)
        distance = max(math.hypot(x - ax, y - ay), 0.3)
        rssi = (RSSI_AT_1M + person.phone_offset_db
                - 10.0 * PATH_LOSS_EXPONENT * math.log10(distance)
                - (GLASS_LOSS_DB if _through_glass(x, y, ax, ay) else 0.0)
                + rng.gauss(0.0, s.noise_db))
        if rssi >= SENSITIVITY_DBM and rng.random() >= s.loss:
            window = presence.window_of(s.start + t)
            if window not in frames:
                key_id, token = tokens.frame(person.label, window)
                address = "%02X:" % (0xC0 | rng.randrange(64)) + ":".join(
                    f"{rng.randrange(256):02X}" for _ in range(5))
                frames[window] = (address, {company_id: presence.encode_frame(key_id, token)})
            address, data = frames[window]
            yield trace.Advertisement(t=t, address=address, rssi=int(round(rssi)),
                                      manufacturer_data=data)
        t += person.interval_s + rng.uniform(0.0, 0.01)  # BLE adds 0-10 ms advDelay


@dataclass
class Simulation:
    header: trace.TraceHeader
    people: list[Person]
    adverts: Iterator[trace.Advertisement]
    tokens: _Tokens

    def truth(self) -> dict[str, Any]:
        """Who was where: role, visits (trace seconds) and the tokens (of the adverts
        generated so far) per label."""
        tokens: dict[str, list[str]] = {}
        for token, label in self.tokens.owners.items():
            tokens.setdefault(label, []).append(token)
        return {"start": self.header.start, "agent": self.header.agent,
                "shoppers": [{"label": p.label, "role": p.role, "visits": p.visits,
                              "phone_offset_db": round(p.phone_offset_db, 1),
                              "tokens": tokens.get(p.label, [])}
                             for p in self.people]}


def simulate(s: Scenario, tokens: dict[str, list[dict[str, Any]]] | None = None,
             company_id: int = presence.DEFAULT_COMPANY_ID) -> Simulation:
    """The scenario's people and, lazily, its adverts sorted by time.

    ``tokens`` maps a shopper label to the list ``GET /v1/me/presence-tokens`` returned;
    those labels are the first walk-ins (then window shoppers, then passers-by)."""
    rng = random.Random(s.seed)
    source = _Tokens(tokens)
    people = _people(s, rng, source.labels())
    # Each agent hears its own noise and losses: the radio draws depend on the agent too.
    streams = [_adverts(p, s, random.Random(f"{s.seed}/{s.agent}/{p.label}"), source, company_id)
               for p in people]
    header = trace.TraceHeader(start=s.start, agent={"name": s.agent, "position":
                                                     list(AGENT_POSITIONS[s.agent])})
    return Simulation(header, people, heapq.merge(*streams, key=lambda a: a.t), source)


def write(s: Scenario, out: TextIO, truth_out: TextIO,
          tokens: dict[str, list[dict[str, Any]]] | None = None,
          company_id: int = presence.DEFAULT_COMPANY_ID) -> int:
    """Write the trace and the ground truth; returns the number of adverts."""
    simulation = simulate(s, tokens, company_id)
    count = 0

    def counted() -> Iterator[trace.Advertisement]:
        nonlocal count
        for advert in simulation.adverts:
            count += 1
            yield advert

    trace.write(out, counted(), simulation.header)
    json.dump({**simulation.truth(), "scenario": asdict(s)}, truth_out, indent=1)
    return count
