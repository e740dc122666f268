"""Beacon agent: presence accuracy in every store of the site library (ours vs a naive
rule), replay throughput, and peak memory of a replay with 1,000 phones at once.

Targets (issue 13), on every site of the library, on seeds no one tuned on: precision
>= 0.99, recall >= 0.95, p95 check-in latency after the door <= 60 s with one agent
(<= 20 s with a second), no passer-by checked in; >= 50,000 adverts/s on one core
(<= 3x bare JSON parsing); <= 60 MB peak RSS at 1,000 phones.

The engine was tuned on ``TUNING_SITES``: first on random sites 1-30 and basket-stand
with seeds 1-2; its learning (when a crossing may decide at all) and rotation links on
the library's sites with seeds 101-102 and random sites 101-110 with seed 101. The seeds
in ``SEEDS`` and random sites 1001 and up were held out (one passer-by let in on
mall-open-front, seed 201, showed a wrong rotation link, which was then fixed: seeds
204-206 and random sites 1021-1030 were scored only after that). The third round (the
level a phone holds, the site state) looked at the library's sites with seeds 101-102 and
random sites 101-110 with seeds 101-102; seeds 301-305 and random sites 3001-3010 were
held out. The fourth round (rotation links by the phone's advertising interval and by
medians, where latency comes from) again looked only at the library's sites with seeds
101-102 and random sites 101-110 with seeds 101-102; seeds 401-405 and random sites
4001-4010 were chosen before anything was scored on them and held out. The fifth round
(a rotation that could be several phones' looked at again once its interval is known,
and carrying the shortest of their minutes heard) again looked only at the library's
sites with seeds 101-102 and random sites 101-110 with seeds 101-102; the 401/4001 set
had been the bench's default and looked at, so seeds 501-505 and random sites
5001-5010, chosen before anything was scored on them, were held out and are the
default from then until the thirty-second round. By then every round had reported on
them, and rules had been kept or dropped with their figures in view: they were no longer
data no one tuned on. So seeds 801-805 and random sites 8001-8010, chosen before anything
was scored on them, are the default now (``AGENT_SEEDS=501-505
AGENT_SITES=library,random-5001..5010`` re-checks the earlier rounds' figures,
``AGENT_SEEDS=401-405 AGENT_SITES=library,random-4001..4010`` the fourth round's).
``AGENT_SEEDS=1-3 make bench BENCH=agent`` (or ``AGENT_SEEDS=1,5,9``) scores other
seeds, ``AGENT_SITES=random-3001,bakery`` other sites (``library``: every site of the
library; ``random-A..B``: random sites A to B).

Kinds of trouble the site library does not draw (``TROUBLES``): ``AGENT_TROUBLE=intervals``
gives every phone of every site one of Android's three advertising intervals (100, 250,
1000 ms) instead of the range, so a third of the phones share one, and ``one_interval``
every phone the one the app asks for (``ONE_INTERVAL_MS``), so none tells a phone from
another; ``clocks`` makes every phone's clock agree with the agent's (every token
rotates at the same instant); ``agent_clock`` puts the agent's clock ``AGENT_CLOCK_S``
ahead of the phones' (a Pi whose network blocks network time: ``boundaries``);
``busy`` puts a station's pavement before every site (``BUSY_PASSERS_BY_PER_HOUR``);
``crowded`` has ``CROWDED_WALK_INS_PER_HOUR`` walk-ins an hour come into every store
(dozens inside at once, most of them changing token at the same boundaries);
``waiting`` puts a bus stop or a café table before every site (``WAITING_PER_HOUR``
people an hour stand 5-20 minutes 1-6 m out) and ``neighbours`` ``NEIGHBOURS`` phones
behind a wall or ceiling a few metres from the agent for the whole hour (the flat above,
the shop next door): people who stay near the store without ever coming in, who must
not earn a walk-in a day from home (the columns ``waiting in`` and ``neighbours in``;
measured on the tuning runs, where the long dwell let nearly all of them in and no rule
tried kept them out without losing walk-ins: ``constants.LONG_DWELL_S``); ``returns``
has ``RETURN_SHARE`` of the passers-by come back the same way minutes on, out of earshot
round the corner in between (a cash machine, a paper: ``simulator.RETURN_AFTER_S``),
counted in ``passers in``; ``strolls`` has everyone walk at ``STROLL_SPEED_MPS`` (a mall,
a market square) rather than a high street's pace, so everyone outside is heard for longer
(a window shopper's walk to the glass and away included). ``loud`` and
``quiet`` give the agent a radio that reads every phone ``RECEIVER_GAIN_DB`` louder (an
external antenna: the far pavement heard) or quieter (a Pi's own chip antenna in a metal
box: the far end of the store lost under the receiver's sensitivity); ``insensitive``
and ``sensitive`` give it a radio that reports nothing quieter than ``INSENSITIVE_DBM``
(a cheap USB dongle) or hears down to ``SENSITIVE_DBM`` (one with a low-noise amplifier)
rather than a Pi's -100 dBm, every reading as loud as before; ``fading`` adds
slow fading (``FADING_DB``: a level held for seconds to a quarter of a minute, the kind
a median cannot smooth away); ``deaf`` makes the receiver deaf to every phone at once for
stretches of 0.2-20 s, ``DEAF_SHARE`` of the time (a Pi's radio chip shares its antenna
with its Wi-Fi; BlueZ restarts a scan now and then); ``groups`` brings ``GROUP_SHARE`` of
everyone with a companion whose phone is on too, a step or two behind (a couple, a family
walking in and rotating their tokens together); ``short`` has every walk-in stay
``SHORT_DWELL_MINUTES`` (a kiosk, a coffee to take away) rather than the site's minutes;
``iphones`` makes ``APP_ONLY_SHARE`` of the phones heard only while their app is open on
the screen, as iOS allows (when they open it: ``simulator.APP_*``), and the report then
counts the walk-ins with an iPhone apart from the others (``app_only_split``);
``open_app`` has every phone advertise every ``OPEN_APP_INTERVAL_MS`` while its app is
open (when an iPhone's would be), at its own interval otherwise; ``stalls`` keeps the
agent's computer busy elsewhere ``STALL_SHARE`` of the time (its SD card, an upload): the
adverts heard meanwhile reach the engine at the end, stamped together
(``simulator.STALL_S``), so the gaps between a phone's sightings are not its interval;
``late_stamps`` has every advert reach the engine ``STAMP_LATE_MS`` late on average
(exponential, in order: D-Bus and a busy event loop between the radio and the engine),
so each gap is its phone's interval give or take tens of milliseconds.
A comma list applies several (``AGENT_TROUBLE=intervals,clocks``); the heading says which.

Per site, the rows show what an agent is worth as it is installed: ``ours`` the entrance
agent at its default config, ``ours, walk test`` the same with the levels an installer's
walk test reads (``Site.walk_test``), ``ours + 2nd agent`` with a second agent deeper in
(the API merges the two agents' visits), ``naive`` the fixed rule; ``in store`` is the
share of a found walk-in's stay, from her check-in until she walked out, in which her
visit was open at the API (an agent's latest event an enter: when her scans earn), and
``open after`` how long on average it stayed open after she walked out. Then, per site, what
one agent can find at all: its recall beside the share of visits that held a level no
outsider of the hour held or were heard for longer than any outsider was, and the share
checked in within 60 s of the door beside the share that held such a level by then
(``reachable``).
Then, per site with
a second agent, what it buys: one agent against two, with the share of visits checked in
within 20 s of the door and the share of walk-ins who came near the second agent by then
(a walk-in who does not cannot be found that fast by it).
"""

