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
from tests.pages.conftest import GUIDE_IMAGES, PHONE
from tests.pages.store_day import COFFEE, NOW
from tests.support.barcodes import camera_video, render
from tests.support.browser import launch
from tests.support.world import setup_actor

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
    # The history comes in its own request, after the balances: wait for its first entry.
    page.locator("#history", has_text="Correction").wait_for()
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
    # A scan waiting for her walk-in goes with her data.
    page.evaluate("""localStorage.setItem('rewards.waiting-scan',
                     JSON.stringify({storeId: 1, code: '4006381333931', symbology: 'ean13', at: Date.now()}))""")
    page.get_by_role("button", name="Delete my data").click()
    page.get_by_role("button", name="Delete for good").click()
    page.locator("#signup").wait_for()
    assert page.evaluate("localStorage.getItem('rewards.shopper')") is None
    assert page.evaluate("localStorage.getItem('rewards.waiting-scan')") is None
    assert api.get("/v1/me", auth=token).status_code == 401


def test_card_button_waits_for_the_programs(phone, live_url, world):
    """While the store list (and with it the programs) is on its way, the empty, required
    list of programs would make "Link card" do nothing at all; the button waits instead."""
    page = phone.new_page()
    while_loading = []

    def stores_on_their_way(route):
        button = page.get_by_role("button", name="Link card")
        while_loading.append((page.locator("#signed-in").is_visible(), button.is_disabled()))
        route.continue_()

    page.route("**/v1/stores", stores_on_their_way)
    _sign_up(page, live_url).get_by_role("button", name="Sign up").click()
    page.locator("#card-program option", has_text="Corner Points").wait_for(state="attached")
    assert while_loading == [(True, True)]
    assert page.get_by_role("button", name="Link card").is_enabled()


def _coffee_week(app, world):
    """Filter coffee (COFFEE) in Berlin's aisle 4, worth 50 Corner Points this week."""
    from rewards_api import db
    from rewards_api.products.services import AssortmentRow, carry, product_by_gtin
    from rewards_api.scans import campaigns
    from rewards_api.stores.models import Store
    from rewards_api.stores.services import program_by_code

    app.config["CLOCK"] = lambda: NOW
    with app.app_context():
        s = db.session()
        berlin = s.get(Store, world.store_ids[0])
        carry(s, berlin.id, AssortmentRow(0, COFFEE, "Filter coffee 500 g", "Aisle 4", None))
        campaigns.create_campaign(
            s, setup_actor(), code="coffee-week", name="Coffee week", program=program_by_code(s, "corner-points"),
            points=50, starts_at=NOW - dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=6),
            products=[product_by_gtin(s, COFFEE)], stores=[berlin], chain=None)
        s.commit()


def _check_in(app, world, page):
    """The signed-in shopper of ``page`` walked into Berlin three minutes ago."""
    from sqlalchemy import select

    from rewards_api import db
    from rewards_api.shoppers.models import Shopper
    from rewards_api.visits.models import Visit

    with app.app_context():
        s = db.session()
        shopper_id = s.scalars(select(Shopper.id).where(
            Shopper.public_id == _saved(page)["public_id"])).one()
        s.add(Visit(shopper_id=shopper_id, store_id=world.store_ids[0],
                    started_at=NOW - dt.timedelta(minutes=3), last_seen_at=NOW))
        s.commit()


def test_what_to_scan_here_and_scan_by_number(phone, live_url, app, world):
    _coffee_week(app, world)
    page = _sign_up(phone.new_page(), live_url, "Wim")
    page.get_by_role("button", name="Sign up").click()
    item = page.locator("#scan-products li.product")
    item.wait_for()
    assert "Filter coffee 500 g" in item.inner_text() and "Aisle 4" in item.inner_text()
    assert "+50 Corner Points" in item.inner_text()
    assert item.locator("[data-scan-state=not_yet]").inner_text() == "Not scanned yet"
    assert page.locator("#visit").is_hidden()

    # Not checked in yet: the refusal's sentence and code are shown, and the app keeps
    # the scan (also over a reload: a typed code is kept on the phone).
    page.get_by_label("…or type the number under the barcode").fill("4006381333931")
    page.get_by_role("button", name="Scan", exact=True).click()
    page.locator("#scan-result[data-kind=error]", has_text="not_in_store").wait_for()
    assert "sends it again by itself" in page.locator("#scan-result").inner_text()
    page.reload()
    item.wait_for()

    # The store's agent sees her walk in: the stream's visit sends the scan again, untouched.
    _check_in(app, world, page)
    page.locator("#scan-result[data-kind=ok]", has_text="+50 Corner Points").wait_for()
    assert page.evaluate("localStorage.getItem('rewards.waiting-scan')") is None
    page.locator("#scan-products [data-scan-state=scanned]", has_text="Scanned: points earned").wait_for()
    since = (NOW - dt.timedelta(minutes=3)).astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M")
    page.locator("#visit", has_text=f"You are in Berlin Mitte since {since}.").wait_for()
    page.locator(".balance", has_text="50 points").wait_for()
    page.locator("#store").screenshot(path=GUIDE_IMAGES / "app-scan.png")


