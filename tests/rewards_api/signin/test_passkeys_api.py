"""Passkey endpoints over HTTP: what the browser is told, and answers that are not
passkeys. The whole ceremony runs in Chromium (tests/pages/test_sign_in_browser.py)."""

from __future__ import annotations

import base64
import json

import pytest


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_registration_options_name_the_site_and_the_shopper(app, api, world):
    rosa = api.register("Rosa")
    answer = api.post("/v1/me/passkeys/options", auth=rosa["token"])
    assert answer.status_code == 200, answer.get_json()
    options = answer.get_json()["options"]
    assert options["rp"]["id"] == app.config["WEBAUTHN_RP_ID"]
    assert options["user"]["displayName"] == "Rosa"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert len(base64.urlsafe_b64decode(options["challenge"] + "==")) >= 32


@pytest.mark.parametrize("credential", [
    {},
    {"response": "x"},
    {"response": {"clientDataJSON": "***"}},
    {"response": {"clientDataJSON": _b64(b"[1, 2]")}},
    {"rawId": "AAAA", "response": {"clientDataJSON": _b64(json.dumps({"challenge": 5}).encode())}},
])
def test_answers_that_are_not_passkeys_get_a_code(api, world, credential):
    answer = api.post("/v1/shoppers/passkey-sign-in", json={"credential": credential})
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"]["code"] == "invalid_request"


def test_a_challenge_the_service_never_gave_is_refused(api, world):
    client_data = {"type": "webauthn.get", "challenge": _b64(b"x" * 32),
                   "origin": "http://localhost:8000"}
    answer = api.post("/v1/shoppers/passkey-sign-in", json={"credential": {
        "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": {"clientDataJSON": _b64(json.dumps(client_data).encode()),
                     "authenticatorData": "AAAA", "signature": "AAAA"}}})
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "passkey_not_recognized"


def test_sign_in_options_answer_anyone_the_same_way(api, world):
    first = api.post("/v1/shoppers/passkey-options").get_json()["options"]
    second = api.post("/v1/shoppers/passkey-options").get_json()["options"]
    assert first["rpId"] == second["rpId"]
    assert first["challenge"] != second["challenge"]
    assert first.get("allowCredentials", []) == []
