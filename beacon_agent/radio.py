"""Where advertisements come from: the Bluetooth adapter through bleak and BlueZ, or a
simulated radio playing a trace. Both call ``on_advert(address, rssi,
manufacturer_data, at)`` for every advertisement; the service does the rest the same way.
``at`` is None from the adapter (the advert is in the air now); the simulated radio
gives the advert's own moment on the service clock, so a starved process that plays
its trace late still shows the engine each phone's real timing.

BlueZ discovery filter (``DISCOVERY_FILTER``), from reading bleak's BlueZ backend
(``bleak/backends/bluezdbus/scanner.py`` and ``manager.py``): bleak always sends
``Transport=le`` and, by default, ``DuplicateData=False`` to ``SetDiscoveryFilter``
before ``StartDiscovery``, then calls the detection callback for every D-Bus
``PropertiesChanged`` of a device. Two BlueZ rules would starve the presence engine:

- with duplicate detection on (``DuplicateData=False``), BlueZ emits no
  ``ManufacturerData`` change for a phone that repeats the same frame, which ours does
  for a whole 10-minute window;
- without an RSSI (or pathloss) filter, BlueZ emits an ``RSSI`` change only when it
  moved by 8 dB or more (``RSSI_THRESHOLD`` in bluetoothd); with any such filter set it
  reports every value.

So the agent asks for ``DuplicateData=True`` (every advertisement is a signal) and
``RSSI=-120`` (a threshold below anything a receiver hears, set only to lift the
8 dB rule). The cost is one D-Bus signal per advertisement: about 1,000/s in a busy
store, which bluetoothd and the engine handle easily on a Pi.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bleak.args.bluez import BlueZDiscoveryFilters

from beacon_agent import constants
from rewards_protocol import trace

log = logging.getLogger(__name__)

OnAdvert = Callable[[str, int, dict[int, bytes], float | None], None]

DISCOVERY_FILTER: BlueZDiscoveryFilters = {"DuplicateData": True, "RSSI": -120}

# Scanner states, as the heartbeat and ``beacon-agent status`` report them.
STARTING = "starting"
SCANNING = "scanning"
RESTARTING = "restarting"
POWER_CYCLING = "power_cycling"
FAILED = "failed"
SIMULATED = "simulated"
FINISHED = "finished"


class ScannerFailed(Exception):
    """The adapter stayed silent through every recovery step: exit non-zero and let
    systemd restart the process (which also re-opens the D-Bus connection)."""


class BlueZRadio:
    """A bleak scanner on one adapter, watched by a watchdog.

    When no advertisement at all arrived for ``silence_s`` (a store is never that quiet
    while the scanner works), recovery escalates: restart scanning up to
    ``restarts`` times, then power-cycle the adapter through BlueZ up to
    ``power_cycles`` times, then raise ``ScannerFailed``. Any advertisement resets the
    escalation."""

    def __init__(self, adapter: str, on_advert: OnAdvert, *,
                 silence_s: float = constants.WATCHDOG_SILENCE_S,
                 check_every_s: float = constants.WATCHDOG_CHECK_S,
                 restarts: int = constants.WATCHDOG_RESTARTS,
                 power_cycles: int = constants.WATCHDOG_POWER_CYCLES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.adapter = adapter
        self.state = STARTING
        self._on_advert = on_advert
        self._silence_s = silence_s
        self._check_every_s = check_every_s
        self._restarts = restarts
        self._power_cycles = power_cycles
        self._clock = clock
        self._last_advert = clock()
        self._lock = asyncio.Lock()  # start and stop never interleave
        self._scanner: Any = None
        self.recoveries: list[str] = []  # what the watchdog did, in order

    def _detected(self, device: Any, advertisement: Any) -> None:
        self._last_advert = self._clock()
        self._on_advert(device.address, advertisement.rssi, advertisement.manufacturer_data, None)

    async def _start(self) -> None:
        from bleak import BleakScanner

        async with self._lock:
            self._scanner = BleakScanner(detection_callback=self._detected,
                                         bluez={"adapter": self.adapter,
                                                "filters": DISCOVERY_FILTER})
            await self._scanner.start()
            self._last_advert = self._clock()
            self.state = SCANNING

    async def _stop(self) -> None:
        async with self._lock:
            scanner, self._scanner = self._scanner, None
            if scanner is not None:
                try:
                    await scanner.stop()
                except Exception as exc:  # a wedged adapter may refuse StopDiscovery
                    log.warning("stopping the scanner failed: %r", exc)

    async def _power_cycle(self) -> None:
        from dbus_fast import BusType, Message, MessageType, Variant
        from dbus_fast.aio import MessageBus

        bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        try:
            for powered in (False, True):
                reply = await bus.call(Message(
                    destination="org.bluez", path=f"/org/bluez/{self.adapter}",
                    interface="org.freedesktop.DBus.Properties", member="Set", signature="ssv",
                    body=["org.bluez.Adapter1", "Powered", Variant("b", powered)]))
                if reply is None or reply.message_type == MessageType.ERROR:
                    raise RuntimeError(f"BlueZ refused Powered={powered}: "
                                       f"{reply.error_name if reply else 'no reply'}")
        finally:
            bus.disconnect()

    async def run(self, stop: asyncio.Event) -> None:
        """Scan until ``stop`` is set; raises ScannerFailed when recovery is exhausted."""
        await self._start()
        level = 0
        try:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), self._check_every_s)
                except TimeoutError:
                    pass
                if stop.is_set():
                    break
                if self._clock() - self._last_advert < self._silence_s:
                    level = 0
                    continue
                level += 1
                await self._recover(level)
        finally:
            await self._stop()

    async def _recover(self, level: int) -> None:
        await self._stop()
        if level <= self._restarts:
            self.state = RESTARTING
            step = "restart"
        elif level <= self._restarts + self._power_cycles:
            self.state = POWER_CYCLING
            step = "power_cycle"
            try:
                await self._power_cycle()
            except Exception as exc:
                log.warning("power-cycling %s failed: %r", self.adapter, exc)
        else:
            self.state = FAILED
            self.recoveries.append("give_up")
            raise ScannerFailed(f"{self.adapter} heard nothing for {self._silence_s:.0f} s "
                                f"after {self._restarts} restarts and {self._power_cycles} "
                                "power cycles")
        log.warning("%s silent for %.0f s: %s", self.adapter, self._silence_s, step)
        try:
            await self._start()
        except Exception as exc:  # counted as one more silent round by the next check
            log.warning("restarting the scanner failed: %r", exc)
        self.recoveries.append(step)


class SpeedClock:
    """Unix time running ``speed`` times faster from the moment it was made: the clock of
    a simulated radio and of the engine listening to it, so that a trace played fast is
    decided exactly as it would be in real time. Processes given the same ``origin``
    (the wall time at which the clock read real time) agree on the time."""

    def __init__(self, speed: float = 1.0, wall: Callable[[], float] = time.time,
                 origin: float | None = None) -> None:
        self.speed = speed
        self._wall = wall
        self._origin = wall() if origin is None else origin

    def __call__(self) -> float:
        return self._origin + (self._wall() - self._origin) * self.speed


class SimulatedRadio:
    """Plays a trace (a file, or a FIFO another process writes) on ``clock``, as if its
    adverts came through the air now; the demo's stand-in for the Bluetooth adapter. A
    trace's header line is skipped: the service keeps its own clock. A line that is not an
    advertisement is passed over, as ``replay`` does, and described in ``skipped``."""

    def __init__(self, source: Path, on_advert: OnAdvert, clock: SpeedClock) -> None:
        self.source = source
        self.skipped: list[str] = []
        self.state = STARTING
        self._on_advert = on_advert
        self._clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        # Opening a FIFO, and reading it, block until its writer writes: off the event loop.
        with await loop.run_in_executor(None, self.source.open) as lines:
            self.state = SIMULATED
            _, adverts = await loop.run_in_executor(None, trace.read, lines, self.skipped)
            offset: float | None = None  # clock time minus trace time
            while not stop.is_set():
                advert = await loop.run_in_executor(None, next, adverts, None)
                if advert is None:
                    break
                if offset is None:
                    offset = self._clock() - advert.t
                due = (advert.t + offset - self._clock()) / self._clock.speed
                if due > 0:
                    try:  # waiting for the advert's moment, or a stop
                        await asyncio.wait_for(stop.wait(), due)
                    except TimeoutError:
                        pass
                self._on_advert(advert.address, advert.rssi, advert.manufacturer_data,
                                advert.t + offset)
        self.state = FINISHED
