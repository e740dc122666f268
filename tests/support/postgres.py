"""A throwaway PostgreSQL cluster from the installed server binaries.

``initdb`` refuses to run as root, so as root the cluster is made and run as the
``postgres`` system user (``runuser``). It listens only on a private Unix socket
directory and a free port, with durability off (it is thrown away) unless asked, and is
stopped by the caller. ``REWARDS_TEST_DATABASE_URL`` points the tests at an existing server.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL server binaries not found: install postgresql (make test does)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class Cluster:
    """A running throwaway cluster: its database's SQLAlchemy ``url``, and ``stop`` and
    ``start`` for fault tests (the data directory survives them)."""

    url: str
    data: Path
    log: Path
    options: str

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m mode``: ``fast`` ends every session and checkpoints;
        ``immediate`` is a crash (the next start replays the WAL)."""
        subprocess.run(_as_server_user([str(_bindir() / "pg_ctl"), "-D", str(self.data),
                                        "-m", mode, "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)

    def start(self) -> None:
        subprocess.run(_as_server_user([str(_bindir() / "pg_ctl"), "-D", str(self.data), "-o",
                                        self.options, "-l", str(self.log), "-w", "start"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)


@contextmanager
def throwaway_cluster(dbname: str = "rewards_test", *, durable: bool = False) -> Iterator[Cluster]:
    """Start a cluster, create ``dbname``, yield it, stop and delete it. Durability is off
    (it is thrown away) unless ``durable``: then fsync and synchronous commit are on, as
    in production, for tests of what survives a crash."""
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="rewards-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    durability = ("-c fsync=on -c synchronous_commit=on -c full_page_writes=on" if durable else
                  "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
    options = f"-p {port} -k {sockets} -c listen_addresses='' {durability} -c max_connections=200"
    cluster = Cluster(f"postgresql+psycopg://postgres@/{dbname}?host={sockets}&port={port}",
                      data, root / "log", options)
    try:
        subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                                        "--auth=trust", "-E", "UTF8", "--locale=C"]), **quiet)
        cluster.start()
        subprocess.run(_as_server_user([str(bindir / "createdb"), "-h", str(sockets), "-p",
                                        str(port), "-U", "postgres", dbname]), **quiet)
        yield cluster
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m",
                                            "immediate", "stop"]), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def test_database() -> Iterator[str]:
    """The URL of the PostgreSQL database for tests and benchmarks."""
    url = os.environ.get("REWARDS_TEST_DATABASE_URL")
    if url:
        yield url
        return
    with throwaway_cluster() as cluster:
        yield cluster.url
