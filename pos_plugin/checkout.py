"""The checkout state machine of one sale at the register.

    open ──identify──▶ identified ──apply──▶ rewards_applied ──commit──▶ committed
      │                    │  └────────────────commit──────────────────▶ committed
      └──────────────── void (from any state before committed) ───────▶ voided

The one-step path is ``scan_and_apply(code)``: identify, then apply the suggested
rewards of both programs. Points are spent only once the shopper agreed: on their
phone (``refresh`` shows it), or the cashier asked them and ``commit(shopper_agreed=
[...])`` names the rewards they agreed to.

Offline: if the API cannot be reached when identifying, the sale continues without
rewards. ``commit`` then queues the purchase's earning on disk (``EarnQueue``) and
``apply`` is refused (points cannot be checked offline).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from pos_plugin.client import RewardsClient
from pos_plugin.errors import RewardsError, Unreachable
from pos_plugin.offline import EarnQueue
from pos_plugin.results import CheckoutView, Receipt
from rewards_protocol import checkout_code

OPEN = "open"
IDENTIFIED = "identified"
REWARDS_APPLIED = "rewards_applied"
COMMITTED = "committed"
VOIDED = "voided"

_PHONE = re.compile(r"^\+?[\d\s().-]{7,20}$")


def identification(text: str) -> dict[str, str]:
    """What the scanner (or the cashier) typed: a checkout code, a phone number or a
    store-program membership number."""
    text = text.strip()
    if text.upper().startswith(checkout_code.PREFIX + ":"):
        return {"code": text}
    if _PHONE.match(text) and sum(c.isdigit() for c in text) >= 7 and (
            text.startswith("+") or text.startswith("0")):
        return {"phone": text}
    return {"membership_number": text}


class CheckoutSession:
    """One sale: a basket (``{"currency", "lines": [{gtin, quantity, unit_price_minor}]}``)
    and the cashier's name, driven through the states above."""

    def __init__(self, client: RewardsClient, basket: dict[str, Any], cashier: str, *,
                 training: bool = False, queue: EarnQueue | None = None) -> None:
        self.client = client
        self.basket = basket
        self.cashier = cashier
        self.training = training
        self.queue = queue
        self.state = OPEN
        self.view: CheckoutView | None = None
        self.offline = False
        self._ident: dict[str, str] | None = None
        self._identified_at: dt.datetime | None = None
        # One key per step, reused by every retry of that step (also the cashier's own).
        self._keys: dict[str, str] = {}

    def _key(self, step: str) -> str:
        return self._keys.setdefault(step, str(uuid.uuid4()))

    def _require(self, *states: str) -> None:
        if self.state not in states:
            raise RewardsError("wrong_step")

    @property
    def receipt(self) -> Receipt | None:
        return self.view.receipt if self.view else None

    def identify(self, text: str | None = None, **ident: str) -> CheckoutView | None:
        """Identify the shopper from scanned ``text`` or ``code=``/``phone=``/
        ``membership_number=``. Offline (None returned): the sale goes on without rewards."""
        self._require(OPEN)
        self._ident = identification(text) if text is not None else ident
        self._identified_at = dt.datetime.now(dt.UTC)
        try:
            self.view = self.client.open_checkout(self._ident, self.basket, self.cashier,
                                                  training=self.training,
                                                  idempotency_key=self._key("open"))
        except Unreachable:
            if self.queue is None or self.training:
                raise
            self.offline = True
            self.state = IDENTIFIED
            return None
        self.state = IDENTIFIED
        return self.view

    def apply(self, rewards: list[str] | None = None) -> CheckoutView:
        """Apply ``rewards`` (None: the suggested combination of both programs)."""
        self._require(IDENTIFIED, REWARDS_APPLIED)
        if self.offline:
            raise RewardsError("offline_redeem_refused")
        assert self.view is not None
        # Applying replaces the checkout's rewards, so a repeated choice is harmless and
        # each one is its own request (the client still reuses its key on retries).
        self.view = self.client.apply_rewards(self.view.id, rewards)
        self.state = REWARDS_APPLIED if self.view.applied else IDENTIFIED
        return self.view

    def scan_and_apply(self, text: str) -> CheckoutView | None:
        """The one step: identify, then apply what is suggested in both programs."""
        view = self.identify(text)
        if view is not None and view.suggested:
            return self.apply()
        return view

    def refresh(self) -> CheckoutView | None:
        """The checkout as the API has it now (e.g. the shopper agreed on their phone)."""
        if self.view is not None and not self.offline and self.state in (IDENTIFIED,
                                                                            REWARDS_APPLIED):
            self.view = self.client.checkout(self.view.id)
        return self.view

    def commit(self, shopper_agreed: list[str] | None = None) -> Receipt | None:
        """Tender. Online: the receipt. Offline: the earning is queued; None.
        ``shopper_agreed``: the rewards the shopper agreed to when the cashier asked."""
        self._require(IDENTIFIED, REWARDS_APPLIED)
        if self.offline:
            assert self.queue is not None and self._ident is not None
            assert self._identified_at is not None
            self.queue.add({**self._ident, "basket": self.basket, "cashier": self.cashier,
                            "purchased_at": self._identified_at.isoformat()})
            self.state = COMMITTED
            return None
        assert self.view is not None
        self.view = self.client.commit(self.view.id, shopper_agreed=shopper_agreed,
                                       idempotency_key=self._key("commit"))
        self.state = COMMITTED
        return self.view.receipt

    def void(self) -> None:
        """Cancel the sale; held points go back to the shopper."""
        self._require(OPEN, IDENTIFIED, REWARDS_APPLIED)
        if self.view is not None and not self.offline:
            self.view = self.client.void(self.view.id, idempotency_key=self._key("void"))
        self.state = VOIDED
