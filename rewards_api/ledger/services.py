"""The only code that changes points. Every function flushes; the caller commits.

Balances never go negative: a debit is one conditional UPDATE
(``... WHERE balance - held >= amount``), atomic on PostgreSQL (row lock) and on
SQLite (the database write lock), and backed by CHECK constraints.

One lock order, so that no two paths lock a shopper's accounts crosswise (a deadlock
on PostgreSQL): a path that moves points or holds first locks every account it may
touch with ``lock_accounts`` (one statement, in account id order), after its own
checkout or visit rows and before any hold, entry or campaign row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Integer, Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from rewards_api import clock
from rewards_api.db import dialect_insert, insert_ignoring_conflicts
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

_LOCK_ACCOUNTS_OF_SHOPPERS = (
    select(Account).where(Account.shopper_id.in_(bindparam("shopper_ids", expanding=True)))
    .order_by(Account.id).with_for_update(of=Account).execution_options(populate_existing=True))
_LOCK_ACCOUNTS_BY_ID = (
    select(Account).where(Account.id.in_(bindparam("account_ids", expanding=True)))
    .order_by(Account.id).with_for_update(of=Account).execution_options(populate_existing=True))


def lock_accounts(s: Session, *, shoppers: Collection[int] = (), accounts: Collection[int] = ()
                  ) -> list[Account]:
    """Row-lock every account of ``shoppers`` (or the ``accounts`` by id), in id order, and
    answer them fresh: the only way a path locks accounts (see the module's docstring)."""
    if shoppers:
        return list(s.scalars(_LOCK_ACCOUNTS_OF_SHOPPERS, {"shopper_ids": sorted(set(shoppers))}))
    if accounts:
        return list(s.scalars(_LOCK_ACCOUNTS_BY_ID, {"account_ids": sorted(set(accounts))}))
    return []


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
           "created_at": at or clock.now()}
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


# The statements of ``credit_once``, built once (building costs more than running).
_ACCOUNTS = cast(Table, Account.__table__)
_CREDIT = (update(_ACCOUNTS).where(_ACCOUNTS.c.id == bindparam("account_id"))
           .values(balance=_ACCOUNTS.c.balance + bindparam("amount", type_=Integer))
           .returning(_ACCOUNTS.c.balance))
_ENTRY_ONCE = {
    dialect.dialect.name: dialect.insert(LedgerEntry.__table__)
    .on_conflict_do_nothing(index_elements=["program_id", "idempotency_key"])
    .returning(LedgerEntry.__table__.c.id)
    for dialect in (postgresql, sqlite)
}


def credit_once(s: Session, account_id: int, program_id: int, kind: str, amount: int, *,
                reference: str, actor: str, idempotency_key: str, store_id: int | None,
                at: dt.datetime, guard: Callable[[], None] | None = None
                ) -> tuple[int, int] | None:
    """``post_entry`` for a credit on a hot path that has the account's ids but no
    loaded ``Account``: the same two statements, no ORM objects. Returns
    ``(entry id, new balance)``, or None when the key is used already in the program
    (then nothing is written, and the existing entry is not looked up).

    ``guard`` runs between the balance move and the entry: a check that raises
    ``ApiError`` to refuse the credit (the move is then undone, nothing is written).
    A guard that locks a contended row (a campaign's budget) holds that lock for one
    statement less than it would before the credit."""
    if amount <= 0:
        raise ValueError("credit_once only credits")
    connection = s.connection()
    move = {"account_id": account_id, "amount": amount}
    undo = {"account_id": account_id, "amount": -amount}
    balance = connection.execute(_CREDIT, move).scalar_one()
    if guard is not None:
        try:
            guard()
        except ApiError:
            connection.execute(_CREDIT, undo)
            raise
    entry_id = connection.execute(_ENTRY_ONCE[connection.dialect.name], {
        "account_id": account_id, "program_id": program_id, "kind": kind, "amount": amount,
        "reference": reference, "idempotency_key": idempotency_key, "store_id": store_id,
        "actor": actor, "reason": None, "created_at": at}).scalar()
    if entry_id is None:  # the key was used already: give the points back
        connection.execute(_CREDIT, undo)
        return None
    return int(entry_id), int(balance)


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
    lock_accounts(s, shoppers=[account.shopper_id])
    entry, _ = post_entry(s, account, ADJUSTMENT, amount, reference=f"adjustment:{actor}",
                          actor=actor, store_id=store_id, reason=reason.strip())
    return entry


# Holds: the statements of reserve, settle and capture, built once.
_HOLDS = cast(Table, Hold.__table__)
_RESERVE = (update(_ACCOUNTS)
            .where(_ACCOUNTS.c.id == bindparam("account_id"),
                   _ACCOUNTS.c.balance - _ACCOUNTS.c.held >= bindparam("reserved", type_=Integer))
            .values(held=_ACCOUNTS.c.held + bindparam("reserved", type_=Integer))
            .returning(_ACCOUNTS.c.held))
_SETTLE = (update(_HOLDS)
           .where(_HOLDS.c.id == bindparam("hold_id"), _HOLDS.c.status == HELD)
           .values(status=bindparam("new_status"), settled_at=bindparam("settled")))
