"""The plugin's client and checkout state machine against the real API over HTTP."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest

from pos_plugin import CheckoutSession, EarnQueue, RewardsClient, RewardsError
from pos_plugin.checkout import COMMITTED, IDENTIFIED, REWARDS_APPLIED, identification
from rewards_api.ledger.models import PURCHASE, REDEMPTION
from tests.support.live import serve
from tests.support.shop import BASKET


class LosesFirstCommitAnswer(httpx.HTTPTransport):
    """Delivers every request, but the first commit's answer is lost on the way back."""

    def __init__(self) -> None:
        super().__init__()
        self.commit_keys: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path.endswith("/commit"):
            self.commit_keys.append(request.headers["Idempotency-Key"])
            if len(self.commit_keys) == 1:
                response.read()
                raise httpx.ReadTimeout("answer lost", request=request)
        return response


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live(shop):
    with serve(shop.app) as base:
        yield base


def test_scan_and_apply_is_one_step_for_both_programs(shop, live):
    client = RewardsClient(live, shop.registers[0], backoff=0)
    sale = CheckoutSession(client, BASKET, "Anna")
    view = sale.scan_and_apply(shop.code())
    assert sale.state == REWARDS_APPLIED and view is not None
    assert {a.program for a in view.applied} == {"corner-points", "partner-plus"}
    assert [p.kind for p in view.programs] == ["store", "partner"]
    with pytest.raises(RewardsError) as unasked:
        sale.commit()  # nobody asked the shopper yet
    assert unasked.value.code == "consent_required" and sale.state == REWARDS_APPLIED
    receipt = sale.commit(shopper_agreed=[a.reward for a in view.applied])
    assert sale.state == COMMITTED and receipt is not None
    assert {line.program for line in receipt.lines if line.kind == "earned"} == {
        "corner-points", "partner-plus"}
    assert receipt.to_pay_minor == view.to_pay_minor


def test_commit_whose_answer_was_lost_is_retried_with_the_same_key(shop, live):
    transport = LosesFirstCommitAnswer()
    client = RewardsClient(live, shop.registers[0], backoff=0, transport=transport)
    sale = CheckoutSession(client, BASKET, "Anna")
    view = sale.scan_and_apply(shop.code())
    assert view is not None
    receipt = sale.commit(shopper_agreed=[a.reward for a in view.applied])
    assert len(transport.commit_keys) == 2 and len(set(transport.commit_keys)) == 1
    assert receipt == client.checkout(sale.view.id).receipt
    assert len(shop.entries(PURCHASE)) == 2 and len(shop.entries(REDEMPTION)) == 2


def test_api_errors_arrive_typed_with_code_and_sentence(shop, live):
    client = RewardsClient(live, shop.registers[0], backoff=0)
    sale = CheckoutSession(client, BASKET, "Anna")
    with pytest.raises(RewardsError) as caught:
        sale.identify(f"RWD1:{shop.shopper['public_id']}:00000000")
    assert caught.value.code == "checkout_code_wrong" and caught.value.status == 422
    assert "scan it again" in caught.value.message
    with pytest.raises(RewardsError) as wrong_step:
        sale.commit()
    assert wrong_step.value.code == "wrong_step"


def test_identification_reads_codes_phones_and_cards():
    assert identification(" RWD1:ABCDEFGHIJ:12345678\n") == {"code": "RWD1:ABCDEFGHIJ:12345678"}
    assert identification("+49 151 1234567") == {"phone": "+49 151 1234567"}
    assert identification("CM-1001") == {"membership_number": "CM-1001"}


def test_offline_earning_is_queued_refuses_rewards_and_is_sent_once(shop, live, tmp_path):
    queue = EarnQueue(tmp_path / "queue.db")
    down = RewardsClient(f"http://127.0.0.1:{_closed_port()}", shop.registers[0], attempts=2,
                         backoff=0, timeout=1)
    sale = CheckoutSession(down, BASKET, "Anna", queue=queue)
    assert sale.identify(shop.code()) is None
    assert sale.state == IDENTIFIED and sale.offline
    with pytest.raises(RewardsError) as refused:
        sale.apply()
    assert refused.value.code == "offline_redeem_refused"
    assert sale.commit() is None and queue.pending() == 1
    assert queue.sync(down).pending == 1  # still away: nothing lost, nothing sent

    # The queue file survives a restart of the register.
    queue.close()
    queue = EarnQueue(tmp_path / "queue.db")
    up = RewardsClient(live, shop.registers[0], backoff=0)
    result = queue.sync(up)
    assert (result.sent, result.refused, result.pending) == (1, 0, 0)
    assert queue.sync(up).sent == 0
    purchases = shop.entries(PURCHASE)
    assert len(purchases) == 2 and not shop.entries(REDEMPTION)
    # A resend of the same item (its answer lost) changes nothing.
    queued: Any = queue._db.execute("SELECT offline_id, earning FROM queued_earnings").fetchone()
    again = up.send_offline_earning(json.loads(queued[1]), queued[0])
    assert again.id == int(purchases[0].reference.split(":")[1])
    assert len(shop.entries(PURCHASE)) == 2
