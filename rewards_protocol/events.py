"""Presence events and the sighting batch (PROTOCOLS.md section 3)."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import asdict, dataclass
from typing import Any

ENTER = "enter"
EXIT = "exit"
KINDS = (ENTER, EXIT)
MAX_BATCH_EVENTS = 500
SIGHTINGS_PATH = "/v1/agents/sightings"
CONFIG_PATH = "/v1/agents/config"
HEARTBEAT_PATH = "/v1/agents/heartbeat"
# Unsigned, once per agent: {"code": enrolment code} -> {"agent_id", "secret" (hex), "store"}.
ENROL_PATH = "/v1/agents/enrol"

# Per-event outcomes in the batch response.
ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"

_TOKEN_HEX = re.compile(r"^[0-9a-f]{32}$")
# event_id is compared as a string, so only one spelling of a UUID is accepted:
# lowercase with hyphens, as str(uuid.uuid4()) writes it.
_EVENT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Bounds that keep values meaningful (and inside the API's integer columns).
MAX_COUNT = 1_000_000
MAX_UNIX_TIME = 2**32


@dataclass(frozen=True, slots=True)
class PresenceEvent:
    event_id: str
    kind: str
    frame_version: int
    key_id: int
    token: str
    first_seen: float
    last_seen: float
    rssi_max: int
    rssi_median: int
    count: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())


class EventError(ValueError):
    """An event that does not follow the schema; ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def parse_event(raw: Any) -> PresenceEvent:
    """Check one event of a batch against the schema, strictly (no unknown keys): its
    fields and what it is, then its values, raising ``EventError`` at the first fault."""
    fields = _check_fields(raw)
    _check_values(raw)
    return PresenceEvent(**{k: raw[k] for k in fields})


def _check_fields(raw: Any) -> set[str]:
    """The event is an object with exactly the event's fields, an id, a kind and the one
    frame version; answers the fields."""
    if not isinstance(raw, dict):
        raise EventError("malformed_event", "an event is a JSON object")
    fields = set(PresenceEvent.__dataclass_fields__)
    unknown = set(raw) - fields
    missing = fields - set(raw)
    if unknown or missing:
        raise EventError("malformed_event",
                         f"unknown fields {sorted(unknown)}, missing fields {sorted(missing)}")
    if not isinstance(raw["event_id"], str) or not _EVENT_ID.match(raw["event_id"]):
        raise EventError("malformed_event", "event_id is a lowercase UUID with hyphens")
    if raw["kind"] not in KINDS:
        raise EventError("malformed_event", "kind is enter or exit")
    if raw["frame_version"] != 1:
        raise EventError("unsupported_frame_version", "frame_version 1 is the only one")
    return fields


def _check_values(raw: dict[str, Any]) -> None:
    """Whole numbers, the key, the token, the times, the count and the RSSI in range."""
    ints = ("key_id", "rssi_max", "rssi_median", "count", "frame_version")
    if any(not isinstance(raw[k], int) or isinstance(raw[k], bool) for k in ints):
        raise EventError("malformed_event", f"{', '.join(ints)} are whole numbers")
    if not 0 <= raw["key_id"] <= 15:
        raise EventError("malformed_event", "key_id is 0..15")
    if not isinstance(raw["token"], str) or not _TOKEN_HEX.match(raw["token"]):
        raise EventError("malformed_token", "token is 32 lowercase hex characters")
    times = (raw["first_seen"], raw["last_seen"])
    if any(not isinstance(t, int | float) or isinstance(t, bool) or not math.isfinite(t)
           or not 0 <= t < MAX_UNIX_TIME for t in times):
        raise EventError("malformed_event", "first_seen and last_seen are unix seconds")
    if raw["first_seen"] > raw["last_seen"] or not 1 <= raw["count"] <= MAX_COUNT:
        raise EventError("malformed_event", "first_seen <= last_seen and 1 <= count <= 1000000")
    if not -127 <= raw["rssi_median"] <= raw["rssi_max"] <= 20:
        raise EventError("malformed_event", "RSSI values are dBm with median <= max")
