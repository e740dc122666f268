"""What the agent knows of its entrance: the installer's walk test (``beacon-agent
calibrate``) and the ``calibration`` object of the heartbeat.

The walk test: an installer alone with the app open stands under the agent, then
outside at the glass in front of it, walks along the pavement past the shop and back,
then walks in and stops 3 m inside, then walks to the far end of the shop floor
(``PHASES``; the agent times each step, nobody has to press a key on a ladder). From
the sightings of those minutes, its phone is the steady strongest token while it stands
under the agent, followed across a token rotation at a window boundary only where its
next token cannot be another phone's (``_next_token``; else the test is refused: "walk
again"); the live test starts where no rotation falls
in it (``quiet_start``), as every phone rotates at the same moment and the installer's
often cannot be told apart. Rotations fall at the phones' window boundaries: where the
Pi's clock is off, the running agent has learned by how much (``boundaries``), and the
live test is recorded on the phones' clock. Its levels are smoothed as the engine smooths them:
``outside_dbm`` is the loudest level outside (at the glass and on the pavement),
``inside_dbm`` the level 3 m inside, ``far_end_dbm`` the level at the far end. They are
relative to the installer's phone: phones differ by up to ±10 dB, the difference between
two levels does not. A walk test recorded before the far-end step (four steps) still
reads: it has no far-end reading.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

from beacon_agent import constants
from beacon_agent.boundaries import Boundaries
from beacon_agent.config import WALK_TEST, AgentConfig
from beacon_agent.engine import EngineSettings, PresenceEngine
from beacon_agent.nearby import READINGS, may_follow
from beacon_agent.radio import OnAdvert
from rewards_protocol import trace
from rewards_protocol.presence import (
    DEFAULT_COMPANY_ID,
    WINDOW_SECONDS,
    frame_from_manufacturer_data,
    window_of,
)

# The heartbeat's states and methods (the contract with the API).
DEFAULT = "default"
LEARNING = "learning"
CALIBRATED = "calibrated"
TRAFFIC = "traffic"

# The advice codes (stable; the API and its pages write and translate the sentences).
# SLOW_WALK_INS: from the store's traffic, walk-ins are confirmed only after the long
# dwell here (``traffic_advice``).
STREET_TOO_LOUD = "street_too_loud"
INSIDE_TOO_QUIET = "inside_too_quiet"
NEEDS_MORE_TRAFFIC = "needs_more_traffic"
SLOW_WALK_INS = "slow_walk_ins"
FAR_END_UNHEARD = "far_end_unheard"

# What the walk test measures is a walk-in's crossing as the engine sees it: a phone 3 m
# inside against the same phone at the glass or on the pavement. The engine lets a
# crossing in only where it rises ``RISE_MARGIN_DB`` (6 dB) beyond the rise the people
# outside make at this entrance; an inside level less than that above the loudest
# outside level is a placement where the crossing cannot tell a shopper inside from a
# window shopper (the engine can then only wait for the long dwell): too much street.
STREET_MARGIN_DB = constants.RISE_MARGIN_DB
# Phones differ by up to ±10 dB (cases, pockets, models: the simulator's phone spread).
# A phone 10 dB weaker than the installer's, 3 m inside, must still be heard above the
# engine's gate (``enter_dbm``, -88 dBm by default, 12 dB above the receiver's floor);
# where it is not, the agent hears shoppers inside too faintly.
PHONE_SPREAD_DB = 10.0
# The far end of a deep store: the receiver hears nothing below its floor; the
# installer's phone not heard at the far end reads as the floor. A reading at or below
# ``constants.FAR_END_DBM`` is a far end the agent does not hear (the reasons there).
RECEIVER_FLOOR_DBM = -100.0


@dataclass(frozen=True)
class Phase:
    """One step of the walk test: what the installer does, in plain words, the seconds
    to get there (not recorded) and the seconds recorded."""

    name: str
    step: str
    settle_s: float
    record_s: float


_DEFAULTS = EngineSettings()

UNDER, GLASS, PAST, INSIDE, FAR_END = "under", "glass", "past", "inside", "far_end"
PHASES = (
    Phase(UNDER, "Stand under the agent with the app open", 10.0, 20.0),
    Phase(GLASS, "Go outside and stand at the glass in front of the agent", 25.0, 30.0),
    Phase(PAST, "Walk along the pavement past the shop, about 12 m each way, and come back",
          0.0, 60.0),
    Phase(INSIDE, "Walk in through the door and stop 3 m inside", 20.0, 20.0),
    # 60 s: 75 m at a brisk walk (1.25 m/s), from the door to the far corner of the
    # widest and deepest stores installers meet (50 m by 50 m, the door at one side).
    Phase(FAR_END, "Walk to the far end of the shop floor, the corner farthest from the agent, "
          "and stand there", 60.0, 30.0),
)
# The steps of a walk test recorded before the far-end step.
FOUR_STEPS = tuple(phase.name for phase in PHASES if phase.name != FAR_END)


@dataclass(frozen=True)
class Span:
    """When a phase was recorded (seconds on the phones' clock)."""

    name: str
    start: float
    end: float

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "start": round(self.start, 3), "end": round(self.end, 3)}


