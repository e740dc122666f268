"""The durable outbox: every decided presence event is committed to SQLite on the Pi
before anyone tries to upload it, and deleted only after the API answered for it.

- Durable: WAL journal with ``synchronous=FULL``, one transaction per ``put``; a
  ``kill -9`` or a power cut after ``put`` returned loses nothing.
- Bounded: at most ``max_events`` rows (default: a week of a busy store, see
  ``constants.OUTBOX_MAX_EVENTS``). When full, the oldest events are dropped to make room
  (a fresh walk-in is worth more than one the API has not heard of for a week) and every
  dropped event is counted in ``dropped_full``, which ``beacon-agent status`` shows.
- Refused events (the API refused them with a code, see ``upload``) move to ``refused``
  with that code, counted in ``refused``, the last code in the status; an engineer can
  read them there (``sqlite3 outbox.sqlite3 'SELECT * FROM refused'``). At most
  ``max_events`` are kept, like the queue.
- Also holds the agent's small status record (last upload, adverts/s, scanner state),
  so ``beacon-agent status`` reads one file, and what the engine learned of its
  entrance from the store's traffic (``learned``, one row, see ``memory``), so that a
  restart does not forget it.

- Sane times from a Pi with no real-time clock: event times are on the Pi's clock, which
  may be far off until NTP (or the API's ``server_time``) sets it. With each event the
  outbox records the Pi's clock and its steady clock (``time.monotonic``, which no
  clock setting moves but which starts again at each boot) at that moment, and the
  boot. ``corrected`` moves an event by what the clock was off then (when more than the
  API's 300 s tolerance): steady time within one boot is steady, so true time then =
  the API's time at a steady reading of that boot - the steady time between. For this
  boot that reading is now; for an earlier boot it is the one the uploader stored in
  ``boots`` when the API last accepted the agent's time in that boot
  (``acknowledge(..., api_time=...)``), so events recorded before a reboot on a wrong
  clock are moved as exactly as those of this boot.
- A boot that never reached the API (no stored reading) proves nothing about its
  clock: its events go as recorded (``unproven``), and the API's token windows are
  the proof: right times are accepted, and one that it rejects for its time
  (``TIME_REJECTIONS``) is set aside with that code rather than dropped.

Each connection belongs to one thread: the service's engine side and its uploader open
their own ``Outbox`` on the same file.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beacon_agent import constants
from rewards_protocol.events import PresenceEvent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    decided_at REAL NOT NULL,
    event TEXT NOT NULL,
    clock_at REAL,
    steady_at REAL,
    boot_id TEXT
);
CREATE TABLE IF NOT EXISTS refused (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    decided_at REAL NOT NULL,
    event TEXT NOT NULL,
    code TEXT NOT NULL,
    refused_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS boots (
    boot_id TEXT PRIMARY KEY,
    steady_at REAL NOT NULL,
    api_time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS status (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS learned (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    record TEXT NOT NULL,
    saved_at REAL NOT NULL
);
"""


# The API's reasons to reject an event for its time (rewards_api/walkins/services.py).
TIME_REJECTIONS = frozenset({"event_in_future", "event_too_old", "token_window_mismatch"})

# Columns added after the first agents shipped: an outbox file from then gets them.
_ADDED_COLUMNS = {"clock_at": "REAL", "steady_at": "REAL", "boot_id": "TEXT"}


