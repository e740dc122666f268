"""Serve an app over real HTTP on 127.0.0.1 in a background thread (threaded WSGI
server), for tests that need real concurrent connections or an outside client; real
gunicorn is tests/support/gunicorn.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server


@contextmanager
def serve(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def post_at_once(base: str, calls: list[tuple[str, Any, dict[str, str]]]) -> list[Any]:
    """POST ``(path, body, headers)`` each from its own thread and connection, released
    together by a barrier; the answers (``httpx.Response``) in call order. A body of
    bytes is sent as it is (a signed one), anything else as JSON."""
    import httpx

    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def send(i: int, path: str, body: Any, headers: dict[str, str]) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            barrier.wait(timeout=30)
            sent = {"content": body} if isinstance(body, bytes) else {"json": body}
            answers[i] = http.post(path, headers=headers, **sent)

    threads = [threading.Thread(target=send, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return answers
