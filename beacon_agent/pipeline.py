"""Parse and decide: the one path every advertisement takes, live (``run``) or from a
trace (``replay``). Adverts that are not our frame, or carry no level
(``constants.LEVELS_DBM``), are counted and dropped here."""

from __future__ import annotations

from collections.abc import Callable

from beacon_agent import constants
from beacon_agent.engine import Decision, PresenceEngine
from beacon_agent.nearby import NearbyCount
from rewards_protocol.presence import DEFAULT_COMPANY_ID, Frame, decode_frame

Sink = Callable[[list[Decision]], None]


class Pipeline:
    """Feeds our frames to the engine and hands every decision to ``sink`` (the outbox
    in the service, a file in replay). Times are unix seconds on the caller's clock."""

    def __init__(self, engine: PresenceEngine, sink: Sink,
                 company_id: int = DEFAULT_COMPANY_ID) -> None:
        self.engine = engine
        self.company_id = company_id
        self.adverts = 0  # every advert heard, ours or not
        self.frames = 0  # ours, with a level
        self.nearby = NearbyCount(engine.boundaries)  # the phones heard (the heartbeat's ``nearby``)
        self._sink = sink
        self._last_tick = float("-inf")
        # A phone sends the same bytes for ten minutes: each payload is decoded once.
        self._frames: dict[bytes, Frame | None] = {}

    def advert(self, t: float, rssi: int, manufacturer_data: dict[int, bytes]) -> None:
        self.adverts += 1
        frame = self._frame(manufacturer_data)
        if frame is not None and rssi in constants.LEVELS_DBM:  # else no level (counted)
            self.frames += 1
            self.nearby.sighting(t, rssi, frame)
            decisions = self.engine.sighting(t, rssi, frame)
            if decisions:
                self._sink(decisions)
        if t - self._last_tick >= constants.TICK_EVERY_S:
            self.tick(t)

    def _frame(self, manufacturer_data: dict[int, bytes]) -> Frame | None:
        """Our frame in an advert, or None (``frame_from_manufacturer_data``), from the
        payloads decoded before (forgotten all at once at ``FRAME_CACHE_SIZE``)."""
        payload = manufacturer_data.get(self.company_id)
        if payload is None:
            return None
        frames = self._frames
        if payload not in frames:
            if len(frames) >= constants.FRAME_CACHE_SIZE:
                frames.clear()
            frames[payload] = decode_frame(payload)
        return frames[payload]

    def tick(self, t: float) -> None:
        """Away-timeout exits; called with adverts and on the service's timer, so a silent
        store still closes its visits."""
        self._last_tick = t
        self.nearby.settle(t)
        decisions = self.engine.tick(t)
        if decisions:
            self._sink(decisions)
