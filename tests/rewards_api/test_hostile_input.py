"""Hostile and out-of-range input gets a 4xx with a registered code, on both databases:
numbers past what a shop can mean (or past 64 bits), JSON nested deeper than any
client sends, text with NUL or lone surrogates, in paths, queries and bodies.

The largest basket the schemas accept commits and is returned without overflowing a
column (points and money are 64-bit)."""

from __future__ import annotations

import json
import uuid

import pytest

from rewards_api import schemas
from rewards_api.errors import REGISTRY
from rewards_api.products import gtin
from tests.rewards_api.walkins.conftest import provision
from tests.support.shop import build_shop

HUGE = 10**30
BEYOND_64_BITS = 2**64 + 1
DEEP = b"[" * 1000 + b"]" * 1000
BAD_TEXT = ["\ud800", "a\x00b", "\udfff tail"]


def _refused(response, status: int = 400) -> dict:
    body = response.get_json()
    assert response.status_code == status, (response.status_code, response.get_data()[:300])
    assert body["error"]["code"] in REGISTRY, body
    assert body["error"]["message"].endswith("."), body
    return body["error"]


def _raw_post(api, path: str, body: bytes, auth: str | None = None):
    headers = {"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    if auth:
        headers["Authorization"] = f"Bearer {auth}"
    return api.client.post(path, data=body, headers=headers)


# --- numbers -------------------------------------------------------------------------

@pytest.mark.parametrize("limit", ["0", "-5", "201", str(HUGE)])
def test_history_limit_outside_its_range_is_refused(api, limit):
    shopper = api.register("Paging")
    error = _refused(api.get(f"/v1/me/history?limit={limit}", auth=shopper["token"]))
    assert error["code"] == "invalid_request"
    assert "limit" in error["details"]


def test_history_before_beyond_64_bits_is_refused(api):
    shopper = api.register("Paging")
    _refused(api.get(f"/v1/me/history?before={BEYOND_64_BITS}", auth=shopper["token"]))


@pytest.mark.parametrize("amount", [0, schemas.MAX_ADJUSTMENT_POINTS + 1, -10**12, 10**12, HUGE])
def test_adjustments_are_bounded_and_never_zero(api, world, amount):
    shopper = api.register("Adjusted")
    response = api.post("/v1/admin/adjustments", auth=world.keys["manager"],
                        json={"public_id": shopper["public_id"], "program": "corner-points",
                              "amount": amount, "reason": "test"})
    assert "amount" in _refused(response)["details"]
    largest = api.post("/v1/admin/adjustments", auth=world.keys["manager"],
                       json={"public_id": shopper["public_id"], "program": "corner-points",
                             "amount": schemas.MAX_ADJUSTMENT_POINTS, "reason": "test"})
    assert largest.status_code == 201, largest.get_json()


@pytest.mark.parametrize("path", [
    f"/v1/pos/checkouts/{BEYOND_64_BITS}",
    f"/v1/stores/{BEYOND_64_BITS}/scan-products",
    f"/v1/admin/stores/{BEYOND_64_BITS}/dashboard",
    f"/v1/stores/1/assist/{BEYOND_64_BITS}/helped",
])
def test_path_ids_beyond_64_bits_are_not_found(api, world, path):
    method = "POST" if path.endswith("helped") else "GET"
    response = api.call(method, path, auth=world.keys["admin"])
    assert _refused(response, 404)["code"] == "not_found"


def test_body_ids_beyond_64_bits_are_refused(api, world):
    shopper = api.register("Ids")
    _refused(api.post("/v1/admin/adjustments", auth=world.keys["admin"],
                      json={"public_id": shopper["public_id"], "program": "corner-points",
                            "amount": 5, "reason": "x", "store_id": BEYOND_64_BITS}))
    _refused(api.post("/v1/me/scans", auth=shopper["token"],
                      json={"store_id": BEYOND_64_BITS, "code": "4006381333931",
                            "symbology": "ean13"}))
    _refused(api.post("/v1/me/help-requests", auth=shopper["token"],
                      json={"store_id": BEYOND_64_BITS}))


@pytest.mark.parametrize("queue_depth", [HUGE, float(HUGE), -1])
def test_heartbeat_numbers_are_bounded(app, client, world, queue_depth):
    from tests.rewards_api.walkins.conftest import T0
    from tests.support.clock import Clock

    clock = Clock(T0)
    app.config["CLOCK"] = clock
    agent = provision(app, client, clock, world.store_ids[0])
    response = agent.post("/v1/agents/heartbeat", {
        "queue_depth": queue_depth, "software_version": "1", "adverts_per_second": 1.0,
        "scanner_state": "scanning"})
    assert "queue_depth" in _refused(response)["details"]


# --- the largest basket ----------------------------------------------------------------

def _gtin(n: int) -> str:
    body = f"400{n:09d}"
    return body + str(gtin.check_digit(body))


def test_the_largest_basket_commits_and_its_return_refunds_it(app, api, world):
    shop = build_shop(app, api, world)
    lines = [{"gtin": _gtin(n), "quantity": schemas.MAX_QUANTITY,
              "unit_price_minor": schemas.MAX_UNIT_PRICE_MINOR}
             for n in range(schemas.MAX_BASKET_LINES)]
    opened = shop.open(basket={"currency": "EUR", "lines": lines})
    assert opened.status_code == 201, opened.get_json()
    checkout_id = opened.get_json()["id"]
    committed = shop.commit(checkout_id)
    assert committed.status_code == 200, committed.get_json()
    total = schemas.MAX_BASKET_LINES * schemas.MAX_QUANTITY * schemas.MAX_UNIT_PRICE_MINOR
    assert total > 2**31
    assert committed.get_json()["totals"]["to_pay_minor"] == total
    returned = shop.post(f"/v1/pos/checkouts/{checkout_id}/returns", json={"lines": [
        {"gtin": line["gtin"], "quantity": schemas.MAX_QUANTITY} for line in lines]})
    assert returned.status_code == 201, returned.get_json()
    assert returned.get_json()["refund_minor"] == total
    accounts = shop.accounts()  # balance == sum of entries, checked inside
    assert accounts["corner-points"].balance == 1000


def test_a_basket_beyond_the_bounds_is_refused(app, api, world):
    shop = build_shop(app, api, world)
    line = {"gtin": _gtin(1), "quantity": schemas.MAX_QUANTITY,
            "unit_price_minor": schemas.MAX_UNIT_PRICE_MINOR}
    for bad in ({"quantity": schemas.MAX_QUANTITY + 1},
                {"unit_price_minor": schemas.MAX_UNIT_PRICE_MINOR + 1},
                {"quantity": BEYOND_64_BITS}):
        _refused(shop.open(basket={"currency": "EUR", "lines": [{**line, **bad}]}))
    too_many = [{**line, "gtin": _gtin(n)} for n in range(schemas.MAX_BASKET_LINES + 1)]
    _refused(shop.open(basket={"currency": "EUR", "lines": too_many}))


# --- JSON shape and text -----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/v1/shoppers", "/v1/admin/adjustments", "/v1/me/scans",
                                  "/v1/pos/checkouts", "/v1/agents/sightings"])