from __future__ import annotations

import io
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from beacon_agent import constants, simulator
from beacon_agent.engine import DEEP_AGENT, EngineSettings, PresenceEngine
from beacon_agent.replay import replay
from rewards_protocol.events import ENTER, EXIT
from rewards_protocol.presence import Frame, frame_from_manufacturer_data

# Seeds never tuned on, chosen before anything was scored on them (the thirty-second round).
SEEDS = (801, 802, 803, 804, 805)
HELD_OUT_SITES = tuple(f"random-{n}" for n in range(8001, 8011))
TUNING_SITES = ("random-1 ... random-30 and basket-stand, seeds 1-2; the library's sites, seeds "
                "101-106; random-101 ... random-110, seeds 101-102; random-1 ... random-370, each "
                "with its own number as seed")
MINUTES = 60.0  # an hour of each store's own traffic, as the agent will first meet it
MATCH_SLACK_S = 30.0  # an enter this long before the door crossing still counts as that visit
# How long after a shopper walked out "open after" looks: the API's SCAN_VISIT_WITHIN_SECONDS,
# after which a visit unheard is over whether or not an exit came.
AFTER_LEFT_S = 900.0
NAIVE_DBM = -72.0
SECOND_AGENT_TARGET_S = 20.0  # issue 13: p95 after the door where a site has a second agent
# About what a second agent can find that fast: a walk-in who comes this close to it (on
# the floor plan) in her first SECOND_AGENT_TARGET_S inside. On the tuning runs no rule
# tried there (constants, the second agent) found more visits within 20 s than came
# within 8 m; farther off a walk-in is no louder there than someone outside.
NEAR_SECOND_AGENT_M = 8.0
ONE_AGENT_TARGET_S = 60.0  # issue 13: p95 after the door with one agent
BUSY_PASSERS_BY_PER_HOUR = 1200.0  # a station's pavement: the library's busiest has 300
CROWDED_WALK_INS_PER_HOUR = 100.0  # a supermarket's Saturday: the library's busiest has 40
WAITING_PER_HOUR = 6.0  # a bus stop with a bus every 10 minutes, or a café table
NEIGHBOURS = 2  # the flat above and the shop next door
RETURN_SHARE = 0.3  # passers-by who come back the way they came a few minutes on
STROLL_SPEED_MPS = (0.6, 1.2)  # a mall or a market square: pushchairs, window-shopping pace
RECEIVER_GAIN_DB = 8.0  # an external antenna against a Pi's own: every reading this much louder
INSENSITIVE_DBM = -94.0  # a cheap USB dongle's floor: it reports no phone quieter
SENSITIVE_DBM = -106.0  # a radio with a low-noise amplifier hears this far down
FADING_DB = 5.0  # slow fading among full shelves and a crowd
DEAF_SHARE = 0.15  # a Pi whose Wi-Fi is busy: its radio chip hears no phone this share of the time
GROUP_SHARE = 0.4  # couples, families, friends: this share of people come with a companion
SHORT_DWELL_MINUTES = (1.0, 4.0)  # a paper at a kiosk, a coffee or a loaf to take away
APP_ONLY_SHARE = 0.5  # iPhones: heard only while their app is open on the screen
# One app, one setting: every phone advertises at the interval the app asks of Android
# (AdvertiseSettings' balanced mode), so the interval tells no phone from another.
ONE_INTERVAL_MS = 250.0
OPEN_APP_INTERVAL_MS = 100.0  # low latency while the app is open on the screen
STALL_SHARE = 0.03  # of the time the agent's computer is busy elsewhere
STAMP_LATE_MS = 20.0  # a Pi Zero's event loop busy with hundreds of phones
AGENT_CLOCK_S = 200.0  # a Pi whose network blocks network time: its clock this far ahead
# The outsiders let in, counted per role: the tables' "passers in", "windows in", ...
OUTSIDERS = {"passers": simulator.PASSER_BY, "windows": simulator.WINDOW_SHOPPER,
             "waiting": simulator.WAITING, "neighbours": simulator.NEIGHBOUR}
