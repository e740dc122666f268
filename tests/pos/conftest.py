from __future__ import annotations

from typing import Any

import pytest

from tests.support.shop import Shop, build_shop


@pytest.fixture
def shop(app: Any, api: Any, world: Any) -> Shop:
    return build_shop(app, api, world)
