"""The rewards API as the demo runs it under gunicorn (``demo.api:create_app()``): the
app of ``rewards_api`` on the demo's simulated clock.

With ``DEMO_SPEED`` above 1 the simulated day runs that many times faster than real
time, from ``DEMO_CLOCK_ORIGIN`` (a unix time) on. The beacon agents and the crowd
run on the same clock (``beacon-agent run --speed N --clock-origin T``), so signature
timestamps, token windows, visits, scans and the dashboard's "today" agree. Checkout
codes stay on real time: they come from real phones' clocks.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from beacon_agent.radio import SpeedClock
from rewards_api import create_app as rewards_app


def create_app() -> Any:
    speed = float(os.environ.get("DEMO_SPEED", "1"))
    if speed == 1:
        return rewards_app()
    clock = SpeedClock(speed, origin=float(os.environ["DEMO_CLOCK_ORIGIN"]))
    return rewards_app({"CLOCK": lambda: dt.datetime.fromtimestamp(clock(), dt.UTC)})
