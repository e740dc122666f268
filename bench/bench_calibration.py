"""Beacon agent calibration: the walk test across a token rotation, and the heartbeat's
``nearby`` count (phones, not tokens).

Walk tests (``beacon-agent calibrate --from-trace`` on ``simulator.walk_test``): every
site of the library and random sites, each with the installer's phone rotating at one of
``OFFSETS`` seconds into the test (the live test starts after a rotation; a phone whose
clock is off, or a trace recorded elsewhere, can still rotate mid-test). Per test: the
installer's phone followed (``ok``), another phone measured (``wrong``: must be 0), or
refused with "walk again". The previous rule (follow the closest token that fits) measured
another phone in 43 of these 1,083 tests and refused 160 (seeds 601-606: 77 and 339 of
2,166); this one in none, and refuses 510 (1,028).

The figures above are of the four-step test. Since the fifth step (the far end of the
floor, 90 s more) the rotation times run through it too (a rotation during the far-end
step is followed no further than the step inside: a far end then heard on neither token
is refused). On the tuning seeds 1-3 at the library's sites: four steps 627 tests, 331
ok, 0 wrong, 296 refused; five steps 924 tests, 391 ok, 1 wrong, 532 refused. The wrong
one (bakery, seed 2, the rotation 85 s in, on the pavement) took a window shopper's new
token for the installer's; the same trace's first four steps alone do too, so it is the
rotation rule's (``calibration._next_token``) in the crowd the longer test draws, not
the far end's. The live test starts after a rotation (``quiet_start``). The held-out
seeds were not scored again.

Nearby: an hour of each site through the pipeline; ``phones`` heard at least once (the
truth) and their ``tokens``; counted / true phones (``beacon_agent.nearby``, what the
heartbeat sends). Before it, the engine counted a token new at a rotation unless it linked
it to an earlier one: 1.288 on the held-out hours below.

Tuning: walk tests on the library's sites with seeds 1-3 (the closest-token rule's
wrong phones diagnosed there); nearby's gap (the engine's 10 s link gap; 30 and 60 s
were tried) on the library's sites with seeds 1-2. Held out and the default here: walk
tests seeds 601-603 on the library and random sites 1001-1008 (601-606 were scored too),
nearby seed 701 on the library and random sites 2001-2008 (counted/true 1.288 before,
1.014 after). Seeds 501-506 on the library, scored once after the first try, showed one
wrong phone (bakery, 502), a rival that fitted less closely than the installer's own
phone: the rule then became the strict one, and 601-606 were scored only after that.
``CALIB_SEEDS`` / ``NEARBY_SEEDS`` (``1-3`` or ``1,5``) and ``CALIB_SITES``
(``random-3001,bakery``; ``library`` and ``random-A..B`` as for ``AGENT_SITES``) choose
others.
"""

from __future__ import annotations

import time
from dataclasses import replace

from beacon_agent import calibration, simulator
from bench.bench_agent import _choice, site_choice
from tests.support.store_hour import heard_hour

WALK_SEEDS = (601, 602, 603)
NEARBY_SEEDS = (701,)
OFFSETS = tuple(float(s) for s in range(5, 280, 10))  # through every step of the test
SITES = (*simulator.SITES, *(f"random-{n}" for n in range(1001, 1009)))
NEARBY_SITES = (*simulator.SITES, *(f"random-{n}" for n in range(2001, 2009)))
PHASES = [(span.name, span.start, span.end) for span in calibration.schedule(0.0)]


def walk_test(site: simulator.Site, seed: int, rotation_at: float) -> str:
    """``ok``, ``wrong`` or ``refused`` for one walk test whose rotation falls
    ``rotation_at`` seconds in."""
    start = simulator.Scenario.start - rotation_at  # a window boundary
    simulation = simulator.walk_test(site, PHASES, seed=seed, start=start)
    adverts = [replace(a, t=a.t + start) for a in simulation.adverts]
    spans = [calibration.Span(name, begin + start, end + start) for name, begin, end in PHASES]
    try:
        followed = calibration.analyse(adverts, spans).followed
    except calibration.WalkTestFailed:
        return "refused"
    return "ok" if all(simulation.tokens.owners[token] == "installer" for token in followed) \
        else "wrong"


def _runs(variable: str, seeds: tuple[int, ...], sites: tuple[str, ...]
          ) -> tuple[tuple[int, ...], tuple[str, ...], str]:
    """The seeds and sites to run (the environment's, or the held-out defaults), and
    which they are."""
    chosen = _choice(variable, seeds, int)
    return (chosen, site_choice("CALIB_SITES", sites),
            f"seeds {chosen} ({'held out' if chosen == seeds else 'chosen'})")


def walk_tests() -> None:
    seeds, names, which = _runs("CALIB_SEEDS", WALK_SEEDS, SITES)
    print(f"walk tests with a rotation, {which}, {len(OFFSETS)} rotation times")
    print(f"{'site':18s} {'tests':>6s} {'ok':>5s} {'wrong':>6s} {'refused':>8s}")
    totals = {"ok": 0, "wrong": 0, "refused": 0}
    started = time.process_time()
    for name in names:
        site = simulator.site_named(name)
        counts = {"ok": 0, "wrong": 0, "refused": 0}
        for seed in seeds:
            for offset in OFFSETS:
                counts[walk_test(site, seed, offset)] += 1
        print(f"{name:18s} {sum(counts.values()):6d} {counts['ok']:5d} {counts['wrong']:6d} "
              f"{counts['refused']:8d}", flush=True)
        totals = {k: totals[k] + counts[k] for k in totals}
    print(f"{'all':18s} {sum(totals.values()):6d} {totals['ok']:5d} {totals['wrong']:6d} "
          f"{totals['refused']:8d}   ({time.process_time() - started:.0f} s CPU)")


def nearby() -> None:
    seeds, names, which = _runs("NEARBY_SEEDS", NEARBY_SEEDS, NEARBY_SITES)
    print(f"\nnearby over an hour, {which}: counted / true phones")
    print(f"{'site':18s} {'phones':>7s} {'tokens':>7s} {'counted':>7s}")
    true = counted = 0
    for name in names:
        for seed in seeds:
            hour = heard_hour(name, seed)
            true, counted = true + hour.phones, counted + hour.nearby
            print(f"{name:18s} {hour.phones:7d} {hour.tokens:7d} {hour.nearby / hour.phones:7.3f}",
                  flush=True)
    print(f"{'all':18s} {true:7d} {'':7s} {counted / true:7.3f}")


def main() -> None:
    walk_tests()
    nearby()


if __name__ == "__main__":
    main()
