"""The shopper's own sign-in methods over HTTP: list them, remove a passkey (only one of
their own), change the e-mail address with a code sent to the new one (real SMTP)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from rewards_api import db
from rewards_api.shoppers.models import Shopper
from rewards_api.signin.models import Passkey

AT = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def _passkey(app, public_id: str, raw_id: bytes) -> int:
    """A stored passkey (the ceremony itself runs in Chromium: test_sign_in_browser.py)."""
    with app.app_context():
        s = db.session()
        shopper_id = s.scalars(select(Shopper.id).where(Shopper.public_id == public_id)).one()
        passkey = Passkey(shopper_id=shopper_id, credential_id=raw_id, public_key=b"key",
                          sign_count=0, created_at=AT)
        s.add(passkey)
        s.commit()
        return passkey.id


def test_list_and_remove_only_my_own_passkeys(app, api, world):
    rosa, sam = api.register("Rosa"), api.register("Sam")
    first, second = _passkey(app, rosa["public_id"], b"r1"), _passkey(app, rosa["public_id"], b"r2")
    theirs = _passkey(app, sam["public_id"], b"s1")
    methods = api.get("/v1/me/sign-in-methods", auth=rosa["token"]).get_json()
    assert methods["email"] is None
    assert [p["id"] for p in methods["passkeys"]] == [first, second]
    assert methods["passkeys"][0] == {"id": first, "created_at": AT.isoformat(), "last_used_at": None}

    refused = api.delete(f"/v1/me/passkeys/{theirs}", auth=rosa["token"])
    assert refused.status_code == 404 and refused.get_json()["error"]["code"] == "not_found"
    removed = api.delete(f"/v1/me/passkeys/{first}", auth=rosa["token"], key="remove-first")
    assert removed.status_code == 200 and removed.get_json() == {"removed": True}
    again = api.delete(f"/v1/me/passkeys/{first}", auth=rosa["token"], key="remove-first")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert [p["id"] for p in api.get("/v1/me/sign-in-methods", auth=rosa["token"])
            .get_json()["passkeys"]] == [second]
    assert [p["id"] for p in api.get("/v1/me/sign-in-methods", auth=sam["token"])
            .get_json()["passkeys"]] == [theirs]


def test_change_the_email_with_a_code_sent_to_the_new_address(api, world, inbox):
    rosa = api.register("Rosa")
    for address in ("rosa@example.com", "rosa.new@example.com"):
        sent = api.post("/v1/me/email", auth=rosa["token"], json={"email": address})
        assert sent.status_code == 202, sent.get_json()
        confirmed = api.post("/v1/me/email/confirm", auth=rosa["token"],
                             json={"code": inbox.last_code(address)})
        assert confirmed.status_code == 200, confirmed.get_json()
    assert len(inbox.to("rosa.new@example.com")) == 1
    assert api.get("/v1/me/sign-in-methods", auth=rosa["token"]).get_json()["email"] == \
        "rosa.new@example.com"
    # The old address no longer gets sign-in codes; the new one does.
    api.post("/v1/shoppers/sign-in-code", json={"email": "rosa@example.com"})
    api.post("/v1/shoppers/sign-in-code", json={"email": "rosa.new@example.com"})
    assert len(inbox.to("rosa@example.com")) == 1  # only the code that added it
    assert len(inbox.to("rosa.new@example.com")) == 2
