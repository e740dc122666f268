"""The rewards, rules and products pages of the back office (/manage/rewards,
/manage/rules, /manage/products) in a real headless Chromium, on the app's injected
clock: the chain's admin creates a reward and an earn rule, a manager a walk-in rule,
each seeing the preview sentence change with the form; a manager reads the rewards
without forms, searches the products and imports a CSV with one bad line (nothing
imported, the line named), then a good one. Screenshots for the staff guide's managers
page land in staff_guide/docs/img/manage-{rewards,rules,products}.png."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from rewards_api import db
from rewards_api.products.models import StoreProduct
from tests.pages.manage_pages import signed_in_page
from tests.support.axe import serious_violations
from tests.support.scan_shop import COFFEE, NOW, stock_products
from tests.support.world import staff_key

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# NOW is Monday 23 November 2026; the Saturday after it.
SATURDAY = "2026-11-28"


@pytest.fixture
def stocked(app, world):
    """Berlin's assortment, the chain's admin key, the app at NOW."""
    app.config["CLOCK"] = lambda: NOW
    with app.app_context():
        stock_products(world.store_ids[0])
        world.keys["chain_admin"] = staff_key("admin", None, "Corner office", chain_id=world.chain_id)
        db.session().commit()
    return world


def _said(page, element, text):
    page.locator(f"#{element}", has_text=text).wait_for()
    return page.locator(f"#{element}").inner_text()


def test_the_chain_admin_creates_a_reward_and_rules_seeing_what_they_will_do(
        browser, live_url, stocked, guide_images):
    context, page = signed_in_page(
        browser, live_url, "/manage/rewards", stocked.keys["chain_admin"])
    assert page.locator("#rewards-read-only").is_hidden()
    form = page.locator("#reward-form")
    form.get_by_label("Program", exact=True).select_option(label="Corner Points")
    form.get_by_label("Code", exact=True).fill("coffee-2-off")
    form.get_by_label("Name shoppers see").fill("2.00 off your coffee")
    form.get_by_label("Price in points").fill("200")
    form.get_by_label("Amount off", exact=True).fill("2")
    page.get_by_role("button", name="Create the reward").click()
    row = page.locator("tr[data-reward=coffee-2-off]")
    row.wait_for()
    assert "2.00 off" in row.inner_text() and "200" in row.inner_text()
    assert "offered" in row.inner_text()
    page.get_by_role("button", name="Change 2.00 off your coffee").click()
    page.locator("#change-cost").fill("180")
    page.get_by_role("button", name="Save the change").click()
    page.locator("tr[data-reward=coffee-2-off]", has_text="180").wait_for()
    page.screenshot(path=guide_images / "manage-rewards.png", full_page=True)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End 2.00 off your coffee").click()
    page.locator("tr[data-reward=coffee-2-off]", has_text="ended").wait_for()
    assert page.get_by_role("button", name="Offer 2.00 off your coffee again").count() == 1
    context.close()

    context, page = signed_in_page(
        browser, live_url, "/manage/rules", stocked.keys["chain_admin"])
    assert _said(page, "earn-preview", "Corner Points") == "Every €1.00 spent earns 1 Corner Points."
    page.get_by_label("Points per currency unit").fill("3")
    assert _said(page, "earn-preview", "3 Corner") == "Every €1.00 spent earns 3 Corner Points."
    page.get_by_label("Product (barcode number").fill(COFFEE)
    page.get_by_label("Times the usual points").fill("2")
    assert _said(page, "earn-preview", "Buying") == (
        f"Buying Morning Coffee 500 g ({COFFEE}) earns 2 times the usual Corner Points.")
    page.get_by_label("Product (barcode number").fill("4006381333932")  # a wrong check digit
    page.locator("#earn-preview[data-kind=error]").wait_for()
    page.get_by_label("Product (barcode number").fill(COFFEE)
    _said(page, "earn-preview", "Buying")
    page.get_by_role("button", name="Set the earn rule").click()
    page.locator("#earn-table tr", has_text="Buying Morning Coffee").wait_for()

    page.get_by_label("Points per walk-in").fill("50")
    assert "any day from Nov 23, 2026 on gets 50 Corner Points, at most once a day." in _said(
        page, "walk-in-preview", "50 Corner")
    page.get_by_label("Daily budget in points").fill("500")
    page.get_by_label("First day").fill(SATURDAY)
    page.get_by_label("Last day").fill(SATURDAY)
    sentence = ("A shopper who walks into Berlin Mitte on Saturday, November 28, 2026 gets 50 "
                "Corner Points, at most once a day, until the 500-point daily budget runs out.")
    assert _said(page, "walk-in-preview", "Saturday") == sentence
    page.get_by_role("button", name="Create the walk-in rule").click()
    row = page.locator("#walk-in-table tr", has_text=sentence)
    row.wait_for()
    assert "planned" in row.inner_text()
    page.screenshot(path=guide_images / "manage-rules.png", full_page=True)
    context.close()


def test_a_manager_reads_rewards_and_earn_rules_but_changes_only_the_stores_own(
        browser, live_url, stocked):
    context, page = signed_in_page(
        browser, live_url, "/manage/rewards", stocked.keys["manager"])
    page.locator("#rewards-table table").wait_for()
    assert page.locator("#rewards-read-only").is_visible()
    assert page.locator("#reward-new").is_hidden()
    assert page.get_by_role("button", name="Change", exact=False).count() == 0
    context.close()
    context, page = signed_in_page(
        browser, live_url, "/manage/rules", stocked.keys["manager"])
    page.locator("#walk-in-table table").wait_for()
    assert page.locator("#earn-form").is_hidden() and page.locator("#earn-read-only").is_visible()
    page.get_by_label("Points per walk-in").fill("20")
    page.get_by_role("button", name="Create the walk-in rule").click()
    row = page.locator("#walk-in-table tr", has_text="gets 20 Corner Points")
    row.wait_for()
    assert "running" in row.inner_text()
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="End").click()
    page.locator("#walk-in-table tr", has_text="gets 20 Corner Points").filter(
        has_text="ended").wait_for()
    context.close()


def test_a_manager_searches_imports_with_a_bad_line_and_exports_the_products(
        browser, live_url, app, stocked, guide_images):
    context, page = signed_in_page(
        browser, live_url, "/manage/products", stocked.keys["manager"],
                          accept_downloads=True)
    page.locator("#products-table tr", has_text="Mint Gum").wait_for()
    assert page.locator("#products-count").inner_text() == "4 of 4 products"
    page.get_by_label("Search by name").fill("gum checkout")  # a name's word and an aisle
    page.locator("#products-count", has_text="1 of 4").wait_for()
    assert page.locator("#products-table tbody tr").inner_text().startswith("Mint Gum")
    page.get_by_label("Search by name").fill("")

    bad = ("gtin,name,aisle\n4001234000015,Pencils,Aisle 9\n4001234000016,Erasers,Aisle 9\n"
           "4001234000022,Juice,Aisle 2\n")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "new.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    page.get_by_role("button", name="Import the file").click()
    errors = page.locator("#import-errors")
    errors.wait_for()
    assert page.locator("#import-error-lines li").count() == 1
    assert page.locator("#import-error-lines li[data-line='3']").inner_text().startswith("Line 3:")
    assert "check digit" in errors.inner_text()
    assert "assortment_invalid" in page.locator("#status").inner_text()
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(StoreProduct)
                                   .where(StoreProduct.store_id == stocked.store_ids[0])) == 4
    page.screenshot(path=guide_images / "manage-products.png", full_page=True)

    page.get_by_label("CSV file").set_input_files(files=[{
        "name": "new.csv", "mimeType": "text/csv",
        "buffer": bad.replace("4001234000016,Erasers,Aisle 9\n", "").encode()}])
    page.get_by_role("button", name="Import the file").click()
    page.locator("#status", has_text="2 products imported").wait_for()
    assert errors.is_hidden()
    page.locator("#products-table tr", has_text="Pencils").wait_for()
    assert page.locator("#products-count").inner_text() == "6 of 6 products"

    with page.expect_download() as download:
        page.get_by_role("button", name="Export as CSV").click()
    assert download.value.suggested_filename == "products-berlin-1.csv"
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert "Pencils" in [r["name"] for r in rows] and len(rows) == 6
    context.close()


def test_the_audit_log_names_what_changed_in_words(browser, live_url, api, stocked):
    made = api.post("/v1/admin/walk-in-rules", auth=stocked.keys["manager"], json={
        "program": "corner-points", "store": "berlin-1", "points": 20})
    assert made.status_code == 201
    context, page = signed_in_page(
        browser, live_url, "/manage/audit", stocked.keys["manager"])
    row = page.locator("tr[data-resource=walk_in_rule]", has_text=f"Walk-in rule {made.get_json()['id']} created")
    row.wait_for()
    assert "points: 20" in row.inner_text() and "first day: 2026-11-23" in row.inner_text()
    assert "starts_on" not in row.inner_text()
    context.close()


def test_the_three_pages_have_no_serious_accessibility_violation(browser, live_url, stocked):
    for path, key, ready in [
            ("/manage/rewards", stocked.keys["chain_admin"], "#rewards-table table"),
            ("/manage/rules", stocked.keys["chain_admin"], "#earn-preview[data-kind=ok]"),
            ("/manage/products", stocked.keys["manager"], "#products-table table")]:
        context, page = signed_in_page(
        browser, live_url, path, key, bypass_csp=True)
        page.locator(ready).wait_for()
        assert serious_violations(page) == [], path
        context.close()
