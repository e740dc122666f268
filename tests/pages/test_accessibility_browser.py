"""Accessibility: axe-core finds no serious or critical violation on the shopper app
(signed out, signing in, signed in with a question from the register), the store
dashboard and the assist view, in real headless Chromium at the sizes they are used."""

from __future__ import annotations

import pytest

from tests.pages.conftest import PHONE
from tests.support.axe import serious_violations

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def checked(browser):
    """A context that lets axe's script in (the pages' policy allows only their own)."""
    contexts = []

    def open_page(viewport=PHONE):
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@SQLITE
def test_the_shopper_app_has_no_serious_violation(checked, live_url, world):
    page = checked()
    page.goto(live_url + "/app")
    page.locator("#signup").wait_for()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign in").click()
    page.locator("#signin").wait_for()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("Your first name").fill("Sam")
    page.locator("#signup-form button[type=submit]").click()
    page.locator("#qr svg").wait_for()
    page.locator("#store-select option").first.wait_for(state="attached")
    assert serious_violations(page) == []


def _staff(page, url, key):
    page.goto(url)
    assert serious_violations(page) == []  # the key form
    page.get_by_label("Store", exact=True).select_option(label="Berlin Mitte")
    page.locator("#staff-key").fill(key)
    page.locator("#access-form button[type=submit]").click()


@SQLITE
def test_the_dashboard_has_no_serious_violation(checked, live_url, world, day):
    page = checked({"width": 1200, "height": 900})
    _staff(page, live_url + "/dashboard", world.keys["manager"])
    page.locator("#chart-adoption svg").wait_for()
    assert serious_violations(page) == []


@SQLITE
def test_the_assist_view_has_no_serious_violation(checked, live_url, api, world, day):
    assert api.call("PATCH", "/v1/me", json={"assist_opt_in": True},
                    auth=day.tokens["Cem"]).status_code == 200
    assert api.post("/v1/me/help-requests", json={"store_id": world.store_ids[0]},
                    auth=day.tokens["Cem"]).status_code == 201
    page = checked({"width": 400, "height": 800})
    _staff(page, live_url + "/assist", world.keys["cashier"])
    page.locator("#people li[data-help-request]").wait_for()
    page.locator("#today").wait_for()
    assert serious_violations(page) == []


def test_axe_does_find_what_is_wrong(checked):
    """Guards the guard: a page with a faint text and an unlabelled field fails."""
    page = checked()
    page.set_content('<html lang="en"><head><title>Bad</title></head><body><main>'
                     '<p style="color:#bbbbbb;background:#ffffff">Faint text</p>'
                     '<input type="text"></main></body></html>')
    found = " ".join(serious_violations(page))
    assert "color-contrast (serious)" in found and "label (critical)" in found
