"""What time it is, as the app sees it: the one place the API reads the clock.

Every module asks ``now()`` (column defaults too), never the system clock, so that
tests set the time through ``app.config["CLOCK"]`` (a function returning an aware UTC
datetime) and never sleep, and so that under ``make demo SPEED=10`` the dashboard, the
register and the scans all live in the same simulated day.
``tests/rewards_api/test_one_clock.py`` fails when another module reads the clock.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_app_context


def wall() -> dt.datetime:
    """The system clock, in UTC: only for ``now()`` outside a configured app."""
    return dt.datetime.now(dt.UTC)


def now() -> dt.datetime:
    """The app's time: its ``CLOCK`` if one is set, else the system clock (also outside
    an app context: scripts, the migration chain)."""
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return clock() if clock is not None else wall()
