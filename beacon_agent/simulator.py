"""A simulated store entrance that writes trace files (PROTOCOLS.md section 5) and the
ground truth of who walked in when, for any store: the entrance is a ``Site``.

The floor plan, in metres: the shop front runs along ``y = 0`` (inside is ``y > 0``) with
the door centred on ``door_x``; the pavement runs ``pavement_m`` outside it; the store
floor is ``width_m`` wide and ``depth_m`` deep. The entrance agent hangs
``agent_depth_m`` behind the front at ``agent_height_m``; a site may have a second agent
deeper in. ``SITES`` names stores that span what installers meet; ``random_site`` draws
new ones from the same ranges (``SITE_RANGES``), for tuning and validation.

Radio: log-distance path loss (the site's exponent) in three dimensions (phones are held
at 1.2 m) from each phone's RSSI at 1 m (-59 dBm plus the phone's own offset: phones,
cases and pockets differ), minus the front's loss when the line to the agent crosses the
front beside the door, minus the body's shadow when the carrier's back is to the agent,
plus what the agent's own radio adds (``Site.receiver_gain_db``), plus Gaussian noise
(and, where a site says so, slow fading: ``Site.fading_db``); adverts below the
receiver's sensitivity (-100 dBm, or the site's: ``Site.sensitivity_dbm``) or lost (the
site's rate) never reach the trace, nor
do those sent while the receiver is deaf to every phone at once (where a site says so:
``Site.deaf_share``). Where a site says so (``Site.stall_share``), adverts heard while the
agent's computer is busy elsewhere reach the engine late, stamped together; and
(``Site.stamp_late_ms``) each advert reaches it a few milliseconds late, as it does
through D-Bus and a busy event loop.
Phones advertise every 100-1000 ms (or, where a site says so, at one of a few fixed
intervals, as real phones do: ``Site.interval_modes_ms``) and change token and random
address together at each 10-minute window, by their own clock (a few seconds off the
agent's, or as far as ``Site.clock_skew_s`` says), wherever they are: also in the middle
of the door.

People who stay near the store without coming in, where a site says so: those who wait
outside (``Site.waiting_per_hour``: a bus or tram stop on the pavement, a café table or
a bench beside the door, a queue) come along the pavement as passers-by do and stand still
5-20 minutes 1-6 m out; neighbours (``Site.neighbours``: the flat above, the shop next
door) are a few metres from the agent behind a wall or ceiling for the whole hour.
Passers-by who come back (``Site.return_share``: the cash machine, a shop round the
corner) pass the door again the same way minutes on, out of earshot in between. People
walk at a high street's pace, or as fast as the site says (``Site.walk_speed_mps``: a
stroll in a mall or a market square).
Where a site says so (``Site.group_share``), people come in twos: a companion whose
phone is on too walks the same way a step or two behind. Walk-ins stay the site's
minutes (``Site.dwell_minutes``), and a share of the phones (``Site.app_only_share``:
iPhones) is heard only while their app is open on the screen; where a site says so
(``Site.open_app_interval_ms``), the others advertise faster while it is open.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import math
import random
import tomllib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TextIO

from rewards_protocol import presence, trace

FRONT_Y = 0.0
STORE_FRONT_Y = 1.0  # shelves start 1 m behind the front
STREET_END_X = 40.0  # a walk along the pavement starts and ends this far beyond the store's side
PHONE_HEIGHT_M = 1.2  # in a hand or a pocket
ENTRANCE_PAUSE_S = (3.0, 40.0)  # a basket, a trolley, the first display
PHONE_CLOCK_SKEW_S = 3.0  # phones' clocks (and so their rotations) are up to this far off
ANDROID_INTERVALS_MS = (100.0, 250.0, 1000.0)  # AdvertiseSettings: low latency, balanced, low power
MIN_INTERVAL_MS = 20.0  # the shortest advertising interval Bluetooth allows

RSSI_AT_1M = -59.0
# Slow fading lasts about as long as it takes to walk a couple of metres, or, standing,
# until someone or something nearby moves (``Site.fading_db``).
FADING_WALKING_S = 2.0
FADING_STILL_S = 20.0
# The receiver deaf to every phone at once: a Pi's radio chip shares its antenna with its
# Wi-Fi (busy while the agent uploads) and BlueZ restarts a scan now and then. A stretch
# lasts from a Wi-Fi burst to a scan restart (drawn log-uniform; ``Site.deaf_share``).
DEAF_S = (0.2, 20.0)
# The agent's computer busy elsewhere (writing to its SD card, an upload, a garbage
# collection): the adverts heard meanwhile wait in the Bluetooth stack's buffers and
# reach the engine together at the end, stamped then, a few microseconds apart (drawn
# log-uniform; ``Site.stall_share``).
STALL_S = (0.02, 0.3)
STAMPED_APART_S = 0.00005
GROUP_LAG_S = (0.5, 3.0)  # how far behind a companion walks: through the door one after the other
# A phone whose app advertises only while it is open on the screen (an iPhone: iOS hides
# an app's own advert in the background; ``Site.app_only_share``): a walk-in opens it a
# few steps before the door and keeps it open a while, and again at a shelf to scan a
# product; a window shopper may open it at the glass to see the offers. People passing
# or waiting keep it in the pocket: never heard.
APP_OPENED_BEFORE_DOOR_S = (3.0, 10.0)
APP_OPEN_AT_DOOR_S = (10.0, 90.0)
APP_SCAN_SHARE = 0.5  # of the shelves a walk-in stops at
APP_OPEN_SCANNING_S = (10.0, 40.0)
APP_AT_WINDOW_SHARE = 0.3
APP_OPEN_AT_WINDOW_S = (10.0, 60.0)
SENSITIVITY_DBM = -100.0  # a Raspberry Pi's own radio (``Site.sensitivity_dbm``)
WALK_SPEED = (1.0, 1.5)  # m/s: a high street's pace, the sites' own (``Site.walk_speed_mps``)
TEST_KEY = bytes(range(16))  # the simulator's own presence key when no API tokens are given
TEST_KEY_ID = 0

WALK_IN = "walk_in"
WINDOW_SHOPPER = "window_shopper"
PASSER_BY = "passer_by"
ENTRANCE = "entrance"
WAITING = "waiting"  # outside for many minutes: a bus stop, a café table, a queue
NEIGHBOUR = "neighbour"  # never outside the store: the flat above, the shop next door
DEEP = "deep"  # the second agent, where a site has one
WAITING_OUT_M = (1.0, 6.0)  # from the front: a bench beside the door to a stop at the kerb
NEIGHBOUR_NEAR_M = (2.0, 6.0)  # from the agent, across the floor plan: through a ceiling or a side wall
NEIGHBOUR_LOSS_DB = (10.0, 20.0)  # a plasterboard wall to a concrete floor
NEIGHBOUR_STILL_S = (120.0, 900.0)  # at a desk, on a sofa: a step to another spot now and then
NEIGHBOUR_STEP_M = 1.5
RETURN_AFTER_S = (120.0, 540.0)  # out of earshot round the corner: a cash machine, a paper, a coffee


@dataclass(frozen=True)
class Site:
    """One store entrance: where the agents hang, what the radio goes through, who passes.
    The defaults are the store the engine was first tuned in (``SITES['basket-stand']``)."""

    name: str = "basket-stand"
    agent_x: float = 0.5  # along the front; the door's centre is at door_x
    agent_depth_m: float = 3.5  # behind the front
    agent_height_m: float = PHONE_HEIGHT_M  # on a shelf at hand height, or up on the ceiling
    front_loss_db: float = 6.0  # 0 an open mall front, 6 laminated glass, 12 coated double glazing
    door_x: float = 1.25
    door_width_m: float = 1.5
    width_m: float = 16.0
    depth_m: float = 16.0
    path_loss_exponent: float = 2.2  # 2.0 an open hall, 3.0 full shelves and people
    pause_share: float = 1.0  # walk-ins who stop near the entrance (basket, trolley) 3-40 s
    pavement_m: tuple[float, float] = (2.0, 4.0)  # the walking lane, outside the front
    walk_ins_per_hour: float = 20.0
    window_shoppers_per_hour: float = 20.0
    passers_by_per_hour: float = 60.0
    phone_spread_db: float = 10.0  # phones' RSSI at 1 m differ by up to ± this
    interval_ms: tuple[float, float] = (100.0, 1000.0)
    # Fixed advertising intervals instead of the range: each phone advertises at one of
    # them (a value given twice is drawn twice as often). Android's three modes are
    # (100, 250, 1000): low latency, balanced, low power; iOS apps use a handful more.
    interval_modes_ms: tuple[float, ...] = ()
    clock_skew_s: float = PHONE_CLOCK_SKEW_S  # phones' clocks, and so their rotations, are up to this far off
    # How far the agent's clock is ahead of the phones' (behind: below 0): a Pi has no
    # real-time clock, and where the network blocks network time it stays minutes off.
    # The trace's times are the agent's.
    agent_clock_s: float = 0.0
    loss: float = 0.2  # share of adverts the receiver misses
    noise_db: float = 4.0  # RSSI noise sigma
    body_shadow_db: float = 0.0  # lost when the carrier's back is to the agent
    deep_agent: tuple[float, float] | None = (0.0, 9.0)  # (x, depth) of a second agent
    deep_agent_height_m: float = PHONE_HEIGHT_M
    waiting_per_hour: float = 0.0  # people who stand outside 5-20 minutes (a stop, a café table)
    neighbours: int = 0  # phones behind a wall or ceiling the whole hour (upstairs, next door)
    # The share of passers-by who come back the way they came a few minutes on (from the
    # cash machine, a shop round the corner): past the door twice, out of earshot in
    # between (RETURN_AFTER_S).
    return_share: float = 0.0
    # How fast people walk along the pavement, slowest to fastest, in m/s (0.7 of it to a
    # window, through the store): a high street's pace, or a stroll (a mall, a market
    # square, pushchairs), at which everyone outside is heard for longer.
    walk_speed_mps: tuple[float, float] = WALK_SPEED
    # What this agent's radio adds to every phone's reading: an external antenna reads
    # louder (+), a Pi's own chip antenna or a metal housing quieter (-); the receiver's
    # sensitivity stays where it is, so a quiet one hears less far.
    receiver_gain_db: float = 0.0
    # The quietest reading this agent's radio reports (its sensitivity): it drops every
    # advert quieter. Radios differ: a cheap USB dongle hears nothing under -94 dBm or
    # so, one with a low-noise amplifier down to -106.
    sensitivity_dbm: float = SENSITIVITY_DBM
    # Slow fading (shelves, people, the phone's own multipath): a second noise, sigma this,
    # that lasts about FADING_WALKING_S while the carrier walks and FADING_STILL_S while
    # she stands (the adverts' own noise, ``noise_db``, is new at every advert).
    fading_db: float = 0.0
    # The share of the time the receiver hears no phone at all, in stretches of DEAF_S.
    deaf_share: float = 0.0
    # The share of the time the agent's computer is busy elsewhere, in stretches of
    # STALL_S: the adverts heard then are stamped at the stretch's end.
    stall_share: float = 0.0
    # How late each advert reaches the engine, on average (exponential, in the order
    # heard), in ms: the Bluetooth stack, D-Bus and the agent's event loop between the
    # radio and the engine stamp it as it arrives, not as it was sent.
    stamp_late_ms: float = 0.0
    # The share of walk-ins, window shoppers, passers-by and people waiting who come with
    # someone whose phone is on too: a step or two behind, the same way (GROUP_LAG_S).
    group_share: float = 0.0
    # How long a walk-in stays inside, from the door in to the door out: minutes in a
    # supermarket, one or two at a kiosk or for a coffee to take away.
    dwell_minutes: tuple[float, float] = (3.0, 25.0)
    # The share of phones heard only while their app is open on the screen (iPhones;
    # when they open it: APP_OPEN_*).
    app_only_share: float = 0.0
    # How often the other phones advertise while their app is open on the screen (at the
    # same times as an iPhone's: an Android app may ask for low latency then), in ms; 0:
    # at their own interval all along.
    open_app_interval_ms: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.deaf_share < 1.0:
            raise ValueError(f"deaf_share is the share of the time the receiver hears no phone, "
                             f"from 0 to under 1; not {self.deaf_share}")
        if not 0.0 <= self.return_share <= 1.0:
            raise ValueError(f"return_share is the share of passers-by who come back the same way, "
                             f"from 0 to 1; not {self.return_share}")
        if not 0.0 <= self.stall_share < 1.0:
            raise ValueError(f"stall_share is the share of the time the agent's computer is busy "
                             f"elsewhere, from 0 to under 1; not {self.stall_share}")
        if not 0.0 <= self.stamp_late_ms < 1000.0:
            raise ValueError(f"stamp_late_ms is how late an advert reaches the engine on "
                             f"average, in ms from 0 to under 1000; not {self.stamp_late_ms}")
        slowest, fastest = self.walk_speed_mps
        if not 0.0 < slowest <= fastest:
            raise ValueError(f"walk_speed_mps is how fast people walk by: the slowest and the "
                             f"fastest, in m/s above 0; not {list(self.walk_speed_mps)}")
        shortest, longest = self.dwell_minutes
        if not 0.0 < shortest <= longest:
            raise ValueError(f"dwell_minutes is how long walk-ins stay inside: the shortest and "
                             f"the longest, in minutes above 0; not {list(self.dwell_minutes)}")
        if not -120.0 <= self.sensitivity_dbm <= -60.0:
            raise ValueError(f"sensitivity_dbm is the quietest reading the agent's radio reports, "
                             f"from -120 to -60 dBm; not {self.sensitivity_dbm}")
        if self.open_app_interval_ms and self.open_app_interval_ms < MIN_INTERVAL_MS:
            raise ValueError(f"open_app_interval_ms is how often phones advertise with the app open: "
                             f"0 (as when closed) or {MIN_INTERVAL_MS:g} ms or more; not "
                             f"{self.open_app_interval_ms}")

    def agent_position(self, agent: str) -> tuple[float, float, float]:
        if agent == ENTRANCE:
            return self.agent_x, self.agent_depth_m, self.agent_height_m
        if agent == DEEP and self.deep_agent is not None:
            return self.deep_agent[0], self.deep_agent[1], self.deep_agent_height_m
        raise ValueError(f"the site {self.name} has no {agent} agent")

    def level(self, agent: str, x: float, y: float, back_to_agent: bool = False) -> float:
        """The mean RSSI (no noise) at ``agent`` of a phone of the anchor's power (-59 dBm
        at 1 m) held at ``(x, y)``: path loss, the front beside the door, the body."""
        ax, ay, height = self.agent_position(agent)
        distance = max(math.sqrt((x - ax) ** 2 + (y - ay) ** 2 + (height - PHONE_HEIGHT_M) ** 2), 0.3)
        return (RSSI_AT_1M + self.receiver_gain_db - 10.0 * self.path_loss_exponent * math.log10(distance)
                - (self.front_loss_db if _through_front(self, x, y, ax, ay) else 0.0)
                - (self.body_shadow_db if back_to_agent else 0.0))

    def walk_test(self, agent: str = ENTRANCE) -> tuple[float, float]:
        """What an installer's walk test reads (``outside_dbm``, ``inside_dbm``): the
        loudest spot outside (at the glass beside the door or in front of the opening,
        facing the agent) and just inside the door."""
        left, right = self.door
        half = self.width_m / 2
        spots = [(-half + i * self.width_m / 100, y) for i in range(101) for y in (-0.3, -0.8)]
        outside = max(self.level(agent, x, y) for x, y in spots if not left <= x <= right or y <= -0.8)
        return round(outside, 1), round(self.level(agent, self.door_x, STORE_FRONT_Y), 1)

    @property
    def far_end(self) -> tuple[float, float]:
        """The spot of the shop floor farthest from the entrance agent: a back corner."""
        half = self.width_m / 2
        return (-half if self.agent_x >= 0 else half), self.depth_m

    @property
    def door(self) -> tuple[float, float]:
        return self.door_x - self.door_width_m / 2, self.door_x + self.door_width_m / 2

    @property
    def agents(self) -> tuple[str, ...]:
        return (ENTRANCE, DEEP) if self.deep_agent is not None else (ENTRANCE,)


# What installers meet (issue 13): every named site and every random one lies within these.
SITE_RANGES: dict[str, tuple[float, float]] = {
    "agent_depth_m": (0.5, 5.0), "agent_height_m": (PHONE_HEIGHT_M, 4.5),
    "front_loss_db": (0.0, 12.0), "door_width_m": (1.0, 8.0), "width_m": (8.0, 50.0),
    "depth_m": (8.0, 50.0), "path_loss_exponent": (2.0, 3.0), "pause_share": (0.0, 0.8),
    "pavement_near_m": (1.0, 8.0), "passers_by_per_hour": (30.0, 300.0),
    "interval_slow_ms": (300.0, 1000.0),
    "loss": (0.1, 0.5), "noise_db": (2.0, 6.0), "body_shadow_db": (0.0, 6.0),
}

SITES: dict[str, Site] = {site.name: site for site in (
    Site(),  # every walk-in stops at the basket stand under the agent
    Site(name="corner-shop", agent_x=-1.5, agent_depth_m=1.5, agent_height_m=2.4,
         front_loss_db=6.0, door_x=0.0, door_width_m=1.0, width_m=8.0, depth_m=8.0,
         path_loss_exponent=2.5, pause_share=0.2, pavement_m=(1.0, 2.5),
         passers_by_per_hour=150.0, loss=0.3, noise_db=4.0, body_shadow_db=4.0,
         deep_agent=None),
    Site(name="supermarket", agent_x=3.0, agent_depth_m=3.5, agent_height_m=4.0,
         front_loss_db=8.0, door_x=0.0, door_width_m=4.0, width_m=50.0, depth_m=45.0,
         path_loss_exponent=2.0, pause_share=0.6, pavement_m=(5.0, 12.0),
         walk_ins_per_hour=40.0, passers_by_per_hour=80.0, loss=0.25, noise_db=5.0,
         body_shadow_db=5.0, deep_agent=(0.0, 15.0), deep_agent_height_m=4.0),
    Site(name="boutique", agent_x=2.0, agent_depth_m=1.0, agent_height_m=2.8,
         front_loss_db=12.0, door_x=0.0, door_width_m=1.2, width_m=10.0, depth_m=14.0,
         path_loss_exponent=2.6, pause_share=0.1, pavement_m=(2.0, 5.0),
         walk_ins_per_hour=12.0, window_shoppers_per_hour=30.0, passers_by_per_hour=120.0,
         loss=0.2, noise_db=3.0, body_shadow_db=3.0, deep_agent=None),
    Site(name="mall-open-front", agent_x=-2.0, agent_depth_m=2.0, agent_height_m=3.0,
         front_loss_db=0.0, door_x=0.0, door_width_m=8.0, width_m=12.0, depth_m=20.0,
         path_loss_exponent=2.8, pause_share=0.2, pavement_m=(2.0, 8.0),
         passers_by_per_hour=250.0, loss=0.35, noise_db=5.0, body_shadow_db=4.0,
         deep_agent=(0.0, 10.0), deep_agent_height_m=3.0),
    Site(name="pharmacy", agent_x=1.0, agent_depth_m=5.0, agent_height_m=3.0,
         front_loss_db=4.0, door_x=-3.0, door_width_m=1.8, width_m=14.0, depth_m=30.0,
         path_loss_exponent=2.4, pause_share=0.0, pavement_m=(1.5, 4.0),
         passers_by_per_hour=100.0, loss=0.15, noise_db=3.0, body_shadow_db=2.0,
         deep_agent=None),
    Site(name="bakery", agent_x=0.5, agent_depth_m=0.5, agent_height_m=2.5,
         front_loss_db=3.0, door_x=0.0, door_width_m=1.0, width_m=8.0, depth_m=10.0,
         path_loss_exponent=3.0, pause_share=0.8, pavement_m=(1.0, 3.0),
         walk_ins_per_hour=40.0, passers_by_per_hour=120.0, loss=0.4, noise_db=6.0,
         body_shadow_db=6.0, deep_agent=None),
    Site(name="electronics", agent_x=-1.0, agent_depth_m=3.0, agent_height_m=3.5,
         front_loss_db=10.0, door_x=2.0, door_width_m=2.5, width_m=24.0, depth_m=36.0,
         path_loss_exponent=2.3, pause_share=0.4, pavement_m=(3.0, 6.0),
         passers_by_per_hour=90.0, interval_ms=(200.0, 1000.0), loss=0.5, noise_db=4.0,
         body_shadow_db=4.0, deep_agent=(0.0, 12.0), deep_agent_height_m=3.5),
    Site(name="station-kiosk", agent_x=0.0, agent_depth_m=1.0, agent_height_m=2.2,
         front_loss_db=2.0, door_x=0.0, door_width_m=3.0, width_m=8.0, depth_m=8.0,
         path_loss_exponent=2.7, pause_share=0.5, pavement_m=(1.0, 6.0),
         walk_ins_per_hour=30.0, passers_by_per_hour=300.0, loss=0.3, noise_db=5.0,
         body_shadow_db=5.0, deep_agent=None),
    Site(name="hardware-store", agent_x=4.0, agent_depth_m=4.5, agent_height_m=4.5,
         front_loss_db=7.0, door_x=-5.0, door_width_m=3.0, width_m=40.0, depth_m=50.0,
         path_loss_exponent=2.1, pause_share=0.3, pavement_m=(6.0, 8.0),
         passers_by_per_hour=40.0, loss=0.1, noise_db=2.0, body_shadow_db=3.0,
         deep_agent=None),
    # Hung on the ceiling right over the door, half a metre in: everyone in the doorway
    # passes under it, and the window shoppers at the glass either side are as close.
    Site(name="over-the-door", agent_x=0.0, agent_depth_m=0.5, agent_height_m=3.2,
         front_loss_db=9.0, door_x=0.0, door_width_m=2.0, width_m=14.0, depth_m=20.0,
         path_loss_exponent=2.4, pause_share=0.3, pavement_m=(1.5, 4.0),
         passers_by_per_hour=150.0, loss=0.25, noise_db=4.0, body_shadow_db=4.0,
         deep_agent=None),
)}


def random_site(seed: int) -> Site:
    """A store drawn from ``SITE_RANGES``: the door somewhere along the front, the agent
    near it, a second agent in a third of them."""
    rng = random.Random(f"site/{seed}")

    def draw(name: str) -> float:
        return round(rng.uniform(*SITE_RANGES[name]), 1)

    width, depth = draw("width_m"), draw("depth_m")
    door_width = min(draw("door_width_m"), width - 1.0)
    door_x = round(rng.uniform(-(width - door_width) / 2, (width - door_width) / 2), 1)
    agent_depth = min(draw("agent_depth_m"), depth - 1.0)
    near = draw("pavement_near_m")
    deep = (round(rng.uniform(-width / 4, width / 4), 1), round(min(depth - 2, rng.uniform(8.0, 15.0)), 1))
    return Site(
        name=f"random-{seed}", agent_x=round(door_x + rng.uniform(-3.0, 3.0), 1),
        agent_depth_m=agent_depth, agent_height_m=draw("agent_height_m"),
        front_loss_db=draw("front_loss_db"), door_x=door_x, door_width_m=door_width,
        width_m=width, depth_m=depth, path_loss_exponent=round(rng.uniform(2.0, 3.0), 2),
        pause_share=draw("pause_share"), pavement_m=(near, round(near + rng.uniform(1.5, 5.0), 1)),
        walk_ins_per_hour=float(rng.randint(10, 40)),
        window_shoppers_per_hour=float(rng.randint(10, 30)),
        passers_by_per_hour=float(round(draw("passers_by_per_hour"))),
        interval_ms=(100.0, draw("interval_slow_ms")), loss=round(draw("loss"), 2),
        noise_db=draw("noise_db"), body_shadow_db=draw("body_shadow_db"),
        deep_agent=deep if rng.random() < 1 / 3 else None,
        deep_agent_height_m=draw("agent_height_m"))


def site_named(name: str) -> Site:
    """A site of the library, or ``random-N``: the N-th random site."""
    if name in SITES:
        return SITES[name]
    prefix, _, number = name.partition("-")
    if prefix == "random" and number.isdigit():
        return random_site(int(number))
    raise ValueError(f"no site named {name!r} (the library: {', '.join(SITES)}; or random-N)")


def load_site(path: Path) -> Site:
    """A site from a JSON or TOML file with ``Site``'s fields (any left out keep the
    defaults); raises ``ValueError`` with what is wrong."""
    text = path.read_text()
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from None
    known = {f.name: f for f in fields(Site)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ValueError(f"{path}: unknown site settings {', '.join(unknown)} "
                         f"(known: {', '.join(known)})")
    values: dict[str, Any] = {"name": path.stem}
    for name, value in raw.items():
        default = getattr(Site(), name)
        if isinstance(default, tuple) or name == "deep_agent":
            values[name] = tuple(float(v) for v in value) if value is not None else None
        else:
            values[name] = type(default)(value)
    try:
        return Site(**values)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


@dataclass(frozen=True)
class Scenario:
    """What happens at the entrance; every random choice comes from ``seed``. Counts left
    at ``None`` are the site's hourly traffic over ``minutes``."""

    seed: int = 1
    minutes: float = 60.0  # arrivals happen within this span; the trace ends when the last one leaves
    walk_ins: int | None = None
    window_shoppers: int | None = None
    passers_by: int | None = None
    window_seconds: tuple[float, float] = (20.0, 180.0)  # time a window shopper stands outside
    waiting_minutes: tuple[float, float] = (5.0, 20.0)  # time someone waiting stands outside
    agent: str = ENTRANCE
    start: float = 1_763_800_200.0  # unix time of t = 0 (a window boundary)
    site: Site = field(default_factory=Site)

    def crowd(self) -> tuple[int, int, int]:
        """How many walk-ins, window shoppers and passers-by."""
        hours = self.minutes / 60.0
        s = self.site
        return tuple(round(rate * hours) if given is None else given  # type: ignore[return-value]
                     for given, rate in ((self.walk_ins, s.walk_ins_per_hour),
                                         (self.window_shoppers, s.window_shoppers_per_hour),
                                         (self.passers_by, s.passers_by_per_hour)))


