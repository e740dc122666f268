"""Checkout codes on an injected clock, holds that expire, and two registers racing."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import httpx
import pytest
from sqlalchemy import select

from rewards_api import db
from rewards_api.errors import ApiError
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import EXPIRED, PURCHASE, REDEMPTION, Hold
from rewards_api.pos import checkout as services
from rewards_api.pos import identification
from rewards_api.pos.models import Checkout
from rewards_api.staff.models import StaffKey
from tests.support.live import serve

T0 = dt.datetime(2026, 11, 23, 12, 0, 15, tzinfo=dt.UTC)  # 15 s into a 30 s step


def _verify(shop, code_time: dt.datetime, now: dt.datetime):
    with shop.app.app_context():
        return identification.verify_checkout_code(db.session(), shop.code(code_time.timestamp()), now)


def _code_error(shop, code_time: dt.datetime, now: dt.datetime) -> str:
    with pytest.raises(ApiError) as caught:
        _verify(shop, code_time, now)
    return caught.value.code


def test_current_and_previous_step_accepted_older_refused(shop):
    shopper, step = _verify(shop, T0, T0)
    assert step == int(T0.timestamp()) // 30 and shopper.public_id == shop.shopper["public_id"]
    _, previous = _verify(shop, T0 - dt.timedelta(seconds=30), T0)
    assert previous == step - 1
    assert _code_error(shop, T0 - dt.timedelta(seconds=60), T0) == "checkout_code_expired"
    assert _code_error(shop, T0 - dt.timedelta(minutes=30), T0) == "checkout_code_wrong"
    assert _code_error(shop, T0 + dt.timedelta(seconds=30), T0) == "checkout_code_wrong"


def test_a_code_that_paid_once_is_never_accepted_again(shop):
    code = shop.code()
    first = shop.open(code=code).get_json()
    # Until the checkout is committed the same code may open it again (e.g. after a void).
    assert shop.open(code=code).status_code == 201
    assert shop.commit(first["id"]).status_code == 200
    reused = shop.open(code=code)
    assert reused.status_code == 409
    assert reused.get_json()["error"]["code"] == "checkout_code_used"
    with shop.app.app_context():
        s = db.session()
        step = s.get(Checkout, first["id"]).code_step
        # One step later the code is still "previous step", yet refused: it paid already.
        later = dt.datetime.fromtimestamp(step * 30 + 31, dt.UTC)
        with pytest.raises(ApiError) as caught:
            identification.verify_checkout_code(s, code, later)
        assert caught.value.code == "checkout_code_used"


def test_commit_after_the_holds_expired_is_refused_and_releases_them(shop):
    checkout = shop.open().get_json()
    with shop.app.app_context():
        s = db.session()
        staff = s.scalars(select(StaffKey).where(StaffKey.label == "Register 1")).one()
        now = dt.datetime.now(dt.UTC)
        applied = services.apply_rewards(s, checkout["id"], staff, None,
                                         ttl=dt.timedelta(minutes=5), now=now)
        agreed = [a["reward"] for a in applied.applied]
        s.commit()
        with pytest.raises(ApiError) as caught:
            services.commit(s, checkout["id"], staff, now + dt.timedelta(minutes=6),
                            shopper_agreed=agreed)
        assert caught.value.code == "hold_not_active"
        s.rollback()
        assert ledger.expire_due(s, now + dt.timedelta(minutes=6)) == 2
        s.commit()
        assert {h.status for h in s.scalars(select(Hold))} == {EXPIRED}
    assert shop.accounts()["corner-points"].held == 0


def test_two_registers_commit_the_same_held_rewards_at_once_one_wins(shop):
    checkout = shop.open().get_json()
    applied = shop.post(f"/v1/pos/checkouts/{checkout['id']}/rewards")
    agreed = [a["reward"] for a in applied.get_json()["applied"]]
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def register(key: str, base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            barrier.wait(timeout=30)
            answers.append(http.post(f"/v1/pos/checkouts/{checkout['id']}/commit", json={"shopper_agreed": agreed},
                                     headers={"Authorization": f"Bearer {key}",
                                              "Idempotency-Key": str(uuid.uuid4())}))

    with serve(shop.app) as base:
        threads = [threading.Thread(target=register, args=(key, base)) for key in shop.registers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [200, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json()["error"]["code"] == "checkout_closed"
    assert len(shop.entries(REDEMPTION)) == 2 and len(shop.entries(PURCHASE)) == 2
    accounts = shop.accounts()
    assert accounts["corner-points"].held == 0
    assert accounts["corner-points"].balance == 1000 - 400 + shop.entries(PURCHASE)[0].amount
