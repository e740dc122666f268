"""Every mutating endpoint answers malformed input with a 4xx and a registered code.

The endpoints are discovered from the app's URL map, so a new endpoint is covered the
day it is added.
"""

from __future__ import annotations

import re
import uuid

import pytest

from rewards_api import create_app
from rewards_api.errors import REGISTRY

MALFORMED_BODIES = [
    ("not json", b"{not json", "application/json"),
    ("json array", b"[1, 2, 3]", "application/json"),
    ("unknown field", b'{"surely_not_a_field": 1}', "application/json"),
    ("wrong types", b'{"display_name": 5, "program": [], "amount": "many", "code": {}}',
     "application/json"),
    ("empty", b"", "application/json"),
    ("huge", b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}', "application/json"),
    ("form instead of json", b"a=1&b=2", "application/x-www-form-urlencoded"),
]


def _mutating_routes():
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "LOG_JSON": False})
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            path = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
            spec = getattr(app.view_functions[rule.endpoint], "_spec", {})
            routes.append((method, path, "body" in spec))
    return sorted(routes)


ROUTES = _mutating_routes()


def test_mutating_routes_were_found():
    assert ("POST", "/v1/shoppers", True) in ROUTES
    assert ("POST", "/v1/admin/adjustments", True) in ROUTES


@pytest.mark.parametrize(("method", "path", "takes_body"), ROUTES)
def test_malformed_bodies_get_a_4xx_with_a_code(api, world, method, path, takes_body):
    """Endpoints that take a body refuse a malformed one; endpoints that take none
    ignore the body, but still never answer with a 5xx or an uncoded error."""
    shopper = api.register("Bad Input")
    credentials = [None, shopper["token"], world.keys["admin"]]
    for _name, body, content_type in MALFORMED_BODIES:
        for credential in credentials:
            headers = {"Content-Type": content_type, "Idempotency-Key": str(uuid.uuid4())}
            if credential:
                headers["Authorization"] = f"Bearer {credential}"
            response = api.client.open(path, method=method, data=body, headers=headers)
            detail = (path, _name, response.status_code, response.get_data(as_text=True)[:300])
            if not takes_body and response.status_code < 400:
                continue
            assert 400 <= response.status_code < 500, detail
            error = response.get_json()["error"]
            assert error["code"] in REGISTRY, error
            assert error["message"].endswith("."), error
