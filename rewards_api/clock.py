"""What time it is, as the app sees it.

Code that compares against "now" (signature timestamps, token windows, sighting ages)
asks this module instead of the system clock, so tests set the time through
``app.config["CLOCK"]`` (a function returning an aware UTC datetime) and never sleep.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app

from rewards_api.db import utcnow


def now() -> dt.datetime:
    clock = current_app.config.get("CLOCK")
    return clock() if clock is not None else utcnow()