@dataclass
class Person:
    label: str
    role: str
    phone_offset_db: float
    interval_s: float
    clock_skew_s: float
    path: list[tuple[float, float, float]]  # (t, x, y) waypoints, linear in between
    visits: list[dict[str, float]] = field(default_factory=list)
    wall_loss_db: float = 0.0  # a neighbour's wall or ceiling
    # An iPhone's: the (start, end) spans in which its app is open and advertising; None:
    # a phone that advertises all the time (``Site.app_only_share``).
    app_open: list[tuple[float, float]] | None = None
    # Another phone's, where the site's phones advertise faster while their app is open
    # (``Site.open_app_interval_ms``): the spans in which it does.
    faster: list[tuple[float, float]] = field(default_factory=list)
    # A passer-by's who comes back (``Site.return_share``): the (start, end) span in which
    # she is round the corner, out of earshot.
    away: tuple[float, float] | None = None

    def position(self, t: float) -> tuple[float, float]:
        """Where the person is at ``t`` (trace seconds) on the floor plan."""
        x, y, _ = _position(self.path, t, 0)
        return x, y


def _walk(path: list[tuple[float, float, float]], x: float, y: float, speed: float,
          pause: float = 0.0) -> None:
    t, px, py = path[-1]
    t += pause
    if pause:
        path.append((t, px, py))
    path.append((t + math.hypot(x - px, y - py) / speed, x, y))