TROUBLES: dict[str, Callable[[simulator.Site], simulator.Site]] = {
    "intervals": lambda site: replace(site, interval_modes_ms=simulator.ANDROID_INTERVALS_MS),
    "one_interval": lambda site: replace(site, interval_modes_ms=(ONE_INTERVAL_MS,)),
    "clocks": lambda site: replace(site, clock_skew_s=0.0),
    "agent_clock": lambda site: replace(site, agent_clock_s=AGENT_CLOCK_S),
    "busy": lambda site: replace(site, passers_by_per_hour=BUSY_PASSERS_BY_PER_HOUR),
    "crowded": lambda site: replace(site, walk_ins_per_hour=CROWDED_WALK_INS_PER_HOUR),
    "waiting": lambda site: replace(site, waiting_per_hour=WAITING_PER_HOUR),
    "neighbours": lambda site: replace(site, neighbours=NEIGHBOURS),
    "returns": lambda site: replace(site, return_share=RETURN_SHARE),
    "strolls": lambda site: replace(site, walk_speed_mps=STROLL_SPEED_MPS),
    "loud": lambda site: replace(site, receiver_gain_db=RECEIVER_GAIN_DB),
    "quiet": lambda site: replace(site, receiver_gain_db=-RECEIVER_GAIN_DB),
    "insensitive": lambda site: replace(site, sensitivity_dbm=INSENSITIVE_DBM),
    "sensitive": lambda site: replace(site, sensitivity_dbm=SENSITIVE_DBM),
    "fading": lambda site: replace(site, fading_db=FADING_DB),
    "deaf": lambda site: replace(site, deaf_share=DEAF_SHARE),
    "groups": lambda site: replace(site, group_share=GROUP_SHARE),
    "short": lambda site: replace(site, dwell_minutes=SHORT_DWELL_MINUTES),
    "iphones": lambda site: replace(site, app_only_share=APP_ONLY_SHARE),
    "open_app": lambda site: replace(site, open_app_interval_ms=OPEN_APP_INTERVAL_MS),
    "stalls": lambda site: replace(site, stall_share=STALL_SHARE),
    "late_stamps": lambda site: replace(site, stamp_late_ms=STAMP_LATE_MS),
}


