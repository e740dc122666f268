"""Trace files (PROTOCOLS.md section 5): JSON Lines, one advertisement per line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

TRACE_VERSION = 1


@dataclass(frozen=True, slots=True)
class TraceHeader:
    start: float
    agent: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
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
        return cls(
            t=float(raw["t"]), address=raw["address"], rssi=int(raw["rssi"]),
            manufacturer_data={int(k): bytes.fromhex(v)
                               for k, v in raw.get("manufacturer_data", {}).items()},
            service_data={k: bytes.fromhex(v) for k, v in raw.get("service_data", {}).items()},
            service_uuids=list(raw.get("service_uuids", [])),
            local_name=raw.get("local_name"), tx_power=raw.get("tx_power"),
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
        if line.strip():
            first = json.loads(line)
            break
    if first is not None and "trace" in first:
        header = TraceHeader(start=float(first.get("start", 0.0)), agent=first.get("agent") or {})
        first = None

    def adverts() -> Iterator[Advertisement]:
        if first is not None:
            yield Advertisement.from_json(first)
        for line in iterator:
            if line.strip():
                yield Advertisement.from_json(json.loads(line))

    return header, adverts()
