"""Trace files (PROTOCOLS.md section 5): JSON Lines, one advertisement per line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

TRACE_VERSION = 1

# A replay reads 100,000s of lines: each is decoded with ``raw_decode`` once it is
# stripped (to skip blank lines), where ``json.loads`` would look for whitespace at both
# ends again with two regular expressions, a third of its time on a trace line.
_DECODER = json.JSONDecoder()


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
        # Positional, and no comprehension for the empty maps most lines carry: this runs
        # for every line of a replay.
        manufacturer_data, service_data = raw.get("manufacturer_data"), raw.get("service_data")
        return cls(
            float(raw["t"]), raw["address"], int(raw["rssi"]),
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


def read(lines: Iterable[str]) -> tuple[TraceHeader | None, Iterator[Advertisement]]:
    """The header (if the first line is one) and the advertisements, lazily."""
    iterator = iter(lines)
    header: TraceHeader | None = None
    first: dict[str, Any] | None = None
    for line in iterator:
        if text := line.strip():
            first = _decoded(text)
            break
    if first is not None and "trace" in first:
        header = TraceHeader(start=float(first.get("start", 0.0)), agent=first.get("agent") or {})
        first = None

    def adverts() -> Iterator[Advertisement]:
        if first is not None:
            yield Advertisement.from_json(first)
        for line in iterator:
            if text := line.strip():
                yield Advertisement.from_json(_decoded(text))

    return header, adverts()


def _decoded(text: str) -> Any:
    """``json.loads`` of a line without whitespace at its ends."""
    value, end = _DECODER.raw_decode(text)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value
