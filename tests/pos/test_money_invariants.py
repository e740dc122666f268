"""Money under concurrency: every pair of mutating paths (commit, void, return, redeem,
adjustment, offline earning, scan, walk-in) runs at once on one shopper, over real HTTP; afterwards a
Jepsen-style check: each balance is the sum of its entries, nothing is negative, and
every acknowledged effect is in the ledger exactly once (and nothing else is)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from rewards_api import db
from rewards_api.agents import services as agents
from rewards_api.ledger.models import (
    CAPTURED,
    HELD,
    PURCHASE,
    REDEMPTION,
    RELEASED,
    RETURN,
    SCAN,
    WALK_IN,
    Hold,
    LedgerEntry,
)
from rewards_api.products.services import product_by_gtin
from rewards_api.scans import campaigns
from rewards_api.stores.models import Store
from rewards_api.stores.services import program_by_code
from rewards_api.walkins.models import WalkInRule
from rewards_protocol import signing
from rewards_protocol.events import SIGHTINGS_PATH
from tests.rewards_api.walkins.conftest import download_tokens, seen
from tests.support.clock import Clock
from tests.support.live import post_at_once, serve
from tests.support.scan_shop import NOW, shopper_id, stock_products, walk_in
from tests.support.shop import COFFEE, Shop, build_shop
from tests.support.world import setup_actor

PATHS = ("commit", "void", "return", "redeem", "adjustment", "offline", "scan", "walk-in")
ROUNDS = 1


@dataclass
class Acts:
    """What was sent in the race and how each was answered, for the check afterwards."""

    answers: list[tuple[str, int, Any, dict[str, Any]]] = field(default_factory=list)
    # (path, url, body, headers, status) of each act sent with an Idempotency-Key.
    sent: list[tuple[str, str, Any, dict[str, str], int]] = field(default_factory=list)


def _card_checkout(shop: Shop, rewards: bool = False, paid: bool = False) -> int:
    opened = shop.open(code=None, membership_number="CM-1001")
    assert opened.status_code == 201, opened.get_json()
    checkout_id = int(opened.get_json()["id"])
    if rewards:
        applied = shop.post(f"/v1/pos/checkouts/{checkout_id}/rewards")
        assert applied.status_code == 200 and applied.get_json()["applied"], applied.get_json()
    if paid:
        assert shop.commit(checkout_id).status_code == 200
    return checkout_id


def _prepare(shop: Shop, path: str) -> tuple[Any, ...]:
    """The target of one act, its URL and body (and an agent's signed headers); set up
    before the race."""
    if path == "commit":
        target = _card_checkout(shop, rewards=True)
        return target, f"/v1/pos/checkouts/{target}/commit", {
            "shopper_agreed": shop.agreed(target)}
    if path == "void":
        target = _card_checkout(shop, rewards=True)
        return target, f"/v1/pos/checkouts/{target}/void", {}
    if path == "return":
        target = _card_checkout(shop, paid=True)
        return target, f"/v1/pos/checkouts/{target}/returns", {
            "lines": [{"gtin": COFFEE, "quantity": 1}]}
    if path == "redeem":
        target = _card_checkout(shop)
        return target, f"/v1/pos/checkouts/{target}/rewards", {}
    reason = f"race {uuid.uuid4()}"
    if path == "walk-in":
        return _walk_in_at_a_new_store(shop)
    if path == "scan":
        _new_coffee_campaign_and_visit(shop, reason)
        return reason, "/v1/me/scans", {"store_id": shop.world.store_ids[0], "code": COFFEE,
                                        "symbology": "ean13"}
    if path == "adjustment":
        return reason, "/v1/admin/adjustments", {
            "public_id": shop.shopper["public_id"], "program": "corner-points", "amount": -7,
            "reason": reason}
    return reason, "/v1/pos/offline-earnings", {
        "membership_number": "CM-1001", "basket": {"currency": "EUR", "lines": [
            {"gtin": COFFEE, "quantity": 1, "unit_price_minor": 350}]},
        "cashier": "Anna", "offline_id": reason,
        "purchased_at": shop.app.config["CLOCK"]().isoformat()}


def _new_coffee_campaign_and_visit(shop: Shop, code: str) -> None:
    """A campaign of its own for each scan, so that each may earn; the shopper is in
    Berlin a minute later (one scan a minute stays under the rate limit)."""
    clock: Clock = shop.app.config["CLOCK"]
    clock.advance(minutes=1)
    with shop.app.app_context():
        s = db.session()
        berlin = s.get_one(Store, shop.world.store_ids[0])
        campaigns.create_campaign(
            s, setup_actor(), code=code[:40], name="Race", program=program_by_code(s, "corner-points"),
            points=5, starts_at=NOW - dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=6),
            products=[product_by_gtin(s, COFFEE.zfill(14))], stores=[berlin], chain=None)
        walk_in(shopper_id(shop.shopper["public_id"]), berlin.id, clock.now)
        s.commit()


def _walk_in_at_a_new_store(shop: Shop) -> tuple[Any, str, bytes, dict[str, str]]:
    """A store of its own for each walk-in (one walk-in award per store and day), next
    door to Berlin, with a rule and an agent; the act is the agent's signed batch."""
    clock: Clock = shop.app.config["CLOCK"]
    with shop.app.app_context():
        s = db.session()
        berlin = s.get_one(Store, shop.world.store_ids[0])
        store = Store(code=f"next-{uuid.uuid4().hex[:8]}", chain_id=berlin.chain_id, name="Next",
                      timezone=berlin.timezone, latitude=berlin.latitude,
                      longitude=berlin.longitude)
        s.add(store)
        s.flush()
        s.add(WalkInRule(program_id=program_by_code(s, "corner-points").id, store_id=store.id,
                         points=10, starts_on=dt.date(2026, 1, 1)))
        agent, secret = agents.provision(s, setup_actor(), store.id, "door")
        s.commit()
        store_id, agent_id = store.id, str(agent.id)
    tokens = download_tokens(shop.api, shop.shopper, clock.now, count=2)
    body = json.dumps({"events": [seen(tokens, clock.now)]}).encode()
    headers = signing.sign_headers(agent_id, bytes.fromhex(secret), "POST", SIGHTINGS_PATH,
                                   body, now=clock.now.timestamp())
    return store_id, SIGHTINGS_PATH, body, dict(headers, **{"Content-Type": "application/json"})


def _race(shop: Shop, base: str, pair: tuple[str, str], acts: Acts) -> None:
    prepared = [(path, *_prepare(shop, path)) for path in pair]
    keys = {"adjustment": shop.world.keys["manager"], "scan": shop.shopper["token"]}
    calls = [(url, body, signed[0] if signed else {  # an agent signs; the others sign in
        "Authorization": f"Bearer {keys.get(path, shop.registers[0])}",
        "Idempotency-Key": str(uuid.uuid4())}) for path, _, url, body, *signed in prepared]
    answers = post_at_once(base, calls)
    for (path, target, *_), call, response in zip(prepared, calls, answers, strict=True):
        acts.answers.append((path, response.status_code, target, response.json()))
        if path != "walk-in":  # an agent's resend is a new signed request: see walkins tests
            acts.sent.append((path, *call, response.status_code))


def _retry_all(base: str, acts: Acts) -> list[str]:
    """Send every acknowledged act again with its Idempotency-Key: the stored answer
    comes back and nothing new happens (refusals are not stored: a retry tries again)."""
    wrong = []
    with httpx.Client(base_url=base, timeout=60) as http:
        for path, url, body, headers, status in acts.sent:
            if status >= 300:
                continue
            again = http.post(url, json=body, headers=headers)
            replayed = again.headers.get("Idempotent-Replayed") == "true"
            if again.status_code != status or not replayed:
                wrong.append(f"{path} retried: {again.status_code} (was {status}), "
                             f"replayed={replayed}")
    return wrong


def _check(shop: Shop, acts: Acts) -> list[str]:
    """What is wrong with the ledger, given what was acknowledged."""
    wrong = [f"{path} answered {status}: {answer}" for path, status, _, answer in acts.answers
             if status >= 500]
    shop.accounts()  # each balance and held amount equals the ledger's sums
    with shop.app.app_context():
        s = db.session()
        entries = list(s.scalars(select(LedgerEntry)))
        holds = list(s.scalars(select(Hold)))
    scanned = [a for path, status, _, answer in acts.answers if path == "scan" and status < 300
               for a in answer["awards"]]
    scan_entries = {e.id: e.amount for e in entries if e.kind == SCAN}
    if scan_entries != {a["entry_id"]: a["points"] for a in scanned}:
        wrong.append(f"scan entries {scan_entries} for acknowledged awards {scanned}")
    returned: dict[int, int] = {}
    for path, status, target, answer in acts.answers:
        if path != "scan":
            wrong += _act_problems(path, status < 300, target, answer, entries, holds, returned)
    for checkout, clawed in returned.items():
        taken = -sum(e.amount for e in entries if e.kind == RETURN
                     and e.reference == f"checkout:{checkout}")
        if taken != clawed:
            wrong.append(f"returns of {checkout}: {taken} taken, {clawed} acknowledged")
    return wrong


def _act_problems(path: str, ok: bool, target: Any, answer: Any, entries: list[LedgerEntry],
                  holds: list[Hold], returned: dict[int, int]) -> list[str]:
    """What is wrong with the ledger about one act (not a scan), acknowledged or not;
    adds a return's clawed-back points to ``returned``."""
    if path == "walk-in":
        walked = [e for e in entries if e.kind == WALK_IN and e.store_id == target]
        if len(walked) != (ok and answer["accepted"] == 1):
            return [f"walk-in acknowledged={ok} written {len(walked)} times"]
        return []
    if path == "adjustment":
        found = [e for e in entries if e.reason == target]
        return [f"adjustment acknowledged={ok} written {len(found)} times"] if len(found) != ok else []
    checkout = answer["id"] if path == "offline" and ok else target
    ref = f"checkout:{checkout}"
    earned = sum(e.amount for e in entries if e.kind == PURCHASE and e.reference == ref)
    of_checkout = [h for h in holds if h.reference == ref]
    wrong = []
    if path in ("commit", "offline") and ok:
        wrong += _sale_problems(path, checkout, answer, earned, of_checkout, entries)
    if path == "commit" and not ok and earned:
        wrong.append(f"refused commit {checkout} earned {earned}")
    if path == "void" and ok and (earned or any(h.status != RELEASED for h in of_checkout)):
        wrong.append(f"voided {checkout} kept its holds or earned")
    if path == "redeem" and ok:
        held = [h for h in of_checkout if h.status == HELD]
        if len(held) != len(answer["applied"]):
            wrong.append(f"redeem {checkout}: {len(held)} holds for {answer['applied']}")
    if path == "return" and ok:
        returned[checkout] = returned.get(checkout, 0) + sum(
            p["clawed_back"] for p in answer["points"].values())
    return wrong


def _sale_problems(path: str, checkout: int, answer: Any, earned: int, of_checkout: list[Hold],
                   entries: list[LedgerEntry]) -> list[str]:
    """An acknowledged sale earned what its receipt says and captured all its holds."""
    receipt = sum(line["points"] for line in answer["receipt"]["lines"]
                  if line["kind"] == "earned")
    captured = [h for h in of_checkout if h.status == CAPTURED]
    redeemed = [e for e in entries if e.kind == REDEMPTION
                and e.reference in {f"hold:{h.id}" for h in captured}]
    if earned != receipt or len(captured) != len(of_checkout) or len(redeemed) != len(captured):
        return [f"{path} {checkout}: earned {earned} of {receipt}, "
                f"{len(redeemed)} redemptions of {len(of_checkout)} holds"]
    return []


@pytest.fixture
def rich_shop(app: Any, api: Any, world: Any) -> Shop:
    app.config["CLOCK"] = Clock(NOW)
    with app.app_context():
        stock_products(world.store_ids[0])
        db.session().commit()
    return build_shop(app, api, world, store_points=100_000, partner_points=100_000)


def test_every_pair_of_mutating_paths_on_one_shopper_keeps_the_money_exact(rich_shop):
    acts = Acts()
    pairs = list(itertools.combinations_with_replacement(PATHS, 2))
    with serve(rich_shop.app) as base:
        for pair in pairs * ROUNDS:
            _race(rich_shop, base, pair, acts)
        assert _retry_all(base, acts) == []
    assert len(acts.answers) == 2 * len(pairs) * ROUNDS
    # Each path did its thing at least once (a race of refusals would prove nothing).
    assert {path for path, status, _, answer in acts.answers
            if status < 300 and answer.get("accepted", 1) == 1} == set(PATHS)
    assert _check(rich_shop, acts) == []
