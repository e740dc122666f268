"""A chain with a second chain beside it, a partner operator key, Berlin's assortment,
and the app on an injected clock, for the back office's tests."""

from __future__ import annotations

from typing import Any

import pytest

from rewards_api import db
from tests.rewards_api.scans.conftest import clock  # noqa: F401 (fixture: the scan shop's NOW)
from tests.support.clock import Clock
from tests.support.scan_shop import stock_products
from tests.support.world import OtherChain, build_other_chain, staff_key


@pytest.fixture
def other(app: Any, world: Any, clock: Clock) -> OtherChain:  # noqa: F811 (the fixture above)
    with app.app_context():
        built = build_other_chain(world)
        world.keys["partner"] = staff_key("partner", None, "Partner Plus operator")
        stock_products(world.store_ids[0])
        db.session().commit()
        return built