_UNHOLD = {
    # The points go back to available (release, expiry) or leave the balance (capture).
    spend: update(_ACCOUNTS).where(_ACCOUNTS.c.id == bindparam("account_id"))
    .values(held=_ACCOUNTS.c.held - bindparam("settled_amount", type_=Integer),
            **({"balance": _ACCOUNTS.c.balance - bindparam("settled_amount", type_=Integer)}
               if spend else {}))
    .returning(_ACCOUNTS.c.balance, _ACCOUNTS.c.held)
    for spend in (False, True)
}
_CAPTURE_ENTRY = insert(LedgerEntry).returning(LedgerEntry)
_LINK_ENTRY = (update(_HOLDS).where(_HOLDS.c.id == bindparam("hold_id"))
               .values(entry_id=bindparam("linked_entry")))
_DUE = select(Hold).where(Hold.status == HELD, Hold.expires_at <= bindparam("now"))
_DUE_OF_ACCOUNT = _DUE.where(Hold.account_id == bindparam("account_id"))


def reserve(s: Session, account: Account, amount: int, *, reference: str, ttl: dt.timedelta,
            store_id: int | None = None, now: dt.datetime | None = None) -> Hold:
    """Put ``amount`` points on hold until ``now + ttl``; they stop being available."""
    if amount <= 0:
        raise ValueError("a hold reserves at least one point")
    now = now or clock.now()
    expire_due(s, now, account_id=account.id)
    held = s.connection().execute(_RESERVE, {"account_id": account.id, "reserved": amount}).scalar()
    if held is None:
        raise ApiError("insufficient_points")
    set_committed_value(account, "held", held)
    hold = Hold(account_id=account.id, amount=amount, status=HELD, reference=reference,
                store_id=store_id, expires_at=now + ttl, created_at=now)
    s.add(hold)
    s.flush()
    return hold


def _settle(s: Session, hold: Hold, status: str, now: dt.datetime, *, spend: bool = False
            ) -> bool:
    """Move a hold out of ``held``; False if another transaction already did. With
    ``spend`` the held points leave the balance too (capture), in the same UPDATE."""
    connection = s.connection()
    changed = connection.execute(_SETTLE, {"hold_id": hold.id, "new_status": status,
                                           "settled": now})
    if changed.rowcount != 1:
        s.refresh(hold)
        return False
    set_committed_value(hold, "status", status)
    set_committed_value(hold, "settled_at", now)
    balance, held = connection.execute(_UNHOLD[spend], {"account_id": hold.account_id,
                                                        "settled_amount": hold.amount}).one()
    # Keep a loaded account in step, without loading one.
    account = s.identity_map.get(identity_key(Account, hold.account_id))
    if account is not None:
        set_committed_value(account, "balance", balance)
        set_committed_value(account, "held", held)
    return True


def capture(s: Session, hold: Hold, *, kind: str = REDEMPTION, actor: str,
            now: dt.datetime | None = None) -> LedgerEntry:
    """Spend held points: the hold becomes ``captured`` and a debit entry is written.
    A hold can be captured once; an expired or released hold raises ``hold_not_active``.

    The hold's conditional UPDATE (only one capture can win it), one UPDATE of the
    account moving the points out of ``held`` and the balance, the entry (its key
    ``hold:<id>`` is unique), and the hold's link to it."""
    now = now or clock.now()
    if hold.status == HELD and hold.expires_at <= now:
        _settle(s, hold, EXPIRED, now)
    if not _settle(s, hold, CAPTURED, now, spend=True):
        raise ApiError("hold_not_active")
    entry = s.scalars(_CAPTURE_ENTRY, [{
        "account_id": hold.account_id, "program_id": hold.account.program_id, "kind": kind,
        "amount": -hold.amount, "reference": f"hold:{hold.id}", "reason": None,
        "idempotency_key": f"hold:{hold.id}", "store_id": hold.store_id, "actor": actor,
        "created_at": now}]).one()
    s.connection().execute(_LINK_ENTRY, {"hold_id": hold.id, "linked_entry": entry.id})
    set_committed_value(hold, "entry_id", entry.id)
    return entry


def release(s: Session, hold: Hold, *, now: dt.datetime | None = None) -> bool:
    """Give held points back (void). False if the hold was no longer held."""
    return _settle(s, hold, RELEASED, now or clock.now())


def expire_due(s: Session, now: dt.datetime, *, account_id: int | None = None) -> int:
    """Release every hold whose expiry has passed; returns how many. With ``account_id``
    the caller has locked that account already."""
    if account_id is not None:
        due = s.scalars(_DUE_OF_ACCOUNT, {"now": now, "account_id": account_id}).all()
    else:
        due = s.scalars(_DUE, {"now": now}).all()
        lock_accounts(s, accounts={hold.account_id for hold in due})
    return sum(_settle(s, hold, EXPIRED, now) for hold in due)


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
    lock_accounts(s, accounts={c.account_id for c in credits})
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
        accounts = cast(Table, Account.__table__)
        s.execute(update(accounts).where(accounts.c.id == bindparam("moved_account"))
                  .values(balance=accounts.c.balance + bindparam("moved_amount")),
                  [{"moved_account": a, "moved_amount": n} for a, n in moved.items()])
    return [row.id for row in written]
