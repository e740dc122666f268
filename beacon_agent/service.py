"""``beacon-agent run``: radio → pipeline → outbox on the event loop; the uploader on
its own thread; heartbeats and remote settings on a timer.

Every decision is committed to the outbox before anything else happens with it, so the
upload side can fail, lag or be killed without losing one. What the engine learned of
its entrance from the store's traffic is recalled at start and kept now and then and at
a clean shutdown (``memory``), so a restart does not forget it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from tenacity import stop_after_attempt

from beacon_agent import __version__, calibration, constants
from beacon_agent.boundaries import within_a_window
from beacon_agent.config import AgentConfig
from beacon_agent.engine import Decision, PresenceEngine
from beacon_agent.memory import Memory
from beacon_agent.outbox import Outbox
from beacon_agent.pipeline import Pipeline
from beacon_agent.radio import OnAdvert
from beacon_agent.upload import AgentApi, AgentApiError, ApiUnavailable, Uploader

log = logging.getLogger(__name__)


class Radio(Protocol):
    state: str

    async def run(self, stop: asyncio.Event) -> None: ...


RadioFactory = Callable[[OnAdvert], Radio]


class AgentService:
    """The agent: radio -> engine -> outbox on the event loop, uploads on a thread.
    ``clock`` is the store's time (a simulated radio's runs fast), ``steady`` a clock
    that no setting of it moves (``time.monotonic``; a simulated clock is its own);
    ``upload_every_s`` is the real time events gather between uploads.

    The engine and the outbox keep to ``clock`` as it read at the start, run on by
    ``steady`` (``heard_at``): a Pi has no real-time clock, and network time reached
    minutes after the start sets its clock on or back by as long as it was off. On that
    clock every phone heard at a jump forward had been heard that much longer (let in at
    once, whoever it was), and at a jump back the engine's time would run backwards. The
    outbox moves an event by what this clock was off when it was decided, as it would
    the Pi's; what people read (the status, when the entrance was learned) is on
    ``clock``."""

    def __init__(self, config: AgentConfig, radio: RadioFactory,
                 api: Callable[[], AgentApi] | None = None,
                 clock: Callable[[], float] = time.time,
                 steady: Callable[[], float] | None = None,
                 upload_every_s: float = constants.UPLOAD_INTERVAL_S) -> None:
        self.config = config
        self._clock = clock
        self._upload_every_s = upload_every_s
        self._make_api = api or (lambda: AgentApi(config.api_url, config.agent_id,
                                                  config.secret()))
        # A simulated clock never jumps: it is its own steady clock.
        self._steady = steady or (time.monotonic if clock is time.time else clock)
        self.heard_at = clock if self._steady is clock else _run_on(clock(), self._steady)
        self.outbox = Outbox(config.outbox_path, clock=self.heard_at, steady=self._steady)
        self.engine = PresenceEngine(config.presence)
        self.pipeline = Pipeline(self.engine, self._store, config.company_id)
        self.radio = radio(lambda address, rssi, data, at: self.pipeline.advert(
            self.heard_at() if at is None else at, rssi, data))
        self._api = self._make_api()
        self._adverts_per_second = 0.0
        self._phones_reported = 0  # pipeline.nearby.count at the last heartbeat the API took
        self._learned_at: float | None = None
        self._memory = Memory(self.outbox, config)
        self._recall()

    def _recall(self) -> None:
        """Go on from what the engine learned here before the agent last stopped."""
        recalled = self._memory.recall()
        if recalled is None:
            return
        self.engine.learned = recalled.learning
        self._learned_at = recalled.learned_at
        site = self.engine.site_state()
        log.info("recalled the entrance as learned by %s (%d outsiders, %d insiders)%s",
                 calibration.iso(recalled.saved_at), site.outsiders, site.insiders,
                 f", learned since {calibration.iso(recalled.learned_at)}"
                 if recalled.learned_at is not None else "")

    def _keep_learned(self) -> None:
        """Save what the engine has learned, if it changed (on the event loop: the engine
        and this outbox connection live there)."""
        self._note_learned()
        self._memory.keep(self.engine.learned, self._learned_at, self._clock())

    def _note_learned(self) -> None:
        """Note when the engine first said it had learned the entrance from its traffic."""
        if self._learned_at is None and self.engine.site_state().learned:
            self._learned_at = self._clock()

    def _store(self, decisions: list[Decision]) -> None:
        added = self.outbox.put((d.t, d.event) for d in decisions)
        for d in decisions:
            log.info("%s %s…", d.event.kind, d.event.token[:8])
        if added < len(decisions):
            log.warning("%d events were already queued", len(decisions) - added)

    def apply_remote(self) -> None:
        """Fetch ``GET /v1/agents/config`` and apply it; keep the current settings when
        the API cannot be reached."""
        try:
            remote = self._api.fetch_config()
        except AgentApiError as exc:
            log.warning("remote settings unavailable, keeping the current ones: %s", exc)
            return
        self.config = self.config.with_remote(remote)
        self.engine.settings = self.config.presence
        self.pipeline.company_id = self.config.company_id

    def clock_ahead_of_phones(self) -> float:
        """How far the Pi's clock is ahead of the phones' (behind: below 0; not 0 where no
        network time was reached), within half a window: where the phones change token on
        the engine's clock (``boundaries``; its own boundaries until it has heard where),
        and how far the Pi's clock was set on since the engine's started
        (``heard_at``). The walk test, on the Pi's clock, keeps to the phones' by it."""
        return within_a_window(self.engine.boundaries.offset + self._clock() - self.heard_at())

    async def _phones_clock(self) -> None:
        """Where the phones change token before the engine has heard it (``boundaries``):
        by the API's clock (phones keep network time, as its server does); the Pi's own
        where the API cannot be reached."""
        try:
            api_ahead = await asyncio.to_thread(self._api.api_clock_ahead_s,
                                                constants.API_CLOCK_WAIT_S)
        except ApiUnavailable as exc:
            log.info("the phones' clock is taken to be this Pi's: %s", exc)
            return
        self.engine.boundaries.suppose(self.heard_at() - self._clock() - api_ahead)

    def _heartbeat(self, queue_depth: int, refused: int, last_refusal_code: str | None,
                   calibration_report: dict[str, Any], phones_heard: int) -> None:
        """Send a heartbeat; ``nearby`` counts the phones first heard since the last
        heartbeat the API took (a failed one's phones are sent with the next)."""
        try:
            self._api.heartbeat(queue_depth, self._adverts_per_second, self.radio.state,
                                __version__, refused, last_refusal_code,
                                calibration=calibration_report,
                                nearby=phones_heard - self._phones_reported)
        except AgentApiError as exc:
            log.warning("heartbeat failed: %s", exc)
            return
        self._phones_reported = phones_heard

    def _calibration(self) -> dict[str, Any]:
        """The heartbeat's calibration (on the event loop: the engine lives there)."""
        self._note_learned()
        return calibration.report(self.engine, self.config, self._learned_at)

    async def _housekeeping(self, stop: asyncio.Event) -> None:
        last_count, last_at = self.pipeline.adverts, time.monotonic()
        next_heartbeat = next_config = last_at
        next_keep = last_at + constants.KEEP_LEARNED_EVERY_S
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), constants.TICK_EVERY_S)
            except TimeoutError:
                pass
            self.pipeline.tick(self.heard_at())
            now = time.monotonic()
            if now - last_at >= constants.STATUS_EVERY_S:
                self._adverts_per_second = (self.pipeline.adverts - last_count) / (now - last_at)
                last_count, last_at = self.pipeline.adverts, now
                self.outbox.set_status({"adverts_per_second": round(self._adverts_per_second, 2),
                                        "scanner_state": self.radio.state,
                                        "clock_ahead_of_phones_s": round(self.clock_ahead_of_phones()),
                                        "updated_at": self._clock()})
            if now >= next_keep:
                next_keep = now + constants.KEEP_LEARNED_EVERY_S
                self._keep_learned()
            if now >= next_config:
                next_config = now + constants.CONFIG_EVERY_S
                await asyncio.to_thread(self.apply_remote)
            if now >= next_heartbeat:
                next_heartbeat = now + constants.HEARTBEAT_EVERY_S
                # The outbox connection and the engine belong to this thread: read them here.
                await asyncio.to_thread(self._heartbeat, self.outbox.depth(),
                                        self.outbox.counters().get("refused", 0),
                                        self.outbox.status().get("last_refusal_code"),
                                        self._calibration(), self.pipeline.nearby.count)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set, SIGTERM/SIGINT arrives or the radio ends (a finished
        simulated trace); raises ScannerFailed when the adapter cannot be recovered."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (RuntimeError, ValueError):  # not the main thread (tests)
                pass
        upload_stop = threading.Event()
        uploader = threading.Thread(target=self._upload_loop, args=(upload_stop,),
                                    name="uploader", daemon=True)
        uploader.start()
        if self.heard_at is not self._clock:  # not a simulated store (on its own clock)
            await self._phones_clock()
        housekeeping = asyncio.create_task(self._housekeeping(stop))
        try:
            await self.radio.run(stop)
        finally:
            stop.set()
            await housekeeping
            self.pipeline.tick(self.heard_at())
            self._keep_learned()
            self.outbox.set_status({"scanner_state": self.radio.state,
                                    "updated_at": self._clock()})
            upload_stop.set()
            await asyncio.to_thread(uploader.join)
            self._api.close()
            self.outbox.close()

    def _upload_loop(self, stop: threading.Event) -> None:
        outbox = Outbox(self.config.outbox_path, clock=self.heard_at, steady=self._steady)
        api = self._make_api()
        uploader = Uploader(outbox, api, sleep=stop.wait, now=self._clock,
                            interval_s=self._upload_every_s)
        try:
            uploader.run(stop)
            try:  # one last try on the way out; what fails stays queued for the next start
                uploader.drain(stop=stop_after_attempt(1))
            except ApiUnavailable as exc:
                log.warning("%d events stay queued: %s", outbox.depth(), exc)
        finally:
            api.close()
            outbox.close()


def _run_on(start: float, steady: Callable[[], float]) -> Callable[[], float]:
    """A clock that reads ``start`` now and runs on by ``steady`` from here."""
    origin = steady()
    return lambda: start + (steady() - origin)
