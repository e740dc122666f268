"""Walk-in benchmarks, on a throwaway PostgreSQL:

1. Token resolution cost per token (open the token, check its window, look the
   shopper up) with 10,000 and then 1,000,000 shoppers in the database, in the batches
   of 200 that ingest uses. The ratio must stay <= 1.5 (resolution is O(1)).
2. Ingest throughput through gunicorn (rewards_api/gunicorn_conf.py): concurrent agent
   processes post batches of 200 signed events for a fixed time; 1 event in 6 is a
   new shopper's walk-in (a new visit and two awards, store and partner program), the
   others are later events of shoppers already in the store (token rotations, exits),
   about what a 30-minute visit produces. A bare Flask endpoint on the same gunicorn
   config takes the same batches (JSON in, one result per event out) for the ratio.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from flask import Flask, request

from rewards_api import create_app, db, schema_migrations
from rewards_api.gunicorn_host import running
from rewards_protocol import events, presence, signing
from tests.support.postgres import test_database
from tests.support.world import setup_actor

PRESENCE_KEY = bytes(range(16))
SECRET_KEY = "bench-" + "0" * 58
BATCH = 200
AGENT_PROCESSES = 8
DURATION_SECONDS = 15.0
NEW_SHOPPER_EVERY = 6
SAMPLE_TOKENS = 20_000
SHOPPERS = 1_000_000
ROOT = Path(__file__).resolve().parent.parent


def shopper_ref(i: int) -> int:
    """Distinct 63-bit references without a lookup: an odd multiplier is a bijection."""
    return (i * 0x9E3779B97F4A7C15) % (1 << 63)


def app_config(url: str) -> dict[str, Any]:
    return {"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "LOG_JSON": False,
            "PRESENCE_KEYS": f"0:{PRESENCE_KEY.hex()}", "ENV": "production"}


def add_shoppers(url: str, start: int, stop: int) -> None:
    """COPY shoppers ``start..stop`` in (seconds for a million rows)."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(  # type: ignore[attr-defined]
                "COPY shoppers (public_id, checkout_secret, shopper_ref, display_name, "
                "assist_opt_in, created_at) FROM STDIN") as copy:
            now = dt.datetime.now(dt.UTC)
            for i in range(start, stop):
                copy.write_row((f"{i:010d}", "A" * 32, shopper_ref(i), f"Shopper {i}", False, now))
        raw.commit()
        with raw.cursor() as cursor:
            cursor.execute("ANALYZE shoppers")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def sample_events(population: int, at: float) -> list[events.PresenceEvent]:
    rng = random.Random(population)
    window = presence.window_of(at)
    found = []
    for i in rng.choices(range(population), k=SAMPLE_TOKENS):
        token = presence.seal_token(PRESENCE_KEY, shopper_ref(i), window)
        found.append(events.PresenceEvent(str(uuid.uuid4()), "enter", 1, 0, token.hex(), at,
                                          at + 10, -55, -60, 12))
    return found


def resolution_cost(app: Any, population: int) -> float:
    """Seconds per token: open, window check, shopper lookup (batches of 200)."""
    from rewards_api.walkins import services

    now = dt.datetime.now(dt.UTC)
    sample = sample_events(population, now.timestamp())
    with app.app_context():
        s = db.session()
        for _round in range(2):  # the first pass warms caches, the second is measured
            started = time.perf_counter()
            for offset in range(0, len(sample), BATCH):
                resolved = services.resolve_tokens(sample[offset:offset + BATCH], now)
                refs = {ref for ref, reason in resolved if reason is None}
                assert len(services.lock_shoppers(s, refs)) == len(refs) > 0
                s.rollback()
            elapsed = time.perf_counter() - started
    return elapsed / len(sample)


def bench_resolution(url: str) -> None:
    app = create_app(app_config(url))
    add_shoppers(url, 0, 10_000)
    small = resolution_cost(app, 10_000)
    started = time.perf_counter()
    add_shoppers(url, 10_000, SHOPPERS)
    print(f"  (990,000 shoppers copied in {time.perf_counter() - started:.1f} s)")
    large = resolution_cost(app, SHOPPERS)
    print(f"token resolution, 10,000 shoppers:    {small * 1e6:7.1f} µs/token")
    print(f"token resolution, 1,000,000 shoppers: {large * 1e6:7.1f} µs/token")
    print(f"ratio 1M / 10k: {large / small:.2f} (must be <= 1.5)")
    app.extensions["rewards_db"].kw["bind"].dispose()


def setup_stores(url: str) -> list[tuple[int, str]]:
    """A chain with one store per agent process, walk-in rules of both programs at
    each, and an agent per store; returns ``(agent_id, secret hex)``."""
    from rewards_api.agents import services as agents
    from rewards_api.ledger.models import PARTNER_PROGRAM, STORE_PROGRAM, Program
    from rewards_api.stores.models import Chain, Store
    from rewards_api.walkins.models import WalkInRule

    app = create_app(app_config(url))
    found = []
    with app.app_context():
        s = db.session()
        chain = Chain(code="bench", name="Bench Market")
        s.add(chain)
        s.flush()
        own = Program(code="bench-points", name="Bench Points", kind=STORE_PROGRAM,
                      chain_id=chain.id)
        partner = Program(code="partner-plus", name="Partner Plus", kind=PARTNER_PROGRAM)
        s.add_all([own, partner])
        for n in range(AGENT_PROCESSES):
            # All in one city, so that shoppers may walk between them.
            store = Store(code=f"bench-{n}", chain_id=chain.id, name=f"Bench {n}",
                          timezone="Europe/Berlin", latitude=52.52, longitude=13.40)
            s.add(store)
            s.flush()
            for program, points in ((own, 10), (partner, 5)):
                s.add(WalkInRule(program_id=program.id, store_id=store.id, points=points,
                                 starts_on=dt.date(2020, 1, 1)))
            agent, secret = agents.provision(s, setup_actor(), store.id, "bench")
            found.append((agent.id, secret))
        s.commit()
    app.extensions["rewards_db"].kw["bind"].dispose()
    return found


