"""``beacon-agent replay``: a trace through the same pipeline and engine as ``run``, on
the trace's clock, as fast as it goes (PROTOCOLS.md section 5)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from beacon_agent.engine import Decision, EngineSettings, PresenceEngine
from beacon_agent.outbox import Outbox
from beacon_agent.pipeline import Pipeline
from rewards_protocol import trace
from rewards_protocol.presence import DEFAULT_COMPANY_ID


@dataclass(frozen=True)
class ReplayResult:
    adverts: int
    frames: int
    events: int
    # How far the trace's clock is ahead of the phones' (where they change token,
    # learned from the air: ``boundaries``); 0 when it is right, or not learned.
    clock_ahead_s: float = 0.0
    # Adverts earlier than one before them (a trace is sorted by ``t``: PROTOCOLS.md
    # section 5), and the most one went back (seconds): the engine takes them as they
    # come, and decides worse where they are far out of order.
    out_of_order: int = 0
    back_s: float = 0.0


def replay(lines: Iterable[str], events_out: TextIO | None, *,
           settings: EngineSettings | None = None, company_id: int = DEFAULT_COMPANY_ID,
           outbox: Outbox | None = None, skipped: list[str] | None = None) -> ReplayResult:
    """Write one event per line (the section 3 shape plus ``t``, trace seconds) and, if
    given, queue the events in ``outbox`` for upload. The header's ``agent.calibration_db``
    (if any) is applied unless ``settings`` carries a calibration of its own. Lines that
    are not advertisements raise ``trace.TraceError``, or, given ``skipped``, are passed
    over and described there (``trace.read``)."""
    header, adverts = trace.read(lines, skipped)
    start = header.start if header else 0.0
    settings = settings or EngineSettings()
    if header and "calibration_db" in header.agent and not settings.calibration_db:
        settings = settings.updated({"calibration_db": header.agent["calibration_db"]})
    count = 0

    def sink(decisions: list[Decision]) -> None:
        nonlocal count
        count += len(decisions)
        if events_out is not None:
            for d in decisions:
                events_out.write(json.dumps({**d.event.to_json(), "t": round(d.t - start, 3)},
                                            separators=(",", ":")) + "\n")
        if outbox is not None:
            outbox.put((d.t, d.event) for d in decisions)

    pipeline = Pipeline(PresenceEngine(settings), sink, company_id)
    latest, out_of_order, back = -math.inf, 0, 0.0
    for advert in adverts:
        t = start + advert.t
        if t < latest:
            out_of_order += 1
            back = max(back, latest - t)
        else:
            latest = t
        pipeline.advert(t, advert.rssi, advert.manufacturer_data)
    # The trace ended: whoever is still inside leaves once the away timeout has passed.
    pipeline.tick((start if latest == -math.inf else latest) + settings.away_timeout_s + 1.0)
    return ReplayResult(pipeline.adverts, pipeline.frames, count, pipeline.engine.boundaries.offset,
                        out_of_order, back)
