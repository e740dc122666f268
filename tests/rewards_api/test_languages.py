"""Error messages in the caller's language, over HTTP through the app, on SQLite and
PostgreSQL: Accept-Language first, then the shopper's choice, then the store's language
(a register's or manager's key, a store in the path) or its chain's default, then
English. The code never changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from rewards_api import db
from rewards_api.shoppers.models import Shopper
from rewards_api.stores.models import Chain, Store

EXPIRED_DE = "Der Kassencode ist abgelaufen."
NOT_A_CODE = "RWD1:NOTASHOPPR:00000000"


def _set_languages(app: Any, world: Any, *, store: str | None = None,
                   chain: str | None = None) -> None:
    with app.app_context():
        s = db.session()
        s.execute(update(Store).where(Store.id == world.store_ids[0]).values(language=store))
        s.execute(update(Chain).where(Chain.id == world.chain_id).values(default_language=chain))
        s.commit()


def _open_checkout(api: Any, world: Any, headers: dict[str, str] | None = None) -> Any:
    return api.post("/v1/pos/checkouts", auth=world.keys["cashier"], headers=headers,
                    json={"code": "nonsense", "cashier": "Anna",
                          "basket": {"currency": "EUR", "lines": [
                              {"gtin": "4006381333931", "quantity": 1,
                               "unit_price_minor": 100}]}})


def test_an_error_is_english_without_a_choice(api: Any, world: Any) -> None:
    answer = _open_checkout(api, world).get_json()["error"]
    assert answer == {"code": "checkout_code_invalid", "message": (
        "That is not a rewards checkout code; ask the shopper to open the rewards app and "
        "show the checkout code.")}


@pytest.mark.parametrize(("header", "start"), [
    ("de-DE,de;q=0.9,en;q=0.8", "Das ist kein Kassencode"),
    ("pt-PT", "Isso não é um código de pagamento"),
    ("fr-FR, pt;q=0.5", "Isso não é um código de pagamento"),
    ("en-GB,de;q=0.5", "That is not a rewards checkout code"),
])
def test_accept_language_picks_the_message(api: Any, world: Any, header: str, start: str) -> None:
    answer = _open_checkout(api, world, {"Accept-Language": header})
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "checkout_code_invalid"
    assert error["message"].startswith(start)


def test_a_register_speaks_its_stores_language(app: Any, api: Any, world: Any) -> None:
    _set_languages(app, world, store="pt")
    error = _open_checkout(api, world).get_json()["error"]
    assert error["code"] == "checkout_code_invalid"
    assert error["message"].startswith("Isso não é um código de pagamento")
    # The caller's own choice still comes first.
    error = _open_checkout(api, world, {"Accept-Language": "de"}).get_json()["error"]
    assert error["message"].startswith("Das ist kein Kassencode")


def test_a_store_without_a_language_speaks_its_chains(app: Any, api: Any, world: Any) -> None:
    _set_languages(app, world, chain="de")
    error = _open_checkout(api, world).get_json()["error"]
    assert error["message"].startswith("Das ist kein Kassencode")
    mine = api.get("/v1/stores/mine", auth=world.keys["cashier"]).get_json()
    assert (mine["code"], mine["language"]) == ("berlin-1", "de")


def test_a_store_in_the_path_gives_its_language(app: Any, api: Any, world: Any) -> None:
    _set_languages(app, world, store="de")
    # Munich's manager asks about Berlin: refused, in Berlin's language.
    answer = api.get(f"/v1/admin/stores/{world.store_ids[0]}/dashboard",
                     auth=world.keys["other_manager"])
    assert answer.status_code == 403
    assert answer.get_json()["error"]["code"] == "forbidden"
    assert answer.get_json()["error"]["message"].startswith(("Ihre Rolle", "Ihr Schlüssel"))


def test_a_shoppers_choice_is_kept_and_used(app: Any, api: Any, world: Any) -> None:
    shopper = api.register("Rosa")
    changed = api.call("PATCH", "/v1/me", auth=shopper["token"], json={"language": "pt"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["language"] == "pt"
    with app.app_context():
        assert db.session().get(Shopper, 1).language == "pt"
    assert api.get("/v1/me", auth=shopper["token"]).get_json()["language"] == "pt"
    answer = api.post("/v1/me/help-requests", auth=shopper["token"],
                      json={"store_id": world.store_ids[0]})
    assert answer.get_json()["error"]["code"] == "assist_not_opted_in"
    assert answer.get_json()["error"]["message"].startswith("Ligue primeiro")
    refused = api.call("PATCH", "/v1/me", auth=shopper["token"], json={"language": "xx"})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "invalid_request"


def test_field_errors_keep_their_placeholder(api: Any, world: Any) -> None:
    answer = api.post("/v1/pos/checkouts", auth=world.keys["cashier"], json={"basket": 3},
                      headers={"Accept-Language": "de"})
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("Diese Felder fehlen oder sind falsch: ")
    assert "basket" in error["message"]


def test_raise_site_sentences_are_translated_too(api: Any, world: Any) -> None:
    shopper = api.register("Rosa")
    answer = api.get("/v1/stores/mine", auth=shopper["token"], headers={"Accept-Language": "de"})
    assert answer.get_json()["error"] == {
        "code": "forbidden", "message": "Das ist für Mitarbeiter des Geschäfts. Verwenden Sie "
        "einen Mitarbeiterschlüssel."}
    admin = api.get("/v1/stores/mine", auth=world.keys["admin"], headers={"Accept-Language": "pt"})
    assert admin.status_code == 403
    assert admin.get_json()["error"]["message"] == "Esta chave não pertence a nenhuma loja."


def test_a_sentence_with_a_role_names_the_role_in_the_callers_language(api: Any, world: Any) -> None:
    # "Only a %(role)s or above may do this.": the sentence and the role's name are both
    # translated where the answer is written.
    answer = api.post("/v1/admin/adjustments", auth=world.keys["cashier"],
                      headers={"Accept-Language": "de"},
                      json={"public_id": "ABCDEFGHIJ", "program": "corner-points",
                            "amount": 5, "reason": "test"})
    assert answer.status_code == 403
    assert answer.get_json()["error"] == {
        "code": "forbidden", "message": "Das darf nur die Rolle Filialleitung oder eine höhere."}
    english = api.post("/v1/admin/adjustments", auth=world.keys["cashier"],
                       json={"public_id": "ABCDEFGHIJ", "program": "corner-points",
                             "amount": 5, "reason": "test"})
    assert english.get_json()["error"]["message"] == "Only a manager or above may do this."
