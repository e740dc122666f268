"""Checkout: identify → apply suggested → commit (shopper agreed) through the pos_plugin client against
gunicorn on PostgreSQL (p50/p95 per sale and per call, beside GET /healthz on the same
server as the bare baseline), and the cashier actions the panel needs for a whole
checkout: scan, apply both programs, complete once the shopper agreed (real headless
Chromium)."""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from pos_plugin import EarnQueue, RewardsClient
from pos_plugin.register import Register
from pos_plugin.server import create_app as create_panel
from rewards_api import create_app, db, schema_migrations
from rewards_api.gunicorn_host import running
from rewards_api.ledger import services as ledger
from rewards_api.pos import catalog
from rewards_api.products import gtin as gtins
from rewards_api.shoppers import services as shoppers
from rewards_api.shoppers.services import checkout_totp
from rewards_api.stores.services import program_by_code
from tests.support.browser import launch
from tests.support.live import serve
from tests.support.panel_flow import apply_both_programs, complete_after_asking
from tests.support.postgres import test_database
from tests.support.shop import BASKET, CATALOG, EARN_RULES
from tests.support.world import build_world, setup_actor, staff_key

SALES = 200            # sequential sales, one register
PARALLEL_REGISTERS = 4
PARALLEL_SALES = 40    # per register
WORKERS = 4
TARGET_P95_MS = 150.0
TARGET_ACTIONS = 3


def seed(url: str, shoppers_needed: int) -> tuple[list[str], list[tuple[str, str]]]:
    """A chain with catalog and earn rules, register keys, and shoppers with points;
    returns (register keys, [(public_id, checkout secret)])."""
    schema_migrations.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_JSON": False})
    with app.app_context():
        s = db.session()
        world = build_world()
        # Services take GTINs as the API and the CLI hand them over: 14 digits.
        for reward in CATALOG:
            fields = {k: v for k, v in reward.items() if k != "program"}
            if fields.get("product_gtin"):
                fields["product_gtin"] = gtins.normalize(fields["product_gtin"])
            fields["eligible_gtins"] = [gtins.normalize(g) for g in fields.get("eligible_gtins", [])]
            catalog.create_reward(s, setup_actor(), program_by_code(s, reward["program"]),
                                  fields)
        for rule in EARN_RULES:
            catalog.set_earn_rule(s, setup_actor(), program_by_code(s, rule["program"]),
                                  gtin=gtins.normalize(rule["gtin"]) if rule.get("gtin") else None,
                                  points_per_unit=rule.get("points_per_unit", 0),
                                  multiplier=rule.get("multiplier", 1))
        keys = []
        for number in range(PARALLEL_REGISTERS):
            keys.append(staff_key("cashier", world.store_ids[0], f"Bench register {number}"))
        people = []
        for number in range(shoppers_needed):
            shopper, _ = shoppers.register(s, f"Bench {number}", None, dt.timedelta(days=1))
            for code, points in (("corner-points", 1000), ("partner-plus", 600)):
                account = shoppers.account_for(s, shopper, program_by_code(s, code))
                ledger.adjust(s, account, points, reason="bench", actor="system")
            people.append((shopper.public_id, shopper.checkout_secret))
        s.commit()
    return keys, people


def code_of(person: tuple[str, str]) -> str:
    return f"RWD1:{person[0]}:{checkout_totp(person[1]).now()}"


def sale(client: RewardsClient, person: tuple[str, str]) -> list[float]:
    """One sale; the seconds each call took: identify, apply, commit."""
    times = []
    started = time.perf_counter()
    view = client.open_checkout({"code": code_of(person)}, BASKET, "bench")
    times.append(time.perf_counter() - started)
    started = time.perf_counter()
    applied = client.apply_rewards(view.id)
    times.append(time.perf_counter() - started)
    assert len({a.program for a in applied.applied}) == 2, "both programs applied"
    started = time.perf_counter()
    receipt = client.commit(view.id, shopper_agreed=[a.reward for a in applied.applied]).receipt
    times.append(time.perf_counter() - started)
    assert receipt is not None and receipt.to_pay_minor == applied.to_pay_minor
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def row(name: str, values: list[float]) -> str:
    return (f"{name:<28} p50 {percentile(values, 50):7.1f} ms   p95 {percentile(values, 95):7.1f} ms"
            f"   n={len(values)}")


