"""The only code that changes points. Every function flushes; the caller commits.

Balances never go negative: a debit is one conditional UPDATE
(``... WHERE balance - held >= amount``), atomic on PostgreSQL (row lock) and on
SQLite (the database write lock), and backed by CHECK constraints.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from rewards_api.db import dialect_insert, insert_ignoring_conflicts, utcnow
from rewards_api.errors import ApiError
from rewards_api.ledger.models import (
    ADJUSTMENT,
    CAPTURED,
    EXPIRED,
    HELD,
    REDEMPTION,
    RELEASED,
    Account,
    Hold,
    LedgerEntry,
)


def post_entry(
    s: Session,
    account: Account,
    kind: str,
    amount: int,
    *,
    reference: str,
    actor: str,
    idempotency_key: str | None = None,
    store_id: int | None = None,
    reason: str | None = None,
    at: dt.datetime | None = None,
) -> tuple[LedgerEntry, bool]:
    """Write one entry and move the cached balance with it.

    Returns ``(entry, created)``. With an ``idempotency_key`` already used in the
    program, nothing is written and the existing entry is returned with
    ``created=False`` (also when two transactions race: the account's row lock makes
    the second wait, its insert then meets the first's key and gives the points back).
    A debit larger than the available points raises ``insufficient_points``.

    Two round trips in the common case (UPDATE ... RETURNING, INSERT ... ON CONFLICT
    DO NOTHING RETURNING): this sits on the hot path of every award.
    """
    if amount == 0:
        raise ValueError("a ledger entry moves at least one point")
    if idempotency_key is not None and amount < 0:
        # A re-sent debit must find its entry even if the balance has moved since.
        existing = _entry_by_key(s, account.program_id, idempotency_key)
        if existing is not None:
            return existing, False
    _move_balance(s, account, amount)
    row = {"account_id": account.id, "program_id": account.program_id, "kind": kind,
           "amount": amount, "reference": reference, "idempotency_key": idempotency_key,
           "store_id": store_id, "actor": actor, "reason": reason,
           "created_at": at or utcnow()}
    insert = dialect_insert(s, LedgerEntry).values(**row)
    if idempotency_key is not None:
        insert = insert.on_conflict_do_nothing(index_elements=["program_id", "idempotency_key"])
    entry = s.scalars(insert.returning(LedgerEntry)).first()
    if entry is None:  # the key was used already: undo the move, answer with that entry
        _move_balance(s, account, -amount, check=False)
        existing = _entry_by_key(s, account.program_id, idempotency_key or "")
        assert existing is not None
        return existing, False
    return entry, True


def _move_balance(s: Session, account: Account, amount: int, *, check: bool = True) -> int:
    """Add ``amount`` to the cached balance (a debit only if the points are available)
    and keep the loaded ``account`` in step without another query."""
    condition = [Account.id == account.id]
    if amount < 0 and check:
        condition.append(Account.balance - Account.held >= -amount)
    balance = s.execute(
        update(Account).where(*condition).values(balance=Account.balance + amount)
        .returning(Account.balance).execution_options(synchronize_session=False)
    ).scalar()
    if balance is None:
        raise ApiError("insufficient_points")
    set_committed_value(account, "balance", balance)
    return int(balance)


def _entry_by_key(s: Session, program_id: int, key: str) -> LedgerEntry | None:
    return s.scalars(
        select(LedgerEntry).where(LedgerEntry.program_id == program_id,
                                  LedgerEntry.idempotency_key == key)
    ).first()


def adjust(s: Session, account: Account, amount: int, *, reason: str, actor: str,
           store_id: int | None = None) -> LedgerEntry:
    """A manager's correction. The reason is mandatory and stored on the entry."""
    if not reason or not reason.strip():
        raise ApiError("reason_required")
    entry, _ = post_entry(s, account, ADJUSTMENT, amount, reference=f"adjustment:{actor}",
                          actor=actor, store_id=store_id, reason=reason.strip())
    return entry


def reserve(s: Session, account: Account, amount: int, *, reference: str, ttl: dt.timedelta,
            store_id: int | None = None, now: dt.datetime | None = None) -> Hold:
    """Put ``amount`` points on hold until ``now + ttl``; they stop being available."""
    if amount <= 0:
        raise ValueError("a hold reserves at least one point")
    now = now or utcnow()
    expire_due(s, now, account_id=account.id)
    moved = s.execute(
        update(Account)
        .where(Account.id == account.id, Account.balance - Account.held >= amount)
        .values(held=Account.held + amount)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise ApiError("insufficient_points")
    hold = Hold(account_id=account.id, amount=amount, status=HELD, reference=reference,
                store_id=store_id, expires_at=now + ttl, created_at=now)
    s.add(hold)
    s.flush()
    s.refresh(account)
    return hold


def _settle(s: Session, hold: Hold, status: str, now: dt.datetime) -> bool:
    """Move a hold out of ``held``; False if another transaction already did."""
    changed = s.execute(
        update(Hold).where(Hold.id == hold.id, Hold.status == HELD)
        .values(status=status, settled_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        s.refresh(hold)
        return False
    s.execute(
        update(Account).where(Account.id == hold.account_id)
        .values(held=Account.held - hold.amount)
        .execution_options(synchronize_session=False)
    )
    s.refresh(hold)
    return True


def capture(s: Session, hold: Hold, *, kind: str = REDEMPTION, actor: str,
            idempotency_key: str | None = None, now: dt.datetime | None = None) -> LedgerEntry:
    """Spend held points: the hold becomes ``captured`` and a debit entry is written.
    A hold can be captured once; an expired or released hold raises ``hold_not_active``."""
    now = now or utcnow()
    if hold.status == HELD and hold.expires_at <= now:
        _settle(s, hold, EXPIRED, now)
    if not _settle(s, hold, CAPTURED, now):
        raise ApiError("hold_not_active")
    entry, _ = post_entry(s, hold.account, kind, -hold.amount, reference=f"hold:{hold.id}",
                          actor=actor, store_id=hold.store_id,
                          idempotency_key=idempotency_key or f"hold:{hold.id}", at=now)
    hold.entry_id = entry.id
    s.flush()
    return entry


def release(s: Session, hold: Hold, *, now: dt.datetime | None = None) -> bool:
    """Give held points back (void). False if the hold was no longer held."""
    return _settle(s, hold, RELEASED, now or utcnow())


def expire_due(s: Session, now: dt.datetime, *, account_id: int | None = None) -> int:
    """Release every hold whose expiry has passed; returns how many."""
    query = select(Hold).where(Hold.status == HELD, Hold.expires_at <= now)
    if account_id is not None:
        query = query.where(Hold.account_id == account_id)
    return sum(_settle(s, hold, EXPIRED, now) for hold in s.scalars(query).all())


def ledger_sum(s: Session, account_id: int) -> int:
    """The balance as the sum of the account's entries (what the cache must equal)."""
    return s.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                    .where(LedgerEntry.account_id == account_id)) or 0


def held_sum(s: Session, account_id: int) -> int:
    return s.scalar(select(func.coalesce(func.sum(Hold.amount), 0))
                    .where(Hold.account_id == account_id, Hold.status == HELD)) or 0


@dataclass(frozen=True)
class Credit:
    """One award for ``post_credits``."""

    account_id: int
    program_id: int
    kind: str
    amount: int
    reference: str
    actor: str
    idempotency_key: str
    store_id: int | None
    at: dt.datetime


def post_credits(s: Session, credits: list[Credit]) -> list[int]:
    """Write many awards in two statements (for bulk ingest), each exactly once: a credit
    whose idempotency key is already used in its program is skipped, also against a
    concurrent transaction (PostgreSQL waits for it, then skips). Cached balances move
    in the same transaction. Returns the ids of the entries written."""
    if any(c.amount <= 0 for c in credits):
        raise ValueError("post_credits only credits; debits go through post_entry")
    rows = [{"account_id": c.account_id, "program_id": c.program_id, "kind": c.kind,
             "amount": c.amount, "reference": c.reference, "idempotency_key": c.idempotency_key,
             "store_id": c.store_id, "actor": c.actor, "created_at": c.at} for c in credits]
    written = insert_ignoring_conflicts(s, LedgerEntry, rows, ["program_id", "idempotency_key"],
                                        LedgerEntry.id, LedgerEntry.account_id,
                                        LedgerEntry.amount)
    moved: dict[int, int] = defaultdict(int)
    for row in written:
        moved[row.account_id] += row.amount
    if moved:
        accounts = Account.__table__
        s.execute(update(accounts).where(accounts.c.id == bindparam("moved_account"))
                  .values(balance=accounts.c.balance + bindparam("moved_amount")),
                  [{"moved_account": a, "moved_amount": n} for a, n in moved.items()])
    return [row.id for row in written]
