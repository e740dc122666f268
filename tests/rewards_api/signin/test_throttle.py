"""The sign-in throttle (issue 18, defect 9): codes, phone numbers and membership numbers
cannot be guessed at full speed, through any door and across app instances that share
one database. Time is injected (tests/support/clock.py)."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from rewards_api import create_app
from tests.conftest import Api
from tests.support.clock import Clock

START = dt.datetime(2026, 12, 2, 9, 0, 10, tzinfo=dt.UTC)
BASKET = {"currency": "EUR", "lines": [{"gtin": "4006381333931", "quantity": 1,
                                        "unit_price_minor": 199}]}


@pytest.fixture
def clock(app):
    clock = Clock(START)
    app.config["CLOCK"] = clock
    return clock


@pytest.fixture
def second_api(app, database_url, clock):
    """Another app instance (another web process or host) on the same database."""
    other = create_app({"DATABASE_URL": database_url, "ENV": "test", "SECRET_KEY": "test-secret",
                        "LOG_JSON": False, "TESTING": True, "CLOCK": clock})
    yield Api(other.test_client())
    other.extensions["rewards_db"].kw["bind"].dispose()


def _guess(api, public_id, n, address="203.0.113.7"):
    return api.post("/v1/shoppers/login", json={"public_id": public_id, "code": f"{n:08d}"},
                    environ_base={"REMOTE_ADDR": address})


def test_without_the_throttle_guesses_go_on_at_full_speed(app, api, world, clock):
    """What defect 9 was: with the limits out of the way (as before), 200 wrong codes in a
    row are all answered as wrong, none refused: a script could go on to the right one."""
    app.config["SIGN_IN_ATTEMPTS_PER_CLIENT"] = app.config["SIGN_IN_ATTEMPTS_PER_ACCOUNT"] = 10**9
    victim = api.register("Victim")
    codes = {_guess(api, victim["public_id"], n).status_code for n in range(200)}
    assert codes == {401}


def test_guessing_a_checkout_code_is_stopped_across_two_instances(api, second_api, world, clock):
    victim = api.register("Victim")
    answers = [_guess(api if n % 2 else second_api, victim["public_id"], n) for n in range(30)]
    statuses = [a.status_code for a in answers]
    # 10 wrong codes per account in 15 minutes, counted by both instances together.
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}
    refused = answers[10]
    assert refused.get_json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    # The right code is refused too while the account is locked: nothing to learn.
    # (login checks the code against the real time; the throttle's windows use the clock)
    right = pyotp.TOTP(victim["checkout_secret"], digits=8, interval=30).now()
    locked = api.post("/v1/shoppers/login", json={"public_id": victim["public_id"], "code": right})
    assert locked.status_code == 429
    clock.advance(minutes=15)
    right = pyotp.TOTP(victim["checkout_secret"], digits=8, interval=30).now()
    again = second_api.post("/v1/shoppers/login",
                            json={"public_id": victim["public_id"], "code": right})
    assert again.status_code == 201, again.get_json()


def test_one_address_guessing_many_accounts_is_stopped(api, second_api, world, clock):
    victims = [api.register(f"Victim {i}")["public_id"] for i in range(4)]
    statuses = [_guess(api if n % 2 else second_api, victims[n % 4], n).status_code
                for n in range(30)]
    assert statuses[:20] == [401] * 20  # 20 per client address and minute
    assert set(statuses[20:]) == {429}
    # Another address is not held back by this one.
    assert _guess(api, victims[0], 99, address="198.51.100.1").status_code == 401
    clock.advance(minutes=1)
    assert _guess(api, victims[3], 100).status_code == 401


def test_successful_sign_ins_do_not_count(api, world, clock):
    shopper = api.register("Often")
    totp = pyotp.TOTP(shopper["checkout_secret"], digits=8, interval=30)
    for _ in range(25):
        login = api.post("/v1/shoppers/login",
                         json={"public_id": shopper["public_id"], "code": totp.now()})
        assert login.status_code == 201, login.get_json()


def test_a_register_guessing_phone_numbers_is_stopped(api, second_api, world, clock):
    api.register("Has a phone", phone="+4915100000042")
    statuses = []
    for n in range(25):
        client = api if n % 2 else second_api
        statuses.append(client.post("/v1/pos/checkouts", auth=world.keys["cashier"], json={
            "phone": f"+49151000001{n:02d}", "basket": BASKET, "cashier": "Mallory"}).status_code)
    assert statuses[:20] == [404] * 20
    assert set(statuses[20:]) == {429}
    # The register is held back even for a real shopper until the minute is over.
    real = {"phone": "+4915100000042", "basket": BASKET, "cashier": "Mallory"}
    assert api.post("/v1/pos/checkouts", auth=world.keys["cashier"], json=real).status_code == 429
    clock.advance(minutes=1)
    opened = api.post("/v1/pos/checkouts", auth=world.keys["cashier"], json=real)
    assert opened.status_code == 201, opened.get_json()


def test_membership_numbers_guessed_at_one_account_are_stopped(api, world, clock):
    statuses = [api.post("/v1/pos/checkouts", auth=world.keys["cashier"], json={
        "membership_number": "CARD-0001", "basket": BASKET, "cashier": "Mallory"},
        environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}).status_code for n in range(12)]
    assert statuses[:10] == [404] * 10
    assert set(statuses[10:]) == {429}


def test_purge_forgets_windows_that_are_over(app, api, world, clock):
    from sqlalchemy import func, select

    from rewards_api import db
    from rewards_api.signin.models import SignInAttempt
    from rewards_api.signin.throttle import purge_attempts

    victim = api.register("Victim")
    _guess(api, victim["public_id"], 1)
    with app.app_context():
        s = db.session()
        assert purge_attempts(s, clock.now + dt.timedelta(minutes=14)) == 0
        # the guess's client and account windows, and the sign-up's (taken back: 0)
        assert purge_attempts(s, clock.now + dt.timedelta(minutes=16)) == 3
        s.commit()
        assert s.scalar(select(func.count()).select_from(SignInAttempt)) == 0


def test_trying_phone_numbers_at_sign_up_is_stopped(api, second_api, world, clock):
    """Sign-up tells that a phone is taken (so that its owner signs in instead): trying
    numbers there is guessing too, and counts like it."""
    for n in range(21):
        api.register(f"Owner {n}", phone=f"+49151000002{n:02d}")
    statuses = [(api if n % 2 else second_api).post(
        "/v1/shoppers", json={"display_name": "Mallory", "phone": f"+49151000002{n:02d}"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code for n in range(21)]
    assert statuses[:20] == [409] * 20
    assert statuses[20] == 429


def test_a_refusal_that_is_no_guess_does_not_count(api, world, clock):
    api.register("Pays in pounds", phone="+4915100000055")
    pounds = {"currency": "GBP", "lines": BASKET["lines"]}
    for _ in range(12):
        refused = api.post("/v1/pos/checkouts", auth=world.keys["cashier"], json={
            "phone": "+4915100000055", "basket": pounds, "cashier": "Anna"})
        assert refused.get_json()["error"]["code"] == "invalid_request", refused.get_json()
    euros = api.post("/v1/pos/checkouts", auth=world.keys["cashier"], json={
        "phone": "+4915100000055", "basket": BASKET, "cashier": "Anna"})
    assert euros.status_code == 201, euros.get_json()
    assert euros.get_json()["shopper"]["display_name"] == "Pays in pounds"
