"""Data in the reader's language, over HTTP on SQLite and PostgreSQL: rewards named per
language by the back office (``names`` beside ``name``) reach the cashier's screen, the
shopper's consent question and the receipt in each caller's language, with the stored
name where no translation exists. The receipt is kept as data and written when read:
one sale reads in German at a Berlin register and in Portuguese for a Lisbon reader,
an idempotent retry of the commit replays its first answer, and a receipt stored as
sentences (sales before this) reads as it was written."""

from __future__ import annotations

from sqlalchemy import select

from rewards_api import db
from rewards_api.pos.models import Checkout
from tests.support.shop import BASKET

FREE_COFFEE = {"de": "Kaffee gratis", "pt": "Café grátis"}
GERMAN, PORTUGUESE = {"Accept-Language": "de"}, {"Accept-Language": "pt-PT"}


def _reward_id(shop, ref: str) -> int:
    program, code = ref.split(":")
    rewards = shop.api.get(f"/v1/admin/rewards?program={program}",
                           auth=shop.world.keys["admin"]).get_json()["rewards"]
    return next(r["id"] for r in rewards if r["code"] == code)


def _name_free_coffee(shop) -> None:
    reward_id = _reward_id(shop, "partner-plus:free-coffee")
    changed = shop.api.call("PATCH", f"/v1/admin/rewards/{reward_id}", auth=shop.world.keys["admin"],
                             json={"names": FREE_COFFEE})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["names"] == FREE_COFFEE
    assert changed.get_json()["name"] == "Free coffee"  # as typed, kept


def _open(shop, headers: dict[str, str], basket: dict = BASKET):
    return shop.api.post("/v1/pos/checkouts", auth=shop.registers[0], headers=headers,
                         json={"code": shop.code(), "basket": basket, "cashier": "Anna"})


def _offered(view: dict, ref: str) -> str:
    return next(r["name"] for p in view["programs"] for r in p["rewards"] if r["reward"] == ref)


def test_a_reward_named_per_language_reads_in_each_callers_language(shop):
    _name_free_coffee(shop)
    opened = _open(shop, PORTUGUESE).get_json()
    assert _offered(opened, "partner-plus:free-coffee") == "Café grátis"
    # No translation of this one: its stored name, whatever the language.
    assert _offered(opened, "corner-points:10-percent") == "10% off (max 3.00)"
    checkout_id = opened["id"]
    applied = shop.post(f"/v1/pos/checkouts/{checkout_id}/rewards",
                        json={"rewards": ["partner-plus:free-coffee"]}, headers=PORTUGUESE)
    assert applied.status_code == 200, applied.get_json()
    assert applied.get_json()["applied"][0]["name"] == "Café grátis"

    # The cashier applied it in Portuguese; the shopper's phone asks in German.
    token = shop.shopper["token"]
    asked = shop.api.get("/v1/me/checkout", auth=token, headers=GERMAN).get_json()["checkout"]
    assert [r["name"] for r in asked["rewards"]] == ["Kaffee gratis"]
    view = shop.api.get(f"/v1/pos/checkouts/{checkout_id}", auth=shop.registers[0]).get_json()
    assert view["applied"][0]["name"] == "Free coffee"  # English: the stored name


def test_a_receipt_is_written_in_the_readers_language_and_a_retry_replays_the_first(shop):
    _name_free_coffee(shop)
    checkout_id = shop.open().get_json()["id"]
    shop.post(f"/v1/pos/checkouts/{checkout_id}/rewards",
              json={"rewards": ["partner-plus:free-coffee"]})
    body = {"shopper_agreed": ["partner-plus:free-coffee"]}
    committed = shop.post(f"/v1/pos/checkouts/{checkout_id}/commit", json=body,
                          headers={**GERMAN, "Idempotency-Key": "tender-1"})
    assert committed.status_code == 200, committed.get_json()
    german = [line["text"] for line in committed.get_json()["receipt"]["lines"]]
    assert "Partner Plus: Kaffee gratis" in german
    assert "Partner Plus: neuer Punktestand" in german

    # The same sale read in Portuguese: every line in Portuguese, the numbers the same.
    read = shop.api.get(f"/v1/pos/checkouts/{checkout_id}", auth=shop.registers[0],
                        headers=PORTUGUESE).get_json()["receipt"]
    portuguese = [line["text"] for line in read["lines"]]
    assert "Partner Plus: Café grátis" in portuguese
    assert "Partner Plus: novo saldo" in portuguese
    def figures(lines: list[dict]) -> list[tuple]:
        return [(line["kind"], line["points"], line["amount_minor"]) for line in lines]
    assert figures(read["lines"]) == figures(committed.get_json()["receipt"]["lines"])
    # The answer's shape is the one registers already read (no new field).
    assert {tuple(sorted(line)) for line in read["lines"]} == {
        ("amount_minor", "kind", "points", "program", "text")}

    # A lost answer retried in another language replays the first answer as it was.
    again = shop.post(f"/v1/pos/checkouts/{checkout_id}/commit", json=body,
                      headers={**PORTUGUESE, "Idempotency-Key": "tender-1"})
    assert again.status_code == 200
    assert again.get_json() == committed.get_json()

    # What the database keeps is data, never a sentence.
    with shop.app.app_context():
        stored = db.session().get(Checkout, checkout_id).receipt
    assert all("text" not in line for line in stored["lines"])


def test_a_receipt_kept_as_sentences_reads_as_it_was_written(shop):
    checkout_id = shop.open().get_json()["id"]
    assert shop.commit(checkout_id).status_code == 200
    old_lines = [{"program": "corner-points", "kind": "earned", "points": 19,
                  "amount_minor": 0, "text": "Corner Points: points earned"}]
    with shop.app.app_context():
        s = db.session()
        checkout = s.scalars(select(Checkout).where(Checkout.id == checkout_id)).one()
        checkout.receipt = {**checkout.receipt, "lines": old_lines}
        s.commit()
    read = shop.api.get(f"/v1/pos/checkouts/{checkout_id}", auth=shop.registers[0],
                        headers=GERMAN)
    assert read.status_code == 200
    assert [line["text"] for line in read.get_json()["receipt"]["lines"]] == [
        "Corner Points: points earned"]


def test_names_per_language_are_checked(shop):
    reward_id = _reward_id(shop, "partner-plus:free-coffee")
    for names in ({"fr": "Café gratuit"}, {"de": ""}, {"de": "x" * 101}, ["Kaffee"]):
        refused = shop.api.call("PATCH", f"/v1/admin/rewards/{reward_id}",
                                 auth=shop.world.keys["admin"], json={"names": names})
        assert refused.status_code == 400, names
        assert refused.get_json()["error"]["code"] == "invalid_request"
    # Given again, the names replace the earlier ones: a language left out is gone.
    _name_free_coffee(shop)
    changed = shop.api.call("PATCH", f"/v1/admin/rewards/{reward_id}", auth=shop.world.keys["admin"],
                             json={"names": {"pt": "Um café"}})
    assert changed.get_json()["names"] == {"pt": "Um café"}
    opened = _open(shop, GERMAN).get_json()
    assert _offered(opened, "partner-plus:free-coffee") == "Free coffee"


def test_a_basket_of_another_currency_names_the_program_in_the_sentence(shop):
    refused = _open(shop, GERMAN, {**BASKET, "currency": "USD"})
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("Corner Points zählt in EUR; senden Sie den Warenkorb")
