"""Real gunicorn hosts of the rewards API on loopback, for tests (the same config file
as production: rewards_api/gunicorn_conf.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], Any], what: str = "the condition",
               seconds: float = 60.0) -> Any:
    """Poll ``condition()`` until it is truthy (returned), or fail naming ``what`` after
    ``seconds``. The pause between polls is a bounded wait on an event nobody sets, not
    a sleep: what it waits for (a port, a file another process writes) sends no signal."""
    pause = threading.Event()
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {seconds:.0f} s")
        pause.wait(0.02)
    return value


def answers(url: str, **kwargs: object) -> bool:
    try:
        return httpx.get(url, timeout=2, **kwargs).status_code < 500  # type: ignore[arg-type]
    except httpx.TransportError:
        return False


@contextmanager
def gunicorn_host(env: dict[str, str], *, workers: int = 2,
                  log_dir: Path | None = None) -> Iterator[str]:
    """Start ``gunicorn -c rewards_api/gunicorn_conf.py 'rewards_api:create_app()'`` with
    ``env`` (REWARDS_* settings) on a free loopback port; yield its URL once /healthz
    answers; stop it."""
    port = free_port()
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="rewards-gunicorn-"))
    full_env = {**os.environ, "REWARDS_BIND": f"127.0.0.1:{port}",
                "REWARDS_WORKERS": str(workers), "REWARDS_LOG_JSON": "false",
                "PROMETHEUS_MULTIPROC_DIR": str(log_dir / f"metrics-{port}"), **env}
    log_path = log_dir / f"gunicorn-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "rewards_api" / "gunicorn_conf.py"),
             "rewards_api:create_app()"],
            cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: process.poll() is not None or answers(url + "/healthz"),
                   f"gunicorn answering on {url}")
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-3000:]}")
        yield url
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: a test is over
        process.wait(timeout=30)
