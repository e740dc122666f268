"""The store dashboard and the staff assist view in a real headless Chromium.
Screenshots land in staff_guide/docs/img/dashboard-*.png for the guide."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from rewards_api import db
from rewards_api.stores.models import Store
from tests.pages import store_day
from tests.pages.store_day import NOW
from tests.support.world import setup_actor

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _open(page, url, key, store="Berlin Mitte"):
    page.goto(url)
    page.get_by_label("Store", exact=True).select_option(label=store)
    page.locator("#staff-key").fill(key)
    page.locator("#access-form button[type=submit]").click()


def test_dashboard_draws_figures_and_charts(browser, live_url, world, day, guide_images):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    _open(page, live_url + "/dashboard", world.keys["manager"])
    page.locator("#chart-adoption svg").wait_for()
    today = page.locator("#today-figures").inner_text()
    assert "3\nwalk-ins" in today and "20 min" in today and "67%" in today  # as English writes it (Intl, the page's language)
    for chart, bars in [("walk-ins", 6), ("points", 3), ("adoption", 2)]:
        svg = page.locator(f"#chart-{chart} svg")
        assert svg.get_attribute("role") == "img"
        box = svg.bounding_box()
        assert box["width"] > 300 and box["height"] > 100
        drawn = page.locator(f"#chart-{chart} svg rect.rect").evaluate_all(
            "bars => bars.filter(b => b.getBBox().width > 0 && b.getBBox().height > 0).length")
        assert drawn == bars
    assert "Register 1" in page.locator("#adoption-registers").inner_text()
    agents = page.locator("#agents-table").inner_text()
    assert "Front door" in agents and "No heartbeat" in agents
    assert "3 (invalid_request)" in agents  # the back door's refused events, with their code
    till = page.locator("#till-seen")
    assert till.inner_text() == "Seen walking in: 1 of the 4 shoppers who paid with the app (25%)."
    assert "bad" not in till.get_attribute("class")  # too few sales to say more
    assert "0.70 EUR" in page.locator("#settlement-table").inner_text()
    page.screenshot(path=guide_images / "dashboard-overview.png", full_page=True)
    page.locator("#chart-walk-ins").screenshot(path=guide_images / "dashboard-walk-ins.png")
    page.locator("#adoption-title").locator("..").screenshot(path=guide_images / "dashboard-adoption.png")
    # Shelf tags: the PDF is fetched with the manager key and opened in a new tab.
    with page.expect_response(lambda r: "/shelf-tags" in r.url) as tags:
        page.get_by_role("button", name="Print shelf tags").click()
    assert tags.value.status == 200
    assert tags.value.headers["content-type"] == "application/pdf"
    # The key stays in this tab: a reload shows the dashboard again without asking.
    page.reload()
    page.locator("#chart-walk-ins svg").wait_for()
    context.close()


def test_dashboard_says_in_red_when_the_agents_miss_walk_ins(browser, live_url, app, world, day):
    with app.app_context():  # 16 more sales with the app in Berlin at 12:05; Bo was in Munich
        store_day.app_sales(world, day.shopper_ids["Bo"], store_day.local(12, 5), count=16)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    _open(page, live_url + "/dashboard", world.keys["manager"])
    till = page.locator("#till-seen")
    expect(till).to_have_text(
        "Seen walking in: 1 of the 20 shoppers who paid with the app (5%). The agents are missing "
        "walk-ins: run the walk test at each agent. It says whether the agent hears the back of "
        "the shop.")
    assert "bad" in till.get_attribute("class")
    # Munich has had no sale with the app: its manager reads that, not a share of none.
    _open(page, live_url + "/dashboard", world.keys["other_manager"], store="Munich Center")
    expect(till).to_have_text("Seen walking in: no sale with the app's checkout code yet.")
    assert "bad" not in till.get_attribute("class")
    context.close()


def test_dashboard_refuses_a_key_of_another_store_and_fits_a_phone(phone, live_url, world, day):
    page = phone.new_page()
    _open(page, live_url + "/dashboard", world.keys["other_manager"])
    page.locator("#status", has_text="another store").wait_for()
    assert page.locator("#board").is_hidden()
    page.locator("#staff-key").fill(world.keys["manager"])
    page.locator("#access-form button[type=submit]").click()
    page.locator("#chart-points svg").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_assist_view_lists_who_asked_and_clears_them(browser, live_url, api, world, day,
                                                     guide_images):
    assert api.call("PATCH", "/v1/me", json={"assist_opt_in": True},
                    auth=day.tokens["Cem"]).status_code == 200
    assert api.post("/v1/me/help-requests", json={"store_id": world.store_ids[0]},
                    auth=day.tokens["Cem"]).status_code == 201
    context = browser.new_context(viewport={"width": 400, "height": 800}, device_scale_factor=2)
    page = context.new_page()
    _open(page, live_url + "/assist", world.keys["cashier"])
    person = page.locator("#people li[data-help-request]")
    person.wait_for()
    text = person.inner_text()
    assert "Cem" in text and "Filter coffee 500 g" in text and "Aisle 4, top shelf" in text
    page.screenshot(path=guide_images / "dashboard-assist.png", full_page=True)
    person.get_by_role("button", name="Helped").click()
    page.locator("#people", has_text="Nobody is asking for help").wait_for()
    assert api.get(f"/v1/stores/{world.store_ids[0]}/assist",
                   auth=world.keys["cashier"]).get_json()["shoppers"] == []
    context.close()


def test_assist_view_shows_todays_scan_products_with_aisles(browser, live_url, app, world, day):
    from sqlalchemy import select

    from rewards_api.products.models import Product
    from rewards_api.scans import campaigns
    from rewards_api.stores.models import Store
    from rewards_api.stores.services import program_by_code

    with app.app_context():
        s = db.session()
        coffee = s.scalars(select(Product).where(Product.name == "Filter coffee 500 g")).one()
        campaigns.create_campaign(
            s, setup_actor(), code="coffee-days", name="Coffee days", program=program_by_code(s, "corner-points"),
            points=40, starts_at=NOW.replace(hour=0), ends_at=NOW.replace(hour=23),
            products=[coffee], stores=[s.get(Store, world.store_ids[0])], chain=None)
        s.commit()
    context = browser.new_context(viewport={"width": 400, "height": 800})
    page = context.new_page()
    _open(page, live_url + "/assist", world.keys["cashier"])
    row = page.locator("#today-products tbody tr", has_text="Filter coffee 500 g")
    row.wait_for()
    assert "+40 corner-points" in row.inner_text()
    assert "Aisle 4, top shelf" in row.inner_text()
    context.close()


def test_staff_pages_open_in_their_stores_language(browser, live_url, app, world, day):
    with app.app_context():
        db.session().execute(update(Store).where(Store.id == world.store_ids[0])
                             .values(language="pt"))
        db.session().commit()
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = context.new_page()
    _open(page, live_url + "/dashboard", world.keys["manager"])
    # The Berlin manager's key: its store speaks Portuguese, so the page does too.
    page.wait_for_url("**/dashboard?lang=pt")
    expect(page.locator("h1")).to_have_text("Painel da loja")
    expect(page.locator("#today-title")).to_have_text("Hoje")
    expect(page.locator("#today-figures")).to_contain_text("entradas")
    expect(page.locator("#chart-walk-ins svg")).to_contain_text("Entradas por hora")
    context.close()
