"""Health, metrics, the OpenAPI document and its interactive page (in Chromium)."""

from __future__ import annotations

from playwright.sync_api import expect


def test_healthz_and_metrics(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    client.get("/v1/me")
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'rewards_http_requests_total{endpoint="shoppers.me",method="GET",status="401"}' in metrics


def test_openapi_document_is_generated_from_the_code(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/me" in spec["paths"]
    assert "/v1/shoppers" in spec["paths"]
    register = spec["paths"]["/v1/shoppers"]["post"]
    assert "requestBody" in register
    # Errors are documented in the shape the API really answers with.
    refused = register["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    error = spec["components"]["schemas"][refused.rsplit("/", 1)[-1]]
    assert set(error["properties"]) == {"error"}


def test_docs_page_loads_its_assets_locally(client):
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert len(asset.get_data()) > 100_000
    asset.close()


def test_unknown_address_is_a_coded_404(client):
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_docs_page_shows_the_operations_in_chromium(live_url, browser):
    page = browser.new_page()
    page.goto(f"{live_url}/docs")
    operation = page.locator(".opblock-summary-path", has_text="/v1/pos/checkouts").first
    expect(operation).to_be_visible(timeout=15_000)
    assert page.locator(".errors-wrapper").count() == 0
    page.close()
