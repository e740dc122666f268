"""A shopper who pays with her app's checkout code was in the store with her phone: she
earns the day's walk-in there at the till if the agents missed her walk-in, once, by the
same key as the agents' (pos.wallet.LedgerWallet.walk_in_at_till). Over HTTP, on SQLite and
PostgreSQL, on the app's clock."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from sqlalchemy import select

from rewards_api import db
from rewards_api.ledger.models import WALK_IN, LedgerEntry
from rewards_api.shoppers.models import Shopper
from rewards_api.visits.models import LIVES_OR_WORKS_HERE
from tests.pages import store_day
from tests.rewards_api.walkins.conftest import T0, download_tokens, seen
from tests.rewards_api.walkins.test_sightings import statuses, walk_in_entries
from tests.support.shop import BASKET, Shop, build_shop


def _sale(shop: Shop, *, code_age_s: float = 0.0, **body: Any) -> dict[str, Any]:
    """A sale at Berlin's register now (the app's clock), committed, the shopper
    identified by her app's code (on the phone's clock, the wall's; each pays once: a
    second sale shows the code of the step before, still valid) or as ``body`` says."""
    body.setdefault("code", shop.code(time.time() - code_age_s))
    opened = shop.open(**body)
    assert opened.status_code == 201, opened.get_json()
    committed = shop.commit(opened.get_json()["id"])
    assert committed.status_code == 200, committed.get_json()
    return committed.get_json()


def test_paying_with_the_code_earns_the_walk_in_the_agents_missed(app, api, world, walkins, clock):
    shop = build_shop(app, api, world)
    clock.set(T0 + dt.timedelta(minutes=3))
    sale = _sale(shop, code_age_s=30)
    # Both programs' walk-in points at Berlin, for the sale (no visit was heard).
    assert walk_in_entries(app) == [("corner-points", 10, f"checkout:{sale['id']}"),
                                    ("partner-plus", 5, f"checkout:{sale['id']}")]
    # The agent reports her walk-in minutes later, and she buys again: a visit, no points more.
    clock.set(T0 + dt.timedelta(minutes=8))
    tokens = download_tokens(api, shop.shopper, T0)
    answer = walkins.agents["berlin-door"].sightings([seen(tokens, T0 + dt.timedelta(minutes=5))])
    assert statuses(answer) == [("accepted", None)]
    _sale(shop)
    assert len(walk_in_entries(app)) == 2
    assert shop.accounts()["corner-points"].balance > 0  # the cached balance is the ledger's


def test_a_walk_in_the_agents_heard_is_not_paid_again_at_the_till(app, api, world, walkins, clock):
    shop = build_shop(app, api, world)
    tokens = download_tokens(api, shop.shopper, T0)
    clock.set(T0 + dt.timedelta(minutes=1))
    assert statuses(walkins.agents["berlin-door"].sightings([seen(tokens, T0)])) == [("accepted", None)]
    clock.set(T0 + dt.timedelta(minutes=20))
    _sale(shop, code_age_s=30)
    assert [reference.split(":")[0] for _, _, reference in walk_in_entries(app)] == ["visit", "visit"]
    # The next day (the store's), the till pays it again.
    clock.set(T0 + dt.timedelta(days=1))
    _sale(shop)
    assert [reference.split(":")[0] for _, _, reference in walk_in_entries(app)] == [
        "visit", "visit", "checkout", "checkout"]


def test_no_walk_in_at_the_till_without_the_phone_there(app, api, world, walkins, clock):
    shop = build_shop(app, api, world)
    # A phone number or a membership card proves no phone in the store.
    _sale(shop, code=None, phone="+4915112345678")
    _sale(shop, code=None, membership_number="CM-1001")
    # A training sale is practice.
    opened = shop.open(code="RWD1:TRAINING22:00000000", training=True)
    assert shop.commit(opened.get_json()["id"]).status_code == 200
    assert walk_in_entries(app) == []


def test_no_walk_in_at_the_till_where_the_shopper_lives_or_works(app, api, world, walkins, clock):
    shop = build_shop(app, api, world)
    with app.app_context():
        s = db.session()
        rosa = s.scalar(select(Shopper.id).where(Shopper.public_id == shop.shopper["public_id"]))
        # Heard for 9 hours at Berlin three days ago: she works there.
        store_day.visit(s, rosa, world.store_ids[0], T0 - dt.timedelta(days=3), 9 * 60,
                        flag=LIVES_OR_WORKS_HERE)
        s.commit()
    _sale(shop)
    assert walk_in_entries(app) == []


def test_a_sale_sent_later_by_an_offline_register_earns_the_walk_in_of_its_day(
        app, api, world, walkins, clock):
    shop = build_shop(app, api, world)
    purchased = clock.now - dt.timedelta(days=1)
    sent = shop.post("/v1/pos/offline-earnings", json={  # its code checked at the time of purchase
        "code": shop.code(purchased.timestamp()), "basket": BASKET, "cashier": "Anna",
        "purchased_at": purchased.isoformat(), "offline_id": str(uuid.uuid4())})
    assert sent.status_code == 201, sent.get_json()
    today = _sale(shop)  # today's walk-in is today's
    with app.app_context():
        walk_ins = db.session().scalars(select(LedgerEntry).where(LedgerEntry.kind == WALK_IN)
                                        .order_by(LedgerEntry.id)).all()
        assert [(e.reference, e.created_at.date()) for e in walk_ins if e.program.code == "corner-points"] == [
            (f"checkout:{sent.get_json()['id']}", purchased.date()),
            (f"checkout:{today['id']}", clock.now.date())]