def baseline(url: str, n: int) -> list[float]:
    with httpx.Client(base_url=url) as http:
        times = []
        for _ in range(n):
            started = time.perf_counter()
            http.get("/healthz").raise_for_status()
            times.append(time.perf_counter() - started)
    return times


def panel_actions(api: str, key: str, person: tuple[str, str]) -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log in the figures
    with tempfile.TemporaryDirectory() as tmp:
        register = Register(RewardsClient(api, key), EarnQueue(Path(tmp) / "queue.db"), "bench")
        with serve(create_panel(register, panel=True)) as panel, sync_playwright() as playwright:
            httpx.post(f"{panel}/api/basket", json=BASKET).raise_for_status()
            browser = launch(playwright)
            try:
                cashier = apply_both_programs(browser.new_page(), panel, code_of(person))
                complete_after_asking(cashier)
            finally:
                browser.close()
    return len(cashier.actions)


def main() -> None:
    needed = SALES + PARALLEL_REGISTERS * PARALLEL_SALES + 10
    with test_database() as url:
        keys, people = seed(url, needed)
        with running("rewards_api:create_app()", {"REWARDS_DATABASE_URL": url,
                                                "REWARDS_SECRET_KEY": "bench"},
                   workers=WORKERS) as server:
            api = server.url
            client = RewardsClient(api, keys[0])
            for person in people[:5]:  # warm-up: connections, imports, caches
                sale(client, person)
            queue = iter(people[5:])
            sales = [sale(client, next(queue)) for _ in range(SALES)]
            bare = baseline(api, SALES)

            parallel: list[list[float]] = []
            lock = threading.Lock()
            batches = [[next(queue) for _ in range(PARALLEL_SALES)] for _ in keys]

            def register_loop(key: str, batch: list[tuple[str, str]]) -> None:
                own = RewardsClient(api, key)
                for person in batch:
                    took = sale(own, person)
                    with lock:
                        parallel.append(took)

            started = time.perf_counter()
            threads = [threading.Thread(target=register_loop, args=(k, b))
                       for k, b in zip(keys, batches, strict=True)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            parallel_seconds = time.perf_counter() - started
            actions = panel_actions(api, keys[0], next(queue))

    whole = [sum(t) for t in sales]
    print(f"gunicorn {WORKERS} gthread workers on PostgreSQL, one register, {SALES} sales")
    print(row("identify (open)", [t[0] for t in sales]))
    print(row("apply suggested", [t[1] for t in sales]))
    print(row("commit", [t[2] for t in sales]))
    print(row("whole sale (3 calls)", whole))
    print(row("baseline GET /healthz", bare))
    ratio = statistics.median(whole) / 3 / statistics.median(bare)
    print(f"per-call median vs bare endpoint on the same server: {ratio:.1f}x")
    p95 = percentile(whole, 95)
    print(f"target: whole sale p95 <= {TARGET_P95_MS:.0f} ms -> {p95:.1f} ms "
          f"({'met' if p95 <= TARGET_P95_MS else 'NOT met'})")
    parallel_whole = [sum(t) for t in parallel]
    print(row(f"whole sale, {PARALLEL_REGISTERS} registers at once", parallel_whole))
    print(f"{len(parallel)} sales in {parallel_seconds:.1f} s = "
          f"{len(parallel) / parallel_seconds:.1f} sales/s")
    print(f"panel: cashier actions for a checkout with both programs = {actions} (target {TARGET_ACTIONS}: "
          f"{'met' if actions <= TARGET_ACTIONS else 'NOT met'})")
