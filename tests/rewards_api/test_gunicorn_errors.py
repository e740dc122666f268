"""What gunicorn refuses before the app sees it (too long a request line, too many or
too large headers, not HTTP at all) is answered in the API's error shape, not with
gunicorn's HTML page: through real gunicorn with the project's config."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from rewards_api.errors import REGISTRY
from tests.support.gunicorn import gunicorn


@pytest.fixture(scope="module")
def server(sqlite_template, tmp_path_factory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("gunicorn") / "rewards.db"
    shutil.copy(sqlite_template, path)
    with gunicorn({"REWARDS_DATABASE_URL": f"sqlite:///{path}"}, workers=1) as host:
        yield host.url


def _exchange(url: str, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), {k.lower(): v for k, v in headers.items()}, body


def _request(path: str = "/healthz", headers: list[str] | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *(headers or [])]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


REFUSED = [
    ("long url", _request("/v1/stores?x=" + "a" * 5000), 414, "url_too_long"),
    ("long header", _request(headers=["X-Long: " + "a" * 9000]), 431, "headers_too_large"),
    ("many headers", _request(headers=[f"X-H{i}: 1" for i in range(150)]), 431,
     "headers_too_large"),
    ("nul in a header", _request(headers=["Idempotency-Key: a\x00b"]), 400, "malformed_http"),
    ("not http", b"HELLO\r\n\r\n", 400, "malformed_http"),
    ("bad version", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 400, "malformed_http"),
]


@pytest.mark.parametrize(("name", "raw", "status", "code"), REFUSED, ids=[r[0] for r in REFUSED])
def test_what_gunicorn_refuses_has_the_error_shape(server, name, raw, status, code):
    got_status, headers, body = _exchange(server, raw)
    assert got_status == status, (name, body[:200])
    assert headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == code
    assert error["message"] == REGISTRY[code].message


def test_a_deep_json_body_sent_in_chunks_is_refused(server):
    """No Content-Length: the depth limit still reads the body before anything parses it."""
    body = b"[" * 1000 + b"]" * 1000
    raw = (b"POST /v1/shoppers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
           b"Content-Type: application/json\r\nIdempotency-Key: deep-chunked\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n"
           + f"{len(body):x}".encode() + b"\r\n" + body + b"\r\n0\r\n\r\n")
    status, _headers, answer = _exchange(server, raw)
    assert status == 400, answer[:300]
    assert json.loads(answer)["error"]["code"] == "malformed_json"


def test_a_normal_request_still_gets_through(server):
    status, headers, body = _exchange(server, _request())
    assert status == 200, body

