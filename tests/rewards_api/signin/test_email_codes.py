"""Signing in on a new phone with a code sent by e-mail, over HTTP and real SMTP."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.clock import Clock

START = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(app):
    clock = Clock(START)
    app.config["CLOCK"] = clock
    return clock


def _ask_for_code(api, inbox, address="rosa@example.com"):
    api.post("/v1/shoppers/sign-in-code", json={"email": address})
    return inbox.last_code(address)


def _add_email(api, shopper, inbox, address="rosa@example.com"):
    sent = api.post("/v1/me/email", auth=shopper["token"], json={"email": address})
    assert sent.status_code == 202, sent.get_json()
    confirmed = api.post("/v1/me/email/confirm", auth=shopper["token"],
                         json={"code": inbox.last_code(address.lower())})
    assert confirmed.status_code == 200, confirmed.get_json()
    return confirmed.get_json()["email"]


def test_add_an_address_then_sign_in_on_a_new_phone(api, world, inbox, clock):
    rosa = api.register("Rosa")
    assert _add_email(api, rosa, inbox, "Rosa@Example.com") == "rosa@example.com"
    assert api.get("/v1/me/export", auth=rosa["token"]).get_json()["shopper"]["email"] == \
        "rosa@example.com"

    asked = api.post("/v1/shoppers/sign-in-code", json={"email": "rosa@example.com"})
    assert asked.status_code == 202
    mail = inbox.to("rosa@example.com")[-1]
    assert "sign-in code" in mail["Subject"]
    code = inbox.last_code("rosa@example.com")
    signed_in = api.post("/v1/shoppers/sign-in", json={"email": "rosa@example.com", "code": code})
    assert signed_in.status_code == 201, signed_in.get_json()
    token = signed_in.get_json()["token"]
    assert token != rosa["token"]
    assert api.get("/v1/me", auth=token).get_json()["public_id"] == rosa["public_id"]
    # Used once: the same code again is refused.
    again = api.post("/v1/shoppers/sign-in", json={"email": "rosa@example.com", "code": code})
    assert again.status_code == 401
    assert again.get_json()["error"]["code"] == "sign_in_code_wrong"


def test_an_unknown_address_gets_the_same_answer_and_no_mail(api, world, inbox, clock):
    rosa = api.register("Rosa")
    _add_email(api, rosa, inbox)
    known = api.post("/v1/shoppers/sign-in-code", json={"email": "rosa@example.com"})
    unknown = api.post("/v1/shoppers/sign-in-code", json={"email": "nobody@example.com"})
    assert (known.status_code, known.get_json()) == (unknown.status_code, unknown.get_json())
    assert inbox.to("nobody@example.com") == []
    wrong = api.post("/v1/shoppers/sign-in", json={"email": "nobody@example.com",
                                                   "code": "123456"})
    assert wrong.get_json()["error"]["code"] == "sign_in_code_wrong"


def test_codes_expire_and_only_the_newest_works(api, world, inbox, clock):
    rosa = api.register("Rosa")
    _add_email(api, rosa, inbox)
    first = _ask_for_code(api, inbox)
    second = _ask_for_code(api, inbox)
    if first != second:
        older = api.post("/v1/shoppers/sign-in", json={"email": "rosa@example.com",
                                                       "code": first})
        assert older.status_code == 401
    clock.advance(minutes=10, seconds=1)
    late = api.post("/v1/shoppers/sign-in", json={"email": "rosa@example.com", "code": second})
    assert late.status_code == 401
    assert late.get_json()["error"]["code"] == "sign_in_code_wrong"


def test_only_digests_of_codes_are_stored(app, api, world, inbox, clock):
    from sqlalchemy import select

    from rewards_api import db
    from rewards_api.signin.models import OneTimeSecret

    rosa = api.register("Rosa")
    api.post("/v1/me/email", auth=rosa["token"], json={"email": "rosa@example.com"})
    code = inbox.last_code("rosa@example.com")
    with app.app_context():
        stored = db.session().scalars(select(OneTimeSecret)).one()
        assert code not in stored.secret_hash and len(stored.secret_hash) == 64


def test_an_address_belongs_to_one_account(api, world, inbox, clock):
    _add_email(api, api.register("Rosa"), inbox)
    other = api.register("Other")
    api.post("/v1/me/email", auth=other["token"], json={"email": "rosa@example.com"})
    taken = api.post("/v1/me/email/confirm", auth=other["token"],
                     json={"code": inbox.last_code("rosa@example.com")})
    assert taken.status_code == 409
    assert taken.get_json()["error"]["code"] == "email_taken"


def test_code_guesses_are_throttled_per_address(api, world, inbox, clock):
    rosa = api.register("Rosa")
    _add_email(api, rosa, inbox)
    right = _ask_for_code(api, inbox)
    statuses = [api.post("/v1/shoppers/sign-in", json={"email": "rosa@example.com",
                                                       "code": f"{(int(right) + n) % 10**6:06d}"},
                         environ_base={"REMOTE_ADDR": f"192.0.2.{n}"}).status_code
                for n in range(1, 12)]
    # 10 per address in 15 minutes: the mail that added it and the one asked for count too
    assert statuses[:8] == [401] * 8
    assert set(statuses[8:]) == {429}
    held = api.post("/v1/shoppers/sign-in", json={"email": "rosa@example.com", "code": right})
    assert held.status_code == 429


def test_erasing_forgets_the_address(api, world, inbox, clock):
    rosa = api.register("Rosa")
    _add_email(api, rosa, inbox)
    assert api.delete("/v1/me", auth=rosa["token"]).status_code == 200
    api.post("/v1/shoppers/sign-in-code", json={"email": "rosa@example.com"})
    assert len(inbox.to("rosa@example.com")) == 1  # only the one that added it


def test_a_mail_server_that_is_down_changes_nothing_in_the_answer(app, api, world, clock):
    """Nobody learns from an error that an address has an account; adding an address
    says plainly that the mail could not be sent."""
    from tests.support.mail import smtp_sink

    with smtp_sink() as sink:
        app.config.update(SMTP_HOST=sink.host, SMTP_PORT=sink.port)
        rosa = api.register("Rosa")
        _add_email(api, rosa, sink)
    # The sink is gone: nothing listens on its port any more.
    known = api.post("/v1/shoppers/sign-in-code", json={"email": "rosa@example.com"})
    unknown = api.post("/v1/shoppers/sign-in-code", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    adding = api.post("/v1/me/email", auth=rosa["token"], json={"email": "new@example.com"})
    assert adding.status_code == 503
    assert adding.get_json()["error"]["code"] == "service_unavailable"


def test_nobody_can_flood_an_address_with_codes(api, world, inbox, clock):
    """Mail counts for the address it goes to, whichever account asks for it."""
    statuses = []
    for n in range(11):
        shopper = api.register(f"Flooder {n}")
        statuses.append(api.post("/v1/me/email", auth=shopper["token"],
                                 json={"email": "victim@example.com"}).status_code)
    assert statuses[:10] == [202] * 10
    assert statuses[10] == 429
    assert len(inbox.to("victim@example.com")) == 10


def test_the_sign_in_code_is_mailed_in_the_shoppers_language(api, world, inbox, clock):
    rosa = api.register("Rosa")
    chosen = api.call("PATCH", "/v1/me", auth=rosa["token"], json={"language": "pt"})
    assert chosen.status_code == 200, chosen.get_json()
    _add_email(api, rosa, inbox)
    added = inbox.to("rosa@example.com")[-1]
    assert added["Content-Language"] == "pt"
    assert "é o seu código para adicionar este endereço" in added["Subject"]
    # On a new phone whose browser asks for German: the account's own language wins.
    api.post("/v1/shoppers/sign-in-code", json={"email": "rosa@example.com"},
             headers={"Accept-Language": "de"})
    mail = inbox.to("rosa@example.com")[-1]
    code = inbox.last_code("rosa@example.com")
    assert mail["Subject"] == f"{code} é o seu código de início de sessão"
    body = mail.get_content()
    assert f"Escreva {code} na aplicação de recompensas" in body and "10 minutos" in body


def test_a_shopper_without_a_choice_gets_the_apps_language(api, world, inbox, clock):
    rosa = api.register("Rosa")
    sent = api.post("/v1/me/email", auth=rosa["token"], json={"email": "rosa@example.com"},
                    headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert sent.status_code == 202
    mail = inbox.to("rosa@example.com")[-1]
    assert mail["Content-Language"] == "de"
    assert "ist Ihr Code, um diese Adresse hinzuzufügen" in mail["Subject"]