class NaiveEngine:
    """The naive rule: the median of a token's last 5 adverts at or above -72 dBm, then
    still heard 30 s later -> enter."""

    SAMPLES, CONFIRM_S = 5, 30.0

    def __init__(self) -> None:
        self._recent: dict[bytes, deque[int]] = {}
        self._candidate: dict[bytes, float] = {}
        self._entered: set[bytes] = set()

    def sighting(self, t: float, rssi: int, token: bytes) -> bool:
        if token in self._entered:
            return False
        since = self._candidate.get(token)
        if since is not None:
            if t - since >= self.CONFIRM_S:
                self._entered.add(token)
                return True
            return False
        recent = self._recent.setdefault(token, deque(maxlen=self.SAMPLES))
        recent.append(rssi)
        if len(recent) == self.SAMPLES and statistics.median(recent) >= NAIVE_DBM:
            self._candidate[token] = t
        return False


Event = tuple[float, str, str, float, str]  # decided at, shopper label, kind, last seen, agent


def _score(events: list[Event], truth: dict[str, Any]) -> dict[str, Any]:
    """Visit-level scores from ``(t, shopper label, kind, last seen, agent)`` enters and
    exits: a visit is found when its shopper checked in during it (the first check-in
    gives the latency after the door); a check-in outside every visit of its shopper is a
    false one. And how long the found visits were open at the API (``_open``) from their
    first check-in until the shopper walked out (``open_s`` of ``stay_s``), when scanning
    a product earns its points, and in the ``AFTER_LEFT_S`` after (``after_s``)."""
    shoppers = {s["label"]: s for s in truth["shoppers"]}
    found: dict[tuple[str, int], float] = {}
    false_roles: list[str] = []
    ordered = sorted(events)
    for t, label, *_ in (e for e in ordered if e[2] == ENTER):
        shopper = shoppers[label]
        hits = [i for i, v in enumerate(shopper["visits"])
                if v["entered"] - MATCH_SLACK_S <= t <= v["left"] + 120.0]
        if not hits:
            false_roles.append(shopper["role"])
            continue
        found.setdefault((label, hits[0]), t - shopper["visits"][hits[0]]["entered"])
    visits = sum(len(s["visits"]) for s in truth["shoppers"])
    mine: dict[str, list[Event]] = {}
    for event in ordered:
        mine.setdefault(event[1], []).append(event)
    stays = [(mine[label], shoppers[label]["visits"][i]["entered"] + latency,
              shoppers[label]["visits"][i]["left"]) for (label, i), latency in found.items()]
    return {"found": len(found), "false": len(false_roles), "visits": visits,
            "latencies": list(found.values()), "found_visits": set(found),
            "open_s": sum(_open(marks, start, end) for marks, start, end in stays),
            "stay_s": sum(max(0.0, end - start) for _, start, end in stays),
            "after_s": sum(_open(marks, end, end + AFTER_LEFT_S) for marks, _, end in stays),
            **{column: false_roles.count(role) for column, role in OUTSIDERS.items()}}


def _open(events: list[Event], start: float, end: float) -> float:
    """How long between ``start`` and ``end`` the visit of ``events`` (one shopper's, in
    the order decided) was open at the API (``visits.services``): once an event arrived,
    each agent's latest-heard event (by last seen) says whether it still hears the
    shopper, and the visit is ended when none does."""
    total, opened = 0.0, None
    latest: dict[str, tuple[float, str]] = {}
    for t, _, kind, last_seen, agent in [*events, (end, "", EXIT, math.inf, "")]:
        t = min(max(t, start), end)
        if opened is not None:
            total += t - opened
        latest[agent] = max(latest.get(agent, (-math.inf, EXIT)), (last_seen, kind))
        opened = t if any(k == ENTER for _, k in latest.values()) else None
    return total


class _HeldLevels(PresenceEngine):
    """The entrance engine at its default config, also noting when it heard each token
    and the level each held (``_held``) at each of its evaluations: what ``reachable``
    looks at."""

    def __init__(self) -> None:
        super().__init__()
        self.held: dict[bytes, list[tuple[float, float]]] = {}
        self.heard: dict[bytes, list[float]] = {}

    def sighting(self, t: float, rssi: int, frame: Frame) -> list[Any]:
        self.heard.setdefault(frame.token, []).append(t)
        return super().sighting(t, rssi, frame)

    def _decide(self, token: Any, t: float) -> list[Any]:
        decisions = super()._decide(token, t)  # called at each evaluation only (``sighting``)
        level = self._held(token, t)
        if level is not None:
            self.held.setdefault(token.frame.token, []).append((t, level))
        return decisions


