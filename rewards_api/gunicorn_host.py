"""The one way tests and benchmarks start gunicorn: a real master and workers on a
loopback socket, with the production config file (``rewards_api/gunicorn_conf.py``),
and ``wait_until`` for what they do. Not used by the API itself."""

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "rewards_api" / "gunicorn_conf.py"


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


def _processes() -> list[tuple[int, int, int]]:
    """``(pid, parent pid, process group)`` of every live process (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue  # it ended while we looked
        if state != "Z":
            found.append((int(stat.parent.name), int(ppid), int(group)))
    return found


@dataclass
class Host:
    """One gunicorn master and its workers, on a loopback socket the test process holds
    (``fd://``): the port stays the same across ``kill`` and ``start``, and requests sent
    while the app tier is down wait in the socket's queue (as behind systemd's socket
    activation) instead of being refused."""

    app: str  # gunicorn's app spec, e.g. ``rewards_api:create_app()``
    env: dict[str, str]
    workers: int
    log_dir: Path
    listener: socket.socket
    ready_path: str = "/healthz"
    process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.log_dir / f"gunicorn-{self.port}.log"

    @property
    def pid(self) -> int:
        """The master's process id."""
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        """Start the master; return once ``ready_path`` answers (or fail with its log)."""
        full_env = {**os.environ, "REWARDS_BIND": f"fd://{self.listener.fileno()}",
                    "REWARDS_WORKERS": str(self.workers), "REWARDS_LOG_JSON": "false",
                    "PROMETHEUS_MULTIPROC_DIR": str(self.log_dir / f"metrics-{self.port}"),
                    **self.env}
        with self.log.open("ab") as log:
            # A process group of its own, so that kill() reaches the master and every worker.
            process = self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(CONF), self.app],
                cwd=ROOT, env=full_env, pass_fds=[self.listener.fileno()], stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: process.poll() is not None or answers(self.url + self.ready_path),
                   f"gunicorn answering on {self.url}")
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        return [pid for pid, parent, _ in _processes() if parent == self.process.pid]

    def kill_worker(self) -> int:
        """``kill -9`` one worker (the master forks another); returns its pid."""
        pid = int(wait_until(lambda: next(iter(self.worker_pids()), None), "a gunicorn worker"))
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill(self) -> None:
        """``kill -9`` the master and every worker at once: the whole app tier dies in
        the middle of whatever it was doing."""
        assert self.process is not None
        group = self.process.pid
        os.killpg(group, signal.SIGKILL)
        self.process.wait(timeout=30)
        wait_until(lambda: not any(g == group for _, _, g in _processes()),
                   "every killed worker gone")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: a test is over
            self.process.wait(timeout=30)


@contextmanager
def running(app: str, env: dict[str, str], *, workers: int = 2, log_dir: Path | None = None,
            ready_path: str = "/healthz") -> Iterator[Host]:
    """``gunicorn -c rewards_api/gunicorn_conf.py APP`` with ``env`` (REWARDS_* settings)
    on a free loopback port, answering ``ready_path``; stopped at the end."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    host = Host(app, env, workers, log_dir or Path(tempfile.mkdtemp(prefix="rewards-gunicorn-")),
                listener, ready_path)
    try:
        host.start()
        yield host
    finally:
        host.stop()
        listener.close()