def schedule(start: float, phases: Sequence[Phase] = PHASES) -> list[Span]:
    """The recorded spans of ``phases`` run one after another from ``start``."""
    spans, t = [], start
    for phase in phases:
        t += phase.settle_s
        spans.append(Span(phase.name, t, t + phase.record_s))
        t += phase.record_s
    return spans


class WalkTestFailed(Exception):
    """The walk test cannot be read; the message says what the installer should do."""


@dataclass(frozen=True)
class WalkTest:
    """The levels of the installer's phone (smoothed, dBm) and the advice they give."""

    under_dbm: float
    glass_dbm: float | None  # the loudest at the glass; None: not heard there
    pavement_dbm: float | None  # the loudest walking past
    inside_dbm: float
    # The level at the far end: RECEIVER_FLOOR_DBM where not heard there; None: a
    # four-step walk test, not measured.
    far_end_dbm: float | None
    followed: tuple[str, ...]  # the phone's tokens measured, in order (hex)
    advice: tuple[str, ...]

    @property
    def tokens(self) -> int:
        """How many tokens of the phone were measured (more: it rotated in the test)."""
        return len(self.followed)

    @property
    def outside_dbm(self) -> float | None:
        """The loudest level outside; None: not heard outside at all."""
        heard = [dbm for dbm in (self.glass_dbm, self.pavement_dbm) if dbm is not None]
        return max(heard) if heard else None


@dataclass(frozen=True)
class _Token:
    key: tuple[int, bytes]
    sightings: list[tuple[float, int]]  # (t, rssi), in time order

    @property
    def first_seen(self) -> float:
        return self.sightings[0][0]

    @property
    def last_seen(self) -> float:
        return self.sightings[-1][0]


def _tokens(adverts: Iterable[trace.Advertisement], company_id: int) -> list[_Token]:
    heard: dict[tuple[int, bytes], list[tuple[float, int]]] = {}
    for advert in adverts:
        frame = frame_from_manufacturer_data(advert.manufacturer_data, company_id)
        if frame is not None:
            heard.setdefault((frame.key_id, frame.token), []).append((advert.t, advert.rssi))
    return [_Token(key, sorted(sightings)) for key, sightings in heard.items()]


def smoothed(sightings: Sequence[tuple[float, int]], settings: EngineSettings) -> list[float]:
    """The engine's smoothed level at each sighting: the median of the last
    ``smoothing_s`` (stretched to ``smoothing_samples`` samples, up to
    ``smoothing_max_s``) plus the calibration offset; only where the window holds
    ``baseline_samples`` (fewer are one or two noisy readings)."""
    levels, first = [], 0
    for i, (t, _) in enumerate(sightings):
        while sightings[first][0] < t - settings.smoothing_max_s or (
                sightings[first][0] < t - settings.smoothing_s
                and i + 1 - first > settings.smoothing_samples):
            first += 1
        if i + 1 - first >= settings.baseline_samples:
            window = [rssi for _, rssi in sightings[first:i + 1]]
            levels.append(statistics.median(window) + settings.calibration_db)
    return levels