def agent_process(base_url: str, path: str, agent: tuple[int, str], first_shopper: int,
                  go: Any, stop_at: Any, results: Any) -> None:
    """One store's agent: batches of 200 signed events from ``go`` until ``stop_at``."""
    agent_id, secret_hex = agent
    secret = bytes.fromhex(secret_hex)
    rng = random.Random(agent_id)
    crowd: list[int] = []
    next_shopper = first_shopper
    accepted = batches = failures = 0
    with httpx.Client(base_url=base_url, timeout=60) as client:
        results.put("ready")
        go.wait()
        while time.time() < stop_at.value:
            now = time.time()
            window = presence.window_of(now)
            batch = []
            for n in range(BATCH):
                if n % NEW_SHOPPER_EVERY == 0 or not crowd:
                    shopper = next_shopper
                    next_shopper += 1
                    crowd.append(shopper)
                    crowd[:] = crowd[-2000:]
                else:
                    shopper = rng.choice(crowd)
                token = presence.seal_token(PRESENCE_KEY, shopper_ref(shopper), window)
                batch.append({"event_id": str(uuid.uuid4()), "kind": "enter",
                              "frame_version": 1, "key_id": 0, "token": token.hex(),
                              "first_seen": now - 20, "last_seen": now - 1, "rssi_max": -55,
                              "rssi_median": -61, "count": 15})
            body = json.dumps({"events": batch}).encode()
            headers = signing.sign_headers(str(agent_id), secret, "POST", path, body)
            headers["Content-Type"] = "application/json"
            response = client.post(path, content=body, headers=headers)
            batches += 1
            if response.status_code == 200:
                accepted += response.json()["accepted"]
            else:
                failures += 1
    results.put((accepted, batches, failures))


def workers_cpu_seconds(master: int) -> float:
    """CPU time (user + system) the gunicorn master's worker processes used so far."""
    total = 0.0
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def drive(base: str, agents: list[tuple[int, str]], first_shopper: int, master: int
          ) -> tuple[float, int, int, float]:
    """Events accepted per second, batches, failed batches, and the web workers' CPU
    seconds per 1,000 events. The clock starts once every agent process is connected."""
    context = multiprocessing.get_context("spawn")
    results, go, stop_at = context.Queue(), context.Event(), context.Value("d", 0.0)
    processes = [context.Process(target=agent_process, args=(
        base, events.SIGHTINGS_PATH, agent, first_shopper + n * SHOPPERS // len(agents),
        go, stop_at, results)) for n, agent in enumerate(agents)]
    for process in processes:
        process.start()
    for _ in processes:
        assert results.get(timeout=120) == "ready"
    started, cpu_before = time.time(), workers_cpu_seconds(master)
    stop_at.value = started + DURATION_SECONDS
    go.set()
    totals = [results.get(timeout=DURATION_SECONDS + 120) for _ in processes]
    elapsed, cpu = time.time() - started, workers_cpu_seconds(master) - cpu_before
    for process in processes:
        process.join(timeout=10)
    accepted, batches, failures = (sum(t[i] for t in totals) for i in range(3))
    if accepted != (batches - failures) * BATCH:
        raise RuntimeError(f"only {accepted} of {(batches - failures) * BATCH} events accepted")
    return accepted / elapsed, batches, failures, cpu / max(accepted, 1) * 1000


def bare_app() -> Flask:
    """The baseline: same gunicorn, a Flask endpoint that reads the batch and answers one
    result per event, with no signature, database or token work."""
    app = Flask("bare")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(events.SIGHTINGS_PATH)
    def sightings() -> dict[str, Any]:
        batch = json.loads(request.get_data())["events"]
        results = [{"event_id": e["event_id"], "status": "accepted", "reason": None}
                   for e in batch]
        return {"results": results, "accepted": len(results), "duplicate": 0, "rejected": 0}

    return app


def bench_ingest(url: str) -> None:
    agents = setup_stores(url)
    env = {"REWARDS_DATABASE_URL": url, "REWARDS_SECRET_KEY": SECRET_KEY, "REWARDS_ENV":
           "production", "REWARDS_PRESENCE_KEYS": f"0:{PRESENCE_KEY.hex()}",
           "REWARDS_LOG_JSON": "false"}
    rates = {}
    for name, spec in (("rewards API", "rewards_api:create_app()"),
                       ("bare Flask", "bench.bench_walkins:bare_app()")):
        with running(spec, env, workers=4) as server:
            rate, batches, failures, cpu_per_1000 = drive(server.url, agents, 0, server.pid)
        rates[name] = rate
        print(f"ingest, {name:12}: {rate:8.0f} events/s accepted "
              f"({batches} batches of {BATCH} from {AGENT_PROCESSES} agents, "
              f"{failures} failed); web workers' CPU {cpu_per_1000 * 1000:.0f} ms per "
              f"1,000 events = {1000 / cpu_per_1000:.0f} events per worker-CPU-second")
    print(f"ratio rewards API / bare Flask: {rates['rewards API'] / rates['bare Flask']:.2f} "
          f"(target >= 5,000 events/s; a 1,000-store chain at peak needs about 1,000)")


def main() -> None:
    with test_database() as url:
        schema_migrations.upgrade(url)
        bench_resolution(url)
        bench_ingest(url)


if __name__ == "__main__":
    main()