def _inside(site: Site, rng: random.Random) -> tuple[float, float]:
    half = site.width_m / 2
    return rng.uniform(-half, half), rng.uniform(STORE_FRONT_Y, site.depth_m)


def _window_spot(site: Site, rng: random.Random) -> tuple[float, float]:
    """Where a window shopper stands: at the glass beside the door, or, where the front is
    all door (a mall unit), in front of the opening looking in."""
    half = site.width_m / 2 - 0.5
    left, right = site.door
    beside = [(-half, left - 0.3), (right + 0.3, half)]
    beside = [(a, b) for a, b in beside if b - a > 0.5]
    if not beside:
        return rng.uniform(left, right), rng.uniform(-2.0, -0.8)
    a, b = rng.choices(beside, weights=[b - a for a, b in beside])[0]
    return rng.uniform(a, b), rng.uniform(-1.0, -0.3)


def _people(s: Scenario, rng: random.Random, labels: list[str]) -> list[Person]:
    site = s.site
    walk_ins, window_shoppers, passers_by = s.crowd()
    waiting = round(site.waiting_per_hour * s.minutes / 60.0)
    roles = ([WALK_IN] * walk_ins + [WINDOW_SHOPPER] * window_shoppers + [PASSER_BY] * passers_by
             + [WAITING] * waiting)
    left, right = site.door
    street_end = site.width_m / 2 + STREET_END_X
    people = []
    groups = random.Random(f"{s.seed}/groups")  # keeps the other draws as they were
    returns = random.Random(f"{s.seed}/returns")  # ... and so does this
    for number, role in enumerate(roles):
        label = labels[number] if number < len(labels) else f"{role}-{number:04d}"
        speed = rng.uniform(*site.walk_speed_mps)
        side = rng.choice((-1.0, 1.0))
        lane = -rng.uniform(*site.pavement_m)
        arrive = rng.uniform(0.0, s.minutes * 60.0)
        path = [(arrive, side * street_end, lane)]
        person = Person(label, role, *_phone(site, rng), path)
        if role == WALK_IN:
            door = rng.uniform(left + 0.2, right - 0.2) if right - left > 0.4 else site.door_x
            _walk(path, door, lane, speed)
            _walk(path, door, FRONT_Y, speed)
            entered = path[-1][0]
            if rng.random() < site.pause_share:
                # Inside the door: a basket, a trolley, the first display, near the agent.
                x = min(max(site.agent_x + rng.uniform(-2.5, 2.5), -site.width_m / 2), site.width_m / 2)
                _walk(path, x, rng.uniform(1.5, min(4.0, site.depth_m)), speed * 0.7)
                _walk(path, path[-1][1], path[-1][2], speed, pause=rng.uniform(*ENTRANCE_PAUSE_S))
            dwell = rng.uniform(*site.dwell_minutes) * 60.0
            spots = rng.randint(1, 4)
            for spot in range(spots):  # browse: walk to a shelf, stay, walk to the next
                _walk(path, *_inside(site, rng), speed * 0.7, pause=dwell / spots if spot else 0.0)
            _walk(path, door, STORE_FRONT_Y, speed * 0.7, pause=dwell / spots)
            _walk(path, door, FRONT_Y, speed)
            person.visits.append({"entered": round(entered, 3), "left": round(path[-1][0], 3)})
            _walk(path, door, lane, speed)
        elif role == WINDOW_SHOPPER:
            spot_x, spot_y = _window_spot(site, rng)
            _walk(path, spot_x, lane, speed)
            _walk(path, spot_x, spot_y, speed * 0.7)
            _walk(path, spot_x, lane, speed * 0.7, pause=rng.uniform(*s.window_seconds))
        elif role == WAITING:
            spot_x = rng.uniform(-site.width_m / 2, site.width_m / 2)
            _walk(path, spot_x, lane, speed)
            _walk(path, spot_x, -rng.uniform(*WAITING_OUT_M), speed * 0.7)
            _walk(path, spot_x, lane, speed * 0.7, pause=rng.uniform(*s.waiting_minutes) * 60.0)
        _walk(path, -side * street_end, lane, speed)
        if role == PASSER_BY and returns.random() < site.return_share:
            away, back = path[-1][0], returns.uniform(*RETURN_AFTER_S)
            _walk(path, side * street_end, lane, speed, pause=back)
            person.away = (away, away + back)
        people.append(person)
        if groups.random() < site.group_share:
            lag = groups.uniform(*GROUP_LAG_S)
            people.append(Person(f"{label}+1", role, *_phone(site, groups),
                                 [(t + lag, x, y) for t, x, y in path],
                                 [{k: round(v + lag, 3) for k, v in visit.items()} for visit in person.visits],
                                 away=person.away and (person.away[0] + lag, person.away[1] + lag)))
    _open_apps(s, people)
    return people + [_neighbour(s, rng, len(roles) + n) for n in range(site.neighbours)]