def _level(sightings: Sequence[tuple[float, int]]) -> float:
    return statistics.median(rssi for _, rssi in sightings)


def _heard_steadily(sightings: Sequence[tuple[float, int]], span: Span,
                    settings: EngineSettings = _DEFAULTS) -> bool:
    """Heard ``baseline_samples`` times in ``span`` and over half of it at least (a
    token that rotated in the middle of it: half of it either side)."""
    return (len(sightings) >= settings.baseline_samples
            and sightings[-1][0] - sightings[0][0] >= (span.end - span.start) / 2
            - constants.ROTATION_SLACK_S)


def _installer(tokens: list[_Token], under: Span, settings: EngineSettings) -> _Token:
    """The steady strongest token while the installer stands under the agent: the
    highest median among those heard steadily through the step."""
    steady = []
    for token in tokens:
        during = [s for s in token.sightings if under.start <= s[0] <= under.end]
        if _heard_steadily(during, under, settings):
            steady.append((_level(during), token))
    if not steady:
        raise WalkTestFailed("your phone was not heard while you stood under the agent: "
                             "check that the app is open and Bluetooth is on, then start again")
    return max(steady, key=lambda pair: pair[0])[1]


def _next_token(current: _Token, tokens: list[_Token], last: Span) -> _Token | None:
    """The phone's token after ``current``, when its window ends before the walk test
    does; None when the rotation cannot be followed for sure. A phone changes token
    between two adverts, so its next token is first heard after the last sighting of
    ``current``, from the boundary on (by the phone's clock, seconds off), within
    ``LINK_GAP_S`` and ``LINK_DB`` of it (medians of a few readings either side: a phone
    held in the hand moves little in a few seconds); and the installer's is heard
    steadily in the ``last`` step. Every phone rotates at the same boundary, so another
    phone's new token may fit as well, or the one that fits may fit another phone's old
    token that fell silent there too: then nobody can tell which is the installer's
    (taking the closest measured another phone in 20 of 627 simulated walk tests with a
    rotation; the installer's own phone can step 20 dB as she turns on the pavement),
    and the walk test is refused rather than guessed."""
    boundary = _window_end(current)
    if boundary - constants.ROTATION_SLACK_S > last.end:
        return None
    fits = [token for token in tokens if _fits(current, token, boundary) and _heard_steadily(
        [s for s in token.sightings if last.start <= s[0] <= last.end], last)]
    if len(fits) != 1:
        return None
    (token,) = fits
    return None if any(_fits(old, token, boundary) for old in tokens if old is not current) \
        else token


def _window_end(token: _Token) -> float:
    """The boundary at which the phone moves on from ``token``."""
    return (window_of((token.first_seen + token.last_seen) / 2) + 1) * WINDOW_SECONDS


def _fits(old: _Token, new: _Token, boundary: float) -> bool:
    """Whether ``new`` can be the next token of ``old``'s phone, first heard from the
    ``boundary`` on (``nearby.may_follow``: the rule the nearby count pairs tokens by)."""
    return (new.first_seen >= boundary - constants.ROTATION_SLACK_S
            and may_follow(old.last_seen, (rssi for _, rssi in old.sightings[-READINGS:]),
                           new.first_seen, (rssi for _, rssi in new.sightings[:READINGS])))


def _follow(phone: _Token, tokens: list[_Token], last: Span) -> list[_Token]:
    """The installer's tokens in order from ``phone``, across rotations to the end of the
    ``last`` step."""
    chain = [phone]
    while (after := _next_token(chain[-1], tokens, last)) is not None:
        chain.append(after)
    return chain


