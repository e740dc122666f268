"""Earnings of purchases made while the API was unreachable, kept on disk (SQLite) and
sent later exactly once.

Each queued purchase has an ``offline_id`` (uuid4) that is sent with it every time;
the API keeps one checkout per id, so a resend after a lost answer earns nothing twice.
An item is marked sent only after the API answered; an item the API refuses for good
(e.g. unknown shopper) is kept with the error for a manager to look at.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pos_plugin.client import RewardsClient
from pos_plugin.errors import RewardsError, Unreachable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queued_earnings (
    id INTEGER PRIMARY KEY,
    offline_id TEXT NOT NULL UNIQUE,
    earning TEXT NOT NULL,
    queued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    sent_checkout_id INTEGER,
    error_code TEXT,
    error_message TEXT
)
"""


@dataclass(frozen=True)
class SyncResult:
    sent: int
    refused: int
    pending: int


class EarnQueue:
    def __init__(self, path: Path | str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # an acknowledged purchase survives a crash
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def add(self, earning: dict[str, Any]) -> str:
        """Keep ``earning`` (identification, basket, cashier, purchased_at); its id."""
        offline_id = str(uuid.uuid4())
        with self._lock:
            self._db.execute("INSERT INTO queued_earnings (offline_id, earning) VALUES (?, ?)",
                             (offline_id, json.dumps(earning)))
        return offline_id

    def pending(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM queued_earnings WHERE "
                                   "sent_checkout_id IS NULL AND error_code IS NULL").fetchone()
        return int(row[0])

    def refused(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT offline_id, earning, error_code, error_message FROM "
                                    "queued_earnings WHERE error_code IS NOT NULL").fetchall()
        return [{"offline_id": r[0], "earning": json.loads(r[1]), "code": r[2], "message": r[3]}
                for r in rows]

    def sync(self, client: RewardsClient) -> SyncResult:
        """Send what waits, oldest first; stops at the first sign the API is still away."""
        sent = refused = 0
        with self._lock:
            rows = self._db.execute("SELECT offline_id, earning FROM queued_earnings WHERE "
                                    "sent_checkout_id IS NULL AND error_code IS NULL "
                                    "ORDER BY id").fetchall()
        for offline_id, earning in rows:
            try:
                checkout = client.send_offline_earning(json.loads(earning), offline_id)
            except Unreachable:
                break
            except RewardsError as exc:
                if exc.status is None or exc.status >= 500:
                    break
                with self._lock:
                    self._db.execute("UPDATE queued_earnings SET error_code = ?, error_message = ? "
                                     "WHERE offline_id = ?", (exc.code, exc.message, offline_id))
                refused += 1
                continue
            with self._lock:
                self._db.execute("UPDATE queued_earnings SET sent_checkout_id = ? WHERE "
                                 "offline_id = ?", (checkout.id, offline_id))
            sent += 1
        return SyncResult(sent, refused, self.pending())