def _open_apps(s: Scenario, people: list[Person]) -> None:
    """Makes ``Site.app_only_share`` of ``people`` iPhones: heard only while the app is
    open (``_app_open``); where the site's phones advertise faster while it is open
    (``Site.open_app_interval_ms``), the others do then."""
    share = s.site.app_only_share
    apps = random.Random(f"{s.seed}/apps")  # keeps the other draws as they were
    for person in people:
        if share and apps.random() < share:
            person.app_open = _app_open(person, apps)
        elif s.site.open_app_interval_ms:
            person.faster = _app_open(person, apps)


def _app_open(person: Person, rng: random.Random) -> list[tuple[float, float]]:
    """When a phone's app is open: a walk-in's from a few steps before the door for a
    while, and at some of the shelves she stops at; a window shopper's perhaps at the
    glass; no one else's."""
    stops = [(t0, t1) for (t0, *at0), (t1, *at1) in zip(person.path, person.path[1:], strict=False)
             if at0 == at1 and t1 > t0]
    if person.role == WALK_IN:
        entered = person.visits[0]["entered"]
        return [(entered - rng.uniform(*APP_OPENED_BEFORE_DOOR_S), entered + rng.uniform(*APP_OPEN_AT_DOOR_S))] + [
            (t0, t0 + min(rng.uniform(*APP_OPEN_SCANNING_S), t1 - t0))
            for t0, t1 in stops if t0 > entered and rng.random() < APP_SCAN_SHARE]
    if person.role == WINDOW_SHOPPER and stops and rng.random() < APP_AT_WINDOW_SHARE:
        t0, t1 = stops[0]
        return [(t0, t0 + min(rng.uniform(*APP_OPEN_AT_WINDOW_S), t1 - t0))]
    return []


