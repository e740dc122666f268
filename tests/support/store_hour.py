"""An hour of a simulated store heard by an agent's whole pipeline (engine and nearby
count), for the nearby tests and ``make bench BENCH=calibration``."""

from __future__ import annotations

from dataclasses import dataclass, replace

from beacon_agent import simulator
from beacon_agent.engine import PresenceEngine
from beacon_agent.pipeline import Pipeline
from rewards_protocol.presence import WINDOW_SECONDS


@dataclass(frozen=True)
class HeardHour:
    nearby: int  # what the heartbeats of the hour counted
    phones: int  # the truth: phones heard at least once
    tokens: int  # their tokens


def heard_hour(site: str, seed: int, agent_clock_s: float = 0.0) -> HeardHour:
    """``agent_clock_s``: how far the agent's clock is ahead of the phones' (``simulator.Site``)."""
    simulation = simulator.simulate(simulator.Scenario(
        seed=seed, minutes=60, site=replace(simulator.site_named(site), agent_clock_s=agent_clock_s)))
    pipeline = Pipeline(PresenceEngine(), lambda decisions: None)
    t = simulation.header.start
    for advert in simulation.adverts:
        t = simulation.header.start + advert.t
        pipeline.advert(t, advert.rssi, advert.manufacturer_data)
    pipeline.tick(t + WINDOW_SECONDS)
    return HeardHour(pipeline.nearby.count, len(set(simulation.tokens.owners.values())),
                     len(simulation.tokens.owners))
