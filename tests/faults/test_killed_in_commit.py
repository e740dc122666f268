"""``kill -9`` of a gunicorn worker while its request is provably inside COMMIT, on
PostgreSQL (fsync on).

A COMMIT takes too little time to be hit on purpose, so the throwaway cluster is told
that every commit waits for a synchronous standby that does not exist
(``synchronous_standby_names``): the commit's WAL is written and flushed, then the
backend waits (``pg_stat_activity``: wait event ``SyncRep``) with the transaction not
yet visible to anyone and the client unanswered. The test sees the sale's own
transaction waiting there (the checkout row carries that transaction id afterwards),
kills the worker, lets commits through again and checks: the unacknowledged sale is
there whole (its points as on its receipt, its holds captured) and a retry with the
same Idempotency-Key gets one answer, every time, with nothing doubled; every balance
is the sum of its entries and none is negative.

On SQLite (tests/faults/test_app_tier_killed.py) the kills stay probabilistic: a
SQLite COMMIT has no point where it waits for something outside the process, so a
kill can be shown to cut a request in flight but not to land inside COMMIT.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, select, text

from rewards_api import db, schema_migrations
from rewards_api.gunicorn_host import wait_until
from rewards_api.ledger.models import CAPTURED, PURCHASE, REDEMPTION, Account, Hold, LedgerEntry
from rewards_api.ledger.services import held_sum, ledger_sum
from rewards_api.pos.models import COMMITTED, Checkout
from tests.conftest import Api
from tests.faults.load import in_process_app
from tests.support import postgres
from tests.support.gunicorn import gunicorn
from tests.support.shop import build_shop
from tests.support.world import build_world

pytestmark = pytest.mark.timeout(300)

WAITING = ("SELECT pid, backend_xid::text::bigint AS xid, query FROM pg_stat_activity "
           "WHERE wait_event = 'SyncRep' AND datname = current_database()")


@pytest.fixture(scope="module")
def cluster() -> Iterator[postgres.Cluster]:
    with postgres.throwaway_cluster("killed_in_commit", durable=True) as durable:
        schema_migrations.upgrade(durable.url)
        yield durable


def _commits_wait(monitor: Engine, standby: str) -> None:
    """Make every commit wait for ``standby`` (none: commits go through again), and
    return once that is in force (a probe write is seen waiting, or goes through)."""
    with monitor.connect() as conn:
        conn.execute(text(f"ALTER SYSTEM SET synchronous_standby_names = '{standby}'"))
        conn.execute(text("SELECT pg_reload_conf()"))
    if not standby:
        wait_until(lambda: not _waiting(monitor), "commits going through again", 120)
        return
    probes: list[threading.Thread] = []

    def probe_waiting() -> list[dict[str, Any]]:
        """A probe write seen waiting; a new probe when the last went through (sent
        before the server took the setting)."""
        found = [w for w in _waiting(monitor) if "fault_probe" in w["query"]]
        if not found and not (probes and probes[-1].is_alive()):
            probes.append(threading.Thread(target=_probe_write, args=(monitor,), daemon=True))
            probes[-1].start()
        return found

    waiting = wait_until(probe_waiting, "a probe write waiting for the standby", 120)
    with monitor.connect() as conn:  # cancelled: committed locally, the probe returns
        conn.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": waiting[0]["pid"]})
    probes[-1].join(timeout=60)


def _probe_write(monitor: Engine) -> None:
    with monitor.connect() as conn:
        conn.execute(text("INSERT INTO fault_probe VALUES (1)"))


def _waiting(monitor: Engine) -> list[dict[str, Any]]:
    with monitor.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(text(WAITING))]


def test_a_worker_killed_inside_commit_leaves_the_sale_whole_and_its_retry_answers_once(
        cluster: postgres.Cluster, tmp_path: Path) -> None:
    monitor = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with monitor.connect() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS fault_probe (n int)"))
    with in_process_app(cluster.url) as app:
        api = Api(app.test_client())
        with app.app_context():
            world = build_world()
            db.session().commit()
        shop = build_shop(app, api, world)
        opened = shop.open()
        assert opened.status_code == 201, opened.get_json()
        checkout_id = opened.get_json()["id"]
        applied = shop.post(f"/v1/pos/checkouts/{checkout_id}/rewards")
        assert applied.status_code == 200 and applied.get_json()["applied"], applied.get_json()
        body = {"shopper_agreed": shop.agreed(checkout_id)}
        headers = {"Authorization": f"Bearer {shop.registers[0]}",
                   "Idempotency-Key": str(uuid.uuid4())}
        path = f"/v1/pos/checkouts/{checkout_id}/commit"
        with gunicorn({"REWARDS_DATABASE_URL": cluster.url}, workers=1, log_dir=tmp_path) as host:
            outcome: list[Any] = []

            def commit() -> None:
                try:
                    outcome.append(httpx.post(host.url + path, json=body, headers=headers,
                                              timeout=120))
                except httpx.TransportError as exc:
                    outcome.append(exc)

            try:
                _commits_wait(monitor, "a_standby_that_does_not_exist")
                request = threading.Thread(target=commit, daemon=True)
                request.start()
                inside = wait_until(lambda: [w for w in _waiting(monitor)
                                             if w["query"].strip().upper() == "COMMIT"],
                                    "the sale's COMMIT waiting", 120)[0]
                host.kill_worker()
                request.join(timeout=120)
                # Cut off inside COMMIT: the client has no answer, and nobody sees the
                # sale yet while its backend still waits.
                assert len(outcome) == 1 and isinstance(outcome[0], httpx.TransportError)
                assert inside["pid"] in [w["pid"] for w in _waiting(monitor)]
                with monitor.connect() as conn:
                    status = conn.execute(text("SELECT status FROM checkouts WHERE id = :id"),
                                          {"id": checkout_id}).scalar_one()
                assert status != COMMITTED
            finally:
                _commits_wait(monitor, "")
            with monitor.connect() as conn:
                xmin = conn.execute(text("SELECT xmin::text::bigint FROM checkouts "
                                         "WHERE id = :id"), {"id": checkout_id}).scalar_one()
            # The transaction killed inside COMMIT was the sale's, and it is there whole.
            assert xmin == inside["xid"]
            before = _entries(app)
            wait_until(lambda: host.worker_pids(), "the master's new worker")
            retries = [httpx.post(host.url + path, json=body, headers=headers, timeout=120)
                       for _ in range(2)]
        assert [r.status_code for r in retries] == [200, 200], retries[0].text
        assert retries[0].json() == retries[1].json()
        assert _entries(app) == before  # the retries did nothing more
        _check_whole(app, checkout_id, retries[0].json()["receipt"])
    monitor.dispose()


def _entries(app: Any) -> list[tuple[int, str, int]]:
    with app.app_context():
        return [(e.id, e.kind, e.amount) for e in db.session().scalars(
            select(LedgerEntry).order_by(LedgerEntry.id))]


def _check_whole(app: Any, checkout_id: int, receipt: dict[str, Any]) -> None:
    """The sale committed once with all its parts; every balance is its entries."""
    app.extensions["rewards_db"].kw["bind"].dispose()  # pooled before the kill
    with app.app_context():
        s = db.session()
        checkout = s.get(Checkout, checkout_id)
        assert checkout is not None and checkout.status == COMMITTED
        holds = list(s.scalars(select(Hold).where(Hold.reference == f"checkout:{checkout_id}")))
        assert holds and all(h.status == CAPTURED for h in holds)
        references = {f"checkout:{checkout_id}"} | {f"hold:{h.id}" for h in holds}
        entries = [e for e in s.scalars(select(LedgerEntry)) if e.reference in references]
        for kind, entry_kind in (("earned", PURCHASE), ("redeemed", REDEMPTION)):
            on_receipt = sorted((line["program"], line["points"]) for line in receipt["lines"]
                                if line["kind"] == kind and line["points"])
            in_ledger = sorted((e.program.code, e.amount) for e in entries
                               if e.kind == entry_kind)
            assert _summed(in_ledger) == _summed(on_receipt), kind
        for account in s.scalars(select(Account)):
            assert account.balance == ledger_sum(s, account.id) >= 0
            assert account.held == held_sum(s, account.id) >= 0


def _summed(pairs: list[tuple[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for program, points in pairs:
        totals[program] = totals.get(program, 0) + points
    return totals