def _neighbour(s: Scenario, rng: random.Random, number: int) -> Person:
    """Someone upstairs or next door: a few metres from the entrance agent behind a wall
    or ceiling (never in front of the store's front) from the start to the end of the
    scenario, stepping to another spot near her own now and then."""
    site = s.site
    ax, ay, _ = site.agent_position(ENTRANCE)
    angle, near = rng.uniform(0.0, 2 * math.pi), rng.uniform(*NEIGHBOUR_NEAR_M)
    home_x, home_y = ax + near * math.cos(angle), max(0.5, ay + near * math.sin(angle))
    person = Person(f"{NEIGHBOUR}-{number:04d}", NEIGHBOUR, *_phone(site, rng), [(0.0, home_x, home_y)],
                    wall_loss_db=rng.uniform(*NEIGHBOUR_LOSS_DB))
    end = s.minutes * 60.0
    while person.path[-1][0] < end:
        still = min(rng.uniform(*NEIGHBOUR_STILL_S), end - person.path[-1][0])
        x, y = (rng.uniform(-NEIGHBOUR_STEP_M, NEIGHBOUR_STEP_M) for _ in range(2))
        _walk(person.path, home_x + x, max(0.5, home_y + y), WALK_SPEED[0] * 0.7, pause=still)
    return person


