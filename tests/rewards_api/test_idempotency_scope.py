"""Stored answers are replayed only to the caller that caused them, and an answer that
carries a credential (a token, a checkout secret) is never stored nor replayed."""

from __future__ import annotations

from typing import Any

import pyotp
from sqlalchemy import func, select

from rewards_api import db
from rewards_api.idempotency import IdempotencyRecord
from rewards_api.shoppers.models import Shopper


def _not_kept(response: Any) -> None:
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["code"] == "idempotency_answer_not_kept"
    assert "token" not in response.get_json()


def _stored_bodies(app: Any) -> str:
    with app.app_context():
        return " ".join(b or "" for b in db.session().scalars(select(IdempotencyRecord.body)))


def test_a_second_client_with_the_same_key_and_body_gets_no_sign_up(app, api, world):
    body = {"display_name": "Ines", "phone": None}
    first = api.post("/v1/shoppers", json=body, key="signup-1")
    assert first.status_code == 201
    _not_kept(api.post("/v1/shoppers", json=body, key="signup-1"))
    with app.app_context():  # one key, one effect: no second shopper
        assert db.session().scalar(select(func.count()).select_from(Shopper)) == 1
    answer = first.get_json()
    stored = _stored_bodies(app)
    assert answer["token"] not in stored and answer["checkout_secret"] not in stored


def test_a_replayed_sign_in_or_token_rotation_gives_no_token(app, api, world):
    shopper = api.register("Jon")
    code = pyotp.TOTP(shopper["checkout_secret"], digits=8, interval=30).now()
    login = {"public_id": shopper["public_id"], "code": code}
    signed_in = api.post("/v1/shoppers/login", json=login, key="login-1")
    assert signed_in.status_code == 201
    _not_kept(api.post("/v1/shoppers/login", json=login, key="login-1"))
    token = signed_in.get_json()["token"]
    rotated = api.post("/v1/me/token", auth=token, key="rotate-1")
    assert rotated.status_code == 201
    _not_kept(api.post("/v1/me/token", auth=rotated.get_json()["token"], key="rotate-1"))
    stored = _stored_bodies(app)
    assert token not in stored and rotated.get_json()["token"] not in stored


def test_a_signed_in_callers_answer_is_replayed_to_that_caller_only(api, world):
    alice, bob = api.register("Kai"), api.register("Lea")
    body = {"display_name": "Kai K"}
    first = api.call("PATCH", "/v1/me", auth=alice["token"], json=body, key="same")
    again = api.call("PATCH", "/v1/me", auth=alice["token"], json=body, key="same")
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    bobs = api.call("PATCH", "/v1/me", auth=bob["token"], json=body, key="same")
    assert bobs.status_code == 200 and "Idempotent-Replayed" not in bobs.headers
    assert bobs.get_json()["public_id"] == bob["public_id"]
