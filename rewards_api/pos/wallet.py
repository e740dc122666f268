"""Where a checkout's points live: the shopper's ledger accounts, or the practice
shopper's balances in training mode.

The checkout flow talks to a ``Wallet`` and never asks whether it is training:
``wallet_for`` is the one place that decides. The ledger wallet moves points only
through ``rewards_api.ledger`` (holds, captures, entries) and writes the partner
settlement; the practice wallet answers the same questions from fixed balances and
touches nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import (
    PARTNER_PROGRAM,
    PURCHASE,
    RETURN,
    STORE_PROGRAM,
    Account,
    Hold,
    Program,
)
from rewards_api.pos import offers as catalog
from rewards_api.pos import pricing, settlement
from rewards_api.pos.models import BY_CODE, Checkout
from rewards_api.pos.values import AppliedReward, applied_of, points_of
from rewards_api.products import gtin as gtins
from rewards_api.shoppers import services as shoppers
from rewards_api.shoppers.models import Shopper
from rewards_api.visits.services import VisitRules, lives_or_works_here
from rewards_api.walkins.services import Arrival, award_walk_ins
from rewards_protocol import checkout_code

# Training mode: the practice shopper's name, balances and rewards (printed in the
# staff guide). They go through the whole flow; nothing touches a ledger.
PRACTICE_NAME = "Practice Shopper"
PRACTICE_BALANCES = {STORE_PROGRAM: 1500, PARTNER_PROGRAM: 900}

_ACCOUNTS_OF = select(Account).where(Account.shopper_id == bindparam("shopper_id"))
HOLDS_BY_ID = select(Hold).where(Hold.id.in_(bindparam("hold_ids", expanding=True)))


class Wallet(Protocol):
    """The points side of one checkout, for one request."""

    def offers(self, programs: Sequence[Program]) -> list[pricing.Offer]:
        """The rewards the shopper can be offered."""

    def balance(self, program: Program) -> int:
        """The shopper's balance in ``program`` as the cashier sees it."""

    def budget(self, program: Program) -> int:
        """Points ``program`` can spend on this checkout: what is available plus what
        this checkout already holds (re-applying swaps holds, it does not stack them)."""

    def hold(self, program: Program, points: int, *, ttl: dt.timedelta, now: dt.datetime
             ) -> int | None:
        """Reserve ``points`` for an applied reward; the hold's id, if there is one."""

    def release(self, applied: Sequence[AppliedReward], now: dt.datetime) -> None:
        """Give the points of ``applied`` back (void, re-apply)."""

    def capture(self, applied: Sequence[AppliedReward], *, actor: str, now: dt.datetime
                ) -> None:
        """Spend the held points of ``applied`` (commit)."""

    def walk_in_at_till(self, *, actor: str) -> None:
        """The day's walk-in points at the store for a shopper who paid with her app's
        checkout code, if the agents have not paid them (``LedgerWallet``)."""

    def earn(self, program: Program, points: int, *, actor: str, now: dt.datetime) -> None:
        """Credit what the purchase earned in ``program`` and settle it with the partner."""

    def claw_back(self, program: Program, points: int, *, return_id: int, actor: str,
                  now: dt.datetime) -> int:
        """Take back up to ``points`` earned in ``program`` (a return); answers what was
        taken: never more than is available."""

    def balance_after_commit(self, program: Program) -> int:
        """The new balance printed on the receipt."""


def wallet_for(s: Session, checkout: Checkout, *, locked: bool = False) -> Wallet:
    """The wallet of ``checkout``. With ``locked`` the shopper's accounts are row-locked
    in the one lock order (``ledger.lock_accounts``) for the rest of the transaction:
    every path that moves points asks for it, after locking the checkout."""
    if checkout.training:
        return PracticeWallet(s, checkout)
    return LedgerWallet(s, checkout, locked=locked)


