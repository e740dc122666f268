"""The presence engine: turns sightings of presence frames into ``enter``/``exit``
decisions. Pure: no I/O, no clock of its own (every call carries the time), so the same
engine runs live, in replay on a trace's clock and in tests on hand-made sequences.

Per token (a phone during one 10-minute window) it keeps a short window of RSSI samples
(``smoothing_s``, stretched to ``smoothing_samples`` samples up to ``smoothing_max_s`` for
sparse phones) and smooths them with a median (one lost or reflected packet cannot move
it), adds the agent's calibration offset, and decides (thresholds and their reasons in
``constants``):

- ``enter`` once the smoothed RSSI, at or above the ``enter_dbm`` gate, has *risen*
  within ``rise_lookback_s`` by ``rise_db`` plus ``rise_noise_k`` times how far the
  token's own noise can move its median (someone came through the door: relative, so
  it holds for weak and strong phones alike; noise-aware, so a clean phone is decided
  in seconds and a noisy, sparse one must show more) and then stayed within
  ``rise_hold_db`` of the level it rose to, with ``enter_sightings`` sightings, for
  ``enter_dwell_s`` after a rise of ``sure_rise_db`` or more, or for the longer
  ``modest_rise_dwell_s`` after a smaller one (someone walking past the door falls back
  as they walk on; the ones who rise at all rise modestly and need the longer look); or
  once it has stayed above the gate for ``long_dwell_s``, longer than anyone stands at
  the window;
- ``exit`` once, after an enter, it has stayed below ``exit_dbm`` (lower than the gate:
  hysteresis, so a phone hovering at the threshold does not flap) for ``exit_dwell_s``,
  or the token has not been seen for ``away_timeout_s``.

The rise is measured from the lowest smoothed RSSI of the look-back, counting only
medians of at least ``baseline_samples`` samples: the median of a new token's first
few sightings is one or two noisy readings, too low as often as too high.

A token that is never entered is forgotten silently after the away timeout.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from beacon_agent import constants
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
    exit_dbm: float = constants.EXIT_DBM
    exit_dwell_s: float = constants.EXIT_DWELL_S
    away_timeout_s: float = constants.AWAY_TIMEOUT_S
    smoothing_s: float = constants.SMOOTHING_S
    smoothing_samples: int = constants.SMOOTHING_SAMPLES
    smoothing_max_s: float = constants.SMOOTHING_MAX_S
    rise_hold_db: float = constants.RISE_HOLD_DB
    sure_rise_db: float = constants.SURE_RISE_DB
    modest_rise_dwell_s: float = constants.MODEST_RISE_DWELL_S
    baseline_samples: int = constants.BASELINE_SAMPLES
    calibration_db: float = 0.0

    def updated(self, changes: dict[str, Any]) -> EngineSettings:
        """A copy with the known keys of ``changes`` applied (unknown keys are ignored, so
        a newer API can send settings an older agent does not have)."""
        known = {k: type(getattr(self, k))(v) for k, v in changes.items()
                 if k in self.__dataclass_fields__}
        return replace(self, **known)


# The settings of a second agent deeper in the store (reasons in ``constants``): an
# absolute level held for a dwell, no rise asked.
DEEP_AGENT = EngineSettings(
    enter_dbm=constants.DEEP_ENTER_DBM, rise_db=0.0, rise_noise_k=0.0, smoothing_samples=1,
    smoothing_s=constants.DEEP_SMOOTHING_S, smoothing_max_s=constants.DEEP_SMOOTHING_S,
    enter_dwell_s=constants.DEEP_ENTER_DWELL_S, modest_rise_dwell_s=constants.DEEP_ENTER_DWELL_S,
    enter_sightings=constants.DEEP_ENTER_SIGHTINGS, long_dwell_s=constants.DEEP_LONG_DWELL_S,
    rise_hold_db=float("inf"), baseline_samples=1)


@dataclass(frozen=True, slots=True)
class Decision:
    """A presence event and the moment (engine clock) it was decided."""

    t: float
    event: PresenceEvent


@dataclass(slots=True)
class _Token:
    frame: Frame
    first_seen: float
    last_seen: float
    count: int = 0
    rssi_max: int = -128
    histogram: dict[int, int] = field(default_factory=dict)  # rssi -> sightings, for the median
    recent: deque[tuple[float, int]] = field(default_factory=deque)
    history: deque[tuple[float, float]] = field(default_factory=deque)  # (t, smoothed): baselines
    evaluated: float = float("-inf")
    inside: bool = False
    since: float | None = None  # when the smoothed RSSI crossed the threshold that matters now
    rose_at: float | None = None  # when the rise of a walk-in through the door was seen
    rose_from: float = 0.0  # the baseline it rose from
    rose_to: float = 0.0  # the smoothed RSSI it rose to
    rose_by: float = 0.0  # the largest rise since, net of the noise margin
    count_at_rise: int = 0
    last_rssi: int | None = None
    jitter: float = constants.JITTER_PRIOR_DB  # running mean of |rssi - previous rssi|

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

    def __len__(self) -> int:
        return len(self._tokens)

    @property
    def inside(self) -> int:
        """How many tokens are currently entered."""
        return sum(1 for token in self._tokens.values() if token.inside)

    def sighting(self, t: float, rssi: int, frame: Frame) -> list[Decision]:
        key = (frame.key_id, frame.token)
        token = self._tokens.get(key)
        if token is None:
            token = self._tokens[key] = _Token(frame, first_seen=t, last_seen=t)
        token.last_seen = max(token.last_seen, t)
        token.count += 1
        token.rssi_max = max(token.rssi_max, rssi)
        token.histogram[rssi] = token.histogram.get(rssi, 0) + 1
        if token.last_rssi is not None:
            token.jitter += (abs(rssi - token.last_rssi) - token.jitter) * constants.JITTER_WEIGHT
        token.last_rssi = rssi
        recent = token.recent
        recent.append((t, rssi))
        s = self.settings
        horizon, limit = t - s.smoothing_s, t - s.smoothing_max_s
        while recent[0][0] < limit or (recent[0][0] < horizon and len(recent) > s.smoothing_samples):
            recent.popleft()
        return self._decide(token, t)

    def tick(self, t: float) -> list[Decision]:
        """Exits (and forgetting) for tokens unseen for the away timeout."""
        decisions = []
        horizon = t - self.settings.away_timeout_s
        for key in [k for k, token in self._tokens.items() if token.last_seen < horizon]:
            token = self._tokens.pop(key)
            if token.inside:
                decisions.append(self._decision(token, EXIT, t))
        return decisions

    def _smoothed(self, token: _Token) -> float:
        values = sorted(rssi for _, rssi in token.recent)
        middle = len(values) // 2
        median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
        return median + self.settings.calibration_db

    def _noise_margin(self, token: _Token) -> float:
        """What a walk-in's rise must add to ``rise_db`` for this token: how far noise
        alone can move its median. Successive samples of a phone standing
        still differ by 1.13 sigma on average, and a median of n samples wanders by about
        1.25 sigma / sqrt(n): a clean, chatty phone is decided on the base, a noisy or
        sparse one must rise further."""
        sigma = token.jitter / 1.128
        return self.settings.rise_noise_k * sigma / len(token.recent) ** 0.5

    def _decide(self, token: _Token, t: float) -> list[Decision]:
        s = self.settings
        if t - token.evaluated < constants.EVALUATE_EVERY_S:
            return []
        token.evaluated = t
        smoothed = self._smoothed(token)
        history = token.history
        if len(token.recent) >= s.baseline_samples:
            history.append((t, smoothed))
        horizon = t - s.rise_lookback_s
        while history and history[0][0] < horizon:
            history.popleft()
        if not token.inside:
            if smoothed < s.enter_dbm:
                token.since = token.rose_at = None
                return []
            if token.since is None:
                token.since = t
            if token.rose_at is not None and smoothed < token.rose_to - s.rise_hold_db:
                token.rose_at = None  # fell back: walking past the door, not in
            margin = self._noise_margin(token)
            if token.rose_at is None and history:
                baseline = min(value for _, value in history)
                if smoothed - baseline >= s.rise_db + margin:
                    token.rose_at, token.count_at_rise = t, token.count
                    token.rose_from, token.rose_to, token.rose_by = baseline, smoothed, float("-inf")
            entered = t - token.since >= s.long_dwell_s
            if token.rose_at is not None:
                token.rose_by = max(token.rose_by, smoothed - token.rose_from - margin)
                dwell = s.enter_dwell_s if token.rose_by >= s.sure_rise_db else s.modest_rise_dwell_s
                entered = entered or (t - token.rose_at >= dwell
                                      and token.count - token.count_at_rise >= s.enter_sightings)
            if entered:
                token.inside, token.since, token.rose_at = True, None, None
                return [self._decision(token, ENTER, t)]
            return []
        if smoothed >= s.exit_dbm:
            token.since = None
            return []
        if token.since is None:
            token.since = t
        if t - token.since >= s.exit_dwell_s:
            token.inside, token.since = False, None
            return [self._decision(token, EXIT, t)]
        return []

    def _decision(self, token: _Token, kind: str, t: float) -> Decision:
        event = PresenceEvent(
            event_id=self._new_id(), kind=kind, frame_version=token.frame.version,
            key_id=token.frame.key_id, token=token.frame.token_hex,
            first_seen=round(token.first_seen, 3), last_seen=round(token.last_seen, 3),
            rssi_max=token.rssi_max, rssi_median=token.median(), count=token.count)
        return Decision(t, event)
