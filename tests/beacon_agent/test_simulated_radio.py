"""The simulated radio reports each advert at its own moment, also when it plays late, and\npasses over a line that is not one."""

from __future__ import annotations

import asyncio

from beacon_agent.radio import SimulatedRadio, SpeedClock
from rewards_protocol import trace


def test_a_late_radio_still_reports_each_adverts_own_moment(tmp_path):
    adverts = [trace.Advertisement(t=t, address="7A:11:0C:9E:33:01", rssi=-60 - i,
                                   manufacturer_data={0xFFFF: bytes(18)})
               for i, t in enumerate([10.0, 10.5, 12.0, 15.25])]
    path = tmp_path / "trace.jsonl"
    with path.open("w") as out:
        trace.write(out, adverts, trace.TraceHeader(start=0.0))
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:2] + ['{"t": 11.0, "addr\n'] + lines[2:]))  # a line cut off
    wall = iter(float(x) for x in range(1000, 2000, 7))  # a starved process: 7 s per look
    clock = SpeedClock(speed=1000.0, wall=lambda: next(wall), origin=0.0)
    heard: list[tuple[int, float | None]] = []
    radio = SimulatedRadio(path, lambda address, rssi, data, at: heard.append((rssi, at)), clock)

    asyncio.run(radio.run(asyncio.Event()))

    first = heard[0][1]
    assert first is not None
    assert [rssi for rssi, _ in heard] == [-60, -61, -62, -63]
    assert radio.skipped == ["line 3: not JSON"]
    assert [round(at - first, 3) for _, at in heard] == [0.0, 0.5, 2.0, 5.25]
