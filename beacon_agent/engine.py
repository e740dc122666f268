"""The presence engine: turns sightings of presence frames into ``enter``/``exit``
decisions. Pure: no I/O, no clock of its own (every call carries the time), so the same
engine runs live, in replay on a trace's clock and in tests on hand-made sequences.

Per token (a phone during one 10-minute window) it keeps a short window of RSSI samples
(``smoothing_s``, stretched to ``smoothing_samples`` samples up to ``smoothing_max_s`` for
sparse phones) and smooths them with a median (one lost or reflected packet cannot move
it), adds the agent's calibration offset, and decides (thresholds and their reasons in
``constants``) that a phone walked in on either kind of evidence:

- the crossing: over the last ``enter_dwell_s`` (with ``enter_sightings``) the phone held
  a level above the ``enter_dbm`` gate that is further above the lowest level of the
  ``rise_lookback_s`` before than anyone outside rises *at this entrance* (plus
  ``rise_noise_k`` times how far the phone's own noise can move its median). Someone
  walking past rises as they near the door and falls back as they walk on; a window
  shopper rises only as far as the glass; a walk-in holds what it gained, whether it
  stops under the agent or walks on in. How far outsiders rise, and whether shoppers
  inside rose further at all, depends on the site (where the agent hangs, the front, the
  pavement), so the engine learns both from the store's own traffic (``SiteLearning``):
  a token heard for less than the long dwell was outside, a phone heard for the long
  dwell was inside (a phone already about when the engine starts teaches nothing: its
  way in or past was not heard). Where the crossing does not tell them apart (an agent
  close behind the glass), it decides nothing; before it has learned, it asks for a
  rise no one outside makes. What it learned outlives the engine (``SiteLearning``'s
  ``snapshot``, kept by the agent across restarts: ``memory``);
- heard for ``long_dwell_s`` (across linked rotations, and across gaps in the same
  token: a phone at the far end of a big store) and still heard above ``exit_dbm``:
  longer than anyone stays outside (a phone switched on inside; longer where the
  people outside are heard walking for long, learned from them as well:
  ``SiteLearning.long_dwell``, and shorter, down to ``LONG_DWELL_LOUD_S``, for a phone at
  the gate where they are heard only briefly: a kiosk's short visits; ``minutes_needed``);
  or, heard under ``exit_dbm``, for ``faint_dwell_s``: a weak phone at the far end of a
  big store, heard longer than anyone outside is heard at all (a window shopper walking
  off down a long pavement is heard as faintly for the long dwell). Its level says
  nothing of where it is then: it leaves when it is no longer heard, or by its level once
  it was heard above ``exit_dbm`` again (on its way out through the door).

A token first heard at a window boundary (where the phones change token on this clock,
learned from when new tokens are heard: ``boundaries``) is linked to the phone whose token fell
silent there at the same level and advertising at the same interval (a phone keeps its
interval when it changes token; faster while its app is open, it is the one each token
advertised at by the rotation), when no other is: it carries that phone's walk through
the door on (a rotation mid-door), and how long it has been heard. A stretch in which
the receiver heard no phone at all, while phones heard just before fell silent far
beyond their own gaps, is nobody's silence there (its radio chip busy with its Wi-Fi, a
scan restarting: ``_deaf_since``). Where several could
be its phone, it is looked at again once its own interval is known (a new token's few
first sightings may have lost every other advert); still several, it carries only the
shortest of their minutes heard (whichever it is, it has been heard that long). The
minutes a link carried do not let in a token that walks past: first heard where only
the far pavement is heard, risen, and falling back from its loudest; nor one first
heard below the gate, where the far pavement is heard and phones read alike, before it
has been heard itself for ``FLOOR_LINKED_HEARD_S``. A phone inside stays inside under
its next token, when that token was first heard above the receiver's floor, within a
few of the phone's gaps, could follow no phone outside (nor one heard too seldom to
know its interval) and no other new token could be that phone's, where the gaps of both
still tell intervals apart (not stamped tens of ms late: ``_Token.spread``): the new
token enters at once (the API hears of it, so the visit stays open for scans) and the
old one does not exit.

``exit`` once, after an enter, it has stayed below ``exit_dbm`` (lower than the gate:
hysteresis, so a phone hovering at the threshold does not flap) for ``exit_dwell_s``,
or the token has not been seen for ``away_timeout_s``; a token that fell silent as phones
change token sends that exit only ``ROTATION_EXIT_HOLD_S`` after its last advert (its
phone, under a next token not linked to it, is let in again by then, and the API goes on
with the visit). The baseline counts only medians
of at least ``baseline_samples`` samples: the median of a new token's first few
sightings is one or two noisy readings, too low as often as too high.

A token that is never entered is forgotten silently after the away timeout.
"""

from __future__ import annotations

import math
import uuid
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Any

from beacon_agent import constants
from beacon_agent.boundaries import Boundaries
from rewards_protocol.events import ENTER, EXIT, PresenceEvent
from rewards_protocol.presence import Frame


@dataclass(frozen=True, slots=True)
class EngineSettings:
    """Thresholds of the presence engine (defaults and their reasons in ``constants``)."""

    enter_dbm: float = constants.ENTER_DBM
    rise_db: float = constants.RISE_DB
    rise_noise_k: float = constants.RISE_NOISE_K
    rise_lookback_s: float = constants.RISE_LOOKBACK_S
    enter_dwell_s: float = constants.ENTER_DWELL_S
    enter_sightings: int = constants.ENTER_SIGHTINGS
    long_dwell_s: float = constants.LONG_DWELL_S
    faint_dwell_s: float = constants.FAINT_DWELL_S
    exit_dbm: float = constants.EXIT_DBM
    exit_dwell_s: float = constants.EXIT_DWELL_S
    away_timeout_s: float = constants.AWAY_TIMEOUT_S
    smoothing_s: float = constants.SMOOTHING_S
    smoothing_samples: int = constants.SMOOTHING_SAMPLES
    smoothing_max_s: float = constants.SMOOTHING_MAX_S
    baseline_samples: int = constants.BASELINE_SAMPLES
    learn_from_traffic: bool = True
    # A second agent: its gate rises above the level the store's own outsiders held
    # there (``PresenceEngine.enter_level``), for an agent hung too near the street or
    # with a louder radio; until it has heard them, it lets no one in on a level.
    learn_street_level: bool = False
    calibration_db: float = 0.0
    # A walk test's levels (``beacon-agent calibrate``): the loudest level heard from
    # outside and the level a phone just inside the door reaches; used until the engine
    # has learned the entrance from its own traffic.
    outside_dbm: float | None = None
    inside_dbm: float | None = None

    def updated(self, changes: dict[str, Any]) -> EngineSettings:
        """A copy with the known keys of ``changes`` applied (unknown keys are ignored, so
        a newer API can send settings an older agent does not have)."""
        known = {k: _cast(getattr(self, k), v) for k, v in changes.items()
                 if k in self.__dataclass_fields__}
        return replace(self, **known)


