"""Where the phones change token on the agent's clock (``beacon_agent.boundaries``): learned
from when new tokens are first heard, on an injected clock; and what it keeps of a walk-in
and of the nearby count where the Pi's clock is minutes off."""

from __future__ import annotations

import itertools
import random

import pytest

from beacon_agent.boundaries import Boundaries
from beacon_agent.engine import EngineSettings, PresenceEngine
from rewards_protocol.events import ENTER
from rewards_protocol.presence import WINDOW_SECONDS, Frame
from tests.support.store_hour import heard_hour

WINDOW = 2_939_667  # a window of the phones' clocks
AHEAD_S = 150.0  # the agent's clock, that far ahead of the phones'


def boundary(n: int, ahead: float = 0.0) -> float:
    """The phones' n-th boundary after WINDOW's start, on a clock ``ahead`` of theirs."""
    return (WINDOW + n) * WINDOW_SECONDS + ahead


def heard(boundaries: Boundaries, windows: int, ahead: float, phones: int = 6,
          arrivals: int = 40, seed: int = 1) -> None:
    """``windows`` windows of a store: ``arrivals`` people coming into earshot at any
    moment of each, and the ``phones`` in earshot starting new tokens at each boundary
    (their clocks up to 3 s off, a first advert heard within a second)."""
    rng = random.Random(seed)
    new = []
    for n in range(windows):
        new += [boundary(n, ahead) + rng.uniform(0.0, WINDOW_SECONDS) for _ in range(arrivals)]
        if n:
            new += [boundary(n, ahead) + rng.uniform(-3.0, 4.0) for _ in range(phones)]
    for t in sorted(new):
        boundaries.first_heard(t)


def test_with_the_agents_clock_right_the_boundaries_are_its_own() -> None:
    boundaries = Boundaries()
    heard(boundaries, windows=4, ahead=0.0)
    assert boundaries.offset == 0.0
    assert boundaries.near(boundary(5)) and not boundaries.near(boundary(5) + 30)


def test_a_clock_minutes_ahead_is_learned_at_the_second_boundary_it_hears() -> None:
    boundaries = Boundaries()
    heard(boundaries, windows=2, ahead=AHEAD_S)  # one boundary: one crowd, perhaps
    assert boundaries.offset == 0.0
    heard(boundaries, windows=3, ahead=AHEAD_S, seed=2)
    assert boundaries.offset == pytest.approx(AHEAD_S, abs=3.0)
    at = boundary(7, AHEAD_S)
    assert boundaries.near(at + 2) and not boundaries.near(boundary(7))
    assert boundaries.window(at + 5) == WINDOW + 7 and boundaries.window(at - 5) == WINDOW + 6
    assert boundaries.start(WINDOW + 7) == pytest.approx(at, abs=3.0)
    # A clock behind the phones' is an offset below 0.
    behind = Boundaries()
    heard(behind, windows=4, ahead=-230.0)
    assert behind.offset == pytest.approx(-230.0, abs=3.0)


def test_one_crowd_walking_by_is_no_boundary() -> None:
    # A bus empties: 20 people come into earshot within 5 s, once.
    boundaries = Boundaries()
    heard(boundaries, windows=3, ahead=0.0, phones=0)
    for i in range(20):
        boundaries.first_heard(boundary(3) + 300 + i / 4)
    assert boundaries.offset == 0.0


def test_what_it_learned_holds_through_a_quiet_spell() -> None:
    # After the boundaries, an hour of people coming by and no phone about at a boundary.
    boundaries = Boundaries()
    heard(boundaries, windows=3, ahead=AHEAD_S)
    learned = boundaries.offset
    rng = random.Random(3)
    for t in sorted(boundary(3, AHEAD_S) + 5 + rng.uniform(0.0, 3500.0) for _ in range(300)):
        boundaries.first_heard(t)
    assert boundaries.offset == learned != 0.0


def phones_rotating(e: PresenceEngine, at: float, first: int) -> None:
    """Six phones outside, come into earshot one after the other in the minutes before
    the boundary ``at``, each starting its next token there (the burst of new tokens
    the engine learns the boundary by)."""
    for k in range(6):
        old, new = Frame(1, 3, bytes([first + 2 * k]) * 16), Frame(1, 3, bytes([first + 2 * k + 1]) * 16)
        t = at - 60.0 - 20.0 * k
        while t < at - 0.5 + k / 10:
            e.sighting(t, -90, old)
            t += 0.5
        for i in range(20):
            e.sighting(at + 0.5 + k / 10 + i / 2, -90, new)
        e.tick(at + 20)


def shopper_rotating_inside(e: PresenceEngine, at: float) -> list[str]:
    """A shopper inside for 4 minutes at -62 dBm when her phone changes token at ``at``,
    then 2 minutes more: the kinds of the decisions on her tokens."""
    old, new = Frame(1, 3, b"\xa0" * 16), Frame(1, 3, b"\xa1" * 16)
    decisions = []
    for token, start, seconds in ((old, at - 240, 240), (new, at + 0.3, 120)):
        for i in range(int(seconds * 2)):
            t = start + i / 2
            decisions += e.sighting(t, -62, token) + e.tick(t)
    return [d.event.kind for d in decisions if d.event.token in (old.token_hex, new.token_hex)]


@pytest.mark.parametrize("ahead", [0.0, AHEAD_S])
def test_a_shopper_whose_phone_changes_token_inside_is_let_in_whatever_the_agents_clock(ahead: float) -> None:
    # The agent has heard two boundaries of phones rotating (on its clock, ``ahead`` of
    # theirs); then a shopper's token changes while she is inside. Her minutes go on
    # under the new token: let in on the long dwell (4 + 2 minutes heard).
    counter = itertools.count()
    e = PresenceEngine(EngineSettings(), new_id=lambda: f"00000000-0000-4000-8000-{next(counter):012d}")
    e.sighting(boundary(0, ahead) + 100, -99, Frame(1, 3, b"\xff" * 16))  # it starts listening
    for n in (1, 2):
        phones_rotating(e, boundary(n, ahead), first=20 * n)
    assert shopper_rotating_inside(e, boundary(3, ahead) + 1.0) == [ENTER]
    assert e.boundaries.offset == pytest.approx(ahead, abs=3.0)
    # An engine that has not learned where the boundaries are on this clock takes her
    # next token for a stranger first heard close: her 4 minutes are lost.
    if ahead:
        fresh = PresenceEngine(EngineSettings())
        fresh.sighting(boundary(3, ahead) - 400, -99, Frame(1, 3, b"\xff" * 16))
        assert shopper_rotating_inside(fresh, boundary(3, ahead) + 1.0) == []


@pytest.mark.parametrize("ahead", [AHEAD_S, -230.0])
def test_an_hour_of_a_store_counts_its_phones_with_the_agents_clock_minutes_off(ahead: float) -> None:
    # Tuning seed 1, as the nearby tests. Counting tokens would give 1.2 times the phones
    # and more (the walk-ins stay for several windows); the boundaries before the agent
    # learned them count a phone twice.
    hour = heard_hour("basket-stand", seed=1, agent_clock_s=ahead)
    assert hour.tokens > 1.2 * hour.phones
    assert hour.phones <= hour.nearby <= 1.15 * hour.phones

