"""Scale: do the hot queries keep their plans and their time as a chain's tables grow
tenfold? A generator fills a throwaway PostgreSQL with a scaled-down chain's year
(shoppers with two accounts, a year of ledger entries and visits, the raw sightings and
stored answers that retention keeps), then times the hot requests through the real app
(sign-in, balances, scan award, checkout commit, sighting ingest, the dashboard's day
with its walk-ins seen at the till,
one store's results against its 4-week baseline, the results of every store, the chain
view of every store)
on it and on a second database ten times as large (nine times more stores and
shoppers: a chain grows by opening stores). The baseline is the same requests at
1x, in the same run, in turns with the 10x requests (two databases in one cluster):
printed as ratios (target <= 1.5), with the plans of the hot queries' SQL at both sizes.

SCALE_SHOPPERS (default 2,000) sets the 1x size; the rest follows a chain's shape
(per shopper: 2 accounts, 30 ledger entries and 10 visits a year, each with a sale paid
with the app's checkout code, a token; per store
and day: raw sightings kept 30 days, refusals kept; stored answers kept 48 hours).

The chain view and the results of every store read every store of the chain, so at 10x
(ten times the stores) they do ten times the work by design: their ratios are printed
beside the others with their time per store and the SQL statements a request sends (a
constant number: grouped queries), and are not held to the target."""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import pyotp
from sqlalchemy import event, select, text

from rewards_api import create_app, db, schema_migrations
from rewards_api.agents import services as agents
from rewards_api.ledger.models import Program
from rewards_api.products.services import product_by_gtin
from rewards_api.scans import campaigns
from rewards_api.stores.models import Chain, Store
from rewards_api.walkins.models import WalkInRule
from rewards_protocol import events, presence, signing
from tests.conftest import Api
from tests.support.postgres import test_database
from tests.support.scan_shop import COFFEE, shopper_id, stock_products, walk_in
from tests.support.shop import BASKET, build_shop
from tests.support.world import build_world, setup_actor

SHOPPERS = int(os.environ.get("SCALE_SHOPPERS", "2000"))
STORES = 100  # at 1x; a 1,000-store chain scaled down by 10 (the 10x step is the chain)
ENTRIES_PER_ACCOUNT = 15  # 30 a shopper a year over two programs
VISITS_PER_SHOPPER = 10
SIGHTINGS_PER_STORE = 30  # per day, kept 30 days (scaled down like the rest)
REFUSALS_PER_STORE = 3  # per day, a year of them
ANSWERS_PER_SHOPPER = 2  # stored answers of the last 48 hours
ROUNDS = 25  # timed requests per kind and size
TARGET_RATIO = 1.5
SETTINGS = {"SECRET_KEY": "bench-scale", "PRESENCE_KEYS": "1:" + "5a" * 16, "LOG_JSON": False}

_TILL = ("SELECT c.id, v.started_at FROM checkouts c LEFT JOIN visits v ON v.shopper_id = "
         "c.shopper_id AND v.store_id = c.store_id AND v.last_seen_at >= now() - interval "
         "'{days} days 15 minutes' AND v.started_at >= now() - interval '{days} days 12 hours' "
         "AND v.started_at < now() + interval '15 minutes' WHERE c.store_id IN ({stores}) AND "
         "c.status = 'committed' AND NOT c.training AND c.identified_by = 'code' AND "
         "c.shopper_id IS NOT NULL AND c.committed_at >= now() - interval '{days} days'")
