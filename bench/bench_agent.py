"""Beacon agent: presence accuracy on simulated entrances (ours vs a naive engine),
replay throughput, and peak memory of a replay with 1,000 phones at once.

Targets (issue 4): precision >= 0.99, recall >= 0.97, p95 check-in latency <= 60 s,
no passer-by checked in; >= 50,000 adverts/s on one core; <= 60 MB peak RSS.

The accuracy table scores seeds no one tuned on (``SEEDS``). The engine's constants were
tuned on seeds 1-60; ``AGENT_SEEDS=1-60 make bench BENCH=agent`` (or ``AGENT_SEEDS=1,5,9``)
prints the table for other seeds.
"""

from __future__ import annotations

import io
import json
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

from beacon_agent import simulator
from beacon_agent.engine import DEEP_AGENT, PresenceEngine
from beacon_agent.replay import replay
from rewards_protocol.events import ENTER
from rewards_protocol.presence import frame_from_manufacturer_data

# Seeds never tuned on: the constants were tuned with this scoring on seeds 1-60, and
# 201-210 were chosen before the current constants were first scored on them (the seeds
# of earlier versions, 101-106, had been looked at while tuning). Ten seeds, so that one
# lucky or unlucky seed moves the table less.
SEEDS = tuple(range(201, 211))
CONDITIONS = ((2.0, 0.0), (4.0, 0.25), (6.0, 0.5))  # (RSSI noise sigma dB, packet loss)
CROWD = {"walk_ins": 40, "window_shoppers": 40, "passers_by": 80, "minutes": 60.0}
NOTE = ("ours vs naive: a fixed threshold cannot tell a strong phone behind the glass from a "
        "weak one inside (phones differ by 20 dB), so naive lets window shoppers and passers-by "
        "in; ours asks the entrance agent for a rise within 20 s (the walk through the door, "
        "the same for weak and strong phones) of 18 dB plus twice the noise of the phone's "
        "own median (so noisy, sparse phones cannot fake it), then a hold within 8 dB of the "
        "level it rose to: 8 s after a rise of 23 dB or more, 16 s after a smaller one (a "
        "passer-by seen through the open door walks on and falls back), and the deep agent "
        "for a level no one outside can reach there, held for 20 s.")
MATCH_SLACK_S = 30.0  # an enter this long before the door crossing still counts as that visit


class NaiveEngine:
    """The baseline: median RSSI of the last 5 s above a threshold for 5 s -> enter."""

    def __init__(self, threshold: float, seconds: float = 5.0) -> None:
        self.threshold, self.seconds = threshold, seconds
        self._recent: dict[bytes, deque[tuple[float, int]]] = {}
        self._above: dict[bytes, float | None] = {}
        self._entered: set[bytes] = set()

    def sighting(self, t: float, rssi: int, token: bytes) -> bool:
        recent = self._recent.setdefault(token, deque())
        recent.append((t, rssi))
        while recent[0][0] < t - self.seconds:
            recent.popleft()
        if token in self._entered:
            return False
        if statistics.median(r for _, r in recent) < self.threshold:
            self._above[token] = None
            return False
        since = self._above.get(token) or t
        self._above[token] = since
        if t - since >= self.seconds:
            self._entered.add(token)
            return True
        return False


def _score(enters: list[tuple[float, str]], truth: dict[str, Any]) -> dict[str, Any]:
    """Visit-level scores from ``(t, shopper label)`` check-ins: a visit is found when its
    shopper checked in during it (the first check-in gives the latency); a check-in
    outside every visit of its shopper is a false one."""
    shoppers = {s["label"]: s for s in truth["shoppers"]}
    found: dict[tuple[str, int], float] = {}
    false_roles: list[str] = []
    for t, label in sorted(enters):
        shopper = shoppers[label]
        hits = [i for i, v in enumerate(shopper["visits"])
                if v["entered"] - MATCH_SLACK_S <= t <= v["left"] + 120.0]
        if not hits:
            false_roles.append(shopper["role"])
            continue
        found.setdefault((label, hits[0]), t - shopper["visits"][hits[0]]["entered"])
    visits = sum(len(s["visits"]) for s in truth["shoppers"])
    return {"found": len(found), "false": len(false_roles), "visits": visits,
            "latencies": list(found.values()),
            "passers": false_roles.count(simulator.PASSER_BY),
            "windows": false_roles.count(simulator.WINDOW_SHOPPER)}


