"""Trace files (PROTOCOLS.md section 5): JSON Lines, one advertisement per line."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, TextIO

TRACE_VERSION = 1

# A replay reads 100,000s of lines: each is decoded with ``raw_decode`` once it is
# stripped (to skip blank lines), where ``json.loads`` would look for whitespace at both
# ends again with two regular expressions, a third of its time on a trace line.
_DECODER = json.JSONDecoder()


class TraceError(ValueError):
    """A trace that cannot be read as one: its header is not a header, or (read without
    ``skipped``) a line is not an advertisement. The message names the line."""


@dataclass(frozen=True, slots=True)
class TraceHeader:
    start: float
    agent: dict[str, Any] = field(default_factory=dict)


# Not frozen: a frozen dataclass sets each field through ``object.__setattr__``, which
# made building one cost as much as parsing its JSON line, and a replay reads 100,000s.
@dataclass(slots=True)
class Advertisement:
    """One line of a trace; mirrors bleak's AdvertisementData plus time and address."""

    t: float
    address: str
    rssi: int
    manufacturer_data: dict[int, bytes]
    service_data: dict[str, bytes] = field(default_factory=dict)
    service_uuids: list[str] = field(default_factory=list)
    local_name: str | None = None
    tx_power: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 3), "address": self.address, "rssi": self.rssi,
            "manufacturer_data": {str(k): v.hex() for k, v in self.manufacturer_data.items()},
            "service_data": {k: v.hex() for k, v in self.service_data.items()},
            "service_uuids": list(self.service_uuids), "local_name": self.local_name,
            "tx_power": self.tx_power,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Advertisement:
        """Raises ``KeyError``, ``TypeError``, ``ValueError``, ``AttributeError`` or
        ``OverflowError`` for a record that is not an advertisement (also for a time that
        is not a finite number); ``read`` says which field."""
        # Positional, and no comprehension for the empty maps most lines carry: this runs
        # for every line of a replay.
        manufacturer_data, service_data = raw.get("manufacturer_data"), raw.get("service_data")
        t = float(raw["t"])
        if not -math.inf < t < math.inf:
            raise ValueError(t)
        return cls(
            t, raw["address"], int(raw["rssi"]),
            {int(k): bytes.fromhex(v) for k, v in manufacturer_data.items()} if manufacturer_data else {},
            {k: bytes.fromhex(v) for k, v in service_data.items()} if service_data else {},
            list(raw.get("service_uuids") or ()), raw.get("local_name"), raw.get("tx_power"),
        )


def write(out: TextIO, adverts: Iterable[Advertisement], header: TraceHeader | None = None) -> None:
    if header is not None:
        out.write(json.dumps({"trace": TRACE_VERSION, "start": header.start,
                              "agent": header.agent}) + "\n")
    for advert in adverts:
        out.write(json.dumps(advert.to_json(), separators=(",", ":")) + "\n")


def read(lines: Iterable[str], skipped: list[str] | None = None
         ) -> tuple[TraceHeader | None, Iterator[Advertisement]]:
    """The header (if the first line is one) and the advertisements, lazily. A line that
    is not an advertisement (not JSON, a field missing or not of its type, a time that is
    not a finite number) raises ``TraceError`` naming it, or, given ``skipped``, is passed
    over and described there (``"line 7: not JSON"``): a recording cut off mid-line by a
    power cut, or a sector of its card gone bad, loses those lines and not the hour. A
    first line that is a header but not a valid one raises ``TraceError`` either way (the
    times of every line depend on it)."""
    iterator, number, first = iter(lines), 0, None
    for line in iterator:
        number += 1
        if text := line.strip():
            first = text
            break
    header = _header_of(number, first)
    return header, _adverts(iterator, number, None if header else first, skipped)


def _header_of(number: int, first: str | None) -> TraceHeader | None:
    """The header, where the first line (``number``) is one; ``TraceError`` for one whose
    start is not a finite number or whose agent is not an object."""
    if first is None or not first.startswith("{"):
        return None
    try:
        raw = _decoded(first)
    except (json.JSONDecodeError, RecursionError):
        return None  # not a header: read (or passed over) as the advert it is not
    if not isinstance(raw, dict) or "trace" not in raw:
        return None
    start, agent = raw.get("start", 0.0), raw.get("agent") or {}
    if (not isinstance(start, int | float) or not -math.inf < start < math.inf
            or not isinstance(agent, dict)):
        raise TraceError(f"line {number}: a trace header whose start is not a number of "
                         "seconds or whose agent is not an object")
    return TraceHeader(start=float(start), agent=agent)


def _adverts(lines: Iterator[str], number: int, first: str | None,
             skipped: list[str] | None) -> Iterator[Advertisement]:
    """The adverts of ``first`` (line ``number``, if not None) and the ``lines`` after it."""
    number -= first is not None  # counted again as it is read
    for line in chain((first,) if first else (), lines):  # every line of a replay: no call to spare
        number += 1
        if not (text := line.strip()):
            continue
        try:
            raw = _decoded(text)
        except (json.JSONDecodeError, RecursionError):  # deeper than JSON's decoder nests
            reason = f"line {number}: not JSON"
        else:
            try:
                yield Advertisement.from_json(raw)
                continue
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
                reason = f"line {number}: not an advertisement: {_why_not(raw)}"
        if skipped is None:
            raise TraceError(reason)
        skipped.append(reason)


def _why_not(raw: Any) -> str:
    """Which field of a record ``Advertisement.from_json`` refused is not as section 5 has it."""
    if not isinstance(raw, dict):
        return "not a JSON object"
    missing = [key for key in ("t", "address", "rssi") if key not in raw]
    if missing:
        return f"no {', '.join(missing)}"
    try:
        if not -math.inf < float(raw["t"]) < math.inf:
            raise ValueError
    except (TypeError, ValueError):
        return "t is not a finite number of seconds"
    try:
        int(raw["rssi"])
    except (TypeError, ValueError, OverflowError):
        return "rssi is not a whole number of dBm"
    for key, ids in (("manufacturer_data", "company ids in decimal"), ("service_data", "UUIDs")):
        value = raw.get(key) or {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return f"{key} is not an object of {ids} to hex"
    if not isinstance(raw.get("service_uuids") or [], list):
        return "service_uuids is not a list"
    return "manufacturer_data's company ids are not decimal, or a value is not hex"


def _decoded(text: str) -> Any:
    """``json.loads`` of a line without whitespace at its ends."""
    value, end = _DECODER.raw_decode(text)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value