def analyse(adverts: Iterable[trace.Advertisement], spans: Sequence[Span],
            settings: EngineSettings | None = None, *,
            company_id: int = DEFAULT_COMPANY_ID) -> WalkTest:
    """The walk test recorded in ``adverts`` (times on the phones' clock, as ``spans``);
    raises ``WalkTestFailed`` when the installer's phone was not heard."""
    settings = settings or EngineSettings()
    phase = {span.name: span for span in spans}
    tokens = _tokens(adverts, company_id)
    # Followed to the step inside: at the far end the phone may not be heard at all.
    chain = _follow(_installer(tokens, phase[UNDER], settings), tokens, phase[INSIDE])
    heard = sorted(sighting for token in chain for sighting in token.sightings)

    def levels(name: str) -> list[float]:
        span = phase[name]
        found = smoothed([s for s in heard if span.start <= s[0] <= span.end], settings)
        if not found and _window_end(chain[-1]) <= span.end:
            raise WalkTestFailed("your phone changed its Bluetooth code during the test and it "
                                 "could not be told apart from the phones around it: walk again")
        return found

    glass, pavement, inside = (_loudest(levels(GLASS)), _loudest(levels(PAST)),
                               levels(INSIDE))
    if not inside:
        raise WalkTestFailed("your phone was not heard 3 m inside the door: check that the "
                             "app stayed open, then start again")
    inside_dbm = round(statistics.median(inside), 1)
    far_end_dbm = _far_end(levels(FAR_END)) if FAR_END in phase else None
    outside_dbm = max((dbm for dbm in (glass, pavement) if dbm is not None), default=None)
    return WalkTest(under_dbm=round(statistics.median(levels(UNDER)), 1), glass_dbm=glass,
                    pavement_dbm=pavement, inside_dbm=inside_dbm, far_end_dbm=far_end_dbm,
                    followed=tuple(token.key[1].hex() for token in chain),
                    advice=tuple(advice(outside_dbm, inside_dbm, settings, far_end_dbm)))


def _far_end(levels: list[float]) -> float:
    """The level at the far end: the median, as inside; the floor where not heard."""
    return round(statistics.median(levels), 1) if levels else RECEIVER_FLOOR_DBM


def _loudest(levels: list[float]) -> float | None:
    return round(max(levels), 1) if levels else None


def advice(outside_dbm: float | None, inside_dbm: float | None,
           settings: EngineSettings, far_end_dbm: float | None = None) -> list[str]:
    """What the levels say about where the agent hangs (reasons at the thresholds);
    ``far_end_dbm`` None: not measured."""
    codes = []
    if outside_dbm is not None and inside_dbm is not None \
            and inside_dbm - outside_dbm < STREET_MARGIN_DB:
        codes.append(STREET_TOO_LOUD)
    if inside_dbm is not None and inside_dbm - PHONE_SPREAD_DB < settings.enter_dbm:
        codes.append(INSIDE_TOO_QUIET)
    if far_end_dbm is not None and far_end_dbm <= constants.FAR_END_DBM:
        codes.append(FAR_END_UNHEARD)
    return codes


class Scanner(Protocol):
    async def run(self, stop: asyncio.Event) -> None: ...


def quiet_start(now: float, phases: Sequence[Phase] = PHASES,
                clock_ahead_s: float = 0.0) -> float:
    """When a walk test can start at ``now`` or after (on the agent's clock,
    ``clock_ahead_s`` ahead of the phones') so that no token rotation falls in it (phones
    rotate at the window boundary by their own clocks, seconds off): a phone out of
    earshot on the pavement at a rotation cannot always be followed."""
    length = sum(phase.settle_s + phase.record_s for phase in phases)
    boundaries = Boundaries(clock_ahead_s)
    started = boundaries.start(boundaries.window(now))
    if now < started + constants.ROTATION_SLACK_S:
        return started + constants.ROTATION_SLACK_S
    if now + length > started + WINDOW_SECONDS - constants.ROTATION_SLACK_S:
        return started + WINDOW_SECONDS + constants.ROTATION_SLACK_S
    return now


