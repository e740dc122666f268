"""How a chain grows: two gunicorn hosts on one PostgreSQL behind the local nginx
(deploy/nginx/rewards-api.conf). A checkout moves between the hosts step by step, and
a burst of scans and a burst of agent uploads go through the proxy, which spreads them
over both; every award is paid once and the ledger adds up. What one host knows the
other knows too: idempotency keys, agents' nonces, holds and the sign-in throttle."""

from __future__ import annotations

import datetime as dt
import json
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rewards_api import create_app, db
from rewards_api.agents import services as agents
from rewards_api.ledger.models import SCAN, WALK_IN, Account, LedgerEntry, Program
from rewards_api.ledger.services import held_sum, ledger_sum
from rewards_api.products.services import product_by_gtin
from rewards_api.scans import campaigns
from rewards_api.stores.models import Store
from rewards_api.walkins.models import WalkInRule
from rewards_protocol import events, presence, signing
from tests.conftest import _truncate_all
from tests.support.gunicorn import gunicorn
from tests.support.proxy import Proxy, nginx
from tests.support.scan_shop import COFFEE, shopper_id, stock_products, walk_in
from tests.support.shop import BASKET, Shop, build_shop, grant
from tests.support.world import World, build_world, setup_actor

# Starting PostgreSQL clusters, gunicorn hosts and nginx on a busy 2-core machine can take
# a minute before the first test runs; the suite's 120 s per test is too tight for that.
pytestmark = pytest.mark.timeout(300)


SETTINGS = {"ENV": "production", "SECRET_KEY": "two-hosts-secret",
            "PRESENCE_KEYS": "3:" + "42" * 16, "PROXY_HOPS": 1}
SCANNERS = 24  # shoppers in the scan burst
WALKERS = 60  # shoppers in the ingest burst, in batches of BATCH events
BATCH = 10


@dataclass
class Answer:
    """An httpx answer that reads like the Flask test client's (for tests.support.shop)."""

    response: httpx.Response

    @property
    def status_code(self) -> int:
        return self.response.status_code

    def get_json(self) -> Any:
        return self.response.json()


@dataclass
class HttpApi:
    """tests.conftest.Api over real HTTP(S)."""

    client: httpx.Client

    def call(self, method: str, path: str, *, json: Any = None, auth: str | None = None,
             key: str | None = None, headers: dict[str, str] | None = None) -> Answer:
        all_headers = dict(headers or {})
        if auth:
            all_headers["Authorization"] = f"Bearer {auth}"
        if method != "GET":
            all_headers.setdefault("Idempotency-Key", key or str(uuid.uuid4()))
        return Answer(self.client.request(method, path, json=json, headers=all_headers))

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Answer:
        return self.call("POST", path, **kwargs)

    def register(self, name: str, phone: str | None = None) -> dict[str, Any]:
        answer = self.post("/v1/shoppers", json={"display_name": name, "phone": phone})
        assert answer.status_code == 201, answer.get_json()
        return dict(answer.get_json())


@dataclass
class Chain:
    app: Any  # in-process, same database and secrets: sets up and checks
    world: World
    shop: Shop
    hosts: list[HttpApi]
    proxy: HttpApi
    access_logs: list[Path]


