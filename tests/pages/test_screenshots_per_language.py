"""The staff guide's screenshots of the shopper app and the store dashboard in German and
Portuguese, taken in real headless Chromium whose browser speaks that language:
``img/NAME.de.png`` and ``img/NAME.pt.png`` beside the English ``img/NAME.png``
(mkdocs-static-i18n shows each language its own). Each screen is checked to be in that
language first, product and campaign names included (named per language by the back
office), so a screenshot cannot show English by mistake."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from rewards_api import db
from rewards_api.localized import services as localized
from rewards_api.products.services import AssortmentRow, carry, product_by_gtin
from rewards_api.scans import campaigns
from rewards_api.shoppers.models import Shopper
from rewards_api.stores.models import Store
from rewards_api.stores.services import program_by_code
from rewards_api.visits.models import Visit
from tests.pages.conftest import PHONE
from tests.pages.store_day import COFFEE, NOW
from tests.support.world import setup_actor

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

LANGUAGES = ["de", "pt"]
# What each screen says, written out here so that a wrong catalog cannot pass.
SAID = {
    "de": {"app": "Meine Prämien", "coffee": "Filterkaffee 500 g", "scanned": "+50 Corner Points",
           "dashboard": "Besuche", "assist": "Geholfen"},
    "pt": {"app": "As minhas recompensas", "coffee": "Café de filtro 500 g",
           "scanned": "+50 Corner Points", "dashboard": "entradas", "assist": "Ajudado"},
}
COFFEE_NAMES = {"de": "Filterkaffee 500 g", "pt": "Café de filtro 500 g"}


def _shot(locator, guide_images, name: str, language: str) -> None:
    locator.screenshot(path=guide_images / name.replace(".png", f".{language}.png"))


def _coffee_week(app, world) -> None:
    """Filter coffee in Berlin's aisle 4, worth 50 Corner Points this week, named in
    German and Portuguese."""
    app.config["CLOCK"] = lambda: NOW
    with app.app_context():
        s = db.session()
        berlin = s.get_one(Store, world.store_ids[0])
        carry(s, berlin.id, AssortmentRow(0, COFFEE, "Filter coffee 500 g", "Aisle 4", None,
                                          COFFEE_NAMES))
        campaigns.create_campaign(
            s, setup_actor(), code="coffee-week", name="Coffee week",
            names={"de": "Kaffeewoche", "pt": "Semana do café"},
            program=program_by_code(s, "corner-points"), points=50,
            starts_at=NOW - dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=6),
            products=[product_by_gtin(s, COFFEE)], stores=[berlin], chain=None)
        assert localized.name(s, localized.PRODUCT, product_by_gtin(s, COFFEE).id,
                              "Filter coffee 500 g", "pt") == COFFEE_NAMES["pt"]
        s.commit()


def _check_in(app, world, public_id: str) -> None:
    with app.app_context():
        s = db.session()
        shopper = s.query(Shopper).filter_by(public_id=public_id).one()
        s.add(Visit(shopper_id=shopper.id, store_id=world.store_ids[0],
                    started_at=NOW - dt.timedelta(minutes=3), last_seen_at=NOW))
        s.commit()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_app_in_each_language_for_the_guide(browser, live_url, app, world, guide_images,
                                                 language):
    said = SAID[language]
    _coffee_week(app, world)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale=language)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(live_url + "/app")
        expect(page.locator("h1")).to_have_text(said["app"])
        page.locator("#signup-name").fill("Rosa")
        page.locator("#signup-form button[type=submit]").click()
        page.locator("#qr svg").wait_for()
        _shot(page.locator("#checkout"), guide_images, "app-checkout-code.png", language)

        item = page.locator("#scan-products li.product")
        expect(item).to_contain_text(said["coffee"])
        public_id = page.evaluate("JSON.parse(localStorage.getItem('rewards.shopper')).public_id")
        _check_in(app, world, public_id)
        page.locator("#scan-code").fill("4006381333931")
        page.locator("#scan-code-form button[type=submit]").click()
        result = page.locator("#scan-result[data-kind=ok]")
        expect(result).to_contain_text(said["coffee"])
        expect(result).to_contain_text(said["scanned"])
        _shot(page.locator("#store"), guide_images, "app-scan.png", language)
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_dashboard_and_assist_view_in_each_language_for_the_guide(
        browser, live_url, app, api, world, day, guide_images, language):
    # The store speaks the language: a store's key opens its pages in the store's language.
    with app.app_context():
        db.session().get_one(Store, world.store_ids[0]).language = language
        db.session().commit()
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale=language)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(live_url + "/dashboard")
        assert page.locator("html").get_attribute("lang") == language
        page.locator("#store-select").select_option(label="Berlin Mitte")
        page.locator("#staff-key").fill(world.keys["manager"])
        page.locator("#access-form button[type=submit]").click()
        page.locator("#chart-adoption svg").wait_for()
        expect(page.locator("#today-figures")).to_contain_text(SAID[language]["dashboard"])
        page.screenshot(path=guide_images / f"dashboard-overview.{language}.png", full_page=True)
        _shot(page.locator("#chart-walk-ins"), guide_images, "dashboard-walk-ins.png", language)
        _shot(page.locator("#adoption-title").locator(".."), guide_images,
              "dashboard-adoption.png", language)

        assert api.call("PATCH", "/v1/me", json={"assist_opt_in": True},
                        auth=day.tokens["Cem"]).status_code == 200
        assert api.post("/v1/me/help-requests", json={"store_id": world.store_ids[0]},
                        auth=day.tokens["Cem"]).status_code == 201
        page.set_viewport_size({"width": 400, "height": 800})
        page.goto(live_url + "/assist")
        page.locator("#store-select").select_option(label="Berlin Mitte")
        page.locator("#staff-key").fill(world.keys["cashier"])
        page.locator("#access-form button[type=submit]").click()
        person = page.locator("#people li[data-help-request]")
        expect(person).to_contain_text("Cem")
        expect(person.get_by_role("button")).to_have_text(SAID[language]["assist"])
        page.screenshot(path=guide_images / f"dashboard-assist.{language}.png", full_page=True)
    finally:
        context.close()
