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


def test_a_transaction_whose_connection_was_lost_answers_503(app, client, monkeypatch):
    """The database restarting under a request leaves its session unable to go on
    (SQLAlchemy's "can't reconnect until invalid transaction is rolled back"): that is
    the database being away, 503 with Retry-After, not a 500; another pending rollback
    (a bug) stays a 500."""
    from sqlalchemy.exc import PendingRollbackError

    from rewards_api.shoppers import views

    def lost(*_args, **_kwargs):
        raise PendingRollbackError("Can't reconnect until invalid transaction is rolled back.",
                                   code="8s2b")

    monkeypatch.setattr(views.services, "register", lost)
    answer = client.post("/v1/shoppers", json={"display_name": "Ida"},
                         headers={"Idempotency-Key": "lost-1"})
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "service_unavailable"
    assert answer.headers["Retry-After"] == "5"

    def bug(*_args, **_kwargs):
        raise PendingRollbackError("This Session's transaction has been rolled back.",
                                   code="7s2a")

    monkeypatch.setattr(views.services, "register", bug)
    answer = client.post("/v1/shoppers", json={"display_name": "Ida"},
                         headers={"Idempotency-Key": "lost-2"})
    assert answer.status_code == 500
    assert answer.get_json()["error"]["code"] == "internal_error"