async def record(scanner: Callable[[OnAdvert], Scanner], clock: Callable[[], float],
                 say: Callable[[str], None],
                 pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 phases: Sequence[Phase] = PHASES, clock_ahead_s: float = 0.0
                 ) -> tuple[list[Span], list[trace.Advertisement]]:
    """Guide the installer through ``phases`` (``say`` each step and how long) while
    ``scanner`` hears the air; the recorded spans and adverts, times on the phones'
    clock: ``clock``'s less ``clock_ahead_s`` (the running agent's
    ``Boundaries.offset``). ``pause`` waits (the tests' advances their clock)."""
    heard: list[trace.Advertisement] = []

    def on_advert(address: str, rssi: int, data: dict[int, bytes], at: float | None) -> None:
        heard.append(trace.Advertisement((clock() if at is None else at) - clock_ahead_s,
                                         address, rssi, data))

    stop = asyncio.Event()
    scanning = asyncio.create_task(scanner(on_advert).run(stop))

    async def until(moment: float) -> None:
        while not scanning.done() and clock() < moment:
            await pause(moment - clock())
        if scanning.done():
            await scanning  # a failed scanner's error ends the test
            raise WalkTestFailed("the scanner stopped during the walk test")

    try:
        start = quiet_start(clock(), phases, clock_ahead_s)
        if start > clock():
            say(f"Phones change their Bluetooth token every 10 minutes: the walk test starts "
                f"after the next change, in {start - clock():.0f} s.")
            await until(start)
        spans = schedule(start - clock_ahead_s, phases)
        minutes = (spans[-1].end + clock_ahead_s - start) / 60
        say(f"Walk test: {len(phases)} steps, about {minutes:.0f} minutes. "
            "Keep the phone in your hand and the app open.")
        for number, (step, span) in enumerate(zip(phases, spans, strict=True), start=1):
            say(f"Step {number} of {len(phases)}: {step.step}: {step.record_s:.0f} s"
                + (f" (starts in {step.settle_s:.0f} s)" if step.settle_s else "") + ".")
            await until(span.start + clock_ahead_s)
            await until(span.end + clock_ahead_s)
            say("  done.")
    finally:
        stop.set()
        await scanning
    return spans, heard


def write_trace(out: TextIO, spans: Sequence[Span], adverts: Iterable[trace.Advertisement],
                start: float) -> None:
    """A recorded walk test as a trace (PROTOCOLS.md section 5) whose header carries the
    steps' spans (``agent.walk_test``, trace seconds): ``calibrate --from-trace`` reads it."""
    header = trace.TraceHeader(start, {"walk_test": [
        Span(span.name, span.start - start, span.end - start).to_json() for span in spans]})
    trace.write(out, (replace(advert, t=advert.t - start) for advert in adverts), header)


def read_trace(lines: Iterable[str]) -> tuple[list[Span], list[trace.Advertisement], float]:
    """The spans, adverts (times made unix times, as live) and start (unix time of
    t = 0) of a walk-test trace (``PHASES``, or the ``FOUR_STEPS`` recorded before the
    far-end step); raises ``WalkTestFailed`` for a trace without the steps' spans, or
    with a line that is not an advertisement (``trace.TraceError``: a few minutes'
    recording is walked again rather than measured in part)."""
    try:
        header, read = trace.read(lines)
        adverts = list(read)
    except trace.TraceError as exc:
        raise WalkTestFailed(f"the trace cannot be read: {exc}") from None
    raw = header.agent.get("walk_test") if header else None
    try:
        if not isinstance(raw, list):
            raise TypeError
        spans = [Span(str(span["name"]), float(span["start"]), float(span["end"])) for span in raw]
    except (TypeError, KeyError, ValueError):
        raise WalkTestFailed("the trace is not a walk test: its header has no "
                             "agent.walk_test steps") from None
    names = tuple(span.name for span in spans)
    if names not in (tuple(phase.name for phase in PHASES), FOUR_STEPS):
        raise WalkTestFailed(f"the trace's walk test has the steps {list(names)}, "
                             f"not {[p.name for p in PHASES]}")
    start = header.start if header else 0.0
    return ([Span(s.name, s.start + start, s.end + start) for s in spans],
            [replace(advert, t=advert.t + start) for advert in adverts], start)


