"""The back office (/manage) in a real headless Chromium: the shell and its sections,
the chain view with two stores, the results page, the CSV downloads and the printable
shelf tags. Screenshots land in staff_guide/docs/img/manage-*.png."""

from __future__ import annotations

import csv
import io

import pytest

from rewards_api import db
from rewards_api.manage.sections import SECTIONS
from tests.support.axe import serious_violations
from tests.support.world import staff_key

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

WIDE = {"width": 1200, "height": 900}


def _sign_in(page, url, key, **fields):
    page.goto(url)
    for selector, value in fields.items():
        page.locator(f"#{selector}").fill(value)
    page.locator("#staff-key").fill(key)
    page.locator("#access-form button[type=submit]").click()


def _downloaded_csv(page):
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    path = download.value.path()
    return download.value.suggested_filename, list(csv.reader(io.StringIO(path.read_text())))


def test_shell_navigates_to_every_section(browser, live_url, guide_images):
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    page.goto(live_url + "/manage")
    nav = page.get_by_role("navigation", name="Back office")
    for section in SECTIONS:  # every section has a link, none of them broken
        assert nav.get_by_role("link", name=section.title).count() == 1
    page.screenshot(path=guide_images / "manage-overview.png", full_page=True)
    nav.get_by_role("link", name="Rules").click()
    page.locator("#access-form").wait_for()
    assert page.get_by_role("link", name="Rules").get_attribute("aria-current") == "page"
    nav.get_by_role("link", name="Stores side by side").click()
    page.locator("#access-form").wait_for()
    assert page.title() == "Stores side by side · Back office"
    context.close()


def test_chain_view_shows_two_stores_and_downloads_csv(browser, app, live_url, world, results_day,
                                                       guide_images):
    with app.app_context():
        chain_admin = staff_key("admin", None, "Corner office", chain_id=world.chain_id)
        db.session().commit()
    context = browser.new_context(viewport=WIDE, accept_downloads=True, bypass_csp=True)  # axe
    page = context.new_page()
    _sign_in(page, live_url + "/manage/chain", chain_admin, **{"from": "2026-11-23", "to": "2026-11-23"})
    rows = page.locator("#chain-table tbody tr")
    rows.nth(1).wait_for()
    assert rows.count() == 2
    berlin = rows.filter(has_text="Berlin Mitte").inner_text().split("\t")
    # Store, app shoppers nearby, walk-ins, scans, scans per visit, redemptions,
    # checkouts, adoption, seen walking in, agents.
    assert berlin == ["Berlin Mitte", "12", "3", "1", "0.33", "1", "5", "75 %", "40 %", "1 of 2"]
    assert rows.filter(has_text="Munich Center").inner_text().split("\t")[1:3] == ["0", "1"]
    assert serious_violations(page) == []
    assert "2026-11-23 to 2026-11-23" in page.locator("#as-of").inner_text()
    page.screenshot(path=guide_images / "manage-chain.png", full_page=True)
    name, lines = _downloaded_csv(page)
    assert name == "chain-2026-11-23-2026-11-23.csv"
    assert lines[0][:6] == ["store", "name", "from", "to", "nearby", "walk_ins"]
    assert sorted(line[0] for line in lines[1:]) == ["berlin-1", "munich-1"]
    context.close()


def test_chain_view_refuses_a_store_manager(browser, live_url, world):
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    _sign_in(page, live_url + "/manage/chain", world.keys["manager"])
    page.locator("#status[data-kind=error]", has_text="forbidden").wait_for()
    assert page.locator("#board").is_hidden()
    context.close()


def test_results_page_shows_the_funnel_and_downloads_csv(browser, live_url, world, results_day,
                                                         guide_images):
    context = browser.new_context(viewport=WIDE, accept_downloads=True, bypass_csp=True)  # axe
    page = context.new_page()
    _sign_in(page, live_url + "/manage/results", world.keys["manager"])  # the last 7 days
    store = page.locator("section[data-store=berlin-1]")
    store.wait_for()
    assert page.locator("section[data-store]").count() == 1  # a manager: their store only
    walk_ins = store.locator(".funnel tbody tr", has_text="walk-ins").inner_text().split("\t")
    assert walk_ins == ["walk-ins", "4", "1", "+300 %"]
    nearby = store.locator(".funnel tbody tr").first.inner_text().split("\t")
    assert nearby == ["app shoppers nearby", "20", "7", "+186 %"]  # the funnel's first stage
    assert serious_violations(page) == []
    refusals = store.locator(".refusals").inner_text()
    assert "scanned outside the store (not_in_store)" in refusals
    assert "expired checkout code (checkout_code_expired)" in refusals
    campaign = store.locator("[data-campaign=coffee-week]").inner_text()
    assert "of them, checked out with rewards\t1" in campaign
    page.screenshot(path=guide_images / "manage-results.png", full_page=True)
    name, lines = _downloaded_csv(page)
    assert name == "results-2026-11-17-2026-11-23.csv"
    assert lines[1][:6] == ["berlin-1", "", "nearby", "2026-11-17", "2026-11-23", "20"]
    assert lines[2][:6] == ["berlin-1", "", "walk_ins", "2026-11-17", "2026-11-23", "4"]
    # Another store of the chain is not the manager's to see.
    page.get_by_label("Store", exact=True).select_option(label="Munich Center")
    page.locator("#access-form button[type=submit]").click()
    page.locator("#status[data-kind=error]", has_text="another store").wait_for()
    context.close()


def test_shelf_tags_per_campaign_print_without_the_shell(browser, live_url, world, results_day):
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    page.goto(live_url + "/manage/shelf-tags")
    page.get_by_label("Store", exact=True).select_option(label="Berlin Mitte")
    page.locator("#staff-key").fill(world.keys["manager"])
    page.locator("#access-form button[type=submit]").click()
    tag = page.locator("#tag-pages[data-campaign=every] img")
    tag.wait_for()
    assert tag.get_attribute("alt") == "Shelf tags, page 1 of 1"
    loaded = "document.querySelector('#tag-pages img').complete"
    page.wait_for_function(loaded)
    assert page.evaluate("document.querySelector('#tag-pages img').naturalWidth") == 1240  # A4, 150 dpi
    page.get_by_label("Campaign").select_option(label="Coffee week")
    page.locator("#access-form button[type=submit]").click()
    tag = page.locator("#tag-pages[data-campaign=coffee-week] img")
    tag.wait_for()
    page.wait_for_function(loaded)
    page.emulate_media(media="print")
    assert page.get_by_role("navigation", name="Back office").is_hidden()
    assert page.locator("#access-form").is_hidden()
    assert tag.is_visible()
    context.close()