# The camera's reader is vendored zxing-wasm, fetched only when the camera is opened.
ZXING_WASM = re.compile(r"/assets/vendor/zxing-wasm-[\d.]+-reader\.(js|wasm)$")


@pytest.fixture(scope="module")
def camera_browser(playwright_driver, tmp_path_factory):
    """Chromium whose fake camera films the coffee's EAN-13 on a white wall."""
    video = camera_video(render("ean13", COFFEE[1:]), tmp_path_factory.mktemp("camera") / "coffee.y4m")
    chromium = launch(playwright_driver, camera_video=video)
    yield chromium
    chromium.close()


@pytest.fixture
def camera_phone(camera_browser):
    context = camera_browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                         has_touch=True)
    context.set_default_timeout(30_000)
    yield context
    context.close()


def _signed_up_in_berlin(app, world, context, live_url):
    _coffee_week(app, world)
    page = context.new_page()
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    _sign_up(page, live_url, "Ida").get_by_role("button", name="Sign up").click()
    page.locator("#scan-products li.product").wait_for()
    _check_in(app, world, page)
    return page, fetched


def test_the_live_camera_reads_a_barcode_with_the_vendored_reader(camera_phone, live_url, app, world):
    page, fetched = _signed_up_in_berlin(app, world, camera_phone, live_url)
    # Debian's Chromium has no Barcode Detection API: the vendored reader must do it.
    assert page.evaluate("'BarcodeDetector' in window") is False
    assert [url for url in fetched if ZXING_WASM.search(url)] == []

    page.get_by_role("button", name="Scan with the camera").click()
    page.locator("#scan-result[data-kind=ok]", has_text="+50 Corner Points").wait_for()
    assert "Filter coffee 500 g" in page.locator("#scan-result").inner_text()
    assert sorted(ZXING_WASM.search(url).group(1) for url in fetched if ZXING_WASM.search(url)) == \
        ["js", "wasm"]
    # The camera is closed again: the video shows nothing, the button is back.
    assert page.locator("#camera").is_hidden()
    assert page.evaluate("document.getElementById('camera-video').srcObject") is None
    page.get_by_role("button", name="Scan with the camera").wait_for()


# A Barcode Detection API that reads, frame after frame, another code once, then the
# coffee: only two frames that agree are believed.
FAKE_DETECTOR = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["ean_13", "upc_a", "qr_code", "code_128"]; }
  constructor(options) { window.detectorFormats = options.formats; this.frames = 0; }
  async detect(video) {
    if (!(video instanceof HTMLVideoElement) || video.videoWidth === 0) throw new Error("no frame");
    this.frames += 1;
    return [this.frames === 1 ? { format: "upc_a", rawValue: "036000291452" }
                              : { format: "ean_13", rawValue: "COFFEE" }];
  }
};
""".replace("COFFEE", COFFEE[1:])


def test_the_browsers_own_detector_is_used_and_two_frames_must_agree(camera_phone, live_url,
                                                                       app, world):
    camera_phone.add_init_script(FAKE_DETECTOR)
    page, fetched = _signed_up_in_berlin(app, world, camera_phone, live_url)
    page.get_by_role("button", name="Scan with the camera").click()
    page.locator("#scan-result[data-kind=ok]", has_text="+50 Corner Points").wait_for()
    assert page.evaluate("window.detectorFormats") == ["ean_13", "upc_a", "qr_code"]
    assert [url for url in fetched if ZXING_WASM.search(url)] == []


def test_without_a_camera_the_photo_stays(phone, live_url, app, world):
    page, _ = _signed_up_in_berlin(app, world, phone, live_url)
    page.get_by_role("button", name="Scan with the camera").click()
    page.locator("#scan-result[data-kind=error]", has_text="take a photo of the barcode").wait_for()
    assert page.locator("#camera").is_hidden()
    assert page.get_by_label("…or take a photo of the barcode").is_visible()