class LedgerWallet:
    """The identified shopper's accounts: points move through the ledger."""

    def __init__(self, s: Session, checkout: Checkout, *, locked: bool) -> None:
        self.s = s
        self.checkout = checkout
        accounts: list[Account] = []
        if checkout.shopper_id is not None:
            accounts = (ledger.lock_accounts(s, shoppers=[checkout.shopper_id]) if locked
                        else list(s.scalars(_ACCOUNTS_OF, {"shopper_id": checkout.shopper_id})))
        self.accounts = {a.program_id: a for a in accounts}

    def _account(self, program: Program) -> Account:
        """The shopper's account in ``program``, opened if they have none yet."""
        if program.id not in self.accounts:
            self.accounts[program.id] = shoppers.account_for(self.s, self._shopper(), program)
        return self.accounts[program.id]

    def _shopper(self) -> Shopper:
        shopper_id = self.checkout.shopper_id
        shopper = catalog.request_cached(self.s, ("shopper", shopper_id),
                                         lambda: self.s.get(Shopper, shopper_id))
        assert shopper is not None, "a ledger checkout has a shopper"
        return shopper

    def offers(self, programs: Sequence[Program]) -> list[pricing.Offer]:
        return catalog.catalog_offers(self.s, programs)

    def balance(self, program: Program) -> int:
        account = self.accounts.get(program.id)
        return account.balance if account else 0

    def budget(self, program: Program) -> int:
        account = self.accounts.get(program.id)
        return ((account.available if account else 0)
                + points_of(applied_of(self.checkout), program.code))

    def hold(self, program: Program, points: int, *, ttl: dt.timedelta, now: dt.datetime
             ) -> int | None:
        hold = ledger.reserve(self.s, self._account(program), points, ttl=ttl, now=now,
                              reference=f"checkout:{self.checkout.id}",
                              store_id=self.checkout.store_id, checkout_id=self.checkout.id)
        return hold.id

    def release(self, applied: Sequence[AppliedReward], now: dt.datetime) -> None:
        for hold in self._holds(applied):
            ledger.release(self.s, hold, now=now)

    def capture(self, applied: Sequence[AppliedReward], *, actor: str, now: dt.datetime
                ) -> None:
        for hold in self._holds(applied):
            ledger.capture(self.s, hold, actor=actor, now=now)

    def _holds(self, applied: Sequence[AppliedReward]) -> list[Hold]:
        hold_ids = [a.hold_id for a in applied if a.hold_id is not None]
        if not hold_ids:
            return []
        by_id = {h.id: h for h in self.s.scalars(HOLDS_BY_ID, {"hold_ids": hold_ids})}
        return [by_id[hold_id] for hold_id in hold_ids]

    def walk_in_at_till(self, *, actor: str) -> None:
        """Her phone was at this store's till (the checkout code changes every 30
        seconds), so she walked in, whether or not the agents heard her (an iPhone with
        the app in the background, the back of a big store, a stay shorter than the
        door's wait): the same once-a-day key as the agents' walk-in
        (``walkins.services.award_walk_ins``), so whichever comes first pays, once. Not
        for a shopper identified otherwise (a phone number or card proves no phone in
        the store), nor one who lives or works here (``visits.services
        .lives_or_works_here``). At the time the code was shown (a sale sent later by an
        offline register: its time of purchase)."""
        checkout = self.checkout
        if checkout.identified_by != BY_CODE or checkout.shopper_id is None:
            return
        resident_days = VisitRules.from_config(current_app.config).resident_days
        if lives_or_works_here(self.s, checkout.store_id, checkout.shopper_id, checkout.created_at,
                               resident_days):
            return
        award_walk_ins(self.s, checkout.store, [Arrival(checkout.shopper_id, checkout.created_at,
                                                        f"checkout:{checkout.id}")], actor=actor)

    def earn(self, program: Program, points: int, *, actor: str, now: dt.datetime) -> None:
        checkout = self.checkout
        account = self._account(program)
        if points > 0:
            ledger.credit(self.s, [ledger.Credit(
                account.id, program.id, PURCHASE, points, reference=f"checkout:{checkout.id}",
                actor=actor, idempotency_key=f"checkout:{checkout.id}:earn",
                store_id=checkout.store_id, at=now)])
        settlement.record(self.s, checkout, program, now=now, issued=points,
                          redeemed=points_of(applied_of(checkout), program.code))

    def claw_back(self, program: Program, points: int, *, return_id: int, actor: str,
                  now: dt.datetime) -> int:
        if points <= 0:
            return 0
        checkout = self.checkout
        account = self._account(program)
        taken = min(points, max(account.available, 0))
        if taken:
            ledger.debit(self.s, ledger.Debit(
                account.id, program.id, RETURN, taken, reference=f"checkout:{checkout.id}",
                actor=actor, idempotency_key=f"return:{return_id}", store_id=checkout.store_id,
                at=now))
            settlement.record(self.s, checkout, program, redeemed=0, issued=-taken, now=now,
                              return_id=return_id)
        return taken

    def balance_after_commit(self, program: Program) -> int:
        return self._account(program).balance


class PracticeWallet:
    """The practice shopper of training mode: fixed balances and practice rewards; it
    keeps what a practice sale spent and earned only for that sale's receipt."""

    def __init__(self, s: Session, checkout: Checkout) -> None:
        self.checkout = checkout
        self.earned: dict[str, int] = {}

    def offers(self, programs: Sequence[Program]) -> list[pricing.Offer]:
        return [offer for program in programs for offer in practice_offers(program)]

    def balance(self, program: Program) -> int:
        return PRACTICE_BALANCES[program.kind]

    def budget(self, program: Program) -> int:
        return PRACTICE_BALANCES[program.kind]

    def hold(self, program: Program, points: int, *, ttl: dt.timedelta, now: dt.datetime
             ) -> int | None:
        return None

    def release(self, applied: Sequence[AppliedReward], now: dt.datetime) -> None:
        pass

    def capture(self, applied: Sequence[AppliedReward], *, actor: str, now: dt.datetime
                ) -> None:
        pass

    def walk_in_at_till(self, *, actor: str) -> None:
        pass  # the practice shopper walks in nowhere

    def earn(self, program: Program, points: int, *, actor: str, now: dt.datetime) -> None:
        self.earned[program.code] = points

    def claw_back(self, program: Program, points: int, *, return_id: int, actor: str,
                  now: dt.datetime) -> int:
        return 0

    def balance_after_commit(self, program: Program) -> int:
        return (PRACTICE_BALANCES[program.kind] - points_of(applied_of(self.checkout), program.code)
                + self.earned.get(program.code, 0))


def practice_offers(program: Program) -> list[pricing.Offer]:
    """The practice rewards of ``program`` in training mode."""
    if program.kind == STORE_PROGRAM:
        return [pricing.Offer(f"{program.code}:practice-2-off", program.code, "Practice: 2.00 off",
                              "amount_off", 150, amount_off_minor=200, min_basket_minor=500),
                pricing.Offer(f"{program.code}:practice-10-percent", program.code,
                              "Practice: 10% off (max 3.00)", "percent_off", 300,
                              percent_off=10, cap_minor=300)]
    return [pricing.Offer(f"{program.code}:practice-free-coffee", program.code,
                          "Practice: free coffee", "free_product", 250,
                          product_gtin=gtins.normalize(checkout_code.PRACTICE_PRODUCT_GTIN))]
