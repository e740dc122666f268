"""Foundation: ledger entries/s through the service layer; what the pool's pre-ping
costs a request on PostgreSQL (side by side with the same app without it); and GET /v1/me
under gunicorn beside a bare Flask endpoint on the same gunicorn configuration."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from contextlib import ExitStack

from sqlalchemy import create_engine

from bench.support import wrk
from rewards_api import clock, create_app, db, schema_migrations
from rewards_api.gunicorn_host import running
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import WALK_IN
from rewards_api.shoppers import services as shoppers
from rewards_api.stores.services import program_by_code
from tests.support.postgres import test_database
from tests.support.world import build_world

LEDGER_ENTRIES = 2000
WORKERS = 4
PRE_PING_REQUESTS = 500  # per block; blocks alternate with and without, 4 of each


def _app(url: str):  # type: ignore[no-untyped-def]
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_JSON": False})


def seed(url: str) -> str:
    """Migrate, build a chain, register a shopper with points in both programs; return
    the shopper's token."""
    schema_migrations.upgrade(url)
    app = _app(url)
    with app.app_context():
        s = db.session()
        build_world()
        shopper, token = shoppers.register(s, "Bench", None, dt.timedelta(days=1))
        for code in ("corner-points", "partner-plus"):
            account = shoppers.account_for(s, shopper, program_by_code(s, code))
            ledger.adjust(s, account, 100, reason="bench", actor="system")
        s.commit()
    return token


def ledger_rate(url: str) -> float:
    app = _app(url)
    with app.app_context():
        s = db.session()
        shopper, _ = shoppers.register(s, "Ledger bench", None, dt.timedelta(days=1))
        account = shoppers.account_for(s, shopper, program_by_code(s, "corner-points"))
        s.commit()
        started = time.perf_counter()
        for i in range(LEDGER_ENTRIES):
            ledger.credit(s, [ledger.Credit(account.id, account.program_id, WALK_IN, 1,
                                            reference=f"bench:{i}", actor="system",
                                            idempotency_key=f"bench:{i}", store_id=None,
                                            at=clock.now())])
            s.commit()
        elapsed = time.perf_counter() - started
        assert account.balance == LEDGER_ENTRIES
    return LEDGER_ENTRIES / elapsed


def _me_per_request(client, token: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Wall and CPU seconds per GET /v1/me, in process (the test client)."""
    headers = {"Authorization": f"Bearer {token}"}
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(PRE_PING_REQUESTS):
        assert client.get("/v1/me", headers=headers).status_code == 200
    return ((time.perf_counter() - wall) / PRE_PING_REQUESTS,
            (time.process_time() - cpu) / PRE_PING_REQUESTS)


def pre_ping_cost(url: str, token: str) -> None:
    """The pool tests each PostgreSQL connection as it is handed out (``db.make_engine``),
    so a request after a database restart never meets a dead connection. The same app,
    its sessions bound in turn to its own engine and to one without the ping, in
    alternating blocks; the ratio is what the ping costs a read."""
    app = _app(url)
    factories = (app.extensions["rewards_db"], app.extensions["rewards_db_read"])
    pinged = factories[0].kw["bind"]
    plain = create_engine(url, pool_pre_ping=False)
    binds = {"with pre-ping": pinged, "without": plain}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in binds}
    client = app.test_client()
    _me_per_request(client, token)  # warm both the app and the server's caches
    for _ in range(4):
        for name, engine in binds.items():
            factories[0].configure(bind=engine)
            factories[1].configure(bind=engine.execution_options(isolation_level="AUTOCOMMIT"))
            runs[name].append(_me_per_request(client, token))
    plain.dispose()
    best = {name: (min(w for w, _ in r), min(c for _, c in r)) for name, r in runs.items()}
    print(f"\nPre-ping on PostgreSQL: GET /v1/me in process, {PRE_PING_REQUESTS} requests x 4 "
          "alternating blocks each, best block")
    for name, (wall, cpu) in best.items():
        print(f"  {name:<14} {wall * 1e6:>7.0f} us wall   {cpu * 1e6:>7.0f} us CPU per request")
    (wall_on, cpu_on), (wall_off, cpu_off) = best.values()
    print(f"  ratio with/without: wall {wall_on / wall_off:.2f}x, CPU {cpu_on / cpu_off:.2f}x")


def main() -> None:
    with ExitStack() as stack:
        sqlite_url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/rewards.db"
        pg_url = stack.enter_context(test_database())
        backends = {"sqlite": sqlite_url, "postgresql": pg_url}
        tokens = {name: seed(url) for name, url in backends.items()}

        print(f"\nLedger: {LEDGER_ENTRIES} entries, one transaction each, service layer")
        for name, url in backends.items():
            print(f"  {name:<11} {ledger_rate(url):>8.0f} entries/s")

        pre_ping_cost(pg_url, tokens["postgresql"])

        print(f"\nHTTP under gunicorn ({WORKERS} gthread workers), wrk 2 threads x 16 connections, 10 s each;")
        print("the bare endpoint runs before and after (A-B-A) and ratios use their mean")
        with running("bench.bare_app:app", {}, workers=WORKERS,
                     ready_path="/hello") as bare_server:
            bare_before = wrk(bare_server.url + "/hello")
            results = {}
            for name, url in backends.items():
                env = {"REWARDS_DATABASE_URL": url, "REWARDS_SECRET_KEY": "bench"}
                with running("rewards_api:create_app()", env, workers=WORKERS) as api:
                    results[name] = wrk(api.url + "/v1/me",
                                        headers={"Authorization": f"Bearer {tokens[name]}"})
            bare_after = wrk(bare_server.url + "/hello")
        bare_rate = (bare_before.requests_per_second + bare_after.requests_per_second) / 2
        print("  " + bare_before.row("bare Flask /hello (before)"))
        print("  " + bare_after.row("bare Flask /hello (after)"))
        for name, load in results.items():
            ratio = load.requests_per_second / bare_rate
            print("  " + load.row(f"GET /v1/me on {name}") + f"   ratio {ratio:.0%} of bare")
            if name == "postgresql":
                verdict = "meets" if ratio >= 0.30 else "MISSES"
                print(f"  target: GET /v1/me on PostgreSQL >= 30% of bare: {verdict}")