def _phone(site: Site, rng: random.Random) -> tuple[float, float, float]:
    """A person's phone, drawn in this order: its offset from the reference phone (dB),
    its advertising interval (s: one of the site's fixed ones, or from its range) and how
    far its clock is off the agent's (s)."""
    offset = rng.uniform(-site.phone_spread_db, site.phone_spread_db)
    interval_ms = (rng.choice(site.interval_modes_ms) if site.interval_modes_ms
                   else rng.uniform(*site.interval_ms))
    return offset, interval_ms / 1000.0, rng.uniform(-site.clock_skew_s, site.clock_skew_s)


def _through_front(site: Site, x: float, y: float, ax: float, ay: float) -> bool:
    if (y < FRONT_Y) == (ay < FRONT_Y):
        return False
    crossing_x = x + (ax - x) * (FRONT_Y - y) / (ay - y)
    left, right = site.door
    return not left <= crossing_x <= right


def _headings(path: list[tuple[float, float, float]]) -> list[tuple[float, float]]:
    """The direction a person faces on each leg: where they walk, or where they last
    walked while they stand."""
    headings, facing = [], (1.0, 0.0)
    for (_, x0, y0), (_, x1, y1) in zip(path, path[1:], strict=False):
        if (x1, y1) != (x0, y0):
            facing = (x1 - x0, y1 - y0)
        headings.append(facing)
    return headings + [facing]


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
    site = s.site
    ax, ay, _ = site.agent_position(s.agent)
    headings = _headings(person.path)
    t, end, leg = person.path[0][0], person.path[-1][0], 0
    frames: dict[int, tuple[str, dict[int, bytes]]] = {}
    fade, faded_at = (rng.gauss(0.0, site.fading_db) if site.fading_db else 0.0), t
    while t < end:
        x, y, leg = _position(person.path, t, leg)
        hx, hy = headings[leg]
        rssi = (site.level(s.agent, x, y, back_to_agent=hx * (ax - x) + hy * (ay - y) < 0)
                - person.wall_loss_db + person.phone_offset_db + rng.gauss(0.0, site.noise_db))
        if site.fading_db:  # an AR(1) process: keeps the default's random draws as they were
            walking = leg + 1 < len(person.path) and person.path[leg + 1][1:] != person.path[leg][1:]
            kept = math.exp(-(t - faded_at) / (FADING_WALKING_S if walking else FADING_STILL_S))
            fade = kept * fade + math.sqrt(1.0 - kept * kept) * rng.gauss(0.0, site.fading_db)
            faded_at = t
            rssi += fade
        if rssi >= site.sensitivity_dbm and rng.random() >= site.loss and (
                person.app_open is None or _open_at(person.app_open, t)) and (
                person.away is None or not person.away[0] <= t < person.away[1]):
            window = presence.window_of(s.start + t + person.clock_skew_s)
            if window not in frames:
                key_id, token = tokens.frame(person.label, window)
                address = "%02X:" % (0xC0 | rng.randrange(64)) + ":".join(
                    f"{rng.randrange(256):02X}" for _ in range(5))
                frames[window] = (address, {company_id: presence.encode_frame(key_id, token)})
            address, data = frames[window]
            yield trace.Advertisement(t=t, address=address, rssi=int(round(rssi)),
                                      manufacturer_data=data)
        interval = (site.open_app_interval_ms / 1000.0
                    if person.faster and _open_at(person.faster, t) else person.interval_s)
        t += interval + rng.uniform(0.0, 0.01)  # BLE adds 0-10 ms advDelay


