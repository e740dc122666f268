"""Fixtures for the pages: a real headless Chromium (Debian's, never a downloaded one)
and the shopper and staff set-up the pages need."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rewards_api import db
from tests.pages import store_day
from tests.pages.store_day import NOW
from tests.rewards_api.walkins.conftest import clock, walkins  # noqa: F401 (fixtures)
from tests.support.browser import GUIDE_IMAGES

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A fresh phone-sized browser context (empty localStorage)."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, accept_downloads=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def guide_images() -> Path:
    GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
    return GUIDE_IMAGES


@pytest.fixture
def day(app, world):
    """The store day of store_day.py in the database, with the app's clock at its NOW."""
    app.config["CLOCK"] = lambda: NOW
    with app.app_context():
        built = store_day.build(world)
        db.session().commit()
        return built


@pytest.fixture
def live_updates(app):
    """Live streams as in production, only quicker: open for a minute, asking the
    database every 50 ms, a heartbeat every second (a closed page frees its stream)."""
    app.config.update(LIVE_STREAM_SECONDS=60, LIVE_POLL_MILLISECONDS=50, LIVE_HEARTBEAT_SECONDS=1)
