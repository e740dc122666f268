"""The shopper app in the shopper's language, in real headless Chromium: it starts in
the browser's language, the shopper switches it in the header (kept on their account,
so a new phone follows), and the API's error sentences come in the same language; a
reward named in Portuguese on the back office's Rewards page reaches the app in Portuguese."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from rewards_api import db
from tests.support.axe import serious_violations
from tests.support.shop import BASKET, build_shop
from tests.support.world import staff_key

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PHONE = {"width": 360, "height": 740}


def _phone(browser, locale, init_script=None):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale=locale)
    context.set_default_timeout(15_000)
    if init_script:
        context.add_init_script(init_script)
    return context


def test_the_app_speaks_the_browsers_language_then_the_shoppers_choice(browser, live_url, api,
                                                                        world):
    german = _phone(browser, "de-DE")
    try:
        page = german.new_page()
        page.goto(live_url + "/app")
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.locator("h1").inner_text() == "Meine Prämien"
        page.get_by_label("Ihr Vorname").fill("Rosa")
        page.get_by_role("button", name="Registrieren").click()
        page.locator("#signed-in").wait_for()
        expect(page.locator("#status")).to_have_text("Willkommen! Ihr Kassencode ist bereit.")
        expect(page.get_by_role("heading", name="Meine Punkte")).to_be_visible()

        # An error of the API, in the page's language: a misread barcode number.
        page.get_by_label("…oder tippen Sie die Nummer unter dem Strichcode ein").fill(
            "4006381333932")
        page.get_by_role("button", name="Scannen", exact=True).click()
        result = page.locator("#scan-result[data-kind=error]")
        expect(result).to_contain_text("Die letzte Ziffer dieses Codes passt nicht")
        expect(result).to_contain_text("(invalid_check_digit)")

        # The shopper switches to Portuguese: the page follows, and so does the account.
        page.select_option("#language-select", "pt")
        page.wait_for_url("**/app?lang=pt")
        page.locator("#signed-in").wait_for()
        expect(page.locator("h1")).to_have_text("As minhas recompensas")
        expect(page.get_by_role("heading", name="Os meus pontos")).to_be_visible()
        saved = page.evaluate("localStorage.getItem('rewards.shopper')")
    finally:
        german.close()
    token = json.loads(saved)["token"]
    assert api.get("/v1/me", auth=token).get_json()["language"] == "pt"

    # The same account on a new phone whose browser speaks English: Portuguese.
    english = _phone(browser, "en-US",
                     f"localStorage.setItem('rewards.shopper', JSON.stringify({saved}))")
    try:
        page = english.new_page()
        page.goto(live_url + "/app")
        page.wait_for_url("**/app?lang=pt")
        expect(page.locator("h1")).to_have_text("As minhas recompensas")
        expect(page.locator("#language-select")).to_have_value("pt")
    finally:
        english.close()


FREE_COFFEE = {"de": "Kaffee gratis", "pt": "Café grátis"}


@pytest.mark.parametrize("language", ["pt", "de"])
def test_the_app_names_a_reward_in_the_shoppers_language(browser, live_url, app, api, world,
                                                         guide_images, language):
    """Data in the reader's language: a register speaking the other language applied
    "Free coffee" (named per language by head office); the shopper's app, in Portuguese
    (German), asks about "Café grátis" ("Kaffee gratis"). The guide's screenshot of the
    question in that language is taken here (img/app-consent.LANGUAGE.png)."""
    other = "de" if language == "pt" else "pt"
    shop = build_shop(app, api, world)
    rewards = api.get("/v1/admin/rewards?program=partner-plus",
                      auth=world.keys["admin"]).get_json()["rewards"]
    free_coffee = next(r["id"] for r in rewards if r["code"] == "free-coffee")
    named = api.call("PATCH", f"/v1/admin/rewards/{free_coffee}", auth=world.keys["admin"],
                     json={"names": FREE_COFFEE})
    assert named.status_code == 200, named.get_json()
    register = {"Accept-Language": other}
    opened = api.post("/v1/pos/checkouts", auth=shop.registers[0], headers=register,
                      json={"code": shop.code(), "basket": BASKET, "cashier": "Anna"}).get_json()
    applied = shop.post(f"/v1/pos/checkouts/{opened['id']}/rewards",
                        json={"rewards": ["partner-plus:free-coffee"]}, headers=register)
    assert applied.get_json()["applied"][0]["name"] == FREE_COFFEE[other]

    phone = _phone(browser, language,
                   f"localStorage.setItem('rewards.shopper', '{json.dumps(shop.shopper)}')")
    try:
        page = phone.new_page()
        page.goto(live_url + "/app")
        assert page.locator("html").get_attribute("lang") == language
        expect(page.locator("#consent-rewards")).to_contain_text(FREE_COFFEE[language])
        expect(page.locator("#consent-rewards")).not_to_contain_text(FREE_COFFEE[other])
        page.locator("#consent").screenshot(path=guide_images / f"app-consent.{language}.png")
    finally:
        phone.close()


def test_a_chain_admin_names_a_reward_in_portuguese_and_the_app_in_portuguese_shows_it(
        browser, live_url, app, api, world):
    shop = build_shop(app, api, world)
    with app.app_context():
        chain_admin = staff_key("admin", None, "Corner office", chain_id=world.chain_id)
        db.session().commit()
    office = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US",
                                 bypass_csp=True)  # for axe-core
    office.set_default_timeout(15_000)
    try:
        page = office.new_page()
        page.goto(live_url + "/manage/rewards")
        page.locator("#staff-key").fill(chain_admin)
        page.locator("#access-form button[type=submit]").click()
        page.get_by_role("button", name="Change 5.00 off").click()
        change = page.locator("#change-form")
        expect(change.get_by_label("Name in Portuguese")).to_have_value("")
        change.get_by_label("Name in Portuguese").fill("5,00 de desconto")
        page.get_by_role("button", name="Save the change").click()
        row = page.locator('tr[data-reward="5-off"]')
        expect(row.locator("[lang=pt]")).to_have_text("PT: 5,00 de desconto")
        # Changing it again shows the name per language already given.
        page.get_by_role("button", name="Change 5.00 off").click()
        expect(change.get_by_label("Name in Portuguese")).to_have_value("5,00 de desconto")
        expect(change.get_by_label("Name in German")).to_have_value("")
        assert serious_violations(page) == []
    finally:
        office.close()

    german_register = {"Accept-Language": "de"}
    opened = api.post("/v1/pos/checkouts", auth=shop.registers[0], headers=german_register,
                      json={"code": shop.code(), "basket": BASKET, "cashier": "Anna"}).get_json()
    applied = shop.post(f"/v1/pos/checkouts/{opened['id']}/rewards",
                        json={"rewards": ["corner-points:5-off"]}, headers=german_register)
    assert applied.get_json()["applied"][0]["name"] == "5.00 off", applied.get_json()

    phone = _phone(browser, "pt-PT",
                   f"localStorage.setItem('rewards.shopper', '{json.dumps(shop.shopper)}')")
    try:
        page = phone.new_page()
        page.goto(live_url + "/app")
        expect(page.locator("#consent-rewards")).to_contain_text("5,00 de desconto")
        expect(page.locator("#consent-rewards")).not_to_contain_text("5.00 off")
    finally:
        phone.close()