def _open_at(spans: list[tuple[float, float]], t: float) -> bool:
    """Whether the app is open at ``t``: within one of its (start, end) ``spans``."""
    return any(start <= t < end for start, end in spans)


def _heard(adverts: Iterator[trace.Advertisement], s: Scenario) -> Iterator[trace.Advertisement]:
    """The adverts (sorted by time) the receiver was not deaf for (``Site.deaf_share``).
    The deaf stretches are the agent's own draws: any stream of the scenario's adverts
    meets the same ones."""
    if not s.site.deaf_share:
        yield from adverts
        return
    stretches = _stretches(random.Random(f"{s.seed}/{s.agent}/deaf"), s.site.deaf_share, DEAF_S)
    deaf_from = deaf_until = -math.inf
    for advert in adverts:
        while advert.t >= deaf_until:
            deaf_from, deaf_until = next(stretches)
        if advert.t < deaf_from:
            yield advert


def _stamped(adverts: Iterator[trace.Advertisement], s: Scenario) -> Iterator[trace.Advertisement]:
    """The adverts as the engine is handed them: those heard while the agent's computer
    was busy elsewhere (``Site.stall_share``) stamped together at the stretch's end, and
    each late by ``Site.stamp_late_ms`` on average, in the order heard. The stretches and
    delays are the agent's own draws, as its deaf stretches are."""
    site = s.site
    if not site.stall_share and not site.stamp_late_ms:
        yield from adverts
        return
    stretches = _stretches(random.Random(f"{s.seed}/{s.agent}/stall"), site.stall_share, STALL_S) \
        if site.stall_share else itertools.repeat((math.inf, math.inf))
    late = random.Random(f"{s.seed}/{s.agent}/late")
    mean_late_s = site.stamp_late_ms / 1000.0
    busy_from = busy_until = stamped = -math.inf
    for advert in adverts:
        while advert.t >= busy_until:
            busy_from, busy_until = next(stretches)
        at = busy_until if advert.t >= busy_from else advert.t
        if mean_late_s:
            at += late.expovariate(1.0 / mean_late_s)
        at = max(at, stamped + STAMPED_APART_S)
        if at != advert.t:
            advert = dataclasses.replace(advert, t=at)
        stamped = at
        yield advert


