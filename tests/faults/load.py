"""A store's day as load on a real API while faults hit it, and the check afterwards.

Three kinds of writers run at once, each as a real client would:

- registers: open a checkout by membership card, apply the suggested rewards (half of
  them, so holds are reserved), commit with the shopper's agreement;
- shoppers in the store: scan a campaign product, once each;
- a beacon agent (the real ``beacon_agent`` outbox and uploader): walk-ins recorded
  into its durable outbox and uploaded in signed batches.

Registers and shoppers retry an unanswered request (no answer, or 503) with the same
Idempotency-Key until the API answers it, the way the POS and the app do; the agent's
uploader keeps its events until the API answered for them. ``check`` then reads the
database: every acknowledged write is there once, nothing else is, nothing is
half-written (a commit without its points, a hold neither captured nor released),
and each balance is the sum of its entries.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from beacon_agent.outbox import Outbox
from beacon_agent.upload import AgentApi, Uploader
from rewards_api import db
from rewards_api.agents import services as agents
from rewards_api.errors import REGISTRY
from rewards_api.ledger.models import (
    CAPTURED,
    PURCHASE,
    REDEMPTION,
    SCAN,
    WALK_IN,
    Account,
    Hold,
    LedgerEntry,
    Program,
)
from rewards_api.ledger.services import held_sum, ledger_sum
from rewards_api.pos.models import COMMITTED, Checkout
from rewards_api.products.services import product_by_gtin
from rewards_api.scans import campaigns
from rewards_api.stores.models import Store
from rewards_api.walkins.models import WalkInRule
from rewards_protocol import presence
from rewards_protocol.events import PresenceEvent
from tests.conftest import Api
from tests.support.scan_shop import COFFEE, shopper_id, stock_products, walk_in
from tests.support.shop import BASKET, build_shop, grant
from tests.support.world import World, build_world, setup_actor

# The settings the API under test runs with (tests.support.gunicorn's defaults), so
# that the in-process app that sets up and checks shares its keys.
SETTINGS = {"SECRET_KEY": "test-secret", "PRESENCE_KEYS": "0:" + "ab" * 16, "LOG_JSON": False}
CARDS = 4  # card holders the registers sell to (each its own accounts, so the locks spread)
SCANNERS = 40  # shoppers in the store, each scanning the campaign product once
WALKERS = 40  # shoppers the agent sees walk in
GIVE_UP_S = 300  # a client retries an unanswered request for this long


@contextmanager
def in_process_app(database_url: str) -> Iterator[Any]:
    """The app in this process (to build the store and check the ledger), its pool
    closed at the end even when the test fails: a connection PostgreSQL dropped and
    nobody closed would otherwise warn in whatever test runs when it is collected."""
    from rewards_api import create_app

    app = create_app({"DATABASE_URL": database_url, **SETTINGS})
    try:
        yield app
    finally:
        app.extensions["rewards_db"].kw["bind"].dispose()


@dataclass
class Floor:
    """The store the load works in (made in-process before the API starts): registers,
    card holders, shoppers in the store, shoppers walking in, the entrance agent."""

    app: Any
    world: World
    registers: list[str]
    cards: list[str]
    scanners: list[dict[str, Any]]
    walkers: list[dict[str, Any]]
    agent_id: str
    agent_secret: bytes


def open_store(app: Any) -> Floor:
    now = dt.datetime.now(dt.UTC)
    api = Api(app.test_client())
    with app.app_context():
        world = build_world()
        db.session().commit()
    shop = build_shop(app, api, world)
    cards = ["CM-1001"]
    for n in range(1, CARDS):
        shopper = api.register(f"Card {n}")
        linked = api.post("/v1/me/memberships", auth=shopper["token"],
                          json={"program": "corner-points", "membership_number": f"CM-2{n:03}"})
        assert linked.status_code == 200, linked.get_json()
        cards.append(f"CM-2{n:03}")
        grant(app, shopper["public_id"], "corner-points", 1_000_000)
        grant(app, shopper["public_id"], "partner-plus", 1_000_000)
    grant(app, shop.shopper["public_id"], "corner-points", 1_000_000)
    grant(app, shop.shopper["public_id"], "partner-plus", 1_000_000)
    berlin = world.store_ids[0]
    scanners = [api.register(f"Scanner {n}") for n in range(SCANNERS)]
    walkers = [api.register(f"Walker {n}") for n in range(WALKERS)]
    for walker in walkers:
        # From the window before the one of this moment: setting up the store may have
        # taken it past a window boundary since ``now`` (the API refuses earlier ones).
        asked = int(dt.datetime.now(dt.UTC).timestamp()) - 600
        tokens = api.get(f"/v1/me/presence-tokens?from={asked}&count=3", auth=walker["token"])
        assert tokens.status_code == 200, tokens.get_json()
        walker["tokens"] = {t["window"]: t for t in tokens.get_json()}
    with app.app_context():
        s = db.session()
        stock_products(berlin)
        programs = {p.code: p for p in s.scalars(select(Program))}
        campaigns.create_campaign(
            s, setup_actor(), code="fault-coffee", name="Coffee under faults", program=programs["corner-points"],
            points=50, starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1),
            products=[product_by_gtin(s, COFFEE.zfill(14))], stores=[s.get(Store, berlin)],
            chain=None)
        for scanner in scanners:
            scanner["id"] = shopper_id(scanner["public_id"])
            walk_in(scanner["id"], berlin, now)  # in the store for the next 15 minutes
        s.add(WalkInRule(program_id=programs["partner-plus"].id, store_id=berlin, points=5,
                         starts_on=dt.date.today() - dt.timedelta(days=1)))
        agent, secret = agents.provision(s, setup_actor(), berlin, "entrance")
        s.commit()
        agent_id = str(agent.id)
    return Floor(app, world, shop.registers, cards, scanners, walkers, agent_id,
                  bytes.fromhex(secret))


@dataclass
class Tally:
    """What the load saw; the lists are appended to from several threads (atomic)."""

    commits: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (id, receipt)
    scans: list[int] = field(default_factory=list)  # shopper ids acknowledged
    unanswered: list[str] = field(default_factory=list)  # transport errors: cut off mid-request
    unavailable: list[httpx.Response] = field(default_factory=list)  # the 503 answers
    problems: list[str] = field(default_factory=list)  # answers that should not happen
    tries: list[str] = field(default_factory=list)  # every request a register sent
    # (monotonic time sent, host, status or 0 when unanswered) of every register's and
    # scanner's request
    sent: list[tuple[float, str, int]] = field(default_factory=list)

    def acknowledged(self) -> int:
        """Commits acknowledged so far: the load's progress (scans and walk-ins follow)."""
        return len(self.commits)

    def sent_since(self, since: float) -> list[tuple[str, int]]:
        """``(host, status)`` of the requests sent at or after monotonic time ``since``."""
        return [(host, status) for at, host, status in list(self.sent) if at >= since]


