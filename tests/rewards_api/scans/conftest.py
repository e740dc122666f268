"""A store with scan campaigns, on the app's injected clock."""

from __future__ import annotations

from typing import Any

import pytest

from rewards_api import db
from tests.support.clock import Clock
from tests.support.scan_shop import NOW, Shop, open_campaigns


@pytest.fixture
def clock(app: Any) -> Clock:
    clock = Clock(NOW)
    app.config["CLOCK"] = clock
    return clock


@pytest.fixture
def shop(app: Any, world: Any, clock: Clock) -> Shop:
    with app.app_context():
        built = open_campaigns(world, soda_budget=None)
        db.session().commit()
        return built
