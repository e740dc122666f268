"""Shared benchmark plumbing: a throwaway PostgreSQL, gunicorn servers on loopback and
`wrk` load with parsed results. Every load run is bounded in time and targets 127.0.0.1."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "rewards_api" / "gunicorn_conf.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    pid: int  # the gunicorn master's


@contextmanager
def gunicorn(app_spec: str, *, workers: int = 4, env: dict[str, str] | None = None,
             ready_path: str = "/healthz") -> Iterator[Server]:
    """Serve ``app_spec`` (e.g. ``'rewards_api:create_app()'``) with our gunicorn config."""
    port = free_port()
    full_env = {**os.environ, "REWARDS_BIND": f"127.0.0.1:{port}",
                "REWARDS_WORKERS": str(workers), "REWARDS_LOG_JSON": "false",
                "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="bench-metrics-"),
                **(env or {})}
    log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), app_spec],
        cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {log.name}")
            try:
                if httpx.get(url + ready_path, timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within 60 s; see {log.name}")
            time.sleep(0.2)  # polling a server we started; benchmarks only, never tests
        yield Server(url, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int

    def row(self, name: str) -> str:
        return (f"{name:<34} {self.requests_per_second:>10.0f} req/s   "
                f"p50 {self.p50_ms:>7.2f} ms   p99 {self.p99_ms:>7.2f} ms   errors {self.errors}")


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, *, seconds: int = 10, connections: int = 16, threads: int = 2,
        headers: dict[str, str] | None = None, script: str | None = None) -> Load:
    """Run wrk against a loopback URL for a bounded time and parse its summary."""
    if not url.startswith("http://127.0.0.1"):
        raise ValueError("load goes only to loopback")
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True,
                         timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        errors += int(non2xx.group(1))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return Load(rps, p50, p99, errors)
