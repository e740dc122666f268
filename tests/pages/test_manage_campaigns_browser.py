"""The scan campaigns page (/manage/campaigns) in a real headless Chromium: a manager
creates a campaign with two products and a German name, gives it a Portuguese name, a
shopper scans one, the manager sees it given out and ends the campaign; a scan after the
end is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from rewards_api import db
from tests.support.axe import serious_violations
from tests.support.scan_shop import COFFEE, GUM, scan_code, shopper_id, stock_products, walk_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _shopper_in_berlin(app, api, world, name):
    shopper = api.register(name)
    with app.app_context():
        shopper["id"] = shopper_id(shopper["public_id"])
        walk_in(shopper["id"], world.store_ids[0], dt.datetime.now(dt.UTC))
        db.session().commit()
    return shopper


def test_a_manager_creates_a_campaign_a_shopper_scans_it_the_manager_ends_it(
        browser, live_url, app, api, world):
    with app.app_context():
        stock_products(world.store_ids[0])
        db.session().commit()
    context = browser.new_context(viewport={"width": 1200, "height": 900}, timezone_id="UTC",
                                  bypass_csp=True)  # for axe-core
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_url + "/manage/campaigns")
    page.get_by_label("Store", exact=True).select_option(label="Berlin Mitte")
    page.locator("#staff-key").fill(world.keys["manager"])
    page.locator("#access-form button[type=submit]").click()
    page.locator("#campaigns-table", has_text="No campaigns yet").wait_for()

    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    page.get_by_label("Code", exact=True).fill("coffee-gum")
    form = page.locator("#campaign-form")
    form.get_by_label("Name shoppers see").fill("Coffee and gum days")
    form.get_by_label("Name in German").fill("Kaffee- und Kaugummitage")
    page.get_by_label("Points per scan").fill("25")
    page.get_by_label("Budget in points").fill("500")
    page.get_by_label("Products").fill(f"{COFFEE}\n{GUM}")
    page.get_by_label("Starts", exact=True).fill((now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends", exact=True).fill((now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Create the campaign").click()
    row = page.locator("tr[data-campaign=coffee-gum]")
    row.wait_for()
    assert "Mint Gum, Morning Coffee 500 g" in row.inner_text()
    assert "0 / 500" in row.inner_text() and "running" in row.inner_text()
    expect(row.locator("[lang=de]")).to_have_text("DE: Kaffee- und Kaugummitage")

    # The names per language are changed in the campaign's change form, shown filled in.
    page.get_by_role("button", name="Change Coffee and gum days").click()
    change = page.locator("#change-form")
    expect(change.get_by_label("Name in German")).to_have_value("Kaffee- und Kaugummitage")
    change.get_by_label("Name in Portuguese").fill("Dias do café e da pastilha")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Save the change").click()
    expect(row.locator("[lang=pt]")).to_have_text("PT: Dias do café e da pastilha")
    expect(row.locator("[lang=de]")).to_have_text("DE: Kaffee- und Kaugummitage")

    shopper = _shopper_in_berlin(app, api, world, "Sam")
    assert scan_code(api, shopper, world.store_ids[0], COFFEE).status_code == 201
    page.get_by_role("button", name="Show the campaigns").click()
    page.locator("tr[data-campaign=coffee-gum]", has_text="25 / 500").wait_for()

    page.get_by_role("button", name="End now: Coffee and gum days").click()
    page.locator("tr[data-campaign=coffee-gum]", has_text="ended").wait_for()
    assert "25 / 500" in row.inner_text()
    assert "gave out 25 points" in page.locator("#status").inner_text()
    late = _shopper_in_berlin(app, api, world, "Late")
    refused = scan_code(api, late, world.store_ids[0], GUM, "ean8")
    assert refused.get_json()["error"]["code"] == "not_a_campaign_product"
    context.close()


def test_a_campaign_the_api_refuses_says_why_on_the_page(browser, live_url, app, world):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, timezone_id="UTC")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_url + "/manage/campaigns")
    page.locator("#staff-key").fill(world.keys["manager"])
    page.locator("#access-form button[type=submit]").click()
    page.locator("#board").wait_for()
    page.get_by_label("Code", exact=True).fill("no-products")
    page.locator("#campaign-form").get_by_label("Name shoppers see").fill("Nothing carried")
    page.get_by_label("Points per scan").fill("10")
    page.get_by_label("Products").fill(COFFEE)  # the store has not loaded it
    page.get_by_label("Starts", exact=True).fill("2026-12-01T08:00")
    page.get_by_label("Ends", exact=True).fill("2026-12-08T20:00")
    page.get_by_role("button", name="Create the campaign").click()
    page.locator("#status", has_text="import it with the store's assortment").wait_for()
    assert "No campaigns yet" in page.locator("#campaigns-table").inner_text()
    context.close()
