"""The cashier panel in real headless Chromium: scanner input, both programs applied
with one button, commit, an error, training mode with the photo fallback. Saves the
staff guide's screenshots (staff_guide/docs/img/panel-*.png)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import qrcode

from pos_plugin import EarnQueue, RewardsClient
from pos_plugin.labels import LABELS
from pos_plugin.register import Register
from pos_plugin.server import create_app
from rewards_api.ledger.models import PURCHASE, REDEMPTION
from rewards_protocol.checkout_code import PRACTICE_CODE
from tests.support.live import serve
from tests.support.panel_flow import SHOTS, apply_both_programs, shoot
from tests.support.shop import BASKET


@pytest.fixture
def panel(shop, tmp_path) -> Iterator[str]:
    with serve(shop.app) as api:
        register = Register(RewardsClient(api, shop.registers[0], backoff=0),
                            EarnQueue(tmp_path / "queue.db"), "Anna")
        with serve(create_app(register, panel=True)) as url:
            yield url


@pytest.fixture
def browser_page(browser) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    yield context.new_page()
    context.close()


def test_scan_apply_both_programs_and_commit_in_the_browser(shop, panel, browser_page):
    page = browser_page
    httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()  # the till's part
    page.goto(panel)
    assert page.evaluate("document.activeElement.id") == "scan"

    code = shop.code()
    cashier = apply_both_programs(page, panel, code, SHOTS)
    print(f"cashier actions to apply both programs: {len(cashier.actions)} {cashier.actions}")
    assert len(cashier.actions) == 2
    for column in ("#program-store", "#program-partner"):
        assert page.locator(f"{column} .tag.applied").count() == 2
    assert page.locator("#to-pay").inner_text() == "5.05"

    cashier.click("commit")
    cashier.wait_for("committed")
    receipt = page.locator("#receipt-lines").inner_text()
    assert "Corner Points: points earned" in receipt and "Partner Plus: points earned" in receipt
    assert page.locator("#status").inner_text() == LABELS["sale_done"]
    shoot(page, "panel-4-committed.png", SHOTS)
    assert len(shop.entries(PURCHASE)) == 2 and len(shop.entries(REDEMPTION)) == 4

    # Next sale, the same (already used) code: the error shows its code and what to do.
    httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()
    cashier.scan(code)
    page.wait_for_selector("#error.on", timeout=15_000)
    assert page.locator("#error-code").inner_text() == "checkout_code_used"
    assert "show the new code" in page.locator("#error-message").inner_text()
    assert page.evaluate("document.activeElement.id") == "scan"
    shoot(page, "panel-error.png", SHOTS)
    # The basket waits for the next try: a phone number identifies the shopper instead.
    cashier.scan("+4915112345678")
    cashier.wait_for("identified")
    assert page.locator("#error.on").count() == 0


def test_training_mode_with_the_photo_fallback_touches_no_points(shop, panel, browser_page,
                                                                 tmp_path):
    page = browser_page
    entries_before = len(shop.entries())
    page.goto(panel)
    page.get_by_label(LABELS["training_switch"]).check()
    page.wait_for_selector("#training-banner.on", timeout=15_000)
    assert PRACTICE_CODE in page.locator("#practice-code").inner_text()
    picture = io.BytesIO()
    qrcode.make(PRACTICE_CODE).save(picture, format="PNG")
    photo = tmp_path / "phone.png"
    photo.write_bytes(picture.getvalue())
    page.set_input_files("#photo", str(photo))
    page.wait_for_selector('body[data-state="identified"]', timeout=15_000)
    assert "Practice Shopper" in page.locator("#status").inner_text()
    page.get_by_role("button", name=LABELS["apply_all"]).click()
    page.wait_for_selector('body[data-state="rewards_applied"]', timeout=15_000)
    assert page.locator("#program-partner .tag.applied").count() == 1
    page.get_by_role("button", name=LABELS["commit"]).click()
    page.wait_for_selector('body[data-state="committed"]', timeout=15_000)
    assert len(shop.entries()) == entries_before