def reachable(ours: _HeldLevels, owner: dict[bytes, str], truth: dict[str, Any],
              start: float) -> tuple[int, int]:
    """What one agent could find at best with no outsider (passer-by, window shopper) in,
    knowing every outsider of the hour: how many walk-in visits held a level louder than
    every outsider held, within ``ONE_AGENT_TARGET_S`` of the door (``fast_at_best``); and how
    many, at any time of the visit, held such a level or were heard for longer than
    every outsider was (``at_best``: the stretches of a person's sightings, over all her
    tokens, that no silence of ``AWAY_TIMEOUT_S`` or more cut, summed; a walk-in's that
    overlap her visit). A rule must keep a margin for the outsiders of hours it has not
    heard yet, so it finds fewer."""
    roles = {s["label"]: s for s in truth["shoppers"]}
    levels: dict[str, list[tuple[float, float]]] = {label: [] for label in roles}
    heard: dict[str, list[float]] = {label: [] for label in roles}
    for token, held in ours.held.items():
        levels[owner[token]] += [(t - start, level) for t, level in held]
    for token, times in ours.heard.items():
        heard[owner[token]] += [t - start for t in times]
    stretches = {label: _stretches(sorted(times)) for label, times in heard.items()}
    outsiders = [label for label, shopper in roles.items()
                 if shopper["role"] in (simulator.PASSER_BY, simulator.WINDOW_SHOPPER)]
    loudest = max((level for label in outsiders for _, level in levels[label]), default=float("-inf"))
    longest = max((sum(b - a for a, b in stretches[label]) for label in outsiders), default=0.0)
    fast_at_best = at_best = 0
    for label, shopper in roles.items():
        if shopper["role"] != simulator.WALK_IN:
            continue
        for visit in shopper["visits"]:
            entered, left = visit["entered"], visit["left"]
            fast_at_best += any(level > loudest for t, level in levels[label]
                                if entered - MATCH_SLACK_S <= t <= entered + ONE_AGENT_TARGET_S)
            at_best += (any(level > loudest for t, level in levels[label]
                           if entered - MATCH_SLACK_S <= t <= left)
                       or sum(b - a for a, b in stretches[label] if b >= entered and a <= left) > longest)
    return fast_at_best, at_best


def _stretches(times: list[float]) -> list[tuple[float, float]]:
    """(first, last) of each run of ``times`` that no silence of ``AWAY_TIMEOUT_S`` or
    more cuts."""
    runs: list[tuple[float, float]] = []
    for t in times:
        if runs and t - runs[-1][1] < constants.AWAY_TIMEOUT_S:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs


def _check_ins(scenario: simulator.Scenario, engines: dict[str, PresenceEngine | NaiveEngine]
               ) -> tuple[dict[str, list[Event]], simulator.Simulation]:
    """Replays one agent's trace through each engine: ``(t, shopper label, kind, last
    seen, engine)`` of every enter and exit (the naive rule never exits), and the
    simulation it heard (its people, and the tokens they sent)."""
    simulation = simulator.simulate(scenario)
    start = simulation.header.start  # the agent's clock
    events: dict[str, list[tuple[float, bytes, str, float]]] = {name: [] for name in engines}
    last_tick = 0.0
    for advert in simulation.adverts:
        frame = frame_from_manufacturer_data(advert.manufacturer_data)
        assert frame is not None
        t = start + advert.t
        tick = t - last_tick >= 1.0
        last_tick = t if tick else last_tick
        for name, engine in engines.items():
            if isinstance(engine, NaiveEngine):
                if engine.sighting(advert.t, advert.rssi, frame.token):
                    events[name].append((advert.t, frame.token, ENTER, advert.t))
                continue
            decisions = engine.sighting(t, advert.rssi, frame)
            if tick:
                decisions += engine.tick(t)
            events[name] += [(d.t - start, bytes.fromhex(d.event.token), d.event.kind,
                              d.event.last_seen - start) for d in decisions]
    owner = _owners(simulation.truth())
    return {name: [(t, owner[token], kind, last_seen, name) for t, token, kind, last_seen in found]
            for name, found in events.items()}, simulation


def _owners(truth: dict[str, Any]) -> dict[bytes, str]:
    """Whose each token was, from a simulation's truth once its adverts were heard."""
    return {bytes.fromhex(token): shopper["label"] for shopper in truth["shoppers"]
            for token in shopper["tokens"]}


