"""How many app phones the agent hears (the heartbeat's ``nearby``; the dashboard's
"App shoppers nearby"): phones, not tokens.

A phone sends one token per 10-minute window and changes it at the boundary (by its own
clock, seconds off), so a phone heard across a boundary is heard as two tokens. To count
phones it is enough to know *how many* of the tokens first heard at a boundary carry on a
token that fell silent there, not which: the most pairs (old, new) in which the new
token is first heard after the old one fell silent, within ``GAP_S`` and ``LINK_DB`` of
it (medians of a few readings either side), each token in one pair at most. A new token
is counted once the pairs of its boundary are known (``GAP_S`` plus the clocks' slack
after it); a token first heard away from a boundary at once.

What remains (``make bench BENCH=calibration``, held-out hours: 1.014 times the phones
heard, 0.993-1.108 per store, where counting tokens gave 1.288): a phone unheard for
longer than ``GAP_S`` around its rotation (deep in a big store, behind a shelf) is
counted twice, so sparse, deep stores count a few % too many; a phone that walks away
just as another walks up at a boundary, at the same level, is counted once for both.
The dashboard's "App shoppers nearby" is this count: app phones heard, in the store or
passing it.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from beacon_agent import constants
from beacon_agent.boundaries import Boundaries
from rewards_protocol.presence import WINDOW_SECONDS, Frame

# The engine's link gap: a phone is heard every second or so. Longer gaps pair a
# passer-by who walked off before the boundary with one who walked up after it: on the
# tuning hours counted/true was 1.012 at 10 s, 0.983 at 30 s, 0.940 at 60 s.
GAP_S = constants.LINK_GAP_S
LINK_DB = constants.LINK_DB
READINGS = 5  # readings either side of a boundary whose medians are compared


@dataclass(slots=True)
class _Heard:
    first_seen: float
    last_seen: float
    first: list[int] = field(default_factory=list)  # the first READINGS rssi
    last: deque[int] = field(default_factory=lambda: deque(maxlen=READINGS))


class NearbyCount:
    """Feed it every sighting of our frames and ``settle(t)`` now and then; ``count`` is
    the phones heard so far. ``boundaries``: where the phones change token on this clock
    (the engine's, which learns them)."""

    def __init__(self, boundaries: Boundaries | None = None) -> None:
        self.boundaries = boundaries or Boundaries()
        self.count = 0
        self._heard: dict[bytes, _Heard] = {}
        self._new: list[_Heard] = []  # first heard at a boundary, not counted yet
        self._settled = float("-inf")  # the last boundary whose new tokens are counted

    def sighting(self, t: float, rssi: int, frame: Frame) -> None:
        heard = self._heard.get(frame.token)  # 16 random bytes: the key id adds nothing
        if heard is None:
            heard = self._heard[frame.token] = _Heard(t, t)
            if self._at_boundary(t):
                self._new.append(heard)
            else:
                self.count += 1
        heard.last_seen = t
        heard.last.append(rssi)
        if len(heard.first) < READINGS:
            heard.first.append(rssi)

    def settle(self, t: float) -> None:
        """Once the pairs of the last boundary are known by ``t``: count its new tokens,
        and forget the tokens of the windows before it (none can be heard again)."""
        boundaries = self.boundaries
        boundary = boundaries.start(boundaries.window(t - GAP_S - constants.ROTATION_SLACK_S))
        if boundary <= self._settled:
            return
        self._settled = boundary
        new = [h for h in self._new if h.first_seen < boundary + GAP_S]
        self._new = [h for h in self._new if h.first_seen >= boundary + GAP_S]
        old = [h for h in self._heard.values()
               if h.first_seen < boundary - constants.ROTATION_SLACK_S]
        self.count += len(new) - _pairs(old, new)
        for key in [k for k, h in self._heard.items() if h.last_seen < boundary - GAP_S]:
            del self._heard[key]

    def _at_boundary(self, t: float) -> bool:
        """Whether a token first heard at ``t`` may be a phone's next token."""
        phase = self.boundaries.phase(t)
        return phase >= WINDOW_SECONDS - constants.ROTATION_SLACK_S or phase < GAP_S


def may_follow(old_last_seen: float, old_last: Iterable[int], new_first_seen: float,
               new_first: Iterable[int]) -> bool:
    """Whether a token first heard at ``new_first_seen`` can be the next token of the
    phone whose token fell silent at ``old_last_seen``: first heard after it, within
    ``GAP_S``, at its level (the medians of the old token's last ``READINGS`` readings and
    of the new one's first, within ``LINK_DB``). The walk test follows the installer's
    phone across a rotation by the same rule."""
    return (old_last_seen < new_first_seen <= old_last_seen + GAP_S
            and abs(statistics.median(old_last) - statistics.median(new_first)) <= LINK_DB)


def _fits(old: _Heard, new: _Heard) -> bool:
    return may_follow(old.last_seen, old.last, new.first_seen, new.first)


def _pairs(old: list[_Heard], new: list[_Heard]) -> int:
    """The most pairs of an old and a new token that can be one phone's (a maximum
    bipartite matching, by augmenting paths: a boundary has a few dozen tokens)."""
    partner: dict[int, int] = {}  # new token -> old token (indices)
    fits = [[j for j, n in enumerate(new) if _fits(o, n)] for o in old]

    def augment(i: int, seen: set[int]) -> bool:
        for j in fits[i]:
            if j not in seen:
                seen.add(j)
                if j not in partner or augment(partner[j], seen):
                    partner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(old)))