# The SQL behind the hot requests, to compare plans at both sizes.
PLANS = {
    "token lookup": "SELECT * FROM shopper_tokens WHERE token_hash = :v",
    "balance = sum": "SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE account_id = :v",
    "history": "SELECT * FROM ledger_entries WHERE account_id = :v ORDER BY id DESC LIMIT 50",
    "visit now": ("SELECT * FROM visits WHERE shopper_id = :v AND store_id = 1 "
                  "ORDER BY last_seen_at DESC LIMIT 1"),
    "dashboard day": ("SELECT kind, sum(amount) FROM ledger_entries WHERE store_id = 1 AND "
                      "created_at >= now() - interval '1 day' GROUP BY kind"),
    # Ingest: a batch's shoppers' recent visits, and their resident visits at the store
    # (visits.services.record_presences).
    "batch's visits": ("SELECT * FROM visits WHERE shopper_id IN (1, 2, 3) AND "
                       "(last_seen_at >= now() - interval '12 hours' OR (store_id = 1 AND "
                       "flag = 'lives_or_works_here' AND last_seen_at >= now() - interval '7 days'))"),
    "walk-in paid?": ("SELECT program_id, idempotency_key FROM ledger_entries WHERE "
                      "program_id IN (1, 2) AND idempotency_key IN ('walk_in:1:1:x', 'y')"),
    "store's visits": ("SELECT started_at FROM visits WHERE store_id = 1 AND "
                       "started_at >= now() - interval '1 day'"),
    # The results page: a store's 5 weeks (the period and its 4-week baseline).
    "results scans": ("SELECT reference, actor, created_at FROM ledger_entries WHERE store_id = 1 "
                      "AND created_at >= now() - interval '35 days' AND kind = 'scan' AND amount > 0"),
    "refusals": ("SELECT code, gtin, at FROM refusals WHERE store_id = 1 AND "
                 "at >= now() - interval '35 days'"),
    # The chain view: every store's week at once ({stores}: the chain's store ids).
    "chain visits": ("SELECT store_id, count(*) FROM visits WHERE store_id IN ({stores}) AND "
                     "started_at >= now() - interval '7 days' AND flag IS NULL GROUP BY store_id"),
    # Seen walking in (dashboard.services.seen_at_till): each sale paid with the app's
    # code, with its shopper's visits at its store: a store's day, every store's week.
    "till day": _TILL.format(stores="1", days=1),
    "chain till": _TILL.format(stores="{stores}", days=7),
    "chain ledger": ("SELECT store_id, kind, actor, created_at, count(*) FROM ledger_entries "
                     "WHERE store_id IN ({stores}) AND created_at >= now() - interval '7 days' "
                     "AND ((kind = 'scan' AND amount > 0) OR kind = 'redemption') "
                     "GROUP BY store_id, kind, actor, created_at"),
}


