"""Point-in-time recovery as docs/operations.md sets it up: WAL archived by
``archive_command``, a base backup by ``pg_basebackup``, then recovery to a moment
between two sales. The restored cluster has the first sales and not the later one, and
the ledger adds up."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from rewards_api import create_app, db, schema_migrations
from rewards_api.gunicorn_host import wait_until
from tests.conftest import Api
from tests.deploy.test_postgresql import _ledger_problems, _sell
from tests.support import postgres
from tests.support.shop import build_shop
from tests.support.world import build_world

pytestmark = pytest.mark.timeout(300)


def _server(cmd: list[str]) -> None:
    result = subprocess.run(postgres._as_server_user(cmd), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, f"{cmd[0]}: {result.stderr}"


def _scalar(url: str, sql: str) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(text(sql))
    finally:
        engine.dispose()


def test_recovery_to_a_moment_between_two_sales() -> None:
    bindir = postgres._bindir()
    root = Path(tempfile.mkdtemp(prefix="rewards-pitr-"))
    data, base, archive, sockets = root / "data", root / "base", root / "archive", root / "sockets"
    archive.mkdir()
    sockets.mkdir()
    if os.geteuid() == 0:
        for path in (root, archive, sockets):
            shutil.chown(path, "postgres")
    port = postgres._free_port()
    url = f"postgresql+psycopg://postgres@/rewards?host={sockets}&port={port}"
    common = f"-p {port} -k {sockets} -c listen_addresses='' -c fsync=off"
    app: Any = None
    try:
        _server([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                 "-E", "UTF8", "--locale=C"])
        _server([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "primary.log"), "-w",
                 "-o", f"{common} -c wal_level=replica -c archive_mode=on "
                       f"-c archive_command='test ! -f {archive}/%f && cp %p {archive}/%f'",
                 "start"])
        _server([str(bindir / "createdb"), "-h", str(sockets), "-p", str(port), "-U", "postgres",
                 "rewards"])
        schema_migrations.upgrade(url)
        app = create_app({"DATABASE_URL": url, "ENV": "test", "SECRET_KEY": "test-secret",
                          "LOG_JSON": False, "TESTING": True})
        with app.app_context():
            world = build_world()
            db.session().commit()
        shop = build_shop(app, Api(app.test_client()), world)
        _sell(shop)  # before the base backup
        _server([str(bindir / "pg_basebackup"), "-h", str(sockets), "-p", str(port),
                 "-U", "postgres", "-D", str(base), "-X", "fetch", "-c", "fast"])
        _sell(shop, redeem=False, code=None, membership_number="CM-1001")  # after it
        entries_then = _scalar(url, "SELECT count(*) FROM ledger_entries")
        moment = _scalar(url, "SELECT now()::text")
        _sell(shop, redeem=False, code=None, membership_number="CM-1001")  # the one to lose
        assert _scalar(url, "SELECT count(*) FROM checkouts") == 3
        segment = _scalar(url, "SELECT pg_walfile_name(pg_switch_wal())")
        wait_until(lambda: (archive / segment).exists(), "the last WAL segment archived")
        app.extensions["rewards_db"].kw["bind"].dispose()
        _server([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])

        # The restore: the base backup, the archive, a target time, recovery.signal.
        with (base / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"restore_command = 'cp {archive}/%f %p'\n"
                       f"recovery_target_time = '{moment}'\n"
                       "recovery_target_action = 'promote'\n")
        (base / "recovery.signal").touch()
        if os.geteuid() == 0:
            for path in (base / "postgresql.auto.conf", base / "recovery.signal"):
                shutil.chown(path, "postgres")
        _server([str(bindir / "pg_ctl"), "-D", str(base), "-l", str(root / "restored.log"),
                 "-w", "-o", common, "start"])
        wait_until(lambda: _scalar(url, "SELECT NOT pg_is_in_recovery()"), "recovery finished")
        assert _scalar(url, "SELECT count(*) FROM checkouts") == 2
        assert _scalar(url, "SELECT count(*) FROM ledger_entries") == entries_then
        assert _ledger_problems(url) == []
    finally:
        if app is not None:
            app.extensions["rewards_db"].kw["bind"].dispose()
        for directory in (data, base):
            if (directory / "postmaster.pid").exists():
                subprocess.run(postgres._as_server_user(
                    [str(bindir / "pg_ctl"), "-D", str(directory), "-m", "immediate", "stop"]),
                    capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)