def _cast(default: Any, value: Any) -> Any:
    """``value`` (from TOML, the environment or the API) as the type of ``default``."""
    if isinstance(default, bool) and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if value is None:
        return None
    return float(value) if default is None else type(default)(value)


# The settings of a second agent deeper in the store (reasons in ``constants``): an
# absolute level held for a dwell, no rise asked.
DEEP_AGENT = EngineSettings(
    enter_dbm=constants.DEEP_ENTER_DBM, rise_db=0.0, rise_noise_k=0.0, smoothing_samples=1,
    smoothing_s=constants.DEEP_SMOOTHING_S, smoothing_max_s=constants.DEEP_SMOOTHING_S,
    enter_dwell_s=constants.DEEP_ENTER_DWELL_S, learn_from_traffic=False, learn_street_level=True,
    enter_sightings=constants.DEEP_ENTER_SIGHTINGS, long_dwell_s=constants.DEEP_LONG_DWELL_S,
    baseline_samples=1)


@dataclass(frozen=True, slots=True)
class Decision:
    """A presence event and the moment (engine clock) it was decided."""

    t: float
    event: PresenceEvent


@dataclass(slots=True)
class _Series:
    """Timed values, oldest first, kept as two parallel deques rather than one of
    ``(t, value)`` pairs: so that the median, the minimum since a moment and that moment's
    place (``since``) are one call each into C (``sorted``, ``min``, ``bisect``), twice a
    second for every token (the replay's hot path). ``since`` needs the times in order, as
    a token's ``history`` has them: appended at its evaluations, each at least
    ``EVALUATE_EVERY_S`` after the one before, and ``prepend`` adds an earlier token's.
    How many: ``len(series.at)`` (no ``__len__``: a call in Python, ``len`` of a deque is
    not)."""

    at: deque[float] = field(default_factory=deque)
    values: deque[float] = field(default_factory=deque)

    def append(self, t: float, value: float) -> None:
        self.at.append(t)
        self.values.append(value)

    def drop_oldest(self) -> None:
        self.at.popleft()
        self.values.popleft()

    def prepend(self, older: _Series) -> None:
        """``older``'s values ahead of these (an earlier token's, linked to this one)."""
        self.at.extendleft(reversed(older.at))
        self.values.extendleft(reversed(older.values))

    def clear(self) -> None:
        self.at.clear()
        self.values.clear()

    def since(self, start: float) -> int:
        """The place of the first value taken at or after ``start``."""
        return bisect_left(self.at, start)


@dataclass(slots=True)
class _Token:
    frame: Frame
    first_seen: float
    last_seen: float
    count: int = 0
    rssi_max: int = -128
    histogram: dict[int, int] = field(default_factory=dict)  # rssi -> sightings, for the median
    recent: _Series = field(default_factory=_Series)  # rssi of the last seconds, for the level
    history: _Series = field(default_factory=_Series)  # smoothed levels: baselines
    evaluated: float = float("-inf")
    inside: bool = False
    since: float | None = None  # inside: when the smoothed RSSI fell below the exit level
    heard_since: float = 0.0  # first heard, over the phone's earlier tokens linked to it
    unheard: float = 0.0  # how long it was away in its silences since then (``heard_for``)
    max_rise: float = float("-inf")  # the largest held rise, net of the noise margin
    max_level: float = float("-inf")  # the loudest level held for ``enter_dwell_s``
    linked: bool = False  # a later token of the same phone carries its evidence on
    rotated: bool = False  # first heard at a rotation: may be an earlier token's phone
    link_tries: int = 0  # ... how often it was looked for, while no earlier token was surely its
    first_rssi: int = 0
    # Its own level (the median, before the calibration offset) at the first link try (a
    # rotated token): where it rotated, as it was then. None: never looked at.
    first_level: float | None = None
    first_interval: float | None = None  # ... and its interval then (before its app may open)
    counted: bool = False  # its rise was learned as an insider's (heard the long dwell)
    last_rssi: int | None = None
    jitter: float = constants.JITTER_PRIOR_DB  # running mean of |rssi - previous rssi|
    shortest: float = float("inf")  # the shortest time between two sightings
    steady: float = float("inf")  # ... of those the one before or after repeats (``interval``)
    last_gap: float = float("inf")
    # How far its stamps wander: the running mean of how far a gap of one interval (within
    # a quarter of ``steady``) is from the one before (a few ms of advDelay; tens where
    # the agent's computer stamps adverts late: ``_carry_visit``).
    spread: float = 0.0
    faint: bool = False  # let in below the exit level, heard for FAINT_DWELL_S: leaves when unheard
    walked_out: bool = False  # left by its level: faint again, it is on its way off
    let_in: bool = False  # once: its silences since take nothing off its minutes heard

    def heard_for(self, t: float) -> float:
        """How long the phone has been heard by ``t``: since ``heard_since``, less the
        time it was away in each silence before it was let in (``_not_there``). A
        passer-by who comes back the same way minutes on (from the cash machine) was heard
        on her way there and back, not all that time; a silence up to the away timeout,
        as anyone's between two adverts lost, counts as heard, and of a longer one, that
        much less the longer it lasted."""
        return t - self.heard_since - self.unheard

    @property
    def interval(self) -> float:
        """Its advertising interval: its shortest gap between sightings that the gap
        before or after it repeats once or a few times (``_repeated``), or, while none
        is, its shortest."""
        return self.steady if self.steady != float("inf") else self.shortest

    def gap(self, gap: float) -> None:
        """One more gap between its sightings, of ``SHORTEST_GAP_S`` or more."""
        last, steady = self.last_gap, self.steady
        if abs(gap - steady) < 0.25 * steady and abs(last - steady) < 0.25 * steady:
            self.spread += (abs(gap - last) - self.spread) * constants.SPREAD_WEIGHT
        self.last_gap = gap
        if gap >= steady and last >= steady:
            return  # nothing shorter than its interval: it stays
        if gap < self.shortest:
            self.shortest = gap
        short, long = (gap, last) if gap < last else (last, gap)
        if short < steady and long != float("inf") and _repeated(short, long):
            self.steady = short

    def median(self) -> int:
        half, seen = (self.count + 1) // 2, 0
        for rssi in sorted(self.histogram):
            seen += self.histogram[rssi]
            if seen >= half:
                return rssi
        return self.rssi_max