def fill(url: str, first: int, count: int, stores: tuple[int, int]) -> float:
    """Add ``count`` shoppers (numbered from ``first``) and their year in the stores with
    ids ``stores`` (first, last): a chain grows by opening stores, so a store's own day
    stays the size it was. Returns seconds."""
    low, high = stores
    started = time.perf_counter()
    engine = db.make_engine(url)
    last = first + count - 1
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(text(f"""
            INSERT INTO shoppers (public_id, checkout_secret, shopper_ref, display_name,
                                  assist_opt_in, created_at)
            SELECT 'F' || lpad(to_hex(n), 9, '0'), md5(n::text), 900000000000 + n,
                   'Shopper ' || n, false, now() - interval '1 year' * random()
            FROM generate_series({first}, {last}) n"""))
        conn.execute(text(f"""
            INSERT INTO shopper_tokens (shopper_id, token_hash, created_at, expires_at)
            SELECT s.id, md5('token' || s.id), now(), now() + interval '30 days'
            FROM shoppers s WHERE s.shopper_ref BETWEEN 900000000000 + {first} AND 900000000000 + {last}"""))
        conn.execute(text(f"""
            INSERT INTO accounts (shopper_id, program_id, balance, held, created_at)
            SELECT s.id, p.id, 0, 0, s.created_at
            FROM shoppers s CROSS JOIN programs p
            WHERE s.shopper_ref BETWEEN 900000000000 + {first} AND 900000000000 + {last}"""))
        # Entries land on random accounts of this fill, at random stores and times of the year.
        conn.execute(text(f"""
            CREATE TEMP TABLE fill_accounts ON COMMIT DROP AS
            SELECT row_number() OVER () AS n, a.id, a.program_id FROM accounts a
            JOIN shoppers s ON s.id = a.shopper_id
            WHERE s.shopper_ref BETWEEN 900000000000 + {first} AND 900000000000 + {last}"""))
        accounts = conn.scalar(text("SELECT count(*) FROM fill_accounts"))
        conn.execute(text(f"""
            INSERT INTO ledger_entries (account_id, program_id, kind, amount, reference,
                                        store_id, actor, created_at)
            SELECT fa.id, fa.program_id, 'purchase', 1 + (random() * 40)::int, 'fill:' || g,
                   {low} + (random() * ({high} - {low}))::int, 'fill',
                   now() - interval '365 days' * random()
            FROM generate_series(1, {accounts * ENTRIES_PER_ACCOUNT}) g
            JOIN fill_accounts fa ON fa.n = 1 + (g % {accounts})"""))
        conn.execute(text("""
            UPDATE accounts a SET balance = t.total
            FROM (SELECT account_id, sum(amount) AS total FROM ledger_entries
                  WHERE actor = 'fill' AND account_id IN (SELECT id FROM fill_accounts)
                  GROUP BY account_id) t
            WHERE a.id = t.account_id"""))
        conn.execute(text(f"""
            INSERT INTO visits (shopper_id, store_id, started_at, last_seen_at, adverts, agent_ids)
            SELECT s.id, {low} + (random() * ({high} - {low}))::int, t.at, t.at + interval '20 minutes',
                   40, '[]'
            FROM shoppers s
            CROSS JOIN generate_series(1, {VISITS_PER_SHOPPER}) v
            CROSS JOIN LATERAL (SELECT now() - interval '365 days' * random() + v * interval '0 s' AS at) t
            WHERE s.shopper_ref BETWEEN 900000000000 + {first} AND 900000000000 + {last}"""))
        # Each visit ends in a sale paid with the app's checkout code (a shopper who pays).
        conn.execute(text(f"""
            INSERT INTO checkouts (store_id, staff_key_id, cashier, shopper_id, identified_by,
                                   training, status, currency, basket, applied,
                                   rewards_offered, rewards_applied, created_at, committed_at)
            SELECT v.store_id, (SELECT min(id) FROM staff_keys), 'fill', v.shopper_id, 'code',
                   false, 'committed', 'EUR', '[]', '[]', false, false,
                   v.started_at + interval '15 minutes', v.started_at + interval '15 minutes'
            FROM visits v JOIN shoppers s ON s.id = v.shopper_id
            WHERE s.shopper_ref BETWEEN 900000000000 + {first} AND 900000000000 + {last}"""))
        conn.execute(text(f"""
            INSERT INTO sightings (event_id, agent_id, store_id, shopper_id, kind, key_id, token,
                                   first_seen_at, last_seen_at, rssi_max, rssi_median, count,
                                   status, received_at)
            SELECT gen_random_uuid(), 1, {low} + (random() * ({high} - {low}))::int,
                   NULL, 'enter', 1, md5(g::text), t.at, t.at, -50, -60, 20, 'accepted', t.at
            FROM generate_series(1, {(high - low + 1) * SIGHTINGS_PER_STORE * 30}) g
            CROSS JOIN LATERAL (SELECT now() - interval '30 days' * random() + g * interval '0 s' AS at) t"""))
        conn.execute(text(f"""
            INSERT INTO refusals (store_id, code, gtin, at)
            SELECT {low} + (random() * ({high} - {low}))::int,
                   (ARRAY['not_in_store', 'already_scanned', 'barcode_unclear',
                          'checkout_code_expired'])[1 + g % 4], NULL,
                   now() - interval '365 days' * random()
            FROM generate_series(1, {(high - low + 1) * REFUSALS_PER_STORE * 365}) g"""))
        conn.execute(text(f"""
            INSERT INTO idempotency_records (scope, key, request_hash, status, body, content_type, created_at)
            SELECT 'fill', 'fill-{first}-' || g, md5(g::text), 200, '{{}}', 'application/json',
                   now() - interval '48 hours' * random()
            FROM generate_series(1, {count * ANSWERS_PER_SHOPPER}) g"""))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - started