def _stretches(rng: random.Random, share: float, lengths: tuple[float, float]) -> Iterator[tuple[float, float]]:
    """(start, end) of stretches drawn log-uniform within ``lengths``, apart by
    exponential gaps that make them ``share`` of the time, from 0 on."""
    shortest, longest = (math.log(length) for length in lengths)
    mean = (lengths[1] - lengths[0]) / (longest - shortest)
    end = 0.0
    while True:
        start = end + rng.expovariate(share / ((1.0 - share) * mean))
        end = start + math.exp(rng.uniform(shortest, longest))
        yield start, end


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
    position = s.site.agent_position(s.agent)  # raises for an agent the site does not have
    rng = random.Random(s.seed)
    source = _Tokens(tokens)
    people = _people(s, rng, source.labels())
    # Each agent hears its own noise and losses: the radio draws depend on the agent too.
    streams = [_adverts(p, s, random.Random(f"{s.seed}/{s.agent}/{p.label}"), source, company_id)
               for p in people]
    header = trace.TraceHeader(start=s.start + s.site.agent_clock_s,
                               agent={"name": s.agent, "site": s.site.name, "position": list(position)})
    return Simulation(header, people, _stamped(_heard(heapq.merge(*streams, key=lambda a: a.t), s), s),
                      source)


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


def walk_test(site: Site, phases: list[tuple[str, float, float]], seed: int = 1,
              start: float = Scenario.start, phone_offset_db: float = 0.0) -> Simulation:
    """An installer's walk test (``beacon-agent calibrate``) amid the site's own traffic:
    under the entrance agent, at the glass in front of it, along the near pavement 12 m
    each way and back, 3 m inside the door, and (a fifth phase) in the corner of the
    floor farthest from the entrance agent (``far_end``). ``phases`` are the four or five
    (name, start, end) recorded spans in trace seconds, which the header carries as
    ``agent.walk_test``; raises ``ValueError`` when a span starts before the installer
    can be there."""
    (_, _, under_end), (_, glass_start, glass_end), (_, _, past_end), (_, inside_start, inside_end) = phases[:4]
    ax, ay, _ = site.agent_position(ENTRANCE)
    lane, speed = -site.pavement_m[0], sum(WALK_SPEED) / 2
    path = [(0.0, ax, ay), (under_end, ax, ay)]
    moves = [(((site.door_x, STORE_FRONT_Y), (site.door_x, -0.5), (ax, -0.5)), glass_start, glass_end),
             (((ax, lane), (ax + 12.0, lane), (ax - 12.0, lane), (ax, lane)), past_end, past_end),
             (((site.door_x, lane), (site.door_x, FRONT_Y), (site.door_x, 3.0)), inside_start, inside_end)]
    for _, far_start, far_end in phases[4:]:
        moves.append(((site.far_end,), far_start, far_end))
    end = phases[-1][2]
    for walk, ready, until in moves:
        for x, y in walk:
            _walk(path, x, y, speed)
        if path[-1][0] > ready:
            raise ValueError(f"the installer needs {path[-1][0]:.0f} s to get there at "
                             f"{site.name}, the walk test gives {ready:.0f} s")
        path.append((until, path[-1][1], path[-1][2]))
    installer = Person("installer", "installer", phone_offset_db, 0.5, 0.0, path)
    scenario = Scenario(seed=seed, minutes=end / 60.0, site=site, start=start)
    traffic = simulate(scenario)
    own = _heard(_adverts(installer, scenario, random.Random(f"{seed}/installer"), traffic.tokens,
                          presence.DEFAULT_COMPANY_ID), scenario)
    header = trace.TraceHeader(start, {**traffic.header.agent, "walk_test": [
        {"name": name, "start": begin, "end": finish} for name, begin, finish in phases]})
    return Simulation(header, [*traffic.people, installer],
                      heapq.merge(traffic.adverts, own, key=lambda a: a.t), traffic.tokens)