def report(engine: PresenceEngine, config: AgentConfig, learned_at: float | None = None
           ) -> dict[str, Any]:
    """The heartbeat's ``calibration``: a walk test stored in the config, else what the
    engine has learned from the store's own traffic (``learned_at``: since when), else
    the safe defaults (and, where the engine learns, that it needs more phones). The
    walk test's levels are advised on by ``advice``, the learned entrance by
    ``traffic_advice``. A second agent needs more traffic until it has heard how loud
    the street is there (it lets no one in on a level before), and hangs too near the
    street where it had to raise its gate above it (``enter_level``)."""
    settings = engine.settings
    site = engine.site_state()
    if config.calibration_method == WALK_TEST:
        return _calibration(CALIBRATED, WALK_TEST, config.calibrated_at, settings.outside_dbm,
                            settings.inside_dbm, advice(settings.outside_dbm, settings.inside_dbm,
                                                       settings, config.far_end_dbm))
    if site.learned:
        return _calibration(CALIBRATED, TRAFFIC, None if learned_at is None else iso(learned_at),
                            site.outside_dbm, site.inside_dbm, traffic_advice(engine))
    gate = engine.enter_level()
    if not settings.learn_from_traffic and gate < float("inf"):
        street = [STREET_TOO_LOUD] if gate > settings.enter_dbm else []
        return _calibration(DEFAULT, None, None, None, None, street)
    state = LEARNING if site.outsiders + site.insiders else DEFAULT
    return _calibration(state, None, None, None, None, [NEEDS_MORE_TRAFFIC])


def traffic_advice(engine: PresenceEngine) -> list[str]:
    """What an engine that has learned its entrance from the store's own traffic says
    about where it hangs: where it learned that a crossing does not tell a shopper
    inside from one at the window (``PresenceEngine.crossing_rise`` infinite), walk-ins
    are confirmed only after the long dwell (5 minutes): ``SLOW_WALK_INS``; else nothing.
    It asks nobody to move the agent: on the tuning runs (seed 101, the next hour's
    walk-ins) hanging it 3, 5 or 7 m in (corner-shop, bakery, over-the-door,
    mall-open-front, pharmacy), at hand height, or most walk-ins stopping under it did
    not turn the crossing on (p50 263-280 s either way), nor did a second agent shorten
    the wait where it was off (the hour of seeds 101-102 at supermarket, mall-open-front
    and electronics: p50 244-269 s, against 247-281 s with one agent).

    Not the walk test's rules on the learned levels: those are one installer's phone,
    while the store's traffic gives the loudest of hundreds of outsiders and the median
    of phones that differ by ±10 dB. After an hour of each tuning run (the library's
    sites and random sites 101-110, seeds 101-102) they said "street too loud" on 39 of
    42 and "inside too quiet" on 24, where recall was 0.90-1.00 on every one, and also
    at basket-stand where the crossing decides (p50 24 s after the door). The crossing
    was off on 39 of 42, whose walk-ins waited p50 247-287 s; in the next hour, walk-ins
    waited p50 20-22 s where it was on, 268-276 s where it was off.

    Nor the walk test's far end (``FAR_END_UNHEARD``) from traffic (issue 13, thirtieth
    round; random sites 1-120, own seeds): the share of phones heard over two minutes or
    more that fell silent for over a minute between (a walk-in at the back, unheard, and
    back at the door) flagged 12 of the 19 sites under 0.9 recall at 7 %, and 5 of 101
    others; but passers-by who come back the same way (``AGENT_TROUBLE=returns``) are
    such phones too, and with them it flagged 40 of 41 sites at 0.95 or more. Only of the
    phones let in, it flagged 5 of 19 and 12 others (a silence over 60 s in 5 % of them);
    their readings at the receiver's floor (-97 dBm or under in a fifth of them, for half
    the phones let in) 7 of 19 and 11 others: the phones heard well enough to be let in
    say little of those that were not."""
    return [SLOW_WALK_INS] if engine.crossing_rise() == float("inf") else []


def _calibration(state: str, method: str | None, calibrated_at: str | None,
                 outside_dbm: float | None, inside_dbm: float | None,
                 codes: list[str]) -> dict[str, Any]:
    return {"state": state, "method": method, "calibrated_at": calibrated_at,
            "outside_dbm": outside_dbm, "inside_dbm": inside_dbm, "advice": codes}


def iso(t: float) -> str:
    """A unix time as the heartbeat's ISO-8601 UTC (``2026-12-02T10:00:00Z``)."""
    return datetime.fromtimestamp(round(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