@pytest.fixture(scope="module")
def chain(postgresql_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    _truncate_all(postgresql_url)
    directory = tmp_path_factory.mktemp("two-hosts")
    app = create_app({"DATABASE_URL": postgresql_url, "LOG_JSON": False, **SETTINGS})
    env = {f"REWARDS_{k}": str(v) for k, v in SETTINGS.items()}
    env["REWARDS_DATABASE_URL"] = postgresql_url
    logs = [directory / "host-a.log", directory / "host-b.log"]
    with app.app_context():
        world = build_world()
        db.session().commit()
    with gunicorn({**env, "REWARDS_ACCESS_LOG": str(logs[0])}, log_dir=directory) as a, \
            gunicorn({**env, "REWARDS_ACCESS_LOG": str(logs[1])}, log_dir=directory) as b, \
            nginx(directory, [a.url.removeprefix("http://"), b.url.removeprefix("http://")]) as proxy, \
            httpx.Client(base_url=a.url, timeout=30) as client_a, \
            httpx.Client(base_url=b.url, timeout=30) as client_b, \
            _client(proxy) as through_proxy:
        hosts = [HttpApi(client_a), HttpApi(client_b)]
        shop = build_shop(app, hosts[0], world)
        try:
            yield Chain(app, world, shop, hosts, HttpApi(through_proxy), logs)
        finally:
            app.extensions["rewards_db"].kw["bind"].dispose()


def _client(proxy: Proxy) -> httpx.Client:
    context = ssl.create_default_context(cafile=str(proxy.certificate))
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    return httpx.Client(base_url=proxy.url, verify=context, timeout=30, limits=limits)


def _served(log: Path, fragment: str) -> int:
    return sum(fragment in line for line in log.read_text().splitlines()) if log.exists() else 0


def test_a_checkout_moves_between_hosts(chain: Chain) -> None:
    a, b = chain.hosts
    shop = chain.shop
    opened = Shop(chain.app, a, chain.world, shop.shopper, shop.registers).open()
    assert opened.status_code == 201, opened.get_json()
    checkout = opened.get_json()["id"]
    path = f"/v1/pos/checkouts/{checkout}"
    applied = b.post(f"{path}/rewards", auth=shop.registers[0], json={})
    assert applied.status_code == 200, applied.get_json()
    agreed = {"shopper_agreed": [r["reward"] for r in applied.get_json()["applied"]]}
    committed = a.post(f"{path}/commit", auth=shop.registers[0], json=agreed, key="commit-once")
    assert committed.status_code == 200, committed.get_json()
    # The register lost the answer and retries on the other host: the stored answer.
    again = b.post(f"{path}/commit", auth=shop.registers[0], json=agreed, key="commit-once")
    assert again.status_code == 200
    assert again.response.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["receipt"] == committed.get_json()["receipt"]
    # Another register commits the same checkout on the other host: refused.
    late = b.post(f"{path}/commit", auth=shop.registers[1], json={})
    assert late.status_code in (404, 409) and late.get_json()["error"]["code"] in (
        "checkout_closed", "checkout_not_found")
    accounts = shop.accounts()  # balances equal the ledger sums
    assert all(account.held == 0 for account in accounts.values())


def test_a_scan_burst_spread_over_both_hosts_pays_each_shopper_once(chain: Chain) -> None:
    now = dt.datetime.now(dt.UTC)
    berlin = chain.world.store_ids[0]
    with chain.app.app_context():
        s = db.session()
        stock_products(berlin)
        campaigns.create_campaign(
            s, setup_actor(), code="coffee-now", name="Coffee now",
            program=s.scalars(select(Program).where(Program.code == "corner-points")).one(),
            points=50, starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1),
            products=[product_by_gtin(s, COFFEE.zfill(14))], stores=[s.get(Store, berlin)],
            chain=None)
        s.commit()
    shoppers = [chain.proxy.register(f"Scanner {n}") for n in range(SCANNERS)]
    with chain.app.app_context():
        for shopper in shoppers:
            shopper["id"] = shopper_id(shopper["public_id"])
            walk_in(shopper["id"], berlin, now)
        db.session().commit()

    def scan(shopper: dict[str, Any]) -> int:
        return chain.proxy.post("/v1/me/scans", auth=shopper["token"],
                                json={"store_id": berlin, "code": COFFEE,
                                      "symbology": "ean13"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        first = list(pool.map(scan, shoppers))
        second = list(pool.map(scan, shoppers))  # the same product again: already scanned
    assert first == [201] * SCANNERS or set(first) == {200}, first
    assert all(status >= 400 for status in second), second
    assert all(_served(log, "/v1/me/scans") > 0 for log in chain.access_logs)
    with chain.app.app_context():
        s = db.session()
        paid = Counter(e.account_id for e in s.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == SCAN)))
        assert len(paid) == SCANNERS and set(paid.values()) == {1}


def test_an_ingest_burst_spread_over_both_hosts_pays_each_walk_in_once(chain: Chain) -> None:
    berlin = chain.world.store_ids[0]
    with chain.app.app_context():
        s = db.session()
        agent, secret_hex = agents.provision(s, setup_actor(), berlin, "entrance")
        program = s.scalars(select(Program).where(Program.code == "partner-plus")).one()
        s.add(WalkInRule(program_id=program.id, store_id=berlin, points=5,
                         starts_on=dt.date.today() - dt.timedelta(days=1)))
        s.commit()
        agent_id = agent.id
    secret = bytes.fromhex(secret_hex)
    walkers = [chain.proxy.register(f"Walker {n}") for n in range(WALKERS)]
    now = time.time()  # after registering them: the tokens asked start at the window before
    seen_at = now - 30
    batch_events = []
    for walker in walkers:
        answer = chain.proxy.get(f"/v1/me/presence-tokens?from={int(now) - 600}&count=3",
                                 auth=walker["token"])
        assert answer.status_code == 200, answer.get_json()
        token = {t["window"]: t for t in answer.get_json()}[presence.window_of(seen_at)]
        batch_events.append(events.PresenceEvent(
            event_id=str(uuid.uuid4()), kind="enter", frame_version=presence.FRAME_VERSION,
            key_id=token["key_id"], token=token["token"], first_seen=seen_at,
            last_seen=now - 5, rssi_max=-54, rssi_median=-60, count=20).to_json())
    batches = [batch_events[i:i + BATCH] for i in range(0, WALKERS, BATCH)]

    def upload(batch: list[dict[str, Any]]) -> dict[str, Any]:
        body = json.dumps({"events": batch}).encode()
        headers = signing.sign_headers(str(agent_id), secret, "POST", events.SIGHTINGS_PATH, body)
        answer = chain.proxy.client.post(events.SIGHTINGS_PATH, content=body,
                                         headers={**headers, "Content-Type": "application/json"})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(upload, batches))
        replayed = list(pool.map(upload, batches))  # the agent sends it all again
    assert sum(r["accepted"] for r in results) == WALKERS, results
    assert sum(r["duplicate"] for r in replayed) == WALKERS
    assert all(_served(log, events.SIGHTINGS_PATH) > 0 for log in chain.access_logs)
    with chain.app.app_context():
        s = db.session()
        paid = Counter(e.account_id for e in s.scalars(
            select(LedgerEntry).where(LedgerEntry.kind == WALK_IN)))
        assert len(paid) == WALKERS and set(paid.values()) == {1}
        for account in s.scalars(select(Account)):
            assert account.balance == ledger_sum(s, account.id)
            assert account.held == held_sum(s, account.id)