def _boot_id() -> str:
    """This boot of the machine (the steady clock counts from it); a random id where the
    kernel does not say, so that only this process trusts its steady readings."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return f"process-{uuid.uuid4()}"


BOOT_ID = _boot_id()


@dataclass(frozen=True, slots=True)
class Pending:
    seq: int
    event: dict[str, Any]
    # The Pi's clock and steady clock when the event was recorded, and the boot.
    clock_at: float | None = None
    steady_at: float | None = None
    boot_id: str | None = None


class Outbox:
    """``clock`` is the clock event times are on; ``steady`` a clock that no setting of
    it moves (``time.monotonic``; a simulated store passes its own clock for both)."""

    def __init__(self, path: str | Path, max_events: int = constants.OUTBOX_MAX_EVENTS, *,
                 clock: Callable[[], float] = time.time,
                 steady: Callable[[], float] = time.monotonic, boot_id: str = BOOT_ID) -> None:
        self.path = Path(path)
        self.max_events = max_events
        self._clock = clock
        self._steady = steady
        self._boot_id = boot_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        with self._transaction():
            present = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
            for name, kind in _ADDED_COLUMNS.items():
                if name not in present:
                    self._db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {kind}")

    def close(self) -> None:
        self._db.close()

    def put(self, events: Iterable[tuple[float, PresenceEvent]]) -> int:
        """Store ``(decided_at, event)`` pairs durably, in one transaction; returns how many
        were new (an event_id already queued is ignored)."""
        clock_at, steady_at = self._clock(), self._steady()
        rows = [(e.event_id, t, json.dumps(e.to_json(), separators=(",", ":")), clock_at,
                 steady_at, self._boot_id) for t, e in events]
        if not rows:
            return 0
        with self._transaction():
            before = self._depth()
            self._db.executemany(
                "INSERT OR IGNORE INTO outbox (event_id, decided_at, event, clock_at, steady_at, "
                "boot_id) VALUES (?, ?, ?, ?, ?, ?)", rows)
            added = self._depth() - before
            overflow = self._depth() - self.max_events
            if overflow > 0:
                self._db.execute("DELETE FROM outbox WHERE seq IN "
                                 "(SELECT seq FROM outbox ORDER BY seq LIMIT ?)", (overflow,))
                self._count("dropped_full", overflow)
        return added

    def pending(self, limit: int) -> list[Pending]:
        """The oldest ``limit`` events not yet acknowledged."""
        rows = self._db.execute("SELECT seq, event, clock_at, steady_at, boot_id FROM outbox "
                                "ORDER BY seq LIMIT ?", (limit,))
        return [Pending(seq, json.loads(event), clock_at, steady_at, boot_id)
                for seq, event, clock_at, steady_at, boot_id in rows]

    def corrected(self, pending: list[Pending], server_now: float) -> list[dict[str, Any]]:
        """The events of ``pending`` with their times on the API's clock, given its time
        now (see the module's docstring); an event whose clock was right (within
        ``constants.CLOCK_SHIFT_IGNORED_S``) or that is ``unproven`` goes as recorded."""
        readings = self._readings()
        readings[self._boot_id] = (self._steady(), server_now)
        events = []
        for p in pending:
            event = p.event
            reading = readings.get(p.boot_id or "")
            if reading is not None and p.clock_at is not None and p.steady_at is not None:
                steady_at, api_time = reading
                shift = api_time - (steady_at - p.steady_at) - p.clock_at
                if abs(shift) > constants.CLOCK_SHIFT_IGNORED_S:
                    event = {**event, "first_seen": event["first_seen"] + shift,
                             "last_seen": event["last_seen"] + shift}
            events.append(event)
        return events

    def unproven(self, pending: list[Pending]) -> set[int]:
        """The seqs of events whose clock nobody can vouch for: of an earlier boot that
        never learned the API's time (or recorded before clock records existed)."""
        readings = self._readings()
        return {p.seq for p in pending
                if p.boot_id != self._boot_id and (p.boot_id not in readings
                                                   or p.steady_at is None)}

    def acknowledge(self, seqs: Iterable[int], counts: dict[str, int], *,
                    api_time: float | None = None) -> None:
        """Delete events the API answered for, and add ``counts`` (e.g. accepted,
        duplicate, rejected) to the counters, in one transaction; with ``api_time`` (the
        API's time now, known because it accepted the agent's), remember it with this
        boot's steady clock, for events of this boot sent after a reboot."""
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
            for name, value in counts.items():
                self._count(name, value)
            if api_time is not None:
                self._db.execute("INSERT OR REPLACE INTO boots (boot_id, steady_at, api_time) "
                                 "VALUES (?, ?, ?)", (self._boot_id, self._steady(), api_time))

    def set_aside(self, seqs: Iterable[int], code: str, at: float) -> None:
        """Move events the API refused for good out of the queue, with the API's code,
        in one transaction; counted in ``refused``."""
        seqs = list(seqs)
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO refused (seq, event_id, decided_at, event, code, "
                "refused_at) SELECT seq, event_id, decided_at, event, ?, ? "
                "FROM outbox WHERE seq = ?", [(code, at, s) for s in seqs])
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
            self._db.execute("DELETE FROM refused WHERE seq NOT IN "
                             "(SELECT seq FROM refused ORDER BY seq DESC LIMIT ?)",
                             (self.max_events,))
            self._count("refused", len(seqs))
            self._db.execute("INSERT OR REPLACE INTO status (name, value) VALUES (?, ?)",
                             ("last_refusal_code", json.dumps(code)))

    def refused(self, limit: int) -> list[tuple[str, dict[str, Any]]]:
        """The newest ``limit`` refused events, as ``(code, event)``."""
        rows = self._db.execute("SELECT code, event FROM refused ORDER BY seq DESC LIMIT ?",
                                (limit,))
        return [(code, json.loads(event)) for code, event in rows]

    def depth(self) -> int:
        return self._depth()

    def counters(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT name, value FROM counters"))

    def set_status(self, values: dict[str, Any]) -> None:
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO status (name, value) VALUES (?, ?)",
                                 [(k, json.dumps(v)) for k, v in values.items()])

    def status(self) -> dict[str, Any]:
        return {name: json.loads(value)
                for name, value in self._db.execute("SELECT name, value FROM status")}

    def keep_learned(self, record: dict[str, Any], at: float) -> None:
        """Replace the stored record of what the engine learned of its entrance
        (``memory``), in one transaction: a crash during it leaves the previous one."""
        text = json.dumps(record, separators=(",", ":"))
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO learned (only, record, saved_at) "
                             "VALUES (1, ?, ?)", (text, at))

    def learned(self) -> tuple[dict[str, Any], float] | None:
        """The stored record of what the engine learned and when it was saved; None
        before the first save. Raises ``ValueError`` for a record that is not JSON."""
        row = self._db.execute("SELECT record, saved_at FROM learned").fetchone()
        return None if row is None else (json.loads(row[0]), float(row[1]))

    def _readings(self) -> dict[str, tuple[float, float]]:
        """Each earlier boot's stored ``(steady clock, the API's time)``."""
        return {boot: (steady_at, api_time) for boot, steady_at, api_time
                in self._db.execute("SELECT boot_id, steady_at, api_time FROM boots")}

    def _depth(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def _count(self, name: str, value: int) -> None:
        if value:
            self._db.execute("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) "
                             "DO UPDATE SET value = value + excluded.value", (name, value))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