def run_site(site: simulator.Site, seed: int) -> dict[str, dict[str, Any]]:
    """Scores of every engine on an hour of one site: ours at the entrance, ours with the
    second agent too (where the site has one: the API merges the two agents' visits, so a
    walk-in counts from whichever agent decides first), and the naive rule. The second
    agent's row also counts the visits that came near it soon enough to be found fast
    (``near_second_agent``)."""
    scenario = simulator.Scenario(seed=seed, minutes=MINUTES, site=site)
    outside_dbm, inside_dbm = site.walk_test()
    walk_tested = PresenceEngine(EngineSettings(outside_dbm=outside_dbm))
    ours = _HeldLevels()
    found, simulation = _check_ins(scenario, {"ours": ours, "ours, walk test": walk_tested,
                                              "naive": NaiveEngine()})
    if site.deep_agent is not None:
        deep, _ = _check_ins(replace(scenario, agent=simulator.DEEP), {"deep": PresenceEngine(DEEP_AGENT)})
        found["ours + 2nd agent"] = found["ours"] + deep["deep"]
    truth = simulation.truth()  # people and visits do not depend on the agent
    scores = {name: _score(events, truth) for name, events in found.items()}
    scores["naive"]["stay_s"] = 0.0  # it never exits: "in store" says nothing of it
    scores["ours"]["fast_at_best"], scores["ours"]["at_best"] = reachable(
        ours, _owners(truth), truth, simulation.header.start)
    if site.deep_agent is not None:
        scores["ours + 2nd agent"]["near"] = _near_second_agent(simulation.people, site.deep_agent)
    apps = {p.label: len(p.visits) for p in simulation.people if p.app_open is not None}
    if apps:
        for score in scores.values():
            score["app_only"] = (sum(1 for label, _ in score["found_visits"] if label in apps),
                                 sum(apps.values()))
    return scores


def _near_second_agent(people: list[simulator.Person], agent: tuple[float, float]) -> int:
    """How many walk-in visits came within ``NEAR_SECOND_AGENT_M`` of the second agent
    in their first ``SECOND_AGENT_TARGET_S`` inside (looked at every second): no engine
    there can find the others that fast."""
    ax, ay = agent
    seconds = range(int(SECOND_AGENT_TARGET_S) + 1)
    return sum(1 for person in people for visit in person.visits
               if any(math.dist(person.position(visit["entered"] + s), (ax, ay)) <= NEAR_SECOND_AGENT_M
                      for s in seconds))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _choice(variable: str, default: tuple[Any, ...], parse: Callable[[str], Any]) -> tuple[Any, ...]:
    """A comma list (or for numbers ``first-last``) from the environment, or the default."""
    given = os.environ.get(variable, "").strip()
    if not given:
        return default
    if parse is int and "-" in given:
        first, last = given.split("-")
        return tuple(range(int(first), int(last) + 1))
    return tuple(parse(item) for item in given.split(","))


def site_choice(variable: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """The sites a comma list in the environment names (or ``default``'s): ``library``
    every site of the library, ``random-A..B`` random sites A to B, else one site
    (checked: an unknown name stops the bench with ``variable`` and the library's names)."""
    def named(given: str) -> tuple[str, ...]:
        if given == "library":
            return tuple(simulator.SITES)
        first, dots, last = given.removeprefix("random-").partition("..")
        if given.startswith("random-") and dots and first.isdigit() and last.isdigit():
            return tuple(f"random-{n}" for n in range(int(first), int(last) + 1))
        try:
            simulator.site_named(given)
        except ValueError as exc:
            raise SystemExit(f"{variable}: {exc}") from None
        return (given,)

    return tuple(name for given in _choice(variable, default, str) for name in named(given))


def _trouble(name: str) -> str:
    if name not in TROUBLES:
        raise SystemExit(f"AGENT_TROUBLE: no trouble {name!r} (known: {', '.join(TROUBLES)})")
    return name


def summary(scores: list[dict[str, Any]]) -> dict[str, float]:
    found = sum(s["found"] for s in scores)
    false = sum(s["false"] for s in scores)
    latencies = [x for s in scores for x in s["latencies"]]
    visits = max(1, sum(s["visits"] for s in scores))
    return {"precision": found / max(1, found + false), "recall": found / visits,
            "p50": _percentile(latencies, 0.5), "p95": _percentile(latencies, 0.95),
            "fast": sum(1 for x in latencies if x <= SECOND_AGENT_TARGET_S) / visits,
            "within_target": sum(1 for x in latencies if x <= ONE_AGENT_TARGET_S) / visits,
            "in_store": _share(sum(s["open_s"] for s in scores), sum(s["stay_s"] for s in scores)),
            "after": (f"{sum(s['after_s'] for s in scores) / found:.0f}"
                      if found and any(s["stay_s"] for s in scores) else "-"),
            **{column: sum(s[column] for s in scores) for column in OUTSIDERS}}


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.2f}" if whole else "-"


