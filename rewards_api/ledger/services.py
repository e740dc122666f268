"""The only code that changes points. Every function flushes; the caller commits.

Points move one way in and one way out: ``credit`` (awards, earnings, corrections
up; one entry or a batch) and ``debit`` (redemptions through ``capture``, clawbacks,
corrections down). Both keep "cached balance = sum of entries" the same way: the
entry and the balance move in the same transaction, and an entry whose idempotency
key is used already in its program moves nothing. Balances never go negative: a debit
is one conditional UPDATE (``... WHERE balance - held >= amount``), atomic on
PostgreSQL (row lock) and on SQLite (the database write lock), and backed by CHECK
constraints.

One lock order, so that no two paths lock a shopper's accounts crosswise (a deadlock
on PostgreSQL): a path that moves points or holds first locks every account it may
touch with ``lock_accounts`` (one statement, in account id order), after its own
checkout or visit rows and before any hold, entry or campaign row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Integer,
    Table,
    bindparam,
    case,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from rewards_api import clock
from rewards_api.db import insert_ignoring_conflicts
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


@dataclass(frozen=True, slots=True)
class Movement:
    """What ``credit`` and ``debit`` write: ``amount`` points (> 0) into or out of one
    account; ``idempotency_key`` makes it happen once in its program."""

    account_id: int
    program_id: int
    kind: str
    amount: int
    reference: str
    actor: str
    idempotency_key: str | None
    store_id: int | None
    at: dt.datetime
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Credit(Movement):
    """Points given: an award, a purchase's earnings, a correction up. ``gtin`` is the
    product a scan award was for (``LedgerEntry.gtin``)."""

    gtin: str | None = None


@dataclass(frozen=True, slots=True)
class Debit(Movement):
    """Points taken (the entry's amount is ``-amount``): a redemption (``from_hold``: the
    captured hold's points, which leave ``held`` too), a return's clawback, a
    correction down."""

    from_hold: int = 0


@dataclass(frozen=True, slots=True)
class Credited:
    """An entry ``credit`` wrote, and its account's balance after the whole batch."""

    entry_id: int
    account_id: int
    balance: int


# The statements of ``credit`` and ``debit``, built once (building costs more than running).
_ACCOUNTS = cast(Table, Account.__table__)
_ENTRIES = cast(Table, LedgerEntry.__table__)
_ONCE = ["program_id", "idempotency_key"]
_WRITTEN = (_ENTRIES.c.id, _ENTRIES.c.account_id, _ENTRIES.c.amount)
_CREDIT_ENTRY = {
    dialect.dialect.name: dialect.insert(_ENTRIES).on_conflict_do_nothing(index_elements=_ONCE)
    .returning(_ENTRIES.c.id)
    for dialect in (postgresql, sqlite)
}
_MOVE_ONE = (update(_ACCOUNTS).where(_ACCOUNTS.c.id == bindparam("account_id"))
             .values(balance=_ACCOUNTS.c.balance + bindparam("points", type_=BigInteger))
             .returning(_ACCOUNTS.c.balance))
_TAKE = (update(_ACCOUNTS)
         .where(_ACCOUNTS.c.id == bindparam("account_id"),
                _ACCOUNTS.c.balance - _ACCOUNTS.c.held
                >= bindparam("taken", type_=BigInteger) - bindparam("unheld", type_=BigInteger))
         .values(balance=_ACCOUNTS.c.balance - bindparam("taken", type_=BigInteger),
                 held=_ACCOUNTS.c.held - bindparam("unheld", type_=BigInteger))
         .returning(_ACCOUNTS.c.balance, _ACCOUNTS.c.held))
_GIVE_BACK = (update(_ACCOUNTS).where(_ACCOUNTS.c.id == bindparam("account_id"))
              .values(balance=_ACCOUNTS.c.balance + bindparam("taken", type_=BigInteger),
                      held=_ACCOUNTS.c.held + bindparam("unheld", type_=BigInteger)))
_DEBIT_ENTRY = {
    dialect.dialect.name: dialect.insert(LedgerEntry)
    .on_conflict_do_nothing(index_elements=_ONCE).returning(LedgerEntry)
    for dialect in (postgresql, sqlite)
}
_ENTRY_BY_KEY = select(LedgerEntry).where(LedgerEntry.program_id == bindparam("program_id"),
                                          LedgerEntry.idempotency_key == bindparam("key"))


def credit(s: Session, credits: Sequence[Credit], *, guard: Callable[[], None] | None = None
           ) -> list[Credited]:
    """Write credits, each exactly once, and move the cached balances with them: the
    one way points are given, for one scan as for a batch of walk-ins. Two statements
    however many credits: one ``UPDATE ... RETURNING`` adds them to their accounts,
    then ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` writes the entries, skipping
    a credit whose idempotency key is used already in its program (also against a
    concurrent transaction: PostgreSQL waits for it, then skips); a third statement
    gives back what was skipped. Returns what was written.

    ``guard`` runs between the balances and the entries: a check that raises
    ``ApiError`` to refuse the credits (the balances move back, nothing is written). A
    guard that locks a contended row (a campaign's budget) holds that lock for one
    statement less than it would before the credit.

    The caller has locked the accounts (``lock_accounts``, the one lock order)."""
    if any(c.amount <= 0 for c in credits):
        raise ValueError("a credit gives at least one point")  # a caller's bug
    wanted: dict[int, int] = defaultdict(int)
    for c in credits:
        wanted[c.account_id] += c.amount
    connection = s.connection()
    balances = _move_balances(s, connection, wanted)
    if guard is not None:
        try:
            guard()
        except ApiError:
            _move_balances(s, connection, {a: -points for a, points in wanted.items()})
            raise
    rows = [{"account_id": c.account_id, "program_id": c.program_id, "kind": c.kind,
             "amount": c.amount, "reference": c.reference, "idempotency_key": c.idempotency_key,
             "store_id": c.store_id, "actor": c.actor, "reason": c.reason, "gtin": c.gtin,
             "created_at": c.at} for c in credits]
    written = _write_entries(s, connection, rows)
    if len(written) < len(rows):  # keys used already: give their points back
        for _, account_id, amount in written:
            wanted[account_id] -= amount
        balances.update(_move_balances(s, connection, {a: -n for a, n in wanted.items() if n}))
    return [Credited(entry_id, account_id, balances[account_id])
            for entry_id, account_id, _ in written]


def _write_entries(s: Session, connection: Connection, rows: list[dict[str, Any]]
                   ) -> list[tuple[int, int, int]]:
    """Insert entries, skipping those whose key is used already in their program; the
    ids, accounts and amounts of those written. One row (a scan, a purchase) goes
    through a statement built once (building one costs more than running it) and
    answers only the entry's id."""
    if len(rows) == 1:
        row, = rows
        entry_id = connection.execute(_CREDIT_ENTRY[connection.dialect.name], row).scalar()
        return [] if entry_id is None else [(entry_id, row["account_id"], row["amount"])]
    return [(entry_id, account_id, amount) for entry_id, account_id, amount
            in insert_ignoring_conflicts(s, LedgerEntry, rows, _ONCE, *_WRITTEN)]


def _move_balances(s: Session, connection: Connection, moved: dict[int, int]
                   ) -> dict[int, int]:
    """Add ``moved`` (points by account id) to the cached balances in one UPDATE and
    answer the new balances; a loaded ``Account`` is kept in step without a query."""
    if not moved:
        return {}
    if len(moved) == 1:  # the common case (a scan, a purchase): a statement built once
        (account_id, points), = moved.items()
        balances = {account_id: connection.execute(
            _MOVE_ONE, {"account_id": account_id, "points": points}).scalar_one()}
    else:
        balances = {a: b for a, b in connection.execute(
            update(_ACCOUNTS).where(_ACCOUNTS.c.id.in_(moved))
            .values(balance=_ACCOUNTS.c.balance + case(
                *((_ACCOUNTS.c.id == a, literal(n, BigInteger)) for a, n in moved.items())))
            .returning(_ACCOUNTS.c.id, _ACCOUNTS.c.balance))}
    for account_id, balance in balances.items():
        _in_step(s, account_id, balance=balance)
    return balances


def _in_step(s: Session, account_id: int, **values: int) -> None:
    """Keep a loaded account's cached columns equal to what an UPDATE answered."""
    if not s.identity_map:
        return
    account = s.identity_map.get((Account, (account_id,), None))  # as identity_key makes it
    if account is not None:
        for name, value in values.items():
            set_committed_value(account, name, value)


def debit(s: Session, d: Debit) -> LedgerEntry:
    """Take points, at most what is available (else ``insufficient_points``), and move
    the cached balance with them: the one way points are spent. One conditional
    ``UPDATE ... RETURNING`` (atomic: the row lock on PostgreSQL, the write lock on
    SQLite), then the entry. A debit whose idempotency key is used already in its
    program writes nothing and answers that entry, also when the points it took are no
    longer available.

    The caller has locked the account (``lock_accounts``, the one lock order)."""
    if d.amount <= 0 or not 0 <= d.from_hold <= d.amount:
        raise ValueError("a debit takes at least one point")  # a caller's bug
    connection = s.connection()
    move = {"account_id": d.account_id, "taken": d.amount, "unheld": d.from_hold}
    moved = connection.execute(_TAKE, move).first()
    if moved is None:
        existing = _entry_by_key(s, d.program_id, d.idempotency_key)
        if existing is None:
            raise ApiError("insufficient_points")
        return existing
    entry = s.scalars(_DEBIT_ENTRY[connection.dialect.name], [{
        "account_id": d.account_id, "program_id": d.program_id, "kind": d.kind,
        "amount": -d.amount, "reference": d.reference, "idempotency_key": d.idempotency_key,
        "store_id": d.store_id, "actor": d.actor, "reason": d.reason, "gtin": None,
        "created_at": d.at}]).first()
    if entry is None:  # the key was used already: give the points back, answer that entry
        connection.execute(_GIVE_BACK, move)
        existing = _entry_by_key(s, d.program_id, d.idempotency_key)
        assert existing is not None
        return existing
    _in_step(s, d.account_id, balance=moved.balance, held=moved.held)
    return entry


def _entry_by_key(s: Session, program_id: int, key: str | None) -> LedgerEntry | None:
    if key is None:
        return None
    return s.scalars(_ENTRY_BY_KEY, {"program_id": program_id, "key": key}).first()


def adjust(s: Session, account: Account, amount: int, *, reason: str, actor: str,
           store_id: int | None = None) -> LedgerEntry:
    """A manager's correction, up or down. The reason is mandatory and stored on the entry."""
    if not reason or not reason.strip():
        raise ApiError("reason_required")
    lock_accounts(s, shoppers=[account.shopper_id])
    at = clock.now()
    if amount < 0:
        return debit(s, Debit(account.id, account.program_id, ADJUSTMENT, -amount,
                              reference=f"adjustment:{actor}", actor=actor, idempotency_key=None,
                              store_id=store_id, at=at, reason=reason.strip()))
    credited, = credit(s, [Credit(account.id, account.program_id, ADJUSTMENT, amount,
                                  reference=f"adjustment:{actor}", actor=actor,
                                  idempotency_key=None, store_id=store_id, at=at,
                                  reason=reason.strip())])
    return s.get_one(LedgerEntry, credited.entry_id)


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
_UNHOLD = (update(_ACCOUNTS).where(_ACCOUNTS.c.id == bindparam("account_id"))
           .values(held=_ACCOUNTS.c.held - bindparam("released", type_=BigInteger))
           .returning(_ACCOUNTS.c.held))
_LINK_ENTRY = (update(_HOLDS).where(_HOLDS.c.id == bindparam("hold_id"))
               .values(entry_id=bindparam("linked_entry")))
_DUE = select(Hold).where(Hold.status == HELD, Hold.expires_at <= bindparam("now"))
_DUE_OF_ACCOUNT = _DUE.where(Hold.account_id == bindparam("account_id"))


def reserve(s: Session, account: Account, amount: int, *, reference: str, ttl: dt.timedelta,
            store_id: int | None = None, checkout_id: int | None = None,
            now: dt.datetime | None = None) -> Hold:
    """Put ``amount`` points on hold until ``now + ttl``, for a checkout's applied reward
    (``checkout_id``); they stop being available."""
    if amount <= 0:
        raise ValueError("a hold reserves at least one point")
    now = now or clock.now()
    expire_due(s, now, account_id=account.id)
    held = s.connection().execute(_RESERVE, {"account_id": account.id, "reserved": amount}).scalar()
    if held is None:
        raise ApiError("insufficient_points")
    set_committed_value(account, "held", held)
    hold = Hold(account_id=account.id, amount=amount, status=HELD, reference=reference,
                store_id=store_id, checkout_id=checkout_id, expires_at=now + ttl,
                created_at=now)
    s.add(hold)
    s.flush()
    return hold


def _settle(s: Session, hold: Hold, status: str, now: dt.datetime) -> bool:
    """Move a hold out of ``held``; False if another transaction already did. Released
    and expired holds give their points back to available here; a captured hold's
    points leave ``held`` with its debit (``capture``)."""
    connection = s.connection()
    changed = connection.execute(_SETTLE, {"hold_id": hold.id, "new_status": status,
                                           "settled": now})
    if changed.rowcount != 1:
        s.refresh(hold)
        return False
    set_committed_value(hold, "status", status)
    set_committed_value(hold, "settled_at", now)
    if status != CAPTURED:
        held = connection.execute(_UNHOLD, {"account_id": hold.account_id,
                                            "released": hold.amount}).scalar_one()
        _in_step(s, hold.account_id, held=held)
    return True


def capture(s: Session, hold: Hold, *, kind: str = REDEMPTION, actor: str,
            now: dt.datetime | None = None) -> LedgerEntry:
    """Spend held points: the hold becomes ``captured`` and its points leave the balance
    through ``debit`` (key ``hold:<id>``). A hold can be captured once; an expired or
    released hold raises ``hold_not_active``.

    The hold's conditional UPDATE (only one capture can win it), the debit (one UPDATE
    of the account, the entry), and the hold's link to the entry."""
    now = now or clock.now()
    if hold.status == HELD and hold.expires_at <= now:
        _settle(s, hold, EXPIRED, now)
    if not _settle(s, hold, CAPTURED, now):
        raise ApiError("hold_not_active")
    entry = debit(s, Debit(hold.account_id, hold.account.program_id, kind, hold.amount,
                           reference=f"hold:{hold.id}", actor=actor,
                           idempotency_key=f"hold:{hold.id}", store_id=hold.store_id, at=now,
                           from_hold=hold.amount))
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