def _check_ins(scenario: simulator.Scenario,
               engines: dict[str, PresenceEngine | NaiveEngine]) -> dict[str, list[tuple[float, str]]]:
    """Replays one agent's trace through each engine: ``(t, shopper label)`` of every enter."""
    simulation = simulator.simulate(scenario)
    enters: dict[str, list[tuple[float, bytes]]] = {name: [] for name in engines}
    last_tick = 0.0
    for advert in simulation.adverts:
        frame = frame_from_manufacturer_data(advert.manufacturer_data)
        assert frame is not None
        t = scenario.start + advert.t
        tick = t - last_tick >= 1.0
        last_tick = t if tick else last_tick
        for name, engine in engines.items():
            if isinstance(engine, NaiveEngine):
                if engine.sighting(advert.t, advert.rssi, frame.token):
                    enters[name].append((advert.t, frame.token))
                continue
            enters[name] += [(advert.t, frame.token) for d in engine.sighting(t, advert.rssi, frame)
                             if d.event.kind == ENTER]
            if tick:
                engine.tick(t)
    owner = {bytes.fromhex(token): shopper["label"] for shopper in simulation.truth()["shoppers"]
             for token in shopper["tokens"]}
    return {name: [(t, owner[token]) for t, token in found] for name, found in enters.items()}


def _run(scenario: simulator.Scenario) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Scores of every engine on one scenario, heard by the entrance and the deep agent."""
    at_entrance = _check_ins(scenario, {
        "entrance": PresenceEngine(), "naive -72 dBm": NaiveEngine(-72.0),
        "naive -66 dBm": NaiveEngine(-66.0)})
    deep = replace(scenario, agent="deep")
    at_deep = _check_ins(deep, {"deep": PresenceEngine(DEEP_AGENT)})
    truth = simulator.simulate(deep).truth()  # people and visits do not depend on the agent
    found = {"entrance": at_entrance.pop("entrance"), "deep": at_deep["deep"]}
    found["both"] = found["entrance"] + found["deep"]  # the API merges the two agents' visits
    return {name: _score(enters, truth) for name, enters in {**found, **at_entrance}.items()}, truth


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _seeds() -> tuple[int, ...]:
    """``AGENT_SEEDS`` (``1-60`` or ``1,5,9``), or the seeds no one tuned on."""
    given = os.environ.get("AGENT_SEEDS", "").strip()
    if not given:
        return SEEDS
    if "-" in given:
        first, last = given.split("-")
        return tuple(range(int(first), int(last) + 1))
    return tuple(int(seed) for seed in given.split(","))


def accuracy() -> None:
    seeds = _seeds()
    kind = "none used for tuning" if seeds == SEEDS else "chosen with AGENT_SEEDS"
    named = (f"{seeds[0]}-{seeds[-1]}" if seeds == tuple(range(seeds[0], seeds[-1] + 1))
             else ", ".join(map(str, seeds)))
    print(f"\nPresence accuracy: {len(seeds)} seeds per row (seeds {named}, {kind}), each seed "
          f"{CROWD['walk_ins']} walk-ins, {CROWD['window_shoppers']} window shoppers (up to "
          f"3 min), {CROWD['passers_by']} passers-by; phones ±10 dB. entrance = agent 3.5 m "
          f"inside, over the basket stand beside the door, deep = agent on the ceiling "
          f"mid-floor (9 m in), both = a visit found by either (first check-in of either)")
    header = (f"{'engine':<14} {'noise':>5} {'loss':>5} {'precision':>9} {'recall':>7} "
              f"{'p50 s':>6} {'p95 s':>6} {'passers in':>10} {'windows in':>10}")
    print(header)
    print("-" * len(header))
    totals: dict[str, list[dict[str, Any]]] = {}
    rows: dict[tuple[str, float, float], list[dict[str, Any]]] = {}
    for noise, loss in CONDITIONS:
        for seed in seeds:
            scenario = simulator.Scenario(seed=seed, noise_db=noise, loss=loss, **CROWD)
            for name, score in _run(scenario)[0].items():
                rows.setdefault((name, noise, loss), []).append(score)
                totals.setdefault(name, []).append(score)

    def line(name: str, noise: str, loss: str, scores: list[dict[str, Any]]) -> str:
        found = sum(s["found"] for s in scores)
        false = sum(s["false"] for s in scores)
        latencies = [x for s in scores for x in s["latencies"]]
        return (f"{name:<14} {noise:>5} {loss:>5} {found / max(1, found + false):>9.3f} "
                f"{found / sum(s['visits'] for s in scores):>7.3f} "
                f"{_percentile(latencies, 0.5):>6.1f} {_percentile(latencies, 0.95):>6.1f} "
                f"{sum(s['passers'] for s in scores):>10} {sum(s['windows'] for s in scores):>10}")

    for name in totals:
        for noise, loss in CONDITIONS:
            print(line(name, f"{noise:.0f}", f"{loss:.2f}", rows[(name, noise, loss)]))
        print(line(name, "all", "all", totals[name]))
    print(NOTE)


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