def test_json_nested_deeper_than_any_client_sends_is_refused(api, world, path):
    _refused(_raw_post(api, path, DEEP, auth=world.keys["admin"]))
    _refused(_raw_post(api, path, b'{"a": ' + DEEP + b"}", auth=world.keys["admin"]))


def test_json_nesting_of_real_requests_is_accepted(api):
    nested = {"display_name": "Nested", "phone": None}
    response = _raw_post(api, "/v1/shoppers", json.dumps(nested).encode())
    assert response.status_code == 201


@pytest.mark.parametrize("text", BAD_TEXT)
def test_text_with_nul_or_a_lone_surrogate_is_refused(app, api, world, text):
    shopper = api.register("Texts")
    _refused(api.post("/v1/shoppers", json={"display_name": text}))
    _refused(api.call("PATCH", "/v1/me", auth=shopper["token"], json={"display_name": text}))
    _refused(api.post("/v1/admin/adjustments", auth=world.keys["manager"],
                      json={"public_id": shopper["public_id"], "program": "corner-points",
                            "amount": 5, "reason": text}))
    shop = build_shop(app, api, world)
    _refused(shop.open(cashier=text))
    # as a key, where no schema field reads it
    _refused(api.post("/v1/shoppers", json={"display_name": "x", text: 1}))


@pytest.mark.parametrize("path", ["/v1/admin/agents?store=a%00b",
                                  "/v1/admin/settlement/a%00b.csv?from=2026-11-01&to=2026-11-02",
                                  "/v1/admin/settlement?from=2026-11-01&to=2026-11-02&store=%00"])
def test_nul_in_paths_and_queries_is_refused(api, world, path):
    response = api.get(path, auth=world.keys["admin"])
    assert 400 <= response.status_code < 500
    _refused(response, response.status_code)


@pytest.mark.parametrize("header", ["Idempotency-Key", "Authorization"])
@pytest.mark.parametrize("text", BAD_TEXT)
def test_headers_with_nul_or_a_lone_surrogate_are_refused(api, header, text):
    response = api.client.post("/v1/shoppers", json={"display_name": "x"},
                               headers={"Idempotency-Key": "k1", header: text})
    assert _refused(response)["code"] == "malformed_http"


@pytest.mark.parametrize(("first", "last", "status"), [
    ("0001-01-01", "9999-12-31", 400), ("1999-12-31", "2026-01-01", 400),
    ("2000-01-01", "2999-12-31", 200)])
def test_report_dates_are_bounded(api, world, first, last, status):
    for path in (f"/v1/admin/settlement?from={first}&to={last}",
                 f"/v1/admin/settlement/berlin-1.csv?from={first}&to={last}"):
        response = api.get(path, auth=world.keys["admin"])
        if status == 200:
            assert response.status_code == 200, response.get_data()[:300]
        else:
            assert "from" in _refused(response)["details"]
