"""Where the phones change token, on the agent's clock.

A phone changes its token at each window boundary of its own clock (PROTOCOLS.md
section 1; phones keep network time, seconds off). Where the agent's clock is right,
those are its own boundaries. A Raspberry Pi has no real-time clock, though: where the
store's network blocks network time, or before it is reached, its clock is minutes off,
and so is every boundary it expects. Its rotation links then look for new tokens where
none are and find none where they are, and a shopper whose token changes while she is
inside starts her minutes heard afresh (issue 13: random sites 1-60, recall 0.954 with
the clock right, 0.920 with it 150 s ahead).

The air says where the boundaries are: at each, every phone in earshot starts a new
token within seconds, while people coming into earshot start theirs at any moment. So
``Boundaries`` keeps the phase (time within the window) at which each new token was
first heard, and where one short stretch of the window holds many times the new tokens
the rest of it holds per second, the boundaries are there (``offset``: how far after the
agent's own they fall). Until then the agent's clock is taken to be as far off the
phones' as the API's clock says (``suppose``: the service asks it as it starts), or right
where it cannot ask; where that stretch is within seconds of the agent's own boundary,
the agent's clock is taken as right. The engine tells it of new tokens (``first_heard``);
the engine and the nearby count ask it where the boundaries are.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

from beacon_agent import constants
from rewards_protocol.presence import WINDOW_SECONDS, window_of


class Boundaries:
    """The phones' window boundaries on the agent's clock: its own, moved by ``offset``
    seconds (-300 to 300) once the new tokens heard say so (or as another's learned:
    ``offset``)."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset
        self._new: deque[float] = deque(maxlen=constants.PHASE_SAMPLES)  # when new tokens were first heard
        self._counted_at = -math.inf

    def first_heard(self, t: float) -> bool:
        """A token never heard before was first heard at ``t``. The boundaries are looked
        for again at most every ``PHASE_EVERY_S``; whether they moved."""
        self._new.append(t)
        if t - self._counted_at < constants.PHASE_EVERY_S:
            return False
        self._counted_at = t
        found = _boundary(self._new)
        if found is None:
            return False  # as they were: a quiet spell between boundaries takes nothing back
        offset = self.offset
        self.suppose(found)
        return self.offset != offset

    def suppose(self, offset: float) -> None:
        """Takes the boundaries to fall ``offset`` seconds after the agent's own (within
        half a window; within ``PHASE_SPREAD_S``, at its own) until the air says otherwise:
        what the new tokens heard said (``first_heard``), or another clock (the API's)."""
        offset = within_a_window(offset)
        self.offset = 0.0 if abs(offset) <= constants.PHASE_SPREAD_S else offset

    def phase(self, t: float) -> float:
        """How far into the phones' window agent time ``t`` is."""
        return (t - self.offset) % WINDOW_SECONDS

    def near(self, t: float) -> bool:
        """Whether ``t`` is where phones change token (by their own clocks, seconds off)."""
        phase = self.phase(t)
        return phase <= constants.ROTATION_SLACK_S or phase >= WINDOW_SECONDS - constants.ROTATION_SLACK_S

    def window(self, t: float) -> int:
        """The phones' window at agent time ``t``."""
        return window_of(t - self.offset)

    def start(self, window: int) -> float:
        """Where the phones' ``window`` starts, in agent time."""
        return window * WINDOW_SECONDS + self.offset


def within_a_window(seconds: float) -> float:
    """``seconds`` less the whole windows in it: -300 to 300 s (where boundaries repeat)."""
    return (seconds + WINDOW_SECONDS / 2) % WINDOW_SECONDS - WINDOW_SECONDS / 2


def _boundary(new: Iterable[float]) -> float | None:
    """Where the boundaries are, as an offset from the agent's own (-300 to 300 s), from
    the times ``new`` tokens were first heard: the median phase of the densest
    ``PHASE_SPREAD_S`` of the window, where it holds ``PHASE_TOKENS`` of them or more,
    first heard in two windows or more (not one crowd walking by), and ``PHASE_TIMES``
    times as many as the rest of the window holds in as long; None where none does."""
    heard = sorted((t % WINDOW_SECONDS, window_of(t)) for t in new)
    n, spread = len(heard), constants.PHASE_SPREAD_S
    if n < constants.PHASE_TOKENS:
        return None
    around = heard + [(phase + WINDOW_SECONDS, window) for phase, window in heard]  # a circle
    best, first, end = 0, 0, 0
    for i in range(n):
        end = max(end, i)
        while end + 1 < i + n and around[end + 1][0] - around[i][0] <= spread:
            end += 1
        if end - i + 1 > best and len({window for _, window in around[i:end + 1]}) > 1:
            best, first = end - i + 1, i
    elsewhere = (n - best) * spread / (WINDOW_SECONDS - spread)
    if best < constants.PHASE_TOKENS or best < constants.PHASE_TIMES * max(elsewhere, 1.0):
        return None
    return within_a_window(around[first + best // 2][0])
