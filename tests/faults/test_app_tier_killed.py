"""``kill -9`` of gunicorn workers and of the whole app tier (master and workers at once)
while registers commit checkouts, shoppers scan and the agent uploads walk-ins, on
SQLite and PostgreSQL: after the restart every acknowledged write is there exactly
once and nothing is half-written (tests/faults/load.py checks).

Where the kills land is left to chance: the test asserts that some cut a request in
flight, not that one landed inside COMMIT. On SQLite it cannot be more: its COMMIT
happens inside the worker process and waits on nothing outside it, so there is no
moment to catch it in. On PostgreSQL tests/faults/test_killed_in_commit.py makes the
COMMIT wait (for a synchronous standby that does not exist) and kills the worker
provably there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rewards_api.gunicorn_host import wait_until
from tests.faults.load import Load, check, in_process_app, open_store
from tests.support.gunicorn import gunicorn

pytestmark = pytest.mark.timeout(300)


def test_kill_9_of_workers_and_of_the_app_tier_loses_and_doubles_nothing(
        database_url: str, tmp_path: Path) -> None:
    with in_process_app(database_url) as app:
        store = open_store(app)
        with gunicorn({"REWARDS_DATABASE_URL": database_url}, workers=2, log_dir=tmp_path) as host:
            load = Load(store, [host.url], tmp_path / "outbox.sqlite3").start()
            tally = load.tally

            def more(n: int) -> Any:
                target = tally.acknowledged() + n
                return lambda: tally.acknowledged() >= target

            wait_until(more(10), "the first acknowledged writes")
            for _ in range(3):
                host.kill_worker()
                wait_until(more(5), "writes acknowledged after a worker was killed")
            host.kill()
            host.start()
            wait_until(more(10), "writes acknowledged after the app tier came back")
            host.kill()
            host.start()
            load.finish()
        # The kills cut requests off in the middle (their clients retried with the same key).
        assert tally.unanswered, "no kill landed on a request in flight"
        check(store, load)