class Load:
    """Registers, scanners and the agent against the API hosts at ``urls`` until
    ``finish``: register n at host n (round the list), the scanners at the first, the
    agent at the last. The last ``held_walk_ins`` walk-ins happen only after
    ``release_walk_ins`` (or ``finish``), so that a test can have them during a fault."""

    def __init__(self, store: Floor, urls: list[str], outbox_path: Path,
                 registers: int = 3, held_walk_ins: int = 0) -> None:
        self.store = store
        self.urls = urls
        self._held_from = WALKERS - held_walk_ins
        self._released = threading.Event()
        self.tally = Tally()
        self._stopping = threading.Event()
        self._pause = threading.Event()  # never set: bounded waits between retries
        self.outbox_path = outbox_path  # the agent's thread opens it (one connection a thread)
        writers = [(self._register, (n,)) for n in range(registers)]
        writers += [(self._scanning, ()), (self._agent_records, ()), (self._agent_uploads, ())]
        self._recorded = threading.Event()
        self._threads = [threading.Thread(target=self._noting_failures, args=writer, daemon=True)
                         for writer in writers]

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def finish(self, seconds: float = 90.0) -> None:
        """Stop starting new work; let every started act and the agent's outbox finish."""
        self._stopping.set()
        self._released.set()
        deadline = time.monotonic() + seconds
        for thread in self._threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self._threads), "the load did not finish in time"

    def release_walk_ins(self) -> None:
        self._released.set()

    def _paced(self, n: int) -> None:
        """Scans and walk-ins keep pace with the registers (one per four requests they
        send, answered or not), so that they meet the faults too; after ``finish`` the
        rest go at once."""
        while len(self.tally.tries) < 4 * n and not self._stopping.is_set():
            self._pause.wait(0.02)

    def _noting_failures(self, writer: Any, args: tuple[Any, ...]) -> None:
        try:
            writer(*args)
        except Exception as exc:  # noqa: BLE001 (reported by check)
            self.tally.problems.append(f"{writer.__name__} stopped: {exc!r}")

    # --- one request, retried as a client does ----------------------------------------

    def _send(self, http: httpx.Client, path: str, body: Any, auth: str) -> httpx.Response:
        """POST until the API answers (not a transport error, not 503), same key each
        time, for at most ``GIVE_UP_S``."""
        headers = {"Authorization": f"Bearer {auth}", "Idempotency-Key": str(uuid.uuid4())}
        host = str(http.base_url)
        deadline = time.monotonic() + GIVE_UP_S
        while time.monotonic() < deadline:
            if path.startswith("/v1/pos"):
                self.tally.tries.append(path)
            sent_at = time.monotonic()
            try:
                answer = http.post(path, json=body, headers=headers)
            except httpx.TransportError as exc:
                self.tally.sent.append((sent_at, host, 0))
                self.tally.unanswered.append(f"{path}: {exc!r}")
                self._pause.wait(0.05)
                continue
            self.tally.sent.append((sent_at, host, answer.status_code))
            if answer.status_code != 503:
                return answer
            self.tally.unavailable.append(answer)
            self._pause.wait(0.05)
        raise AssertionError(f"{path} never answered")

    def _expect(self, answer: httpx.Response, status: int, what: str) -> bool:
        if answer.status_code == status:
            return True
        self.tally.problems.append(f"{what}: {answer.status_code} {answer.text[:300]}")
        return False

    # --- the writers --------------------------------------------------------------------

    def _register(self, n: int) -> None:
        register = self.store.registers[n % len(self.store.registers)]
        with httpx.Client(base_url=self.urls[n % len(self.urls)], timeout=60) as http:
            sale = 0
            while not self._stopping.is_set():
                sale += 1
                card = self.store.cards[(n + sale) % len(self.store.cards)]
                opened = self._send(http, "/v1/pos/checkouts", {
                    "membership_number": card, "basket": BASKET, "cashier": f"Till {n}"}, register)
                if not self._expect(opened, 201, "open"):
                    continue
                path = f"/v1/pos/checkouts/{opened.json()['id']}"
                agreed: list[str] = []
                if sale % 2:
                    applied = self._send(http, f"{path}/rewards", {}, register)
                    if not self._expect(applied, 200, "rewards"):
                        continue
                    agreed = [a["reward"] for a in applied.json()["applied"]]
                committed = self._send(http, f"{path}/commit", {"shopper_agreed": agreed}, register)
                if self._expect(committed, 200, "commit"):
                    self.tally.commits.append((committed.json()["id"], committed.json()["receipt"]))

    def _scanning(self) -> None:
        berlin = self.store.world.store_ids[0]
        with httpx.Client(base_url=self.urls[0], timeout=60) as http:
            for n, scanner in enumerate(self.store.scanners):
                self._paced(n)
                answer = self._send(http, "/v1/me/scans", {
                    "store_id": berlin, "code": COFFEE, "symbology": "ean13"}, scanner["token"])
                if self._expect(answer, 201, "scan"):
                    self.tally.scans.append(scanner["id"])

    def _agent_records(self) -> None:
        """The agent's presence engine: each walk-in goes into the durable outbox."""
        outbox = Outbox(self.outbox_path)
        try:
            for n, walker in enumerate(self.store.walkers):
                if n >= self._held_from:
                    self._released.wait()
                self._paced(n)
                now = time.time()
                outbox.put([(now, _seen(walker, now))])
        finally:
            self._recorded.set()
            outbox.close()

    def _agent_uploads(self) -> None:
        """The agent's uploader, on its own thread as in the service, until everything
        recorded was answered for."""
        api = AgentApi(self.urls[-1], self.store.agent_id, self.store.agent_secret, timeout=60)
        outbox = Outbox(self.outbox_path)
        uploader = Uploader(outbox, api, sleep=lambda s: self._pause.wait(min(s, 0.1)),
                            backoff_max_s=0.1)
        try:
            while not (self._recorded.is_set() and outbox.depth() == 0):
                uploader.drain()
                self._pause.wait(0.02)
        finally:
            api.close()
            outbox.close()

    def queued(self) -> int:
        """Events in the agent's outbox now."""
        outbox = Outbox(self.outbox_path)
        try:
            return outbox.depth()
        finally:
            outbox.close()


