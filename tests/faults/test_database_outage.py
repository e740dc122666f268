"""PostgreSQL (fsync on, as in production) crashes and restarts, then stays down for a
minute, under load (tests/faults/load.py) on two API hosts that share it: while it is
down both hosts answer 503 ``service_unavailable`` in the error shape with
Retry-After; both recover without being restarted, and the requests sent once the
server is back succeed on every worker (the pool tests a connection before handing it
out, so none fails on a connection that died with the server); no acknowledged write
is lost or doubled; the agent's outbox keeps its walk-ins through the outage and
delivers each once after."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rewards_api import schema_migrations
from rewards_api.gunicorn_host import Host, wait_until
from tests.conftest import Api
from tests.faults.load import Load, Tally, check, in_process_app, open_store, unavailable_in_shape
from tests.support import postgres
from tests.support.gunicorn import gunicorn

pytestmark = pytest.mark.timeout(480)

OUTAGE_S = 60


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


def _all_answered_since(tally: Tally, since: float, hosts: list[Host]) -> None:
    """Every request sent since ``since`` was answered, none with 503; each host
    answered some."""
    sent = tally.sent_since(since)
    assert [(host, status) for host, status in sent if status in (0, 503)] == []
    answered = Counter(host for host, _ in sent)
    assert all(answered[host.url] >= 3 for host in hosts), answered


def test_a_host_idle_while_postgresql_restarted_answers_its_first_request(
        cluster: postgres.Cluster) -> None:
    """The case under load cannot show: a worker that served nothing while PostgreSQL
    restarted (a night's restart, a failover) still pools the connections that died
    with the old server. The pool tests each one as it hands it out (``db.make_engine``),
    so the first shopper of the morning is served, not refused with a 503."""
    with in_process_app(cluster.url) as app:
        api = Api(app.test_client())
        shopper = api.register("Early bird")
        assert api.get("/v1/me", auth=shopper["token"]).status_code == 200  # pooled now
        cluster.stop("fast")
        cluster.start()
        first = api.get("/v1/me", auth=shopper["token"])
        assert first.status_code == 200, first.get_json()
        assert api.register("Second customer")["token"]


def test_postgresql_crashes_and_stays_down_a_minute_under_load_on_two_hosts_and_nothing_is_lost(
        cluster: postgres.Cluster, tmp_path: Path) -> None:
    with in_process_app(cluster.url) as app:
        store = open_store(app)
        env = {"REWARDS_DATABASE_URL": cluster.url}
        with gunicorn(env, workers=2, log_dir=tmp_path) as one, \
                gunicorn(env, workers=2, log_dir=tmp_path) as two:
            hosts = [one, two]
            processes = [(host.pid, sorted(host.worker_pids())) for host in hosts]
            load = Load(store, [one.url, two.url], tmp_path / "outbox.sqlite3",
                        held_walk_ins=10).start()
            tally = load.tally

            def more(n: int) -> Any:
                target = tally.acknowledged() + n
                return lambda: tally.acknowledged() >= target

            wait_until(more(10), "the first acknowledged writes", 120)
            # A crash (no checkpoint, WAL replayed at start) and an immediate restart.
            cluster.stop("immediate")
            cluster.start()
            back = time.monotonic()
            wait_until(more(10), "writes acknowledged after PostgreSQL restarted", 120)
            _all_answered_since(tally, back, hosts)
            # Down for a minute, while registers, scanners and the agent keep trying.
            cluster.stop("fast")
            down = time.monotonic()
            unavailable_before = len(tally.unavailable)
            load.release_walk_ins()  # shoppers walk in while the API cannot take them
            wait_until(lambda: load.queued() >= 3, "walk-ins kept in the agent's outbox", 60)
            wait_until(lambda: time.monotonic() - down >= OUTAGE_S, "a minute's outage",
                       OUTAGE_S + 30)
            refused_by = Counter(str(r.request.url.copy_with(path="/", query=None))
                                 for r in tally.unavailable[unavailable_before:])
            assert all(refused_by[host.url + "/"] >= 10 for host in hosts), refused_by
            assert load.queued() >= 3, "the agent's outbox delivered during the outage"
            for host in hosts:
                health = httpx.get(host.url + "/healthz", timeout=10)
                assert health.status_code == 503
                assert unavailable_in_shape(health) is None, unavailable_in_shape(health)
            cluster.start()
            back = time.monotonic()
            # The same gunicorns, not restarted: their pools reconnect.
            for host in hosts:
                wait_until(lambda host=host: _healthy(host.url), f"{host.url} healthy again")
            wait_until(more(10), "writes acknowledged after the outage", 120)
            _all_answered_since(tally, back, hosts)
            load.finish(seconds=240)
            assert [(host.pid, sorted(host.worker_pids())) for host in hosts] == processes
        assert [p for p in map(unavailable_in_shape, tally.unavailable) if p] == []
        check(store, load)
