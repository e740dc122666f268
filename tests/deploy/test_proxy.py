"""deploy/nginx/rewards-api.conf, run by the real nginx with a self-signed certificate
in front of real gunicorn (production settings): HTTPS, the client's address, the body
limit, long-lived connections, static files, and nginx's own errors in the API's shape."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rewards_api import settings
from rewards_api.errors import REGISTRY
from rewards_api.gunicorn_host import free_port, wait_until
from tests.support.gunicorn import gunicorn
from tests.support.proxy import SITE, STATIC, Proxy, nginx

# Starting PostgreSQL clusters, gunicorn hosts and nginx on a busy 2-core machine can take
# a minute before the first test runs; the suite's 120 s per test is too tight for that.
pytestmark = pytest.mark.timeout(300)


SECRETS = {"REWARDS_ENV": "production", "REWARDS_SECRET_KEY": "proxy-test-secret",
           "REWARDS_PRESENCE_KEYS": "0:" + "11" * 16, "REWARDS_PROXY_HOPS": "1"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Proxy]:
    directory = tmp_path_factory.mktemp("proxy")
    database = directory / "rewards.db"
    shutil.copy(sqlite_template, database)
    env = {**SECRETS, "REWARDS_DATABASE_URL": f"sqlite:///{database}",
           "REWARDS_ACCESS_LOG": str(directory / "gunicorn-access.log")}
    with gunicorn(env, log_dir=directory) as api, \
            nginx(directory, [api.url.removeprefix("http://")]) as proxy:
        yield proxy


def _client(proxy: Proxy, **kwargs: object) -> httpx.Client:
    return httpx.Client(base_url=proxy.url, verify=ssl.create_default_context(cafile=str(proxy.certificate)),
                        timeout=10, **kwargs)  # type: ignore[arg-type]


def _assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": {"code": code, "message": REGISTRY[code].message}}


def test_https_answers_with_a_verified_certificate(stack: Proxy) -> None:
    with _client(stack) as client:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_plain_http_is_sent_to_https(stack: Proxy) -> None:
    response = httpx.get(stack.http_url + "/app?x=1", headers={"Host": "rewards.example.com"})
    assert response.status_code == 301
    assert response.headers["location"] == "https://rewards.example.com/app?x=1"


def test_the_app_sees_the_client_address_not_a_forged_one(stack: Proxy, tmp_path: Path) -> None:
    access_log = stack.access_log.parent / "gunicorn-access.log"
    # The client comes from 127.0.0.2 (still loopback) and claims to be someone else.
    with _client(stack, transport=httpx.HTTPTransport(local_address="127.0.0.2",
                 verify=ssl.create_default_context(cafile=str(stack.certificate)))) as client:
        response = client.get("/healthz?who=forged", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 200

    def logged() -> list[str]:
        return [line for line in access_log.read_text().splitlines() if "who=forged" in line]

    # gunicorn writes its access line after the answer has gone out.
    wait_until(logged, "gunicorn logging the request")
    assert logged()[-1].startswith("127.0.0.2 "), logged()


def test_static_files_come_from_disk(stack: Proxy) -> None:
    with _client(stack) as client:
        response = client.get("/assets/style.css")
    assert response.status_code == 200
    assert response.content == (STATIC / "style.css").read_bytes()
    assert response.headers["cache-control"] == "max-age=3600, public"  # nginx's, not the app's
    access_log = stack.access_log.parent / "gunicorn-access.log"
    assert "/assets/style.css" not in access_log.read_text()


def test_body_limit_is_the_apis(stack: Proxy) -> None:
    size = re.search(r"client_max_body_size (\d+)m;", SITE.read_text())
    assert size and int(size.group(1)) * 1024 * 1024 == settings.DEFAULTS["MAX_CONTENT_LENGTH"]
    limit = settings.DEFAULTS["MAX_CONTENT_LENGTH"]
    headers = {"Content-Type": "application/json", "Idempotency-Key": "proxy-body"}
    with _client(stack) as client:
        over = client.post("/v1/shoppers", content=b" " * (limit + 1), headers=headers)
        under = client.post("/v1/shoppers", content=b" " * (limit - 1024), headers=headers)
    _assert_error(over, 413, "body_too_large")
    # Under the limit the body reaches the API, which reads it and refuses it as no shopper.
    assert under.status_code == 400 and under.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("length", [3000, 4050, 4094, 4200, 9000])
def test_long_urls_get_json_wherever_they_are_refused(stack: Proxy, length: int) -> None:
    path = "/v1/nothing-here?" + "q" * (length - len("GET /v1/nothing-here? HTTP/1.1"))
    with _client(stack) as client:
        response = client.get(path)
    assert response.status_code in (404, 414)
    code = {404: "not_found", 414: "url_too_long"}[response.status_code]
    _assert_error(response, response.status_code, code)
    if length > 4096:
        assert response.status_code == 414


def test_large_headers_get_json(stack: Proxy) -> None:
    with _client(stack) as client:
        response = client.get("/healthz", headers={"Cookie": "c=" + "x" * 5000})
    _assert_error(response, 431, "headers_too_large")


def test_connections_stay_open_between_requests(stack: Proxy) -> None:
    port = int(stack.url.rsplit(":", 1)[1])
    context = ssl.create_default_context(cafile=str(stack.certificate))
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        answers = []
        for _ in range(3):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            answers.append((response.status, response.will_close))
            response.read()
            sock = connection.sock
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        assert connection.sock is sock  # the same TLS connection served every request
    finally:
        connection.close()
    assert answers == [(200, False)] * 3


def test_api_host_down_answers_service_unavailable(tmp_path: Path) -> None:
    with nginx(tmp_path, [f"127.0.0.1:{free_port()}"]) as proxy, _client(proxy) as client:
        response = client.get("/v1/stores")
    _assert_error(response, 503, "service_unavailable")
    assert response.headers["retry-after"] == "5"


def test_nginx_errors_are_registered_codes() -> None:
    answers = re.findall(r"return (\d{3}) '(\{.*\})';", SITE.read_text())
    assert len(answers) == 4
    for status, body in answers:
        error = json.loads(body)["error"]
        assert REGISTRY[error["code"]].status == int(status)
        assert REGISTRY[error["code"]].message == error["message"]


def test_live_updates_pass_through_unbuffered(stack: Proxy) -> None:
    """A live stream stays open for minutes: its first event must reach the browser at
    once, not when nginx's buffer fills or the stream ends."""
    with _client(stack) as client:
        shopper = client.post("/v1/shoppers", json={"display_name": "Rosa"},
                              headers={"Idempotency-Key": "live-through-nginx"}).json()
        headers = {"Authorization": f"Bearer {shopper['token']}"}
        with client.stream("GET", "/v1/live/me", headers=headers) as answer:
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/event-stream")
            # Bounded by the client's 10 s read timeout; the stream itself lasts 300 s.
            lines = answer.iter_lines()
            assert next(line for line in lines if line.startswith("event:")) == "event: checkout"