class PresenceEngine:
    """Feed it ``sighting(t, rssi, frame)`` for every one of our frames and ``tick(t)``
    now and then (at least every few seconds); both return the decisions they made."""

    def __init__(self, settings: EngineSettings | None = None,
                 new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self.settings = settings or EngineSettings()
        self._new_id = new_id
        self._tokens: dict[tuple[int, bytes], _Token] = {}
        # Tokens unheard for the away timeout, until their window is over: the same token
        # heard again is the same phone (back from the far end of a big store), its
        # minutes heard go on.
        self._gone: dict[tuple[int, bytes], _Token] = {}
        # Exits of phones that fell silent as phones change token, each with its due time
        # (``_exit_unheard``): decided when they are due.
        self._held_exits: list[tuple[float, PresenceEvent]] = []
        self.learned = SiteLearning()
        self.boundaries = Boundaries()  # where the phones change token, on this clock
        self._listening_since: float | None = None  # its first sighting
        # The receiver deaf to every phone at once (``_deaf_since``): the stretches
        # (start, end) of the last minute, which no phone's silence counts.
        self._deaf: deque[tuple[float, float]] = deque()
        self._heard_at = -math.inf  # the last sighting of any phone

    def __len__(self) -> int:
        return len(self._tokens)

    @property
    def inside(self) -> int:
        """How many tokens are currently entered."""
        return sum(1 for token in self._tokens.values() if token.inside)

    def sighting(self, t: float, rssi: int, frame: Frame) -> list[Decision]:
        if t - self._heard_at > constants.DEAF_MIN_S:
            self._deaf_since(self._heard_at, t)
        if t > self._heard_at:
            self._heard_at = t
        key = (frame.key_id, frame.token)
        token = self._tokens.get(key) or self._first_heard_now(key, t, rssi, frame)
        # Every advert passes here: plain comparisons rather than max(), and the deques
        # of ``recent`` at hand (the replay's hot path, ``make bench BENCH=agent``).
        if t > token.last_seen:
            gap = t - token.last_seen
            if gap >= constants.SHORTEST_GAP_S:  # shorter: adverts stamped together
                token.gap(gap)
            token.last_seen = t
        token.count += 1
        if rssi > token.rssi_max:
            token.rssi_max = rssi
        histogram = token.histogram
        histogram[rssi] = histogram.get(rssi, 0) + 1
        if token.last_rssi is not None:
            token.jitter += (abs(rssi - token.last_rssi) - token.jitter) * constants.JITTER_WEIGHT
        token.last_rssi = rssi
        recent = token.recent
        times = recent.at
        times.append(t)
        recent.values.append(rssi)
        s = self.settings
        horizon, limit = t - s.smoothing_s, t - s.smoothing_max_s
        while times[0] < limit or (times[0] < horizon and len(times) > s.smoothing_samples):
            times.popleft()
            recent.values.popleft()
        if t - token.evaluated < constants.EVALUATE_EVERY_S:
            return []
        return self._decide(token, t)

    def tick(self, t: float) -> list[Decision]:
        """Exits for tokens unseen for the away timeout; forgetting them once their window
        is over (then a token heard for less than the long dwell was outside)."""
        decisions = []
        horizon = t - self.settings.away_timeout_s
        for key in [k for k, token in self._tokens.items() if token.last_seen < horizon]:
            token = self._tokens.pop(key)
            if token.inside:
                token.inside, token.since, token.faint = False, None, False
                decisions += self._exit_unheard(token, t)
            token.recent.clear()
            token.history.clear()
            token.link_tries = len(constants.LINK_TRIES_S)
            if self._outsider(token):
                self.learned.outsider(token.max_level, token.heard_for(token.last_seen))
            self._gone[key] = token
        for key in [k for k, token in self._gone.items() if self._window_over(token, t)]:
            token = self._gone.pop(key)
            if self._outsider(token, heard_under=self.settings.long_dwell_s):
                self.learned.outside(token.max_rise)
        return decisions + self._exits_due(t)

    def _first_heard_now(self, key: tuple[int, bytes], t: float, rssi: int, frame: Frame) -> _Token:
        """A token not heard in the away timeout: one gone back from the far end of the
        store or from down the street (``_Token.heard_for``), or a new one."""
        token = self._gone.pop(key, None)
        if token is not None and not token.let_in:
            token.unheard += _not_there(t - token.last_seen, self.settings.away_timeout_s)
        if token is None:
            if self._listening_since is None:
                self._listening_since = t
            elif t >= self._listening_since + constants.START_UNHEARD_S and self.boundaries.first_heard(t):
                self._boundaries_moved()  # not about at the start
            token = _Token(frame, first_seen=t, last_seen=t, heard_since=t, first_rssi=rssi,
                           rotated=self.boundaries.near(t))
        self._tokens[key] = token
        return token

    def _boundaries_moved(self) -> None:
        """The phones change token elsewhere on this clock than it was thought: a token
        not looked at for a link yet is one of a rotation where it was first heard at one
        now (it is looked at within seconds: the boundary that said so has just passed)."""
        for token in self._tokens.values():
            if not token.link_tries:
                token.rotated = self.boundaries.near(token.first_seen)

    def _deaf_since(self, start: float, t: float) -> None:
        """No phone was heard from ``start`` to ``t``: the receiver was deaf (its radio
        chip busy with its Wi-Fi, a scan restarting) where at least ``DEAF_PHONES`` phones
        heard just before were silent far beyond their own gaps (``_link_gap``)."""
        chatty = sum(1 for token in self._tokens.values()
                     if token.last_seen > start - constants.DEAF_MIN_S and _link_gap(token) < t - start)
        while self._deaf and self._deaf[0][1] < t - constants.DEAF_KEPT_S:
            self._deaf.popleft()
        if chatty >= constants.DEAF_PHONES:
            self._deaf.append((start, t))

    def _silent(self, start: float, end: float) -> float:
        """How long a phone unheard from ``start`` to ``end`` was silent: less the
        stretches the receiver was deaf."""
        if not self._deaf:
            return end - start
        deaf = sum(max(0.0, min(end, until) - max(start, since)) for since, until in self._deaf)
        return end - start - deaf

    def _exit_unheard(self, token: _Token, t: float) -> list[Decision]:
        """The exit of a phone inside that fell silent; held back from its last advert
        where that was as phones change token (``constants.ROTATION_EXIT_HOLD_S``: its
        next token, too little heard to take over its visit, is let in on its own by then,
        and the API goes on with the visit and takes the late exit for the old token's)."""
        exit_ = self._decision(token, EXIT, t)
        if not self.boundaries.near(token.last_seen):
            return [exit_]
        self._held_exits.append((token.last_seen + constants.ROTATION_EXIT_HOLD_S, exit_.event))
        return []

    def _exits_due(self, t: float) -> list[Decision]:
        due = [Decision(t, event) for at, event in self._held_exits if at <= t]
        if due:
            self._held_exits = [(at, event) for at, event in self._held_exits if at > t]
        return due

    def _outsider(self, token: _Token, heard_under: float = constants.OUTSIDER_HEARD_S) -> bool:
        """Whether a token that fell silent was someone outside: heard for less than
        ``heard_under`` (by default less than anyone who walks in, ``OUTSIDER_HEARD_S``;
        its rise is learned of any phone heard under the long dwell), from its start (not
        a token first heard at a rotation, nor as the engine started) to its end (not cut
        by the next one)."""
        return (not token.rotated and self._heard_arriving(token)
                and not self.boundaries.near(token.last_seen)
                and token.heard_for(token.last_seen) < heard_under)

    def _heard_arriving(self, token: _Token) -> bool:
        """Whether the engine was listening when the phone came by, not one already about
        as it started (``START_UNHEARD_S``: a start mid-day, shoppers inside and someone
        at the window), whose way in or past it never heard: it teaches nothing of the
        entrance."""
        since = self._listening_since
        return since is not None and token.heard_since >= since + constants.START_UNHEARD_S

    def _link(self, token: _Token) -> bool:
        """A token first heard at a window boundary, a few seconds on, is the next token
        of a phone whose token fell silent just before it was first heard (a phone never
        sends its old and new token together) at its level and interval (``_same_phone``),
        when no other new token could be that phone's as well: it carries that
        phone's evidence on (its samples and baseline, so a walk through the door that
        the rotation cut in two is still one, and how long it has been heard). Where no
        token fell silent that close, one that fell silent as long before as its phone's
        losses may have hidden adverts (``_lost_gap``), if it is the only one. Looked
        at ``LINK_TRIES_S`` after it was first heard; at the last look, where several
        phones could still be its (close), it carries the shortest of their minutes heard.
        Where no phone outside could be its, it may be the next token of one inside
        (``_carry_visit``). Whether carrying that phone's visit on let the token in."""
        token.link_tries += 1
        if token.link_tries == 1:
            token.first_level = _level(token)  # its own, before an earlier token's are prepended
            token.first_interval = token.interval
        candidates, gap = self._candidates(token, inside=False)
        if not candidates:
            return self._carry_visit(token)
        if len(candidates) != 1 or self._taken(candidates[0], token, gap):
            if gap is _link_gap and token.link_tries == len(constants.LINK_TRIES_S):
                shortest = min(candidates, key=lambda old: old.heard_for(token.first_seen))
                token.heard_since, token.unheard = shortest.heard_since, shortest.unheard
        else:
            self._carry(candidates[0], token)
        return False

    def _carry_visit(self, token: _Token) -> bool:
        """A token that could follow no phone outside may be the next token of a
        phone inside: it stays inside under it, so that its visit goes on at the API (no
        exit for the old token, an enter for the new one at once: a shopper scanning
        products is in the store all along, not out for minutes at every rotation). Only
        at the second look or later (time for that phone's own next token to be heard,
        however many adverts it lost), for a token first heard above the receiver's
        floor (``exit_dbm``: below it every phone reads alike), of a phone inside
        that was above it too as it fell silent (``constants.FLOOR_LINKED_HEARD_S``),
        when exactly one phone inside fits, fell silent within a few of its own gaps as
        the token came (``_link_gap``: not only as long before as its losses may hide),
        and no other new token could be its (``_rivalled``), nor could it follow a phone
        outside heard too seldom to know its interval (``_after_sparse``): a passer-by
        taken for it would be let in at once. Nor where either's gaps spread by more than
        INTERVAL_MATCH_S (``spread``: stamps so late that the interval no longer tells
        one phone from another). Whether it let the token in by that (one
        already let in on its own evidence takes the visit on all the same: its old
        token does not exit)."""
        if token.link_tries < 2 or not self._first_heard_above(token, self.settings.exit_dbm):
            return False
        candidates, gap = self._candidates(token, inside=True)
        if (gap is not _link_gap or len(candidates) != 1
                or self._rivalled(candidates[0], token) or self._after_sparse(token)
                or max(candidates[0].spread, token.spread) > constants.INTERVAL_MATCH_S):
            return False
        (old,) = candidates
        if self._smoothed(old) < self.settings.exit_dbm:
            return False
        self._carry(old, token)
        entered, token.inside, token.let_in, old.inside = not token.inside, True, True, False
        return entered

    def _carry(self, old: _Token, token: _Token) -> None:
        """``token`` is ``old``'s phone's next: it carries ``old``'s evidence on."""
        old.linked = True
        token.link_tries = len(constants.LINK_TRIES_S)
        token.heard_since, token.unheard = old.heard_since, old.unheard
        token.max_rise, token.jitter = old.max_rise, old.jitter
        token.counted = old.counted
        token.recent.prepend(old.recent)
        token.history.prepend(old.history)
        token.max_level = old.max_level

    def _candidates(self, token: _Token, inside: bool) -> tuple[list[_Token], Callable[[_Token], float]]:
        """The tokens ``token`` could follow (inside or not), with the gap they fell
        silent in: within a few of their gaps (``_link_gap``) of it before it was first
        heard, with those that fell silent as long before as their losses may have hidden
        adverts (``_lost_gap``), which make the link ambiguous (with one advertising
        interval for every phone, the new token's own old one, silent a second longer,
        had left another phone's the only one close); where none fell silent that close,
        the latter alone. At its level and interval, not already followed, and not a phone
        let in faintly (at the floor every phone reads alike: a passer-by's new token
        would take its visit over). A phone outside was silent only while the receiver
        heard (``_silent``); one inside for as long as it was unheard (its new token is
        let in at once: a passer-by's taken for it must not come in on a deaf stretch)."""
        def fell_silent(gap: Callable[[_Token], float]) -> list[_Token]:
            return [old for old in self._tokens.values()
                    if old.inside == inside and not (old.linked or old.last_rssi is None or old.faint)
                    and not _new_here_too(old, token, gap)
                    and old.last_seen < token.first_seen
                    and (self._silent(old.last_seen, token.first_seen) if not inside
                         else token.first_seen - old.last_seen) <= gap(old)
                    and _same_phone(old, token)]

        close, lost = fell_silent(_link_gap), fell_silent(_lost_gap)
        if not close:
            return lost, _lost_gap
        return close + [old for old in lost if old not in close], _link_gap

    def _taken(self, old: _Token, token: _Token, gap: Callable[[_Token], float]) -> bool:
        """Whether another phone's new token could be ``old``'s next one as well."""
        return any(_same_phone(old, other) for other in self._new_after(old, token, gap(old)))

    def _rivalled(self, old: _Token, token: _Token) -> bool:
        """Whether another new token first heard up to ``LINK_GAP_S`` after ``old`` fell
        silent could be its phone's next (``_same_phone``), or, heard fewer than
        ``INTERVAL_KNOWN_SIGHTINGS`` times, at its level whatever its interval (its
        adverts lost near the receiver's floor, its few gaps say nothing of it)."""
        return any(_same_level(old, other) if other.count < constants.INTERVAL_KNOWN_SIGHTINGS
                   else _same_phone(old, other)
                   for other in self._new_after(old, token, constants.LINK_GAP_S))

    def _after_sparse(self, token: _Token) -> bool:
        """Whether a phone outside heard fewer than ``INTERVAL_KNOWN_SIGHTINGS`` times fell
        silent up to ``LINK_GAP_S`` before ``token`` was first heard, at its level: its
        few gaps say nothing of its interval (at the receiver's floor two sightings 9 s
        apart were a phone advertising every 0.4 s, 21 adverts lost between), so
        ``token`` may be its next."""
        return any(not (old.inside or old.linked or old.last_rssi is None)
                   and old.count < constants.INTERVAL_KNOWN_SIGHTINGS
                   and old.last_seen < token.first_seen
                   and self._silent(old.last_seen, token.first_seen) <= constants.LINK_GAP_S
                   and _same_level(old, token)
                   for old in self._tokens.values() if old is not token)

    def _new_after(self, old: _Token, token: _Token, within: float) -> Iterator[_Token]:
        """The tokens other than ``token`` first heard at a rotation up to ``within``
        after ``old`` fell silent."""
        return (other for other in self._tokens.values()
                if other.rotated and other is not token and old.last_seen < other.first_seen
                and self._silent(old.last_seen, other.first_seen) <= within)

    def _smoothed(self, token: _Token) -> float:
        return _level(token) + self.settings.calibration_db

    def _noise_margin(self, token: _Token) -> float:
        """What a walk-in's rise must add to ``rise_db`` for this token: how far noise
        alone can move its median. Successive samples of a phone standing
        still differ by 1.13 sigma on average, and a median of n samples wanders by about
        1.25 sigma / sqrt(n): a clean, chatty phone is decided on the base, a noisy or
        sparse one must rise further."""
        sigma = token.jitter / 1.128
        return self.settings.rise_noise_k * sigma / len(token.recent.at) ** 0.5

    def _decide(self, token: _Token, t: float) -> list[Decision]:
        """Evaluates a token (at most every ``EVALUATE_EVERY_S``: ``sighting`` asks)."""
        s = self.settings
        token.evaluated = t
        if (token.rotated and token.link_tries < len(constants.LINK_TRIES_S)
                and t - token.first_seen >= constants.LINK_TRIES_S[token.link_tries]):
            if self._link(token):  # it carries a visit on: the API hears of its new token at once
                return [self._decision(token, ENTER, t)]
        smoothed = self._smoothed(token)
        history = token.history
        if len(token.recent.at) >= s.baseline_samples:
            history.append(t, smoothed)
        horizon = t - s.rise_lookback_s - s.enter_dwell_s
        while history.at and history.at[0] < horizon:
            history.drop_oldest()
        if (not token.counted and self._heard_minutes(token, t, smoothed)
                and (not token.rotated or token.heard_since < token.first_seen)
                and self._heard_arriving(token)):
            token.counted = True  # an insider whose way in was heard (not only its rotation)
            self.learned.inside(token.max_rise, token.max_level)
        if not token.inside:
            if self._entered(token, t, smoothed):
                token.inside = token.let_in = True
                token.since = None
                return [self._decision(token, ENTER, t)]
            return []
        return self._left(token, t, smoothed)

    def _left(self, token: _Token, t: float, smoothed: float) -> list[Decision]:
        """The exit of a phone inside, once it has stayed below ``exit_dbm`` for
        ``exit_dwell_s``; none for one let in faintly (``_heard_faintly``) until it was
        heard above ``exit_dbm`` again: it leaves when unheard (``tick``)."""
        if smoothed >= self.settings.exit_dbm:
            token.since, token.faint = None, False
            return []
        if token.faint:
            return []
        if token.since is None:
            token.since = t
        if t - token.since >= self.settings.exit_dwell_s:
            token.inside, token.since, token.walked_out = False, None, True
            return [self._decision(token, EXIT, t)]
        return []

    def _entered(self, token: _Token, t: float, smoothed: float) -> bool:
        """Whether the evidence so far says the phone is inside: heard for longer than
        anyone stays outside (above ``exit_dbm``; under it, longer than anyone outside
        is heard at all: ``_heard_faintly``), or over the last ``enter_dwell_s`` the
        phone held a level (the lowest smoothed RSSI of that time) above the gate and
        either louder than anyone outside reaches at this entrance (``level_needed``) or
        the crossing: further above where it was in the ``rise_lookback_s`` before than
        anyone outside rises here (relative, so it holds for weak and strong phones
        alike; net of how far noise can move this phone's median)."""
        s = self.settings
        if self._heard_long(token, t, smoothed):
            if smoothed >= s.exit_dbm:
                return True
            if self._heard_faintly(token, t):
                token.faint = True
                return True
        level = self._held(token, t)
        if level is None:
            return False  # not heard for the dwell yet
        token.max_level = max(token.max_level, level)
        gate = self.enter_level()
        if smoothed < gate:
            return False
        if level >= self.level_needed():
            return True
        before = min(islice(token.history.values, token.history.since(t - s.enter_dwell_s)),
                     default=level)
        rise = level - before - self._noise_margin(token)
        token.max_rise = max(token.max_rise, rise)
        return level >= gate and rise >= self.crossing_rise()

    def _held(self, token: _Token, t: float) -> float | None:
        """The lowest smoothed level of the last ``enter_dwell_s`` (with at least
        ``enter_sightings`` medians in it); ``None`` before the token was heard that long."""
        s, history = self.settings, token.history
        start = t - s.enter_dwell_s
        if not history.at or history.at[0] > start:
            return None
        first = history.since(start)
        if len(history.at) - first < s.enter_sightings:
            return None
        return min(islice(history.values, first, None))

    def long_dwell(self) -> float:
        """How long a phone must have been heard to be inside on its minutes: ``long_dwell_s``,
        or what the engine learned of how long people outside are heard walking here
        (``SiteLearning.long_dwell``): at the entrance (``learn_from_traffic``) and at a
        second agent (``learn_street_level``: from the few outsiders it hears). Under
        ``long_dwell_s`` only for a phone at the gate (``minutes_needed``)."""
        s = self.settings
        learns = s.learn_from_traffic or s.learn_street_level
        return self.learned.long_dwell(s.long_dwell_s) if learns else s.long_dwell_s

    def minutes_needed(self, level: float) -> float:
        """How long a phone heard at ``level`` (smoothed, dBm) must have been heard to be
        inside on its minutes: the long dwell (``long_dwell``) at the gate
        (``enter_level``) or louder; fainter, never under ``long_dwell_s`` (a window
        shopper walking off is fainter)."""
        long_dwell = self.long_dwell()
        return long_dwell if level >= self.enter_level() else max(long_dwell, self.settings.long_dwell_s)

    def _heard_minutes(self, token: _Token, t: float, smoothed: float) -> bool:
        """Heard for the minutes its level needs (``minutes_needed``; over linked tokens
        and silences: ``_Token.heard_for``)."""
        return token.heard_for(t) >= self.minutes_needed(smoothed)

    def _heard_long(self, token: _Token, t: float, smoothed: float) -> bool:
        """Heard for the long dwell (``_heard_minutes``). The minutes a link carried count
        once the new token has been heard itself for a while (``LINKED_HEARD_S``: a phone
        passing at the boundary, taken for it, has walked on; longer,
        ``FLOOR_LINKED_HEARD_S``, for a token first heard below the gate, ``enter_dbm``,
        where the far pavement is heard and phones read alike), and not while it walks
        past (``_walking_past``)."""
        if not self._heard_minutes(token, t, smoothed):
            return False
        s, long_dwell = self.settings, self.long_dwell()
        own = t - token.first_seen
        if own >= long_dwell:
            return True
        if self._first_heard_above(token, s.enter_dbm):  # not off the far pavement
            return own >= constants.LINKED_HEARD_S
        return own >= constants.FLOOR_LINKED_HEARD_S and not _walking_past(token, smoothed)

    def _first_heard_above(self, token: _Token, dbm: float) -> bool:
        """Whether ``token`` was at ``dbm`` or louder where it rotated (at its first look);
        one never looked at (no new token at a rotation) counts as louder."""
        return token.first_level is None or token.first_level + self.settings.calibration_db >= dbm

    def _heard_faintly(self, token: _Token, t: float) -> bool:
        """Heard for ``faint_dwell_s``, the minutes a phone under the gate needs
        (``minutes_needed``) of it under its own token (a link made at the floor, where
        every phone reads alike, may have carried another phone's minutes), and not since
        it left by its level (on its way off)."""
        own = self.minutes_needed(-math.inf)
        return (token.heard_for(t) >= self.settings.faint_dwell_s and t - token.first_seen >= own
                and not token.walked_out)

    def enter_level(self) -> float:
        """The gate: ``enter_dbm``, or, where the engine learns the street's level
        (``learn_street_level``: a second agent), above the loudest level the store's
        own outsiders held here by ``DEEP_STREET_MARGIN_DB``, never below ``enter_dbm``;
        ``inf`` (no one in on a level) until ``DEEP_STREET_SAMPLES`` of them were heard:
        how loud the street is here depends on the agent's radio too."""
        s = self.settings
        if not s.learn_street_level:
            return s.enter_dbm
        street = self.learned.street_dbm
        return float("inf") if street is None else max(s.enter_dbm, street + constants.DEEP_STREET_MARGIN_DB)

    def crossing_rise(self) -> float:
        """The rise a crossing must show at this entrance: ``rise_db``, or what the engine
        learned from the store's traffic (``SiteLearning.rise_db``); ``inf`` where it
        learned that a crossing does not tell a shopper inside from one at the window, so
        walk-ins are let in only after the long dwell."""
        s = self.settings
        return self.learned.rise_db(s.rise_db) if s.learn_from_traffic else s.rise_db

    def level_needed(self) -> float:
        """The level a phone must hold to be inside on its level alone: beyond the walk
        test's outside level by more than phones differ (the installer's phone is one
        of many), where the walk test found the inside that much louder; ``inf``
        without a walk test. (The store's own outsiders do not set it: within an hour
        the passers-by are many and the window shoppers few, and the loudest level of
        the outsiders heard so far let the next strong window shopper in.)"""
        s = self.settings
        if s.outside_dbm is None:
            return float("inf")
        needed = s.outside_dbm + constants.LEVEL_MARGIN_DB
        return float("inf") if s.inside_dbm is not None and s.inside_dbm < needed else needed

    def site_state(self) -> SiteState:
        """What the engine has learned of its entrance from its own traffic so far."""
        return self.learned.state()

    def _first_heard(self, token: _Token) -> float:
        """When the phone was first heard, over the earlier token linked to this one (a
        visit starts out on the pavement, also when the phone rotated in the door), but
        not before the window ahead of this token's: the API accepts a token only with
        times within one window of its own (by the API's clock: the phones', or this
        agent's own where it is less than ``CLOCK_SHIFT_IGNORED_S`` off, so not before
        either)."""
        before = self.boundaries.start(self._window(token) - 1) - min(0.0, self.boundaries.offset)
        return max(token.heard_since, before)

    def _window_over(self, token: _Token, t: float) -> bool:
        """Whether the phone has moved on from ``token`` (by its own clock, seconds off)."""
        return t > self.boundaries.start(self._window(token) + 1) + constants.ROTATION_SLACK_S

    def _window(self, token: _Token) -> int:
        """The phones' window ``token`` was sent in (one first heard just before its
        boundary, by a phone whose clock is ahead, is the next window's)."""
        return self.boundaries.window(token.first_seen + constants.ROTATION_SLACK_S)

    def _decision(self, token: _Token, kind: str, t: float) -> Decision:
        event = PresenceEvent(
            event_id=self._new_id(), kind=kind, frame_version=token.frame.version,
            key_id=token.frame.key_id, token=token.frame.token_hex,
            first_seen=round(self._first_heard(token), 3), last_seen=round(token.last_seen, 3),
            rssi_max=token.rssi_max, rssi_median=token.median(), count=token.count)
        return Decision(t, event)


def _link_gap(token: _Token) -> float:
    """How long after ``token`` fell silent its phone's next token can be first heard: a
    few of the phone's own intervals between sightings (it changes token between two
    adverts), at most ``LINK_GAP_S``."""
    if len(token.recent.at) < 3:
        return constants.LINK_GAP_S
    gaps = sorted(_recent_gaps(token))
    return min(constants.LINK_GAP_S,
               constants.LINK_INTERVALS * gaps[len(gaps) // 2] + constants.LINK_GAP_MIN_S)


def _new_here_too(old: _Token, token: _Token, gap: Callable[[_Token], float]) -> bool:
    """Whether ``old`` was first heard at the same boundary as ``token``: another phone's
    new token, not one ``token`` follows. Unless it was heard often enough to know its
    interval and fell silent within a few of its gaps (``_link_gap``) as ``token`` was
    first heard: then it was its phone's old token, first heard seconds before the phone
    changed it (a passer-by come into earshot: an agent that hears the pavement far off
    took his new token for the next of a shopper's whose own was not heard, and let him
    in on her minutes)."""
    return (old.rotated and old.first_seen >= token.first_seen - 2 * constants.ROTATION_SLACK_S
            and not (gap is _link_gap and old.count >= constants.INTERVAL_KNOWN_SIGHTINGS))


def _lost_gap(token: _Token) -> float:
    """How long after ``token`` fell silent its phone's next token can be first heard
    where its losses hid more than a few of its gaps: as many adverts in a row lost as
    its recent sightings' share of adverts missed (at its advertising interval) makes
    more likely than ``LINK_LOST_CHANCE``; at most ``LINK_GAP_S``."""
    times = token.recent.at
    if len(times) < 3 or token.interval == float("inf"):
        return constants.LINK_GAP_S
    lost = max(0.0, 1.0 - len(times) / ((times[-1] - times[0]) / token.interval + 1))
    adverts = 1 + math.ceil(math.log(constants.LINK_LOST_CHANCE) / math.log(lost)) if lost else 1
    return min(constants.LINK_GAP_S, adverts * token.interval + constants.LINK_GAP_MIN_S)


def _level(token: _Token) -> float:
    """The median of the token's recent sightings (before the calibration offset)."""
    values = sorted(token.recent.values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _not_there(silence: float, away: float) -> float:
    """How much of a phone's ``silence`` (seconds, before it was let in) it was away: none
    of a silence up to the away timeout ``away`` (adverts lost); of a longer one, all but
    a share of the away timeout that shrinks as the silence grows, and all of a silence
    ``GONE_AWAY_TIMES`` as long or longer (someone gone round the corner and back, not a
    shopper at the far end of the store)."""
    if silence <= away:
        return 0.0
    gone = constants.GONE_AWAY_TIMES * away
    return silence - away * max(0.0, (gone - silence) / (gone - away))


def _walking_past(token: _Token, smoothed: float) -> bool:
    """Whether a token first heard at a rotation below the gate (where the far pavement
    is heard) is someone walking past: it rose and is falling back, more than
    ``PASSING_DROP_DB`` below the loudest of its recent levels (its ``history``)."""
    levels = token.history.values
    return len(levels) > 0 and max(levels) - smoothed > constants.PASSING_DROP_DB


def _recent_gaps(token: _Token) -> Iterator[float]:
    """The times between the token's recent sightings."""
    times = token.recent.at
    return (b - a for a, b in zip(times, islice(times, 1, None), strict=False))


def _recent_interval(token: _Token) -> float:
    """The interval its recent sightings show: their shortest gap that another of them
    repeats once or a few times (``_repeated``), or, where none does, their shortest."""
    gaps = sorted(gap for gap in _recent_gaps(token) if gap >= constants.SHORTEST_GAP_S)
    for i, gap in enumerate(gaps):
        if any(_repeated(gap, other) for other in islice(gaps, i + 1, None)):
            return gap
    return gaps[0] if gaps else token.interval


def _repeated(short: float, long: float, most: int = constants.INTERVAL_TIMES) -> bool:
    """Whether ``long`` is ``short`` once or up to ``most`` times, within
    ``INTERVAL_MATCH_S``: the same advertising interval, adverts lost between."""
    times = round(long / short)
    return 1 <= times <= most and abs(long - times * short) <= constants.INTERVAL_MATCH_S


def _same_phone(old: _Token, new: _Token) -> bool:
    """Whether ``new`` could be the next token of ``old``'s phone: heard at its level
    (the old token's last reading and the new one's first, or, for a phone that is not
    walking, their medians: within ``LINK_DB``), and at its advertising interval (a
    phone keeps it when it changes token). A phone advertises faster while its app is
    open: the old token's interval is the one all its sightings show or its recent ones
    (the interval it fell silent at, the app closed since), the new token's the one it
    shows or showed at the first look (its app opened since)."""
    if not _same_level(old, new):
        return False
    olds = (old.interval, _recent_interval(old))
    news = (new.interval, new.interval if new.first_interval is None else new.first_interval)
    return any(_same_interval((a, old.count), (b, new.count)) for a in olds for b in news)


def _same_interval(one: tuple[float, int], other: tuple[float, int]) -> bool:
    """Whether two tokens' (interval, sightings) are one phone's interval: the shorter
    is the interval, the longer that, or, where lost adverts may have hidden it (the
    token with the longer one heard fewer than ``INTERVAL_KNOWN_SIGHTINGS`` times), a
    few times it."""
    (short, _), (long, sparser) = sorted((one, other))
    if long == float("inf"):
        return True  # too few sightings to tell
    return _repeated(short, long, 1 if sparser >= constants.INTERVAL_KNOWN_SIGHTINGS else constants.INTERVAL_TIMES)


def _same_level(old: _Token, new: _Token) -> bool:
    """Whether ``new`` is heard where ``old`` was last: the old token's last reading and
    the new one's first, or their medians, within ``LINK_DB``: the new token's as it was
    at its first look (``first_level``), where it rotated. A phone walking on has moved
    on since: looked at again, its level then matched another phone's fallen silent there
    and not its own old token's (``constants.LINK_DB``)."""
    level = _level(new) if new.first_level is None else new.first_level
    return (abs(old.last_rssi - new.first_rssi) <= constants.LINK_DB  # type: ignore[operator]
            or abs(_level(old) - level) <= constants.LINK_DB)


@dataclass(frozen=True, slots=True)
class SiteState:
    """What the engine has learned of its entrance from its own traffic: the loudest
    level held by phones heard too briefly to be inside (``outside_dbm``), the median
    of the loudest levels phones heard for the long dwell held (``inside_dbm``), and of
    how many phones of each."""

    learned: bool
    outside_dbm: float | None
    inside_dbm: float | None
    outsiders: int
    insiders: int


class SiteLearning:
    """What the agent learns from its own store's traffic: how far the people outside
    rise here, and whether a crossing tells the people inside from them at all.

    A token heard for less than the long dwell was someone passing or looking in (a
    walk-in stays longer), also when the engine let it in; the largest of their held
    rises, plus a margin, is what a crossing must beat at this entrance (never less than
    the default: a threshold learned down from the first few passers-by would let in the
    window shopper who comes next). A phone heard for the long dwell was inside; the
    rise it had shown by then is what a crossing looks like here. How long the people
    outside were heard says how long a window shopper's walk to the glass and away is
    heard here, and so how long the long dwell must be (``long_dwell``). Where most of them
    did not rise as far as the outsiders do (an agent close behind the glass hears a
    window shopper as loudly as a shopper inside), the crossing says nothing at this
    entrance and the engine waits for the long dwell. Until it has heard enough of both,
    it asks for a rise no one outside makes (``RISE_MAX_DB``). The loudest level those
    outsiders held (``street_dbm``) is how loud the street is at a second agent
    (``PresenceEngine.enter_level``)."""

    # The stored form (``snapshot``): what it has heard, by the names it is stored under.
    # Change FORM with these fields or their meaning: an agent then learns afresh rather
    # than read another version's learning as its own.
    FORM = 2
    _KEPT = {"outside_rises": "_rises", "inside_rises": "_inside",
             "outside_levels": "_levels", "inside_levels": "_inside_levels",
             "outside_heard": "_heard"}

    def __init__(self) -> None:
        self._rises: deque[float] = deque(maxlen=constants.OUTSIDE_SAMPLES)
        self._inside: deque[float] = deque(maxlen=constants.INSIDE_SAMPLES)
        self._levels: deque[float] = deque(maxlen=constants.OUTSIDE_SAMPLES)
        self._heard: deque[float] = deque(maxlen=constants.OUTSIDE_SAMPLES)
        self._long_dwell: dict[float, float] = {}  # ``long_dwell`` by its default, as _rise_asked
        self._inside_levels: deque[float] = deque(maxlen=constants.INSIDE_SAMPLES)
        self.outside_rise_db: float | None = None
        self.street_dbm: float | None = None
        # ``rise_db`` by its default, asked at every evaluation of every token: counted
        # afresh only when a phone was learned (``outside``, ``inside``).
        self._rise_asked: dict[float, float] = {}

    def snapshot(self) -> dict[str, Any]:
        """What it has learned, as JSON values (``-inf``: a phone never heard for the
        enter dwell), for ``restored``."""
        return {"form": self.FORM, **{name: list(getattr(self, attribute))
                                      for name, attribute in self._KEPT.items()}}

    @classmethod
    def restored(cls, snapshot: dict[str, Any]) -> SiteLearning:
        """What a ``snapshot`` learned; raises ``ValueError`` for another form (another
        version's fields), which the caller must not guess at."""
        if not isinstance(snapshot, dict) or snapshot.get("form") != cls.FORM \
                or set(snapshot) != {"form", *cls._KEPT}:
            raise ValueError(f"not form {cls.FORM} with the fields {sorted(cls._KEPT)}")
        learning = cls()
        try:
            for name, attribute in cls._KEPT.items():
                getattr(learning, attribute).extend(float(value) for value in snapshot[name])
        except TypeError as exc:
            raise ValueError(f"not a list of numbers: {exc}") from None
        learning._learn_outside_rise()
        learning._learn_street_level()
        return learning

    def outside(self, rise: float) -> None:
        self._rises.append(rise)
        self._rise_asked.clear()
        self._learn_outside_rise()

    def _learn_outside_rise(self) -> None:
        if len(self._rises) >= constants.OUTSIDE_SAMPLES_NEEDED:
            self.outside_rise_db = _quantile(self._rises, constants.OUTSIDE_QUANTILE)

    def outsider(self, level: float, heard: float) -> None:
        """A phone heard too briefly to have been inside: the loudest level it held, and
        for how long it was heard (``_Token.heard_for``)."""
        self._levels.append(level)
        self._heard.append(heard)
        self._long_dwell.clear()
        self._learn_street_level()

    def long_dwell(self, default: float) -> float:
        """How long a phone must be heard to be inside on its minutes: ``default`` until
        ``OUTSIDE_SAMPLES_NEEDED`` outsiders were heard; then the longest a window
        shopper stands at the glass plus her walk to it and away, as long as
        ``LONG_DWELL_WALKS`` times how long most outsiders were heard here
        (``LONG_DWELL_QUANTILE``), never under ``LONG_DWELL_LOUD_S`` (nor ``default``, if
        that is shorter still)."""
        if len(self._heard) < constants.OUTSIDE_SAMPLES_NEEDED:
            return default
        if default not in self._long_dwell:
            walk = constants.LONG_DWELL_WALKS * _quantile(self._heard, constants.LONG_DWELL_QUANTILE)
            shortest = min(default, constants.LONG_DWELL_LOUD_S)
            self._long_dwell[default] = max(shortest, constants.LONG_DWELL_STAND_S + walk)
        return self._long_dwell[default]

    def _learn_street_level(self) -> None:
        """The loudest level the outsiders heard so far held for the enter dwell, once
        ``DEEP_STREET_SAMPLES`` of them did."""
        held = self._outsiders_held()
        if len(held) >= constants.DEEP_STREET_SAMPLES:
            self.street_dbm = max(held)

    def _outsiders_held(self) -> list[float]:
        """The levels the outsiders heard so far held for the enter dwell (a phone that
        never did is ``-inf``)."""
        return [level for level in self._levels if level > float("-inf")]

    def inside(self, rise: float, level: float) -> None:
        self._inside.append(rise)
        self._rise_asked.clear()
        if level > float("-inf"):
            self._inside_levels.append(level)

    def state(self) -> SiteState:
        outside = self._outsiders_held()
        inside = sorted(self._inside_levels)
        return SiteState(learned=self.learned, outside_dbm=max(outside) if outside else None,
                         inside_dbm=inside[len(inside) // 2] if inside else None,
                         outsiders=len(self._levels), insiders=len(self._inside))

    @property
    def learned(self) -> bool:
        """Whether the store has shown enough of its outsiders and insiders."""
        return (self.outside_rise_db is not None
                and len(self._inside) >= constants.INSIDE_SAMPLES_NEEDED)

    def rise_db(self, default: float) -> float:
        """The rise a crossing must show here; ``inf`` where a crossing does not tell a
        shopper inside from one outside."""
        if not self.learned:
            return max(default, constants.RISE_MAX_DB)
        if default not in self._rise_asked:
            self._rise_asked[default] = self._rise_needed(default)
        return self._rise_asked[default]

    def _rise_needed(self, default: float) -> float:
        asked = max(self.outside_rise_db + constants.RISE_MARGIN_DB, default)  # type: ignore[operator]
        beyond = sum(1 for rise in self._inside if rise >= asked)
        return asked if beyond >= constants.INSIDE_SHARE * len(self._inside) else float("inf")


def _quantile(values: deque[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
