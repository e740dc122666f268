"""The bulk award path: accounts opened in bulk, credits written exactly once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from rewards_api import db
from rewards_api.ledger.models import WALK_IN, Account, Program
from rewards_api.ledger.services import Credit, credit, ledger_sum
from rewards_api.shoppers.models import Shopper
from rewards_api.shoppers.services import account_ids_for


def test_bulk_accounts_and_credits_happen_once(app, api, world):
    api.register("Rosa")
    api.register("Otto")
    with app.app_context():
        s = db.session()
        shoppers = {sh.display_name: sh.id for sh in s.scalars(select(Shopper))}
        programs = {p.code: p.id for p in s.scalars(select(Program))}
        pairs = {(shoppers[name], programs[code]) for name in ("Rosa", "Otto")
                 for code in ("corner-points", "partner-plus")}
        accounts = account_ids_for(s, pairs)
        assert set(accounts) == pairs
        assert account_ids_for(s, pairs) == accounts  # opened once
        now = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)

        def award(name: str, code: str, key: str, amount: int) -> Credit:
            return Credit(account_id=accounts[(shoppers[name], programs[code])],
                          program_id=programs[code], kind=WALK_IN, amount=amount,
                          reference="visit:1", actor="system", idempotency_key=key,
                          store_id=world.store_ids[0], at=now)

        first = credit(s, [award("Rosa", "corner-points", "k1", 10),
                           award("Rosa", "partner-plus", "k1", 5),  # same key, other program
                           award("Otto", "corner-points", "k2", 10)])
        again = credit(s, [award("Rosa", "corner-points", "k1", 10),  # written already
                           award("Otto", "corner-points", "k3", 7)])
        s.commit()
        assert len(first) == 3
        assert [(c.account_id, c.balance) for c in again] == [
            (accounts[(shoppers["Otto"], programs["corner-points"])], 17)]
        balances = {(a.shopper_id, a.program_id): a.balance for a in s.scalars(select(Account))}
        assert balances[(shoppers["Rosa"], programs["corner-points"])] == 10
        assert balances[(shoppers["Otto"], programs["corner-points"])] == 17
        for account in s.scalars(select(Account)):
            assert account.balance == ledger_sum(s, account.id)
