"""Programs, accounts, ledger entries and holds.

A *program* is a points currency: one ``store`` program per chain and one ``partner``
network program. A shopper has one *account* per program. Every change of points is
an *entry*; entries are never updated or deleted (database triggers refuse it, see the
first migration). ``Account.balance`` caches the sum of the account's entries and
``Account.held`` the sum of its active holds; both change only in the transaction that
writes the entry or the hold, and tests check them against the sums.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    case,
    func,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rewards_api import clock
from rewards_api.db import Base, BigIntId, bigint, intpk

STORE_PROGRAM = "store"
PARTNER_PROGRAM = "partner"

# Entry kinds, in the shop's language.
WALK_IN = "walk_in"
SCAN = "scan"
PURCHASE = "purchase"
REDEMPTION = "redemption"
RETURN = "return"
ADJUSTMENT = "adjustment"
ENTRY_KINDS = (WALK_IN, SCAN, PURCHASE, REDEMPTION, RETURN, ADJUSTMENT)

# Hold states: reserve -> capture | release | expire.
HELD = "held"
CAPTURED = "captured"
RELEASED = "released"
EXPIRED = "expired"


class Program(Base):
    __tablename__ = "programs"
    __table_args__ = (CheckConstraint("kind in ('store', 'partner')", name="kind"),)

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    # The chain whose own program this is; NULL for the partner network program.
    chain_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("chains.id"))
    # What one point is worth when redeemed, in minor units of ``currency`` (settlement).
    point_value_minor: Mapped[int] = mapped_column(default=1)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    def pays_in_chain(self, chain_id: int) -> bool:
        """A chain's store program pays (walk-ins, scans) only in that chain's stores;
        the partner program, co-funded by brands, in every store."""
        return self.kind != STORE_PROGRAM or self.chain_id == chain_id


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("shopper_id", "program_id"),
        UniqueConstraint("program_id", "membership_number"),
        CheckConstraint("held >= 0", name="held_not_negative"),
        CheckConstraint("balance >= held", name="balance_covers_holds"),
    )

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("shoppers.id"), index=True)
    program_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("programs.id"))
    membership_number: Mapped[str | None] = mapped_column(String(40))
    balance: Mapped[bigint] = mapped_column(default=0)
    held: Mapped[bigint] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    program: Mapped[Program] = relationship(lazy="joined")

    @property
    def available(self) -> int:
        return self.balance - self.held


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("program_id", "idempotency_key"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_ledger_entries_account_id_id", "account_id", "id"),
        Index("ix_ledger_entries_store_id_created_at", "store_id", "created_at"),
    )

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("accounts.id"))
    program_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("programs.id"))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[bigint]
    # What the entry is about, e.g. "visit:12", "checkout:9", "hold:4".
    reference: Mapped[str] = mapped_column(String(80))
    # Makes an award happen once: a second entry with the same key is refused.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    store_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("stores.id"))
    # Who caused it: "system", "agent:3", "staff:7", "shopper:5".
    actor: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    # The product a scan award was for (14 digits); NULL for every other kind.
    gtin: Mapped[str | None] = mapped_column(String(14))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    program: Mapped[Program] = relationship(lazy="joined")

    @hybrid_property
    def scanned_gtin(self) -> str | None:
        """The product a scan award was for, in Python and in SQL: the one reader of it.

        Written as data since migration 0019, in the nullable ``gtin`` column, at the
        entry's insert: entries are append-only (a trigger refuses UPDATE), so a
        backfill would have to lift that guard on the hottest table. Scan entries
        written before 0019 carry the GTIN only as the last 14 characters of their
        reference (``scan:<campaign>:<gtin>``); this is the only place that reads it
        from there, until those entries age out."""
        if self.gtin is not None or self.kind != SCAN:
            return self.gtin
        return self.reference[-14:]

    @scanned_gtin.inplace.expression
    @classmethod
    def _scanned_gtin(cls) -> ColumnElement[str | None]:
        return case((cls.gtin.is_not(None), cls.gtin),
                    (cls.kind == SCAN, func.substr(cls.reference, func.length(cls.reference) - 13)),
                    else_=None)


class Hold(Base):
    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_holds_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("accounts.id"), index=True)
    amount: Mapped[bigint]
    status: Mapped[str] = mapped_column(String(10), default=HELD)
    reference: Mapped[str] = mapped_column(String(80))
    store_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("stores.id"))
    expires_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    settled_at: Mapped[dt.datetime | None]
    # The redemption entry written when the hold was captured.
    entry_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("ledger_entries.id"),
                                                 index=True)
    # The checkout whose applied reward the hold pays for (its ``reference`` says the same
    # in words).
    checkout_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("checkouts.id"),
                                                    index=True)

    account: Mapped[Account] = relationship()
