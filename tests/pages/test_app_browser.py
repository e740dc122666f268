"""The shopper app in a real headless Chromium (playwright), at phone size (360 px).

Runs on the embedded default (SQLite); the API behind it is tested on both backends.
Screenshots land in staff_guide/docs/img/app-*.png for the guide.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from rewards_api.shoppers.services import checkout_totp
from tests.pages.conftest import GUIDE_IMAGES

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NO_WEBCRYPTO = "Object.defineProperty(Crypto.prototype, 'subtle', {get: () => undefined});"


def _sign_up(page, live_url, name="Sam"):
    page.goto(live_url + "/app")
    page.get_by_label("Your first name").fill(name)
    page.get_by_label("Phone number").fill("+49 151 2345 6789")
    return page


def _saved(page):
    return page.evaluate("JSON.parse(localStorage.getItem('rewards.shopper'))")


def _qr_content(page):
    figure = page.locator("#qr svg")
    figure.wait_for()
    image = Image.open(io.BytesIO(page.locator("#qr").screenshot()))
    return [symbol.data.decode() for symbol in decode(image)]


def _totp(secret):
    return checkout_totp(secret)


def test_sign_up_shows_balances_and_a_scannable_checkout_code(phone, live_url, api, world,
                                                               guide_images):
    page = _sign_up(phone.new_page(), live_url)
    page.screenshot(path=guide_images / "app-signup.png")
    page.get_by_role("button", name="Sign up").click()
    page.locator("#signed-in").wait_for()
    assert page.locator("#me-name").inner_text() == "Sam"
    shopper = _saved(page)
    assert re.fullmatch(r"[A-Z2-7]{10}", shopper["public_id"])

    # The QR is made on the phone (127.0.0.1 is a secure context: WebCrypto works).
    [content] = _qr_content(page)
    match = re.fullmatch(rf"RWD1:{shopper['public_id']}:(\d{{8}})", content)
    assert match, content
    assert _totp(shopper["checkout_secret"]).verify(match.group(1), valid_window=1)
    assert page.locator("#qr").get_attribute("data-source") == "phone"
    assert page.locator("#qr-code").inner_text().replace(" ", "") == match.group(1)

    # Points given by a manager show up as a balance and in the history.
    adjusted = api.post("/v1/admin/adjustments", auth=world.keys["manager"],
                        json={"public_id": shopper["public_id"], "program": "corner-points",
                              "amount": 40, "reason": "welcome bonus"})
    assert adjusted.status_code == 201
    page.reload()
    balance = page.locator(".balance", has_text="Corner Points")
    balance.wait_for()
    assert "40 points" in balance.inner_text()
    assert "Correction" in page.locator("#history").inner_text()
    assert "+40" in page.locator("#history").inner_text()

    # Phone width: nothing sticks out sideways; every field has a label.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(
        "[...document.querySelectorAll('input, select')].every(i => i.labels.length > 0)")
    page.screenshot(path=guide_images / "app-home.png", full_page=True)
    page.locator("#checkout").screenshot(path=guide_images / "app-checkout-code.png")


def test_without_webcrypto_the_server_makes_the_checkout_code(phone, live_url):
    phone.add_init_script(NO_WEBCRYPTO)
    page = _sign_up(phone.new_page(), live_url, "Uma")
    page.get_by_role("button", name="Sign up").click()
    page.locator("#qr[data-source=server] svg").wait_for()
    shopper = _saved(page)
    [content] = _qr_content(page)
    public_id, code = content.split(":")[1:]
    assert public_id == shopper["public_id"]
    assert _totp(shopper["checkout_secret"]).verify(code, valid_window=1)


def test_link_a_card_switch_assist_export_and_delete(phone, live_url, api, world):
    page = _sign_up(phone.new_page(), live_url, "Vera")
    page.get_by_role("button", name="Sign up").click()
    page.locator("#signed-in").wait_for()
    token = _saved(page)["token"]

    page.get_by_label("Card number").fill("CM-000123")
    page.get_by_role("button", name="Link card").click()
    page.locator("#card-result", has_text="Card linked").wait_for()
    accounts = api.get("/v1/me", auth=token).get_json()["accounts"]
    assert {a["program"]: a["membership_number"] for a in accounts}["corner-points"] == "CM-000123"

    page.get_by_label("Staff may see that I asked for help").check()
    page.locator("#status", has_text="Staff can now see").wait_for()
    assert api.get("/v1/me", auth=token).get_json()["assist_opt_in"] is True
    assert page.get_by_role("button", name="I need help").is_enabled()

    # Keyboard only: the export button is reachable and works with Enter.
    page.get_by_role("button", name="Download my data").focus()
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    exported = download.value.path().read_text()
    assert "CM-000123" in exported and "Vera" in exported

    page.get_by_role("button", name="Delete my data").click()
    page.get_by_role("button", name="Keep my account").click()
    assert page.locator("#signed-in").is_visible()
    assert api.get("/v1/me", auth=token).status_code == 200
    page.get_by_role("button", name="Delete my data").click()
    page.get_by_role("button", name="Delete for good").click()
    page.locator("#signup").wait_for()
    assert page.evaluate("localStorage.getItem('rewards.shopper')") is None
    assert api.get("/v1/me", auth=token).status_code == 401


def test_what_to_scan_here_and_scan_by_number(phone, live_url, app, world):
    from sqlalchemy import select

    from rewards_api import db
    from rewards_api.products.services import AssortmentRow, carry, product_by_gtin
    from rewards_api.scans import services as scans
    from rewards_api.shoppers.models import Shopper
    from rewards_api.shoppers.services import program_by_code
    from rewards_api.stores.models import Store
    from rewards_api.visits.models import Visit
    from tests.pages.store_day import COFFEE, NOW

    app.config["CLOCK"] = lambda: NOW
    with app.app_context():
        s = db.session()
        berlin = s.get(Store, world.store_ids[0])
        carry(s, berlin.id, AssortmentRow(0, COFFEE, "Filter coffee 500 g", "Aisle 4", None))
        scans.create_campaign(
            s, code="coffee-week", name="Coffee week", program=program_by_code(s, "corner-points"),
            points=50, starts_at=NOW - dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=6),
            products=[product_by_gtin(s, COFFEE)], stores=[berlin], chain=None)
        s.commit()
    page = _sign_up(phone.new_page(), live_url, "Wim")
    page.get_by_role("button", name="Sign up").click()
    item = page.locator("#scan-products li.product")
    item.wait_for()
    assert "Filter coffee 500 g" in item.inner_text() and "Aisle 4" in item.inner_text()
    assert "+50 Corner Points" in item.inner_text()
    assert item.locator("[data-scan-state=not_yet]").inner_text() == "Not scanned yet"
    assert page.locator("#visit").is_hidden()

    # Not checked in yet: the refusal's sentence and code are shown.
    page.get_by_label("…or type the number under the barcode").fill("4006381333931")
    page.get_by_role("button", name="Scan", exact=True).click()
    page.locator("#scan-result[data-kind=error]", has_text="not_in_store").wait_for()

    with app.app_context():
        s = db.session()
        shopper_id = s.scalars(select(Shopper.id).where(
            Shopper.public_id == _saved(page)["public_id"])).one()
        s.add(Visit(shopper_id=shopper_id, store_id=world.store_ids[0],
                    started_at=NOW - dt.timedelta(minutes=3), last_seen_at=NOW))
        s.commit()
    page.get_by_role("button", name="Scan", exact=True).click()
    page.locator("#scan-result[data-kind=ok]", has_text="+50 Corner Points").wait_for()
    page.locator("#scan-products [data-scan-state=scanned]", has_text="Scanned: points earned").wait_for()
    since = (NOW - dt.timedelta(minutes=3)).astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M")
    page.locator("#visit", has_text=f"You are in Berlin Mitte since {since}.").wait_for()
    page.locator(".balance", has_text="50 points").wait_for()
    page.locator("#store").screenshot(path=GUIDE_IMAGES / "app-scan.png")
