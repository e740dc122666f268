"""Fixtures for the pages: a real headless Chromium (Debian's, never a downloaded one)
and the shopper and staff set-up the pages need."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from rewards_api import db
from rewards_api.agents import services as agents
from rewards_api.agents.models import Agent
from rewards_api.pos.models import COMMITTED, Checkout
from rewards_api.products.models import Product
from rewards_api.refusals import services as refusals
from rewards_api.scans import campaigns
from rewards_api.shoppers.models import Shopper
from rewards_api.shoppers.services import checkout_totp
from rewards_api.staff.models import StaffKey
from rewards_api.stores.models import Store
from rewards_api.stores.services import program_by_code
from rewards_api.visits.models import Visit
from tests.pages import store_day
from tests.pages.store_day import COFFEE, NOW
from tests.rewards_api.walkins.conftest import clock, walkins  # noqa: F401 (fixtures)
from tests.support.browser import GUIDE_IMAGES
from tests.support.world import setup_actor

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
def results_day(app, api, world, day):
    """The store day, plus: the coffee-week campaign the day's scan paid in (running
    since 10 days), Cem paying with rewards after his scan, four walk-ins and two
    refusals in the 4 weeks before, a scan refused through the API (Ana left the store
    hours ago) and an expired checkout code at Berlin's register."""
    with app.app_context():
        s = db.session()
        berlin = s.get(Store, world.store_ids[0])
        coffee = s.scalars(select(Product).where(Product.gtin == COFFEE)).one()
        campaigns.create_campaign(
            s, setup_actor(), code="coffee-week", name="Coffee week", program=program_by_code(s, "corner-points"),
            points=25, starts_at=NOW - dt.timedelta(days=10), ends_at=NOW + dt.timedelta(days=5),
            products=[coffee], stores=[berlin], chain=None)
        register = s.scalars(select(StaffKey).where(StaffKey.label == "Register 1")).one()
        s.add(Checkout(store_id=berlin.id, staff_key_id=register.id, cashier="Ana K.",
                       shopper_id=day.shopper_ids["Cem"], identified_by="code", training=False,
                       status=COMMITTED, currency="EUR", basket=[], applied=[],
                       rewards_offered=True, rewards_applied=True,
                       created_at=NOW - dt.timedelta(minutes=2), committed_at=NOW - dt.timedelta(minutes=2)))
        for days_ago in (10, 12, 14, 20):
            start = NOW - dt.timedelta(days=days_ago) + dt.timedelta(hours=1)
            s.add(Visit(shopper_id=day.shopper_ids["Bo"], store_id=berlin.id, started_at=start,
                        last_seen_at=start + dt.timedelta(minutes=15)))
        for _ in range(2):
            refusals.record(s, berlin.id, "not_in_store", COFFEE, NOW - dt.timedelta(days=15))
        # App phones the front door heard: today, yesterday, and 12 days ago (the
        # baseline, before the campaign started).
        door = s.scalars(select(Agent).where(Agent.label == "Front door")).one()
        for hours_ago, phones in ((1, 12), (24, 8), (12 * 24, 28)):
            agents.record_nearby(s, door, phones, NOW - dt.timedelta(hours=hours_ago))
        ana = s.get(Shopper, day.shopper_ids["Ana"])
        secret = ana.checkout_secret
        public_id = ana.public_id
        s.commit()
    refused = api.post("/v1/me/scans", auth=day.tokens["Ana"],
                       json={"store_id": world.store_ids[0], "code": COFFEE[1:], "symbology": "ean13"})
    assert refused.get_json()["error"]["code"] == "not_in_store"
    old_code = checkout_totp(secret).at(time.time() - 90)  # three 30 s steps ago
    expired = api.post("/v1/pos/checkouts", auth=world.keys["cashier"], json={
        "code": f"RWD1:{public_id}:{old_code}", "cashier": "Ana K.",
        "basket": {"currency": "EUR", "lines": [{"gtin": COFFEE, "quantity": 1, "unit_price_minor": 500}]}})
    assert expired.get_json()["error"]["code"] == "checkout_code_expired"
    return day


@pytest.fixture
def live_updates(app):
    """Live streams as in production, only quicker: open for a minute, asking the
    database every 50 ms, a heartbeat every second (a closed page frees its stream)."""
    app.config.update(LIVE_STREAM_SECONDS=60, LIVE_POLL_MILLISECONDS=50, LIVE_HEARTBEAT_SECONDS=1)
