"""The cashier panel speaks its store's language, in real headless Chromium: a Berlin
register in German and a Lisbon one in Portuguese go through a whole checkout (scan,
apply both programs, the shopper agrees, complete) and meet errors, from the API (a
used code) and from the register itself (no basket): every text, amount and error
sentence in that language, the codes unchanged. Saves the staff guide's screenshots
of those languages (staff_guide/docs/img/panel-*.de.png, *.pt.png)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from pos_plugin import EarnQueue, RewardsClient
from pos_plugin.register import Register
from pos_plugin.server import create_app
from rewards_api import db
from rewards_api.ledger.models import REDEMPTION
from rewards_api.stores import services as stores
from rewards_api.stores.models import Store
from tests.support.live import serve
from tests.support.panel_flow import SHOTS, apply_both_programs, complete_after_asking, shoot
from tests.support.shop import BASKET
from tests.support.world import setup_actor

# What a cashier reads, written out here so that a wrong catalog cannot pass.
SPOKEN = {
    "de": {"ready": "Bereit: Scannen Sie den Code des Kunden", "to_pay": "7,27",
           "apply": "Vorgeschlagene Prämien anwenden", "done": "Verkauf abgeschlossen",
           "used": "Dieser Kassencode wurde schon für einen abgeschlossenen Einkauf verwendet",
           "no_basket": "Es gibt noch keinen Warenkorb", "problem": "Problem:",
           "question": "Fragen Sie den Kunden: “400 Corner Points und 250 Punkte Partner Plus "
                       "für 8,50 Rabatt einlösen?”"},
    "pt": {"ready": "Pronto: leia o código do cliente", "to_pay": "7,27",
           "apply": "Aplicar recompensas sugeridas", "done": "Venda concluída",
           "used": "Este código de pagamento já foi usado numa compra concluída",
           "no_basket": "Ainda não há cesto", "problem": "Problema:",
           "question": "Pergunte ao cliente: “Usar 400 Corner Points e 250 pontos Partner Plus "
                       "para 8,50 de desconto?”"},
}


@pytest.fixture
def api_url(shop) -> Iterator[str]:
    with serve(shop.app) as url:
        yield url


def _panel(shop: Any, api_url: str, tmp_path: Any, language: str) -> Any:
    with shop.app.app_context():
        db.session().execute(update(Store).where(Store.id == shop.world.store_ids[0])
                             .values(language=language))
        db.session().commit()
    register = Register(RewardsClient(api_url, shop.registers[0], backoff=0),
                        EarnQueue(tmp_path / "queue.db"), "Anna")
    register.learn_language()
    assert register.language() == language
    return serve(create_app(register, panel=True))


@pytest.mark.parametrize("language", ["de", "pt"])
def test_a_whole_checkout_with_errors_in_the_stores_language(shop, api_url, tmp_path, browser,
                                                            language):
    said = SPOKEN[language]
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    try:
        with _panel(shop, api_url, tmp_path, language) as panel:
            # The till has sent no basket yet: the register's own error, translated.
            page.goto(panel)
            assert page.locator("html").get_attribute("lang") == language
            expect(page.locator("#status")).to_have_text(said["ready"])
            page.keyboard.type(shop.code())
            page.keyboard.press("Enter")
            expect(page.locator("#error-code")).to_have_text("no_basket")
            expect(page.locator("#error-message")).to_contain_text(said["no_basket"])
            assert page.locator("#error strong").inner_text() == said["problem"]

            httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()
            code = shop.code()
            cashier = apply_both_programs(page, panel, code, SHOTS, language)
            assert cashier.labels["apply_all"] == said["apply"]
            expect(page.locator("#to-pay")).to_have_text(said["to_pay"])
            expect(page.locator("#consent")).to_contain_text(said["question"])
            complete_after_asking(cashier)
            assert len(cashier.actions) == 3
            expect(page.locator("#status")).to_contain_text(said["done"])
            shoot(page, "panel-4-committed.png", SHOTS, language)
            assert len(shop.entries(REDEMPTION)) == 2

            # The next sale with the used code: the API's sentence in the store's language.
            httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()
            cashier.scan(code)
            expect(page.locator("#error-code")).to_have_text("checkout_code_used")
            expect(page.locator("#error-message")).to_contain_text(said["used"])
            shoot(page, "panel-error.png", SHOTS, language)
    finally:
        context.close()


def test_the_panel_follows_its_stores_new_language_at_the_next_checkout(shop, api_url, tmp_path,
                                                                        browser):
    """Head office switches the Berlin register's store to Portuguese while the panel runs:
    no restart, the next checkout's screen is Portuguese (the page reloads itself)."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    try:
        with _panel(shop, api_url, tmp_path, "de") as panel:
            page.goto(panel)
            expect(page.locator("#status")).to_have_text(SPOKEN["de"]["ready"])
            with shop.app.app_context():
                s = db.session()
                stores.change_store(s, setup_actor(), s.get_one(Store, shop.world.store_ids[0]),
                                    language="pt")
                s.commit()
            # The sale before the change is still German: the register asks at a new checkout.
            expect(page.locator("#apply-all")).to_have_text(SPOKEN["de"]["apply"])
            httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()
            page.locator("#scan").fill(shop.code())
            page.locator("#scan").press("Enter")
            expect(page.locator("html")).to_have_attribute("lang", "pt")
            expect(page.locator("#apply-all")).to_have_text(SPOKEN["pt"]["apply"])
            expect(page.locator("#apply-all")).to_be_enabled()
            expect(page.locator("#to-pay")).to_have_text("15,77")  # before rewards
    finally:
        context.close()