def add_stores(app: Any, up_to: int) -> None:
    with app.app_context():
        s = db.session()
        chain = s.scalars(select(Chain)).first()
        have = len(s.scalars(select(Store.id)).all())
        for n in range(have, up_to):
            s.add(Store(code=f"store-{n}", chain_id=chain.id, name=f"Store {n}",  # type: ignore[union-attr]
                        timezone="Europe/Berlin", latitude=50.0, longitude=10.0))
        s.commit()


class Hot:
    """The hot requests, each made by a fresh live shopper where it must be."""

    def __init__(self, app: Any, api: Api, world: Any, agent: tuple[int, bytes],
                 register_key: str) -> None:
        self.app, self.api, self.world = app, api, world
        self.agent_id, self.secret = agent
        self.register_key = register_key
        self.counter = 0

    def shopper(self, *, in_store: bool = False) -> dict[str, Any]:
        self.counter += 1
        shopper = self.api.register(f"Live {self.counter}", phone=f"+49151{self.counter:08d}")
        with self.app.app_context():
            shopper["id"] = shopper_id(shopper["public_id"])
            if in_store:
                walk_in(shopper["id"], self.world.store_ids[0], dt.datetime.now(dt.UTC))
            db.session().commit()
        return shopper

    def sign_in(self) -> Callable[[], Any]:
        shopper = self.shopper()
        code = pyotp.TOTP(shopper["checkout_secret"], digits=8, interval=30)
        return lambda: self.api.post("/v1/shoppers/login", json={
            "public_id": shopper["public_id"], "code": code.now()})

    def balances(self) -> Callable[[], Any]:
        shopper = self.shopper()
        return lambda: self.api.get("/v1/me", auth=shopper["token"])

    def scan_award(self) -> Callable[[], Any]:
        shopper = self.shopper(in_store=True)
        return lambda: self.api.post("/v1/me/scans", auth=shopper["token"], json={
            "store_id": self.world.store_ids[0], "code": COFFEE, "symbology": "ean13"})

    def checkout_commit(self) -> Callable[[], Any]:
        self.shopper()
        phone = f"+49151{self.counter:08d}"  # identified by phone: each sale a new shopper

        def sale() -> Any:
            opened = self.api.post("/v1/pos/checkouts", auth=self.register_key, json={
                "phone": phone, "basket": BASKET, "cashier": "Anna"})
            assert opened.status_code == 201, opened.get_json()
            return self.api.post(f"/v1/pos/checkouts/{opened.get_json()['id']}/commit",
                                 auth=self.register_key, json={})
        return sale

    def ingest(self) -> Callable[[], Any]:
        walkers = [self.shopper() for _ in range(5)]
        now = time.time()
        batch = []
        for walker in walkers:
            tokens = self.api.get(f"/v1/me/presence-tokens?from={int(now) - 600}&count=3",
                                  auth=walker["token"]).get_json()
            token = {t["window"]: t for t in tokens}[presence.window_of(now - 30)]
            for _ in range(10):
                batch.append(events.PresenceEvent(
                    event_id=str(uuid.uuid4()), kind="enter", frame_version=presence.FRAME_VERSION,
                    key_id=token["key_id"], token=token["token"], first_seen=now - 30,
                    last_seen=now - 5, rssi_max=-54, rssi_median=-60, count=20).to_json())
        body = json.dumps({"events": batch}).encode()

        def upload() -> Any:
            headers = signing.sign_headers(str(self.agent_id), self.secret, "POST",
                                           events.SIGHTINGS_PATH, body)
            return self.api.client.post(events.SIGHTINGS_PATH, data=body, headers=headers,
                                        content_type="application/json")
        return upload

    def dashboard_day(self) -> Callable[[], Any]:
        path = f"/v1/admin/stores/{self.world.store_ids[0]}/dashboard?days=1"
        return lambda: self.api.get(path, auth=self.world.keys["manager"])

    def results(self) -> Callable[[], Any]:
        return lambda: self.api.get("/v1/admin/results?store=berlin-1",
                                    auth=self.world.keys["manager"])

    def results_chain(self) -> Callable[[], Any]:
        return lambda: self.api.get("/v1/admin/results", auth=self.world.keys["admin"])

    def chain_view(self) -> Callable[[], Any]:
        return lambda: self.api.get("/v1/admin/chain", auth=self.world.keys["admin"])

    def bare(self) -> Callable[[], Any]:
        return lambda: self.api.get("/healthz")


