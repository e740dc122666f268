"""Live updates in a real headless Chromium: nothing is reloaded by hand. The shopper
app shows a toast when walk-in points are credited, the dashboard's figures rise, the
assist view lists (and chimes for) a new help request. Every wait is for a condition
of the page, bounded by the context's timeout."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.rewards_api.walkins.conftest import T0, download_tokens, seen

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def walk_in(walkins, api, shopper, at=T0):
    answer = walkins.agents["berlin-door"].sightings([seen(download_tokens(api, shopper, at), at)])
    assert answer.status_code == 200 and answer.get_json()["results"][0]["status"] == "accepted"


def staff_page(browser, url, key):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(url)
    page.get_by_label("Store", exact=True).select_option(label="Berlin Mitte")
    page.locator("#staff-key").fill(key)
    page.locator("#access-form button[type=submit]").click()
    page.locator("html[data-live=on]").wait_for(state="attached")
    return page


def test_the_app_shows_a_toast_when_walk_in_points_are_credited(phone, live_url, api, world,
                                                               walkins, clock, live_updates,
                                                               guide_images):
    page = phone.new_page()
    page.goto(live_url + "/app")
    page.get_by_label("Your first name").fill("Sam")
    page.get_by_role("button", name="Sign up").click()
    page.locator("html[data-live=on]").wait_for(state="attached")
    page.evaluate("window.notReloaded = true")
    shopper = page.evaluate("JSON.parse(localStorage.getItem('rewards.shopper'))")

    walk_in(walkins, api, shopper)

    toast = page.locator("#toast")
    expect(toast).to_contain_text("+10 Corner Points: welcome to Berlin Mitte", timeout=15_000)
    expect(toast).to_contain_text("+5 Partner Plus: welcome to Berlin Mitte")
    page.locator(".balance", has_text="Corner Points").filter(has_text="10 points").wait_for()
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=guide_images / "app-walk-in-toast.png")


def test_the_dashboard_counts_a_walk_in_without_a_reload(browser, live_url, api, world, walkins,
                                                        clock, live_updates):
    page = staff_page(browser, live_url + "/dashboard", world.keys["manager"])
    walk_ins = page.locator("#today-figures .figure", has_text="walk-ins").locator(".value")
    expect(walk_ins).to_have_text("0")
    page.evaluate("window.notReloaded = true")

    walk_in(walkins, api, api.register("Rosa"), at=T0 - dt.timedelta(minutes=5))

    expect(walk_ins).to_have_text("1", timeout=15_000)
    assert page.evaluate("window.notReloaded") is True
    page.context.close()


def test_the_assist_view_chimes_for_a_new_help_request_unless_muted(browser, live_url, api, world,
                                                                   walkins, clock, live_updates,
                                                                   guide_images):
    page = staff_page(browser, live_url + "/assist", world.keys["cashier"])
    page.locator("#people", has_text="Nobody is asking for help").wait_for()
    chime = page.locator("#chime")
    assert page.get_by_label("Chime when a shopper asks for help").is_checked()

    def ask_for_help(name):
        shopper = api.register(name)
        api.call("PATCH", "/v1/me", json={"assist_opt_in": True}, auth=shopper["token"])
        walk_in(walkins, api, shopper)
        asked = api.post("/v1/me/help-requests", json={"store_id": world.store_ids[0]},
                         auth=shopper["token"])
        assert asked.status_code == 201, asked.get_json()

    ask_for_help("Cem")
    page.locator("#people li[data-help-request]", has_text="Cem").wait_for()
    page.locator("#chime[data-chimed='1'][data-sounded='1']").wait_for(state="attached")
    page.screenshot(path=guide_images / "assist-chime.png", full_page=True)

    page.get_by_label("Chime when a shopper asks for help").uncheck()
    ask_for_help("Dana")
    page.locator("#people li[data-help-request]", has_text="Dana").wait_for()
    page.locator("#chime[data-chimed='2']").wait_for(state="attached")
    assert chime.get_attribute("data-sounded") == "1"  # muted: listed, not sounded
    page.reload()  # the switch is remembered
    assert not page.get_by_label("Chime when a shopper asks for help").is_checked()
    page.context.close()