def accuracy() -> None:
    seeds = _choice("AGENT_SEEDS", SEEDS, int)
    sites = site_choice("AGENT_SITES", ("library", *HELD_OUT_SITES))
    troubles = _choice("AGENT_TROUBLE", (), _trouble)
    kind = "held out from tuning" if seeds == SEEDS else "chosen with AGENT_SEEDS"
    print(f"\nPresence accuracy per site: {MINUTES:.0f} minutes of each site's own traffic, "
          f"seeds {', '.join(map(str, seeds))} ({kind}); trouble: {', '.join(troubles) or 'none'} "
          f"(AGENT_TROUBLE); the engine was tuned on "
          f"{TUNING_SITES}. ours = the default config learning from the hour's traffic; "
          f"walk test = with an installer's walk test's outside level; "
          f"naive = median of 5 adverts >= {NAIVE_DBM:.0f} dBm, then still heard 30 s later; "
          f"latency after the shopper crossed the door; "
          f"in store = the share of a found walk-in's stay, from her check-in until she walked "
          f"out, in which her visit was open at the API (scanning a product earns then); "
          f"open after = the mean seconds it stayed open after she walked out")
    _heading(f"{'site':<16} {'engine':<17} {'visits':>6} {'precision':>9} {'recall':>7} "
             f"{'p50 s':>6} {'p95 s':>6} {'passers in':>10} {'windows in':>10} {'waiting in':>10} "
             f"{'neighbours in':>13} {'in store':>8} {'open after s':>12}")
    totals: dict[str, list[dict[str, Any]]] = {}
    per_site: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name in sites:
        site = simulator.site_named(name)
        for trouble in troubles:
            site = TROUBLES[trouble](site)
        rows = per_site[name] = {}
        for seed in seeds:
            for engine, score in run_site(site, seed).items():
                rows.setdefault(engine, []).append(score)
                totals.setdefault(engine, []).append(score)
        for engine, scores in rows.items():
            print(_line(name, engine, scores))
    for engine, scores in totals.items():
        print(_line("all sites", engine, scores))
    app_only_split(totals)
    one_agent_reach(per_site)
    second_agent_tradeoff(per_site)


def app_only_split(totals: dict[str, list[dict[str, Any]]]) -> None:
    """Under ``AGENT_TROUBLE=iphones``: the walk-ins found of phones heard only while
    their app is open, beside those of the other phones, per engine over all sites."""
    for engine, scores in totals.items():
        split = [s["app_only"] for s in scores if "app_only" in s]
        if not split or engine == "naive":
            continue
        found, visits = sum(f for f, _ in split), sum(v for _, v in split)
        others_found = sum(s["found"] for s in scores) - found
        others = sum(s["visits"] for s in scores) - visits
        print(f"{engine}: walk-ins with an iPhone (heard only while the app is open) found "
              f"{found:,} of {visits:,} ({found / max(1, visits):.3f}); with other phones "
              f"{others_found:,} of {others:,} ({others_found / max(1, others):.3f})")


