"""PostgreSQL (fsync on, as in production) crashes and restarts, then stays down for a
while, under load (tests/faults/load.py): while it is down the API answers 503
``service_unavailable`` in the error shape with Retry-After; it recovers without being
restarted; no acknowledged write is lost or doubled; the agent's outbox keeps its
walk-ins through the outage and delivers each once after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rewards_api import schema_migrations
from rewards_api.gunicorn_host import wait_until
from tests.faults.load import Load, check, in_process_app, open_store, unavailable_in_shape
from tests.support import postgres
from tests.support.gunicorn import gunicorn

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def cluster() -> Iterator[postgres.Cluster]:
    with postgres.throwaway_cluster("outage", durable=True) as durable:
        schema_migrations.upgrade(durable.url)
        yield durable


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def test_postgresql_crashes_and_stays_down_under_load_and_nothing_is_lost(
        cluster: postgres.Cluster, tmp_path: Path) -> None:
    with in_process_app(cluster.url) as app:
        store = open_store(app)
        with gunicorn({"REWARDS_DATABASE_URL": cluster.url}, workers=2, log_dir=tmp_path) as host:
            load = Load(store, host.url, tmp_path / "outbox.sqlite3").start()
            tally = load.tally

            def more(n: int) -> Any:
                target = tally.acknowledged() + n
                return lambda: tally.acknowledged() >= target

            wait_until(more(10), "the first acknowledged writes")
            # A crash (no checkpoint, WAL replayed at start) and an immediate restart.
            cluster.stop("immediate")
            cluster.start()
            wait_until(more(10), "writes acknowledged after PostgreSQL restarted")
            # Down for a while: until every writer has been told 503 a few times and the
            # agent's outbox holds walk-ins it could not deliver.
            cluster.stop("fast")
            down_since = len(tally.unavailable)
            wait_until(lambda: len(tally.unavailable) >= down_since + 20, "503 answers", 60)
            wait_until(lambda: load.queued() >= 3, "walk-ins kept in the agent's outbox", 60)
            with httpx.Client(base_url=host.url, timeout=10) as http:
                health = http.get("/healthz")
                assert health.status_code == 503
                assert unavailable_in_shape(health) is None, unavailable_in_shape(health)
            cluster.start()
            # The same gunicorn, not restarted: its pools reconnect.
            wait_until(lambda: _healthy(host.url), "the API healthy again")
            wait_until(more(10), "writes acknowledged after the outage")
            load.finish()
        assert len(tally.unavailable) >= 20
        assert [p for p in map(unavailable_in_shape, tally.unavailable) if p] == []
        check(store, load)
