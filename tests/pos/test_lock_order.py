"""One lock order for a shopper's accounts (ledger.lock_accounts): paths that move one
shopper's points at once queue instead of deadlocking (on PostgreSQL a deadlock is a
503 for one of them)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.support.live import serve
from tests.support.shop import COFFEE, Shop

ROUNDS = 10


def _by_card(shop: Shop) -> Any:
    """A checkout identified by the membership card: any number of them per code step."""
    opened = shop.open(code=None, membership_number="CM-1001")
    assert opened.status_code == 201, opened.get_json()
    return opened.get_json()["id"]


def _at_once(base: str, key: str, *calls: tuple[str, dict[str, Any]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))
    answers: list[httpx.Response] = []

    def send(path: str, body: dict[str, Any]) -> Callable[[], None]:
        def run() -> None:
            with httpx.Client(base_url=base, timeout=60) as http:
                barrier.wait(timeout=30)
                answers.append(http.post(path, json=body, headers={
                    "Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())}))
        return run

    threads = [threading.Thread(target=send(path, body)) for path, body in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return answers


def test_a_commit_and_a_return_for_one_shopper_at_once_both_succeed(shop):
    bought = []
    for _ in range(ROUNDS):
        checkout_id = _by_card(shop)
        assert shop.post(f"/v1/pos/checkouts/{checkout_id}/commit").status_code == 200
        bought.append(checkout_id)
    answers = []
    with serve(shop.app) as base:
        for earlier in bought:
            answers += _at_once(
                base, shop.registers[0],
                (f"/v1/pos/checkouts/{_by_card(shop)}/commit", {}),
                (f"/v1/pos/checkouts/{earlier}/returns",
                 {"lines": [{"gtin": COFFEE, "quantity": 1}]}))
    assert [a.status_code for a in answers if a.status_code not in (200, 201)] == [], \
        [a.json() for a in answers if a.status_code >= 300]
    assert len(answers) == 2 * ROUNDS
    shop.accounts()  # balances and holds equal the ledger's sums