def one_agent_reach(per_site: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    """What one agent can find at all, per site: the recall of ours beside the share of
    visits that held a level no outsider of the hour held or were heard for longer than
    any outsider was (``reachable``'s ``at_best``); and the share it checked in within
    ``ONE_AGENT_TARGET_S`` of the door beside the share that held such a level by then.
    Recall 0.95 needs 0.95 of the first, a p95 within the target 0.95 of the second;
    where those shares are below, no rule at one agent gets there without letting
    outsiders in (a second agent may)."""
    print(f"\nWhat one agent can find (same runs, ours): at best = walk-ins who, in their visit, "
          f"held a level louder than any passer-by or window shopper held in the hour, or were "
          f"heard for longer than any of them was (about the most a rule finds with no outsider "
          f"in); in {ONE_AGENT_TARGET_S:.0f} s = checked in within {ONE_AGENT_TARGET_S:.0f} s of "
          f"the door; level by then = walk-ins who held such a level within "
          f"{ONE_AGENT_TARGET_S:.0f} s (about the most found that fast). Recall 0.95 needs "
          f"0.95 at best; p95 <= {ONE_AGENT_TARGET_S:.0f} s needs 0.95 level by then")
    _heading(f"{'site':<16} {'visits':>6} {'recall':>7} {'at best':>7} "
             f"{f'in {ONE_AGENT_TARGET_S:.0f} s':>7} {'level by then':>13}")
    rows = {name: sites["ours"] for name, sites in per_site.items()}
    rows["all sites"] = [score for scores in rows.values() for score in scores]
    for name, scores in rows.items():
        visits = max(1, sum(s["visits"] for s in scores))
        m = summary(scores)
        print(f"{name:<16} {visits:>6} {m['recall']:>7.3f} "
              f"{sum(s['at_best'] for s in scores) / visits:>7.3f} {m['within_target']:>7.2f} "
              f"{sum(s['fast_at_best'] for s in scores) / visits:>13.2f}")


def second_agent_tradeoff(per_site: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    """What a second agent buys, per site that has one: the entrance agent alone and the
    two together, side by side, with the share of visits checked in within the target
    after the door and the share that came near enough the second agent to be."""
    two = "ours + 2nd agent"
    sites = {name: rows for name, rows in per_site.items() if two in rows}
    if not sites:
        return
    print(f"\nWhat a second agent buys (same runs): in {SECOND_AGENT_TARGET_S:.0f} s = checked in "
          f"within {SECOND_AGENT_TARGET_S:.0f} s of the door; near it = walk-ins who came within "
          f"{NEAR_SECOND_AGENT_M:.0f} m of the second agent in their first "
          f"{SECOND_AGENT_TARGET_S:.0f} s inside (about the most it can find that fast); "
          f"target p95 <= {SECOND_AGENT_TARGET_S:.0f} s, precision >= 0.99")
    _heading(f"{'site':<16} {'agents':<7} {'precision':>9} {'recall':>7} {'p50 s':>6} {'p95 s':>6} "
             f"{f'in {SECOND_AGENT_TARGET_S:.0f} s':>7} {'near it':>7} {'passers in':>10} {'windows in':>10}")
    for name, rows in sites.items():
        near = sum(s["near"] for s in rows[two]) / max(1, sum(s["visits"] for s in rows[two]))
        print(_tradeoff_line(name, "one", rows["ours"], ""))
        print(_tradeoff_line(name, "two", rows[two], f"{near:.2f}"))


def _tradeoff_line(site: str, agents: str, scores: list[dict[str, Any]], near: str) -> str:
    m = summary(scores)
    return (f"{site:<16} {agents:<7} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['p50']:>6.1f} "
            f"{m['p95']:>6.1f} {m['fast']:>7.2f} {near:>7} {m['passers']:>10} {m['windows']:>10}")


def _heading(header: str) -> None:
    print(header)
    print("-" * len(header))


def _line(site: str, engine: str, scores: list[dict[str, Any]]) -> str:
    m = summary(scores)
    return (f"{site:<16} {engine:<17} {sum(s['visits'] for s in scores):>6} "
            f"{m['precision']:>9.3f} {m['recall']:>7.3f} {m['p50']:>6.1f} {m['p95']:>6.1f} "
            f"{m['passers']:>10} {m['windows']:>10} {m['waiting']:>10} {m['neighbours']:>13} "
            f"{m['in_store']:>8} {m['after']:>12}")


def throughput() -> None:
    out, truth = io.StringIO(), io.StringIO()
    simulator.write(simulator.Scenario(seed=7, walk_ins=40, window_shoppers=40, passers_by=80,
                                       minutes=30), out, truth)
    lines = out.getvalue().splitlines(keepends=True)

    def best_of(run: Callable[[], Any]) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return min(times)

    adverts = len(lines) - 1
    ours = best_of(lambda: replay(lines, None))
    parse_only = best_of(lambda: [json.loads(line) for line in lines])
    print(f"\nReplay throughput ({adverts} adverts, best of 3, one core): "
          f"{adverts / ours:,.0f} adverts/s through parse + engine "
          f"(json.loads alone: {adverts / parse_only:,.0f}/s, ratio {parse_only / ours:.2f}); "
          f"target >= 50,000/s")


_RSS_CHILD = """
import resource, sys
from beacon_agent.replay import replay
if sys.argv[2] == "replay":
    with open(sys.argv[1]) as lines:
        result = replay(lines, None)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def memory() -> None:
    # Linux carries a parent's peak RSS into a forked child's ru_maxrss: this runs first,
    # while the benchmark process is small, and the trace is written by another process.
    with tempfile.TemporaryDirectory() as tmp:
        trace_path = Path(tmp) / "crowd.jsonl"
        subprocess.run([sys.executable, "-m", "beacon_agent.cli", "simulate", "--out",
                        str(trace_path), "--truth", str(Path(tmp) / "truth.json"), "--seed",
                        "11", "--walk-ins", "1000", "--window-shoppers", "0", "--passers-by",
                        "0", "--minutes", "1", "--dwell-minutes", "3", "4"],
                       check=True, capture_output=True)
        with trace_path.open() as lines:
            count = sum(1 for _ in lines) - 1
        rss = {}
        for mode in ("import", "replay"):
            child = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(trace_path), mode],
                                   capture_output=True, text=True, check=True)
            rss[mode] = int(child.stdout.split()[-1]) / 1024
        print(f"Peak RSS of replay, 1,000 phones in the store at once ({count:,} adverts, "
              f"{trace_path.stat().st_size / 1e6:.0f} MB trace): {rss['replay']:.1f} MB "
              f"(the interpreter with the agent imported: {rss['import']:.1f} MB; "
              f"engine state {rss['replay'] - rss['import']:.1f} MB); target <= 60 MB")


def main() -> None:
    memory()
    accuracy()
    throughput()


if __name__ == "__main__":
    main()
