"""One lock order for a shopper's accounts (ledger.lock_accounts): paths that move one
shopper's points at once queue instead of deadlocking (on PostgreSQL a deadlock is a
503 for one of them)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.live import post_at_once, serve
from tests.support.shop import COFFEE, Shop

ROUNDS = 10


def _by_card(shop: Shop) -> Any:
    """A checkout identified by the membership card: any number of them per code step."""
    opened = shop.open(code=None, membership_number="CM-1001")
    assert opened.status_code == 201, opened.get_json()
    return opened.get_json()["id"]


def _register(shop: Shop) -> dict[str, str]:
    return {"Authorization": f"Bearer {shop.registers[0]}", "Idempotency-Key": str(uuid.uuid4())}


def test_a_commit_and_a_return_for_one_shopper_at_once_both_succeed(shop):
    bought = []
    for _ in range(ROUNDS):
        checkout_id = _by_card(shop)
        assert shop.post(f"/v1/pos/checkouts/{checkout_id}/commit").status_code == 200
        bought.append(checkout_id)
    answers = []
    with serve(shop.app) as base:
        for earlier in bought:
            answers += post_at_once(base, [
                (f"/v1/pos/checkouts/{_by_card(shop)}/commit", {}, _register(shop)),
                (f"/v1/pos/checkouts/{earlier}/returns",
                 {"lines": [{"gtin": COFFEE, "quantity": 1}]}, _register(shop))])
    assert [a.status_code for a in answers if a.status_code not in (200, 201)] == [], \
        [a.json() for a in answers if a.status_code >= 300]
    assert len(answers) == 2 * ROUNDS
    shop.accounts()  # balances and holds equal the ledger's sums
