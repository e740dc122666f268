"""Points never go negative, never move twice, and the cached balance equals the ledger."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select

from rewards_api import clock, db
from rewards_api.errors import ApiError
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import Account, LedgerEntry
from rewards_api.shoppers.models import Shopper


def _adjust(api, key, public_id, amount, reason="test", idem=None):
    return api.post("/v1/admin/adjustments", auth=key, key=idem,
                    json={"public_id": public_id, "program": "corner-points", "amount": amount,
                          "reason": reason})


def _account(app, public_id, program_code="corner-points"):
    with app.app_context():
        s = db.session()
        shopper = s.scalars(select(Shopper).where(Shopper.public_id == public_id)).one()
        return next(a for a in shopper.accounts if a.program.code == program_code)


def assert_cache_matches_ledger(app):
    with app.app_context():
        s = db.session()
        for account in s.scalars(select(Account)):
            assert account.balance == ledger.ledger_sum(s, account.id)
            assert account.held == ledger.held_sum(s, account.id)


def test_fifty_concurrent_debits_exactly_one_wins(app, api, world, live_url):
    shopper = api.register("Concurrent")
    assert _adjust(api, world.keys["manager"], shopper["public_id"], 100).status_code == 201

    def debit(_: int) -> httpx.Response:
        return httpx.post(f"{live_url}/v1/admin/adjustments", timeout=60, headers={
            "Authorization": f"Bearer {world.keys['manager']}",
            "Idempotency-Key": str(uuid.uuid4())},
            json={"public_id": shopper["public_id"], "program": "corner-points",
                  "amount": -100, "reason": "race"})

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(debit, range(50)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 49
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "insufficient_points"}
    account = _account(app, shopper["public_id"])
    assert account.balance == 0
    with app.app_context():
        amounts = db.session().scalars(select(LedgerEntry.amount).order_by(LedgerEntry.id)).all()
    assert amounts == [100, -100]
    assert_cache_matches_ledger(app)


def test_twenty_concurrent_retries_of_one_key_have_one_effect(app, api, world, live_url):
    shopper = api.register("Retry")
    key = str(uuid.uuid4())

    def send(_: int) -> httpx.Response:
        return httpx.post(f"{live_url}/v1/admin/adjustments", timeout=60, headers={
            "Authorization": f"Bearer {world.keys['manager']}", "Idempotency-Key": key},
            json={"public_id": shopper["public_id"], "program": "corner-points",
                  "amount": 25, "reason": "goodwill"})

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert _account(app, shopper["public_id"]).balance == 25
    assert_cache_matches_ledger(app)


def test_same_key_different_body_is_refused(api, world):
    shopper = api.register("Reuse")
    first = _adjust(api, world.keys["manager"], shopper["public_id"], 5, idem="k-1")
    again = _adjust(api, world.keys["manager"], shopper["public_id"], 5, idem="k-1")
    other = _adjust(api, world.keys["manager"], shopper["public_id"], 6, idem="k-1")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == again.get_json()
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"


def test_holds_reserve_capture_release_and_expire(app, api, world):
    shopper = api.register("Holder")
    _adjust(api, world.keys["manager"], shopper["public_id"], 100)
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    with app.app_context():
        s = db.session()
        account = s.get(Account, _account(app, shopper["public_id"]).id)
        first = ledger.reserve(s, account, 60, reference="t", ttl=dt.timedelta(minutes=5), now=now)
        with pytest.raises(ApiError) as refused:
            ledger.reserve(s, account, 50, reference="t", ttl=dt.timedelta(minutes=5), now=now)
        assert refused.value.code == "insufficient_points"
        assert ledger.release(s, first, now=now) is True
        assert ledger.release(s, first, now=now) is False
        second = ledger.reserve(s, account, 70, reference="t", ttl=dt.timedelta(minutes=5), now=now)
        entry = ledger.capture(s, second, actor="staff:1", now=now + dt.timedelta(minutes=1))
        assert entry.amount == -70
        with pytest.raises(ApiError) as twice:
            ledger.capture(s, second, actor="staff:1", now=now + dt.timedelta(minutes=1))
        assert twice.value.code == "hold_not_active"
        late = ledger.reserve(s, account, 30, reference="t", ttl=dt.timedelta(minutes=5), now=now)
        assert ledger.expire_due(s, now + dt.timedelta(minutes=6)) == 1
        with pytest.raises(ApiError):
            ledger.capture(s, late, actor="staff:1", now=now + dt.timedelta(minutes=7))
        s.commit()
        s.refresh(account)
        assert (account.balance, account.held) == (30, 0)
    assert_cache_matches_ledger(app)


def _walk_in(account, points, key):
    return ledger.Credit(account.id, account.program_id, "walk_in", points, reference="visit:1",
                         actor="system", idempotency_key=key, store_id=None, at=clock.now())


def test_award_with_same_idempotency_key_is_written_once(app, api, world):
    public_id = api.register("Award")["public_id"]
    with app.app_context():
        s = db.session()
        account = s.get(Account, _account(app, public_id, "partner-plus").id)
        first = ledger.credit(s, [_walk_in(account, 50, "walk_in:x")])
        again = ledger.credit(s, [_walk_in(account, 50, "walk_in:x"),
                                  _walk_in(account, 50, "walk_in:y")])
        s.commit()
        assert [c.balance for c in first] == [50]
        assert [(c.entry_id > first[0].entry_id, c.balance) for c in again] == [(True, 100)]
        assert account.balance == 100
    assert_cache_matches_ledger(app)


def test_a_resent_debit_finds_its_entry_even_when_the_points_are_gone(app, api, world):
    public_id = api.register("Debit")["public_id"]
    with app.app_context():
        s = db.session()
        account = s.get(Account, _account(app, public_id, "partner-plus").id)
        ledger.credit(s, [_walk_in(account, 40, "walk_in:z")])
        taken = ledger.Debit(account.id, account.program_id, "return", 30, reference="checkout:1",
                             actor="system", idempotency_key="return:1", store_id=None,
                             at=clock.now())
        first = ledger.debit(s, taken)
        again = ledger.debit(s, taken)  # 10 left: the same key answers, nothing moves
        with pytest.raises(ApiError) as refused:
            ledger.debit(s, dataclasses.replace(taken, idempotency_key="return:2"))
        s.commit()
        assert (again.id, first.amount, account.balance) == (first.id, -30, 10)
        assert refused.value.code == "insufficient_points"
    assert_cache_matches_ledger(app)