def time_pair(make_small: Callable[[], Callable[[], Any]],
              make_large: Callable[[], Callable[[], Any]]) -> tuple[float, float]:
    """Medians of ROUNDS requests on each database, taken in turns so that the machine's
    load drifting (it is shared) weighs on both alike. Each request is prepared (a fresh
    shopper where needed) untimed."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for make, into in ((make_small, samples[0]), (make_large, samples[1])):
            request = make()
            started = time.perf_counter()
            answer = request()
            into.append((time.perf_counter() - started) * 1000)
            assert answer.status_code < 300, (answer.status_code, answer.get_json())
    return statistics.median(samples[0]), statistics.median(samples[1])


def plans(url: str) -> dict[str, str]:
    engine = db.make_engine(url)
    found = {}
    with engine.connect() as conn:
        account = conn.scalar(text("SELECT max(id) FROM accounts"))
        shopper = conn.scalar(text("SELECT max(id) FROM shoppers"))
        values = {"token lookup": "x", "balance = sum": account, "history": account,
                  "visit now": shopper, "dashboard day": None, "walk-in paid?": None,
                  "store's visits": None}
        stores = conn.scalar(text("SELECT string_agg(id::text, ',') FROM stores"))
        for name, sql in PLANS.items():
            plan = conn.execute(text("EXPLAIN (FORMAT JSON) " + sql.format(stores=stores)),
                                {"v": values.get(name)}).scalar()
            found[name] = _nodes(plan[0]["Plan"])  # type: ignore[index]
    engine.dispose()
    return found


def _nodes(plan: dict[str, Any]) -> str:
    name = plan["Node Type"] + (f" {plan['Index Name']}" if "Index Name" in plan else "")
    children = [_nodes(child) for child in plan.get("Plans", [])]
    return name + (f" ({', '.join(children)})" if children else "")


KINDS = ["bare GET /healthz", "sign-in", "balances", "scan award", "checkout commit",
         "ingest (50 events)", "dashboard's day", "results (one store)",
         "results (every store)", "chain view"]
# Work that grows with the chain by design (every store): reported, not held to the target.
WHOLE_CHAIN = {"results (every store)", "chain view"}


def _makers(hot: Hot) -> dict[str, Callable[[], Callable[[], Any]]]:
    return dict(zip(KINDS, [hot.bare, hot.sign_in, hot.balances, hot.scan_award,
                            hot.checkout_commit, hot.ingest, hot.dashboard_day, hot.results,
                            hot.results_chain, hot.chain_view], strict=True))


def statements(hot: Hot, make: Callable[[], Callable[[], Any]]) -> int:
    """The SQL statements one request sends (its key check included)."""
    engine = hot.app.extensions["rewards_db"].kw["bind"]
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    request = make()
    event.listen(engine, "before_cursor_execute", count)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def prepare(url: str) -> Hot:
    """On a migrated database: a chain, its rewards, a scan campaign running now, an
    agent and a walk-in rule: what the live shoppers of the hot requests need."""
    app = create_app({"DATABASE_URL": url, **SETTINGS})
    api = Api(app.test_client())
    with app.app_context():
        world = build_world()
        db.session().commit()
    shop = build_shop(app, api, world)
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        s = db.session()
        stock_products(world.store_ids[0])
        corner = s.scalars(select(Program).where(Program.code == "corner-points")).one()
        campaigns.create_campaign(
            s, setup_actor(), code="coffee-now", name="Coffee now", program=corner, points=50,
            starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1),
            products=[product_by_gtin(s, COFFEE.zfill(14))],  # type: ignore[list-item]
            stores=[s.get(Store, world.store_ids[0])], chain=None)  # type: ignore[list-item]
        agent, secret = agents.provision(s, setup_actor(), world.store_ids[0], "entrance")
        s.add(WalkInRule(program_id=corner.id, store_id=world.store_ids[0], points=10,
                         starts_on=dt.date.today() - dt.timedelta(days=1)))
        s.commit()
        agent_key = (agent.id, bytes.fromhex(secret))
    return Hot(app, api, world, agent_key, shop.registers[0])


def main() -> None:
    with test_database() as url:
        # Two databases in one cluster: the chain at 1x and at 10x, measured in turns.
        large_url = url.replace("/rewards_test?", "/rewards_large?")
        if large_url == url:
            raise SystemExit("bench scale makes its own cluster: unset REWARDS_TEST_DATABASE_URL")
        engine = db.make_engine(url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE DATABASE rewards_large"))
        engine.dispose()
        for database in (url, large_url):  # before any app sets up logging
            schema_migrations.upgrade(database)
        small_hot, large_hot = prepare(url), prepare(large_url)
        add_stores(small_hot.app, STORES)
        seconds = fill(url, 1, SHOPPERS, (1, STORES))
        print(f"1x: filled in {seconds:.0f} s: {_sizes(url)}", flush=True)
        add_stores(large_hot.app, STORES * 10)
        seconds = fill(large_url, 1, SHOPPERS, (1, STORES))
        seconds += fill(large_url, SHOPPERS + 1, SHOPPERS * 9, (STORES + 1, STORES * 10))
        print(f"10x: filled in {seconds:.0f} s: {_sizes(large_url)}", flush=True)

        small_makers, large_makers = _makers(small_hot), _makers(large_hot)
        timed = {kind: time_pair(small_makers[kind], large_makers[kind]) for kind in KINDS}
        counted = {kind: (statements(small_hot, small_makers[kind]),
                          statements(large_hot, large_makers[kind])) for kind in WHOLE_CHAIN}
        small_plans, large_plans = plans(url), plans(large_url)
        for hot in (small_hot, large_hot):
            hot.app.extensions["rewards_db"].kw["bind"].dispose()

    print(f"\n{'request (median of ' + str(ROUNDS) + ')':<28} {'1x ms':>8} {'10x ms':>8} {'ratio':>6}")
    worst = 0.0
    for name, (small, large) in timed.items():
        ratio = large / small
        if name != "bare GET /healthz" and name not in WHOLE_CHAIN:
            worst = max(worst, ratio)
        per_store = (f"  ({small / STORES:.2f} -> {large / (STORES * 10):.2f} ms a store, "
                     f"{counted[name][0]} -> {counted[name][1]} SQL statements)"
                     if name in WHOLE_CHAIN else "")
        print(f"{name:<28} {small:>8.2f} {large:>8.2f} {ratio:>6.2f}{per_store}")
    print(f"worst hot ratio {worst:.2f} (target <= {TARGET_RATIO}): "
          f"{'kept' if worst <= TARGET_RATIO else 'NOT kept'}")
    print("\nplans of the hot SQL (1x -> 10x):")
    for name in PLANS:
        same = "same" if small_plans[name] == large_plans[name] else "CHANGED"
        print(f"  {name:<14} {same}: {small_plans[name]}"
              + ("" if same == "same" else f" -> {large_plans[name]}"))


def _sizes(url: str) -> str:
    engine = db.make_engine(url)
    with engine.connect() as conn:
        counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in
                  ("stores", "shoppers", "accounts", "ledger_entries", "visits", "checkouts", "sightings",
                   "refusals", "idempotency_records")}
    engine.dispose()
    return ", ".join(f"{t} {n:,}" for t, n in counts.items())
