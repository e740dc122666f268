"""The heartbeat's ``nearby``: phones heard, each once across its token rotations, on
hand-made sequences and simulated hours (injected time throughout)."""

from __future__ import annotations

import pytest

from beacon_agent import simulator
from beacon_agent.nearby import GAP_S, NearbyCount
from rewards_protocol.presence import WINDOW_SECONDS, Frame
from tests.support.store_hour import heard_hour

BOUNDARY = simulator.Scenario.start + WINDOW_SECONDS  # a window boundary


def frame(n: int) -> Frame:
    return Frame(version=1, key_id=3, token=bytes([n]) * 16)


def play(count: NearbyCount, *phones: tuple[Frame, float, float, int]) -> None:
    """Each (token, from, to, rssi) heard every half second, all in time order."""
    heard = sorted((start + 0.5 * i, rssi, token.token, token)
                   for token, start, end, rssi in phones for i in range(int((end - start) / 0.5)))
    for t, rssi, _, token in heard:
        count.sighting(t, rssi, token)
        count.settle(t)


def test_phones_rotating_together_are_counted_once_each_and_a_newcomer_once() -> None:
    count = NearbyCount()
    play(count, (frame(1), BOUNDARY - 120, BOUNDARY, -60),  # phone A
         (frame(2), BOUNDARY - 200, BOUNDARY + 1.0, -85))  # phone B, its clock a second on
    assert count.count == 2
    play(count, (frame(3), BOUNDARY + 0.4, BOUNDARY + 60, -61),  # A's next token
         (frame(4), BOUNDARY + 1.5, BOUNDARY + 60, -84),  # B's next token
         (frame(5), BOUNDARY + 5.0, BOUNDARY + 60, -95))  # C walks up: no old token is hers
    count.settle(BOUNDARY + 120)
    assert count.count == 3
    play(count, (frame(3), BOUNDARY + 200, BOUNDARY + 210, -70))  # A again, mid-window
    assert count.count == 3


def test_a_phone_unheard_around_its_rotation_is_counted_twice() -> None:
    """The limit the module names: nothing links tokens heard further apart than the gap."""
    count = NearbyCount()
    play(count, (frame(1), BOUNDARY - 120, BOUNDARY - 5, -90),  # behind a shelf at the back
         (frame(2), BOUNDARY + GAP_S, BOUNDARY + 60, -90))
    count.settle(BOUNDARY + 200)
    assert count.count == 2


@pytest.mark.parametrize("name", ["basket-stand", "supermarket"])
def test_an_hour_of_a_store_counts_its_phones_not_their_tokens(name: str) -> None:
    # Tuning seed 1; the bench (`make bench BENCH=calibration`) reports held-out hours.
    hour = heard_hour(name, seed=1)
    assert hour.tokens > 1.2 * hour.phones  # the walk-ins stay for several windows
    assert 0.95 * hour.phones <= hour.nearby <= 1.05 * hour.phones