def _seen(walker: dict[str, Any], now: float) -> PresenceEvent:
    token = walker["tokens"][presence.window_of(now - 30)]
    return PresenceEvent(event_id=PresenceEvent.new_id(), kind="enter",
                         frame_version=presence.FRAME_VERSION, key_id=token["key_id"],
                         token=token["token"], first_seen=now - 30, last_seen=now - 5,
                         rssi_max=-54, rssi_median=-60, count=20)


def unavailable_in_shape(answer: httpx.Response) -> str | None:
    """What is wrong with a 503 answer, or None: the error shape, the registered code and
    a Retry-After."""
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"503 without the error shape: {answer.text[:200]}"
    if error.get("code") != "service_unavailable" or error.get("message") != REGISTRY[
            "service_unavailable"].message:
        return f"503 with {error}"
    if not answer.headers.get("Retry-After", "").isdigit():
        return "503 without Retry-After"
    return None


def _check_receipts(acknowledged: dict[int, Any], holds: list[Hold],
                    by_reference: dict[str, list[LedgerEntry]]) -> None:
    """Each acknowledged receipt's points earned and redeemed, per program, are the
    ledger's entries for its checkout and its holds."""
    for checkout_id, receipt in acknowledged.items():
        mine = {f"checkout:{checkout_id}"} | {
            f"hold:{h.id}" for h in holds if h.reference == f"checkout:{checkout_id}"}
        for kind, entry_kind in (("earned", PURCHASE), ("redeemed", REDEMPTION)):
            on_receipt: Counter[str] = Counter()
            for line in receipt["lines"]:
                if line["kind"] == kind and line["points"]:
                    on_receipt[line["program"]] += line["points"]
            in_ledger: Counter[str] = Counter()
            for reference in mine:
                for entry in by_reference.get(reference, []):
                    if entry.kind == entry_kind:
                        in_ledger[entry.program.code] += entry.amount
            assert in_ledger == on_receipt, (checkout_id, kind, in_ledger, on_receipt)


