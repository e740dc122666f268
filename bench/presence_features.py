"""Analysis (not a benchmark): how well the entrance agent's *rise* separates walk-ins from
the people outside, on TUNING seeds (1-3; the benchmark scores seeds 101-106).

For each token track it computes the largest rise of the smoothed RSSI (a median over
``top`` seconds) above the lowest smoothed RSSI (median over ``bottom`` seconds) of the
look-back, with the engine's "came from below the floor" credit; for walk-ins only up to
45 s after the door, for everyone else over the whole track. It prints, per noise setting,
the low tail of the walk-ins against the high tail of everyone outside: a rise threshold
separates them only where the first is above the second.

Run: ``.venv/bin/python -m bench.presence_features`` (about a minute).
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator

from beacon_agent import simulator
from rewards_protocol.presence import WINDOW_SECONDS, frame_from_manufacturer_data

SEEDS = (1, 2, 3)
CONDITIONS = ((0.0, 0.0), (2.0, 0.0), (4.0, 0.25), (6.0, 0.5))  # (noise sigma dB, loss)
CROWD = {"walk_ins": 40, "window_shoppers": 40, "passers_by": 80, "minutes": 60.0}
SMOOTHING = ((5.0, 5.0), (8.0, 5.0))  # (top, bottom) median seconds
LOOKBACKS = (10.0, 15.0, 20.0)
FLOOR_DBM, ROTATION_MARGIN_S = -100.0, 15.0


def _medians(track: list[tuple[float, int]], seconds: float) -> list[tuple[float, float]]:
    """The median over the last ``seconds``, at most twice a second (as the engine does)."""
    out: list[tuple[float, float]] = []
    recent: deque[tuple[float, int]] = deque()
    for t, rssi in track:
        recent.append((t, rssi))
        while recent[0][0] < t - seconds:
            recent.popleft()
        if not out or t - out[-1][0] >= 0.5:
            values = sorted(r for _, r in recent)
            middle = len(values) // 2
            out.append((t, values[middle] if len(values) % 2
                        else (values[middle - 1] + values[middle]) / 2))
    return out


def _rise(track: list[tuple[float, int]], top: float, bottom: float, lookback: float,
          until: float) -> float:
    highs, lows = _medians(track, top), _medians(track, bottom)
    times = [t for t, _ in lows]
    first = track[0][0]
    credit = ROTATION_MARGIN_S <= first % WINDOW_SECONDS <= WINDOW_SECONDS - ROTATION_MARGIN_S
    best = float("-inf")
    for t, level in highs:
        if t > until:
            break
        window = lows[bisect.bisect_left(times, t - lookback):bisect.bisect_right(times, t)]
        base = min((v for _, v in window), default=level)
        if credit and first > t - lookback:
            base = min(base, FLOOR_DBM)
        best = max(best, level - base)
    return best


def _tracks(noise: float, loss: float) -> Iterator[tuple[str, list[tuple[float, int]], float]]:
    """(role, track, decide-until) per token heard by the entrance agent."""
    for seed in SEEDS:
        simulation = simulator.simulate(simulator.Scenario(seed=seed, noise_db=noise, loss=loss,
                                                           **CROWD))
        tracks: dict[bytes, list[tuple[float, int]]] = {}
        for advert in simulation.adverts:
            frame = frame_from_manufacturer_data(advert.manufacturer_data)
            assert frame is not None
            tracks.setdefault(frame.token, []).append((advert.t, advert.rssi))
        for shopper in simulation.truth()["shoppers"]:
            for token in shopper["tokens"]:
                track = tracks[bytes.fromhex(token)]
                if shopper["role"] != simulator.WALK_IN:
                    yield shopper["role"], track, track[-1][0]
                    continue
                entered = shopper["visits"][0]["entered"]
                if track[0][0] <= entered + 5 <= track[-1][0] + 5:  # the token at the door
                    yield shopper["role"], track, entered + 45.0


def main() -> None:
    print("rise (dB): walk-ins' 2nd percentile and minimum vs outside's 99th percentile and "
          "maximum; tuning seeds", SEEDS)
    for noise, loss in CONDITIONS:
        tracks = list(_tracks(noise, loss))
        for top, bottom in SMOOTHING:
            for lookback in LOOKBACKS:
                walk_ins = sorted(_rise(tr, top, bottom, lookback, until)
                                  for role, tr, until in tracks if role == simulator.WALK_IN)
                outside = sorted(_rise(tr, top, bottom, lookback, until)
                                 for role, tr, until in tracks if role != simulator.WALK_IN)
                print(f"σ{noise:.0f} loss {loss:.2f} median {top:.0f}/{bottom:.0f} s "
                      f"look-back {lookback:.0f} s: walk-ins q02 "
                      f"{walk_ins[int(0.02 * len(walk_ins))]:.1f} min {walk_ins[0]:.1f} | "
                      f"outside q99 {outside[int(0.99 * len(outside))]:.1f} max {outside[-1]:.1f}")


if __name__ == "__main__":
    main()
