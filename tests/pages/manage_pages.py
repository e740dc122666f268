"""Opening a back-office page in Chromium signed in with a staff key (the Berlin store
chosen where the page asks for a store), for the manage pages' browser tests."""

from __future__ import annotations

WIDE = {"width": 1200, "height": 900}


def signed_in_page(browser, live_url, path, key, **options):
    """A new context and page on ``path``, signed in with ``key``, its board shown."""
    context = browser.new_context(viewport=WIDE, timezone_id="UTC", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_url + path)
    if page.locator("#store-select").count():
        page.locator("#store-select").select_option(label="Berlin Mitte")
    page.locator("#staff-key").fill(key)
    page.locator("#access-form button[type=submit]").click()
    page.locator("#board").wait_for()
    return context, page