def check(store: Floor, load: Load) -> None:
    """Every acknowledged write once, nothing else, nothing half-written."""
    tally = load.tally
    assert not tally.problems, tally.problems[:5]
    outbox = Outbox(load.outbox_path)
    assert outbox.depth() == 0
    counters = outbox.counters()
    outbox.close()
    # Every event answered for: accepted, or a duplicate where the API had recorded it but
    # its answer was lost (a COMMIT cut by the crash: 39 + 1 once in a full run). Each
    # walk-in is credited once: checked in the ledger below.
    assert counters.get("accepted", 0) + counters.get("duplicate", 0) == WALKERS, counters
    # The set-up's pooled connections may predate a database restart.
    store.app.extensions["rewards_db"].kw["bind"].dispose()
    with store.app.app_context():
        s = db.session()
        entries = list(s.scalars(select(LedgerEntry)))
        by_reference: dict[str, list[LedgerEntry]] = {}
        for entry in entries:
            by_reference.setdefault(entry.reference, []).append(entry)
        committed = {c.id: c for c in s.scalars(select(Checkout).where(
            Checkout.status == COMMITTED))}
        acknowledged = dict(tally.commits)
        assert len(acknowledged) == len(tally.commits), "one checkout acknowledged twice"
        # Every commit the registers were told about is committed, and no other one is.
        assert set(committed) == set(acknowledged)
        holds = list(s.scalars(select(Hold)))
        for hold in holds:  # a committed checkout's holds are all captured, the others not
            captured = int(hold.reference.removeprefix("checkout:")) in committed
            assert (hold.status == CAPTURED) == captured, (hold.reference, hold.status)
        _check_receipts(acknowledged, holds, by_reference)
        paid_for = {e.reference for e in entries if e.kind in (PURCHASE, REDEMPTION)}
        assert paid_for <= {f"checkout:{c}" for c in acknowledged} | {
            f"hold:{h.id}" for h in holds if h.status == CAPTURED}
        scans_paid = Counter(e.account_id for e in entries if e.kind == SCAN)
        assert len(scans_paid) == len(tally.scans) == SCANNERS
        assert set(scans_paid.values()) == {1}
        walk_ins = Counter(e.account_id for e in entries if e.kind == WALK_IN)
        assert len(walk_ins) == WALKERS and set(walk_ins.values()) == {1}
        for account in s.scalars(select(Account)):
            assert account.balance == ledger_sum(s, account.id) >= 0
            assert account.held == held_sum(s, account.id) >= 0
