"""A shopper signs in on a new phone, in a real headless Chromium: with a code sent by
e-mail (read from a real SMTP sink) and with a passkey (a CDP virtual authenticator).
A "new phone" is a fresh browser context: empty localStorage, no checkout secret."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def site(app, live_url) -> str:
    """The app at http://localhost:<port>: a secure context, and a host name WebAuthn
    accepts as its relying party (an IP address is not)."""
    url = live_url.replace("127.0.0.1", "localhost")
    app.config.update(WEBAUTHN_RP_ID="localhost", WEBAUTHN_ORIGIN=url)
    return url


def _new_phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(15_000)
    return context


def _sign_up_with_points(browser, site, api, world):
    context = _new_phone(browser)
    page = context.new_page()
    page.goto(site + "/app")
    page.get_by_label("Your first name").fill("Rosa")
    page.get_by_role("button", name="Sign up").click()
    page.locator("#signed-in").wait_for()
    # Both programs from sign-up, the store's own too before its first points.
    page.locator(".balance", has_text="Corner Points").wait_for()
    assert "0 points" in page.locator(".balance", has_text="Corner Points").inner_text()
    assert "0 points" in page.locator(".balance", has_text="Partner Plus").inner_text()
    public_id = page.evaluate("JSON.parse(localStorage.getItem('rewards.shopper')).public_id")
    for program, amount in (("corner-points", 40), ("partner-plus", 15)):
        given = api.post("/v1/admin/adjustments", auth=world.keys["admin"],
                         json={"public_id": public_id, "program": program, "amount": amount,
                               "reason": "welcome bonus"})
        assert given.status_code == 201, given.get_json()
    return context, page


def _balances_intact(page):
    page.locator(".balance", has_text="Corner Points").wait_for()
    balances = page.locator("#balances").inner_text()
    assert "40 points" in balances and "15 points" in balances
    assert page.locator("#me-name").inner_text() == "Rosa"
    page.get_by_text("Correction: welcome bonus").first.wait_for()
    # No checkout secret on this phone: the rewards service makes the code.
    page.locator("#qr svg").wait_for()
    assert page.locator("#qr").get_attribute("data-source") == "server"


def test_sign_in_on_a_new_phone_with_an_emailed_code(browser, site, api, world, inbox):
    old_context, old = _sign_up_with_points(browser, site, api, world)
    old.get_by_label("New e-mail address").fill("rosa@example.com")
    old.get_by_role("button", name="Send a code").click()
    old.get_by_text("We sent a code to rosa@example.com").wait_for()
    old.get_by_label("Code from the e-mail we sent you").fill(inbox.last_code("rosa@example.com"))
    old.get_by_role("button", name="Use this address").click()
    old.get_by_text("a new phone can now sign in with rosa@example.com").wait_for()
    old_context.close()

    context = _new_phone(browser)
    page = context.new_page()
    page.goto(site + "/app")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Your e-mail address").fill("rosa@example.com")
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_text("If this address belongs to an account").wait_for()
    assert len(inbox.to("rosa@example.com")) == 2
    page.get_by_label("The 6-digit code from the e-mail").fill(inbox.last_code("rosa@example.com"))
    page.locator("#signin-code-form").get_by_role("button", name="Sign in").click()
    page.locator("#signed-in").wait_for()
    _balances_intact(page)
    context.close()


def test_sign_up_with_a_taken_phone_leads_to_sign_in(browser, site, api, world):
    api.register("Rosa", phone="+4915100000077")
    context = _new_phone(browser)
    page = context.new_page()
    page.goto(site + "/app")
    page.get_by_label("Your first name").fill("Rosa")
    page.get_by_label("Phone number").fill("+49 151 00000077")
    page.get_by_role("button", name="Sign up").click()
    page.locator("#signin").wait_for()
    assert "sign in instead" in page.locator("#status").inner_text()
    context.close()


def _authenticator(context, page):
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})
    return cdp, added["authenticatorId"]


def test_sign_in_on_a_new_phone_with_a_passkey(browser, site, api, world):
    old_context, old = _sign_up_with_points(browser, site, api, world)
    old_cdp, old_authenticator = _authenticator(old_context, old)
    old.get_by_role("button", name="Add a passkey").click()
    old.get_by_text("Passkey added").wait_for()
    [passkey] = old_cdp.send("WebAuthn.getCredentials",
                             {"authenticatorId": old_authenticator})["credentials"]
    old_context.close()

    # The new phone has the passkey because the shopper's passkeys sync to it.
    context = _new_phone(browser)
    page = context.new_page()
    cdp, authenticator = _authenticator(context, page)
    cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": passkey})
    page.goto(site + "/app")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.locator("#signed-in").wait_for()
    _balances_intact(page)
    context.close()


def test_an_unknown_passkey_is_refused(browser, site, api, world):
    context = _new_phone(browser)
    page = context.new_page()
    cdp, authenticator = _authenticator(context, page)
    page.goto(site + "/app")
    page.get_by_role("button", name="Sign in", exact=True).click()
    # A passkey for this site that the rewards service never saw.
    page.evaluate("""async () => {
        await navigator.credentials.create({publicKey: {
            challenge: new Uint8Array(32), rp: {id: 'localhost', name: 'x'},
            user: {id: new Uint8Array([1]), name: 'x', displayName: 'x'},
            pubKeyCredParams: [{type: 'public-key', alg: -7}],
            authenticatorSelection: {residentKey: 'required'}}});
    }""")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.get_by_text("passkey_not_recognized").wait_for()
    assert page.locator("#signed-in").is_hidden()
    context.close()


def test_the_shopper_manages_their_passkeys_and_email(browser, site, api, world, inbox):
    context, page = _sign_up_with_points(browser, site, api, world)
    token = page.evaluate("JSON.parse(localStorage.getItem('rewards.shopper')).token")
    methods = page.locator("#recovery")
    methods.get_by_text("No e-mail address yet.").wait_for()
    methods.get_by_text("No passkey yet.").wait_for()

    cdp, authenticator = _authenticator(context, page)
    page.get_by_role("button", name="Add a passkey").click()
    page.locator("#passkeys li[data-passkey]", has_text="Passkey 1").wait_for()
    assert "not used yet" in page.locator("#passkeys").inner_text()

    for address in ("rosa@example.com", "rosa.new@example.com"):
        page.get_by_label("New e-mail address").fill(address)
        page.get_by_role("button", name="Send a code").click()
        page.get_by_text(f"We sent a code to {address}").wait_for()
        page.get_by_label("Code from the e-mail we sent you").fill(inbox.last_code(address))
        page.get_by_role("button", name="Use this address").click()
        methods.get_by_text(f"Codes are sent to {address}.").wait_for()
    assert len(inbox.to("rosa.new@example.com")) == 1  # the code went to the new address

    page.get_by_role("button", name="Remove passkey 1").click()
    page.get_by_text("Passkey removed: it no longer signs in.").wait_for()
    methods.get_by_text("No passkey yet.").wait_for()
    assert api.get("/v1/me/sign-in-methods", auth=token).get_json() == {
        "email": "rosa.new@example.com", "passkeys": []}
    # The phone still holds the passkey, but the rewards service no longer knows it.
    assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]) == 1
    context.close()
