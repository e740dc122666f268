"""The cashier panel in real headless Chromium: scanner input, both programs applied
with one button, the shopper's consent (asked by the cashier, or on their phone in a
second browser), picking and removing rewards, void clearing the screen, a return by
sale number, keyboard only, an error, training mode with the photo fallback. Saves the
staff guide's screenshots (staff_guide/docs/img/panel-*.png)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import qrcode
from playwright.sync_api import expect

from pos_plugin import EarnQueue, RewardsClient
from pos_plugin.labels import LABELS
from pos_plugin.register import Register
from pos_plugin.server import create_app
from rewards_api.ledger.models import PURCHASE, REDEMPTION, RETURN
from rewards_api.products import gtin
from rewards_protocol.checkout_code import PRACTICE_CODE
from tests.support.live import serve
from tests.support.panel_flow import (
    SHOTS,
    Cashier,
    apply_both_programs,
    complete_after_asking,
    shoot,
)
from tests.support.shop import BASKET, BREAD, CHOCOLATE, COFFEE

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def api_url(shop) -> Iterator[str]:
    with serve(shop.app) as url:
        yield url


@pytest.fixture
def panel(shop, api_url, tmp_path) -> Iterator[str]:
    register = Register(RewardsClient(api_url, shop.registers[0], backoff=0),
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
    for column in ("#program-store", "#program-partner"):
        assert page.locator(f"{column} .tag.applied").count() == 1
    assert page.locator("#to-pay").inner_text() == "7.27"
    # Nothing is spent before the shopper agreed: the panel says what to ask.
    expect(page.locator("#consent")).to_have_text(
        "Ask the shopper: “Use 400 Corner Points and 250 Partner Plus points for 8.50 off?” "
        + LABELS["ask_hint"])
    assert page.get_by_role("button", name=LABELS["commit"], exact=True).is_disabled()
    assert shop.entries(REDEMPTION) == []

    complete_after_asking(cashier)
    print(f"cashier actions for a checkout with both programs: {len(cashier.actions)} "
          f"{cashier.actions}")
    assert len(cashier.actions) == 3
    sale_number = page.locator("#receipt-title").inner_text().rsplit(" ", 1)[-1]
    assert sale_number.isdigit() and sale_number in page.locator("#status").inner_text()
    receipt = page.locator("#receipt-lines").inner_text()
    assert "Corner Points: points earned" in receipt and "Partner Plus: points earned" in receipt
    assert page.locator("#status").inner_text().startswith(LABELS["sale_done"])
    shoot(page, "panel-4-committed.png", SHOTS)
    assert len(shop.entries(PURCHASE)) == 2 and len(shop.entries(REDEMPTION)) == 2

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
    page.get_by_role("button", name=LABELS["agreed_commit"]).click()
    page.wait_for_selector('body[data-state="committed"]', timeout=15_000)
    assert len(shop.entries()) == entries_before


def test_the_shopper_agrees_on_their_phone_while_the_cashier_waits(shop, api_url, panel,
                                                                   browser, browser_page):
    page = browser_page
    httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()
    cashier = apply_both_programs(page, panel, shop.code())
    phone_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        phone_context.add_init_script(
            f"localStorage.setItem('rewards.shopper', JSON.stringify({{token: "
            f"'{shop.shopper['token']}', public_id: '{shop.shopper['public_id']}', "
            f"checkout_secret: '{shop.shopper['checkout_secret']}', display_name: 'Rosa'}}))")
        phone = phone_context.new_page()
        phone.goto(f"{api_url}/app")
        expect(phone.locator("#consent-question")).to_have_text(
            "Use 400 Corner Points and 250 Partner Plus points for 8.50 off?", timeout=15_000)
        phone.locator("#consent").screenshot(path=str(SHOTS / "app-consent.png"))
        phone.get_by_role("button", name="Agree").tap()
        expect(phone.locator("#consent-result")).to_contain_text("You agreed")
        # The cashier's panel learns it by itself; completing needs one more click.
        expect(page.locator("#consent")).to_have_text(LABELS["consent_phone"], timeout=15_000)
        assert page.get_by_role("button", name=LABELS["agreed_commit"]).is_disabled()
        cashier.click("commit")
        cashier.wait_for("committed")
        assert len(cashier.actions) == 3
        assert len(shop.entries(REDEMPTION)) == 2
        expect(phone.locator("#consent")).to_be_hidden(timeout=15_000)
    finally:
        phone_context.close()


def test_the_shopper_declines_on_their_phone_and_the_panel_says_so(shop, api_url, panel, browser,
                                                                   browser_page):
    page = browser_page
    httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()
    apply_both_programs(page, panel, shop.code())
    phone_context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        phone_context.add_init_script(
            f"localStorage.setItem('rewards.shopper', JSON.stringify({{token: "
            f"'{shop.shopper['token']}', public_id: '{shop.shopper['public_id']}', "
            f"checkout_secret: '{shop.shopper['checkout_secret']}', display_name: 'Rosa'}}))")
        phone = phone_context.new_page()
        phone.goto(f"{api_url}/app")
        expect(phone.locator("#consent-question")).to_contain_text("8.50 off?", timeout=15_000)
        phone.get_by_role("button", name="Decline").tap()
        expect(phone.locator("#consent-result")).to_contain_text("You declined")
        assert phone.get_by_role("button", name="Agree").is_hidden()
        # The panel learns it by itself and says what to do; no points can be spent.
        expect(page.locator("#consent")).to_have_text(LABELS["consent_declined"], timeout=15_000)
        page.screenshot(path=str(SHOTS / "panel-consent-declined.png"))
        assert page.get_by_role("button", name="Complete sale", exact=True).is_disabled()
        assert shop.entries(REDEMPTION) == []
        assert shop.accounts()["corner-points"].held > 0  # still only reserved
    finally:
        phone_context.close()


def test_the_cashier_picks_and_removes_rewards_and_not_now_says_why(shop, panel, browser_page):
    page = browser_page
    small = {"currency": "EUR", "lines": [
        {"gtin": CHOCOLATE, "quantity": 3, "unit_price_minor": 199, "description": "Chocolate"},
        {"gtin": BREAD, "quantity": 1, "unit_price_minor": 280, "description": "Bread"}]}
    httpx.post(f"{panel}/api/basket", json=small).raise_for_status()
    page.goto(panel)
    cashier = Cashier(page)
    cashier.scan(shop.code())
    cashier.wait_for("identified")
    # Why a reward does not fit is written out (a touch screen has no hover).
    expect(page.locator('li[data-reward="corner-points:5-off"] .why-not')).to_have_text(
        "5.00 off: needs a basket of at least 10.00")
    expect(page.locator('li[data-reward="partner-plus:free-coffee"] .why-not')).to_have_text(
        "Free coffee: the free product is not in the basket")
    assert page.get_by_role("button", name="Add: 5.00 off").count() == 0
    # The cashier adds two rewards, one at a time, then removes one.
    page.get_by_role("button", name="Add: 1.00 off chocolate").click()
    expect(page.locator("#to-pay")).to_have_text("7.77")
    page.get_by_role("button", name="Add: 10% off (max 3.00)").click()
    expect(page.locator("#to-pay")).to_have_text("6.90")
    page.get_by_role("button", name="Remove: 1.00 off chocolate").click()
    expect(page.locator("#to-pay")).to_have_text("7.90")
    expect(page.locator('li[data-reward="partner-plus:chocolate-1-off"] .tag.applied')).to_have_count(0)
    accounts = shop.accounts()
    assert (accounts["corner-points"].held, accounts["partner-plus"].held) == (200, 0)
    expect(page.locator("#consent")).to_contain_text("Use 200 Corner Points for 0.87 off?")


def test_cancel_checkout_clears_everything_that_could_be_charged(shop, panel, browser_page):
    page = browser_page
    httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()
    cashier = apply_both_programs(page, panel, shop.code())
    expect(page.locator("#to-pay")).to_have_text("7.27")
    cashier.click("void")
    cashier.wait_for("voided")
    assert page.locator("#status").inner_text() == LABELS["sale_cancelled"]
    text = page.locator("main").inner_text()
    assert LABELS["applied"] not in text and LABELS["to_pay"] not in text and "7.27" not in text
    assert page.locator("#consent").is_hidden()
    assert shop.accounts()["corner-points"].held == 0


def test_a_return_by_the_sale_number_takes_back_the_points(shop, panel, browser_page):
    page = browser_page
    httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()
    cashier = apply_both_programs(page, panel, shop.code())
    complete_after_asking(cashier)
    sale_number = page.locator("#receipt-title").inner_text().rsplit(" ", 1)[-1]
    balance_before = shop.accounts()["corner-points"].balance

    page.get_by_label(LABELS["return_sale"]).fill(sale_number)
    page.get_by_role("button", name=LABELS["find_sale"]).click()
    coffee = page.locator(f'#return-lines input[data-gtin="{gtin.normalize(COFFEE)}"]')  # answers carry GTIN-14
    expect(coffee).to_be_visible()
    coffee.fill("1")
    page.get_by_role("button", name=LABELS["return_items"]).click()
    expect(page.locator("#refund")).to_be_visible()
    [corner] = [e for e in shop.entries(RETURN) if e.program.code == "corner-points"]
    assert shop.accounts()["corner-points"].balance == balance_before + corner.amount
    result = page.locator("#return-result").inner_text()
    assert f"corner-points: {-corner.amount} {LABELS['taken_back']}" in result
    assert f"{LABELS['sale_number']} {sale_number}" in result
    shoot(page, "panel-5-return.png", SHOTS)


def test_a_whole_checkout_by_keyboard_only(shop, panel, browser_page):
    page = browser_page
    httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()
    page.goto(panel)
    page.wait_for_selector("#basket:not(:empty)")
    assert page.evaluate("document.activeElement.id") == "scan"
    page.keyboard.type(shop.code())
    page.keyboard.press("Enter")
    page.wait_for_selector('body[data-state="identified"]')

    def tab_to(label: str) -> None:
        button = page.get_by_role("button", name=label, exact=True)
        for _ in range(40):
            page.keyboard.press("Tab")
            if button.evaluate("b => b === document.activeElement"):
                return
        raise AssertionError(f"Tab never reached {label!r}")

    tab_to(LABELS["apply_all"])  # Tab leaves the scan box
    page.keyboard.press("Enter")
    page.wait_for_selector('body[data-state="rewards_applied"]')
    tab_to("Remove: Free coffee")
    page.keyboard.press("Enter")
    expect(page.locator("#to-pay")).to_have_text("10.77")
    # The focus stayed on the reward, now offered to add again.
    assert page.evaluate("document.activeElement.textContent") == LABELS["add"]
    page.keyboard.press("Enter")
    expect(page.locator("#to-pay")).to_have_text("7.27")
    tab_to(LABELS["agreed_commit"])
    page.keyboard.press("Enter")
    page.wait_for_selector('body[data-state="committed"]')
    assert len(shop.entries(REDEMPTION)) == 2


def test_the_panel_has_no_serious_accessibility_violation(shop, panel, browser_page):
    """axe-core on the panel as the cashier meets it: waiting for a scan, with both
    programs' rewards applied and the question for the shopper, and after the sale."""
    from tests.support.axe import serious_violations

    page = browser_page
    httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()
    page.goto(panel)
    page.locator("#scan").wait_for()
    assert serious_violations(page) == []
    cashier = apply_both_programs(page, panel, shop.code())
    assert serious_violations(page) == []
    page.get_by_role("button", name=LABELS["agreed_commit"]).click()
    cashier.wait_for("committed")
    assert serious_violations(page) == []