def test_a_signed_request_replayed_to_the_other_host_is_refused(chain: Chain) -> None:
    """Nonces live in the database: what one host saw, the other refuses."""
    with chain.app.app_context():
        agent, secret_hex = agents.provision(db.session(), setup_actor(), chain.world.store_ids[0], "replayed")
        db.session().commit()
        agent_id = str(agent.id)
    body = json.dumps({"queue_depth": 0, "software_version": "t", "adverts_per_second": 1.0,
                       "scanner_state": "scanning"}).encode()
    headers = {**signing.sign_headers(agent_id, bytes.fromhex(secret_hex), "POST",
                                      "/v1/agents/heartbeat", body),
               "Content-Type": "application/json"}
    a, b = chain.hosts
    first = a.client.post("/v1/agents/heartbeat", content=body, headers=headers)
    assert first.status_code == 200, first.text
    replayed = b.client.post("/v1/agents/heartbeat", content=body, headers=headers)
    assert replayed.status_code == 401
    assert replayed.json()["error"]["code"] == "nonce_reused"


def test_guessing_spread_over_both_hosts_is_throttled_as_one(chain: Chain) -> None:
    """The sign-in throttle counts in the database: failed identifications of one
    membership number alternate between the hosts and still meet the account's limit."""
    limit = chain.app.config["SIGN_IN_ATTEMPTS_PER_ACCOUNT"]
    guess = {"membership_number": "CM-GUESS-1", "basket": {"currency": "EUR", "lines": [
        {"gtin": COFFEE, "quantity": 1, "unit_price_minor": 350}]}, "cashier": "Anna"}
    answers = [chain.hosts[n % 2].post("/v1/pos/checkouts", auth=chain.shop.registers[1],
                                       json=guess) for n in range(limit + 1)]
    assert [a.status_code for a in answers[:limit]] == [404] * limit
    refused = answers[limit]
    assert refused.status_code == 429, refused.get_json()
    assert refused.get_json()["error"]["code"] == "too_many_attempts"
    assert int(refused.response.headers["Retry-After"]) > 0


def test_holds_made_on_both_hosts_at_once_never_reserve_more_than_the_balance(
        chain: Chain) -> None:
    """Two registers on two hosts apply rewards for one shopper at the same moment; the
    points are there for one reward only, and only one hold gets them."""
    api = chain.hosts[0]
    shopper = api.register("Hold Racer")
    linked = api.post("/v1/me/memberships", auth=shopper["token"],
                      json={"program": "corner-points", "membership_number": "CM-HOLD-1"})
    assert linked.status_code == 200, linked.get_json()
    grant(chain.app, shopper["public_id"], "corner-points", 400)  # one 5.00 off, no more
    checkouts = []
    for host, register in zip(chain.hosts, chain.shop.registers, strict=True):
        opened = host.post("/v1/pos/checkouts", auth=register, json={
            "membership_number": "CM-HOLD-1", "basket": BASKET, "cashier": "Anna"})
        assert opened.status_code == 201, opened.get_json()
        checkouts.append(opened.get_json()["id"])
    barrier = threading.Barrier(2)

    def apply(n: int) -> Answer:
        barrier.wait(timeout=30)
        return chain.hosts[n].post(f"/v1/pos/checkouts/{checkouts[n]}/rewards",
                                   auth=chain.shop.registers[n], json={})

    with ThreadPoolExecutor(max_workers=2) as pool:
        applied = list(pool.map(apply, range(2)))
    spent = 0
    for answer in applied:
        assert answer.status_code in (200, 409), answer.get_json()
        if answer.status_code == 200:
            spent += sum(a["points"] for a in answer.get_json()["applied"]
                         if a["program"] == "corner-points")
    assert spent == 400
    with chain.app.app_context():
        s = db.session()
        account = s.scalars(select(Account).join(Program).where(
            Account.membership_number == "CM-HOLD-1", Program.code == "corner-points")).one()
        assert account.held == held_sum(s, account.id) == 400 <= account.balance
