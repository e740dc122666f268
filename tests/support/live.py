"""Serve an app over real HTTP on 127.0.0.1: in a background thread (threaded WSGI
server) for tests that need real concurrent connections or an outside client, or under
real gunicorn for what gunicorn itself answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

import rewards_api

CONF = Path(rewards_api.__file__).parent / "gunicorn_conf.py"


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


@contextmanager
def gunicorn(database_url: str, *, workers: int = 1) -> Iterator[str]:
    """The API under real gunicorn with rewards_api/gunicorn_conf.py, on a socket this
    process already listens on (so requests simply queue until the worker is up: no
    polling for readiness). The database must be migrated."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    env = {**os.environ, "REWARDS_BIND": f"fd://{listener.fileno()}",
           "REWARDS_WORKERS": str(workers), "REWARDS_LOG_JSON": "false",
           "REWARDS_DATABASE_URL": database_url, "REWARDS_SECRET_KEY": "test-secret",
           "REWARDS_PRESENCE_KEYS": "0:" + "ab" * 16}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(CONF), "rewards_api:create_app()"],
        env=env, pass_fds=[listener.fileno()], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    listener.close()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


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
