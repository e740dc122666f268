"""A settable clock for the app (``app.config["CLOCK"]``): tests set or move the time
by hand instead of waiting for it."""

from __future__ import annotations

import datetime as dt


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, at: dt.datetime) -> None:
        self.now = at

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)
