"""Checkout at the register: the rewards catalog, earn rules, checkouts, returns and
partner settlement records.

A checkout's applied rewards are a JSON list on the checkout (one hold per reward);
the points themselves only move through the ledger (holds, entries).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rewards_api import clock
from rewards_api.db import Base, BigIntId, bigint, intpk
from rewards_api.ledger.models import Program
from rewards_api.stores.models import Store

# Reward kinds.
AMOUNT_OFF = "amount_off"
PERCENT_OFF = "percent_off"
FREE_PRODUCT = "free_product"
REWARD_KINDS = (AMOUNT_OFF, PERCENT_OFF, FREE_PRODUCT)

# Checkout states (the register's state machine adds "open" before identification).
IDENTIFIED = "identified"
REWARDS_APPLIED = "rewards_applied"
COMMITTED = "committed"
VOIDED = "voided"
OPEN_STATES = (IDENTIFIED, REWARDS_APPLIED)

# The shopper's consent to spend the applied rewards' points (``Checkout.consent``;
# NULL: not asked yet, or the rewards changed since).
AGREED_ON_PHONE = "phone"
AGREED_TO_CASHIER = "cashier"
DECLINED_ON_PHONE = "declined"
AGREED = (AGREED_ON_PHONE, AGREED_TO_CASHIER)

# How the shopper was identified.
BY_CODE = "code"
BY_PHONE = "phone"
BY_MEMBERSHIP = "membership_number"
BY_PRACTICE = "practice"


class Reward(Base):
    """One item of a program's catalog, bought with points at the register."""

    __tablename__ = "rewards"
    __table_args__ = (
        UniqueConstraint("program_id", "code"),
        CheckConstraint("kind in ('amount_off', 'percent_off', 'free_product')", name="kind"),
        CheckConstraint("points_cost > 0", name="points_cost_positive"),
    )

    id: Mapped[intpk]
    program_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("programs.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    points_cost: Mapped[int]
    amount_off_minor: Mapped[int | None]
    percent_off: Mapped[int | None]
    # Percent off never takes more than this (minor units); NULL means no cap.
    cap_minor: Mapped[int | None]
    # The free product (kind free_product): one unit of it is free.
    product_gtin: Mapped[str | None] = mapped_column(String(14))
    min_basket_minor: Mapped[int] = mapped_column(default=0)
    # Products the discount applies to; empty means the whole basket.
    eligible_gtins: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    program: Mapped[Program] = relationship(lazy="joined")


class EarnRule(Base):
    """How a purchase earns points in a program: the program's base rate (``gtin`` NULL,
    points per whole currency unit paid) or a product's multiplier."""

    __tablename__ = "earn_rules"
    __table_args__ = (
        UniqueConstraint("program_id", "gtin"),
        CheckConstraint("points_per_unit >= 0 and multiplier >= 1", name="positive"),
    )

    id: Mapped[intpk]
    program_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("programs.id"), index=True)
    gtin: Mapped[str | None] = mapped_column(String(14))
    points_per_unit: Mapped[int] = mapped_column(default=0)
    multiplier: Mapped[int] = mapped_column(default=1)


class Checkout(Base):
    """One sale at one register with an identified shopper (or the practice shopper)."""

    __tablename__ = "checkouts"
    __table_args__ = (
        UniqueConstraint("store_id", "offline_key"),
        Index("ix_checkouts_store_id_committed_at", "store_id", "committed_at"),
    )

    id: Mapped[intpk]
    store_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("stores.id"))
    # The register: the cashier terminal key that opened it; and who worked it, as the
    # POS names them (for the cashier adoption report).
    staff_key_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("staff_keys.id"))
    cashier: Mapped[str] = mapped_column(String(100))
    shopper_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("shoppers.id"),
                                                   index=True)
    identified_by: Mapped[str] = mapped_column(String(20))
    # The TOTP step of the checkout code used (PROTOCOLS.md section 4), if any.
    code_step: Mapped[int | None] = mapped_column(BigIntId)
    training: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=IDENTIFIED)
    currency: Mapped[str] = mapped_column(String(3))
    basket: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # [{"reward", "program", "name", "points", "discount_minor", "hold_id"}]
    applied: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Did the shopper agree to spend the points of exactly these applied rewards (see
    # AGREED); reset whenever the applied rewards change.
    consent: Mapped[str | None] = mapped_column(String(20))
    # Adoption: were rewards on offer when identified, and did the cashier apply them.
    rewards_offered: Mapped[bool] = mapped_column(default=False)
    rewards_applied: Mapped[bool] = mapped_column(default=False)
    # Earning sent later by a register that was offline (its queue item's key).
    offline_key: Mapped[str | None] = mapped_column(String(100))
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    committed_at: Mapped[dt.datetime | None]
    voided_at: Mapped[dt.datetime | None]

    store: Mapped[Store] = relationship(lazy="joined")


class CheckoutCodeUse(Base):
    """A checkout code that paid for a committed checkout: never accepted again."""

    __tablename__ = "checkout_code_uses"

    shopper_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("shoppers.id"),
                                            primary_key=True)
    step: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    checkout_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("checkouts.id"))


class CheckoutReturn(Base):
    """Goods brought back against a committed checkout, and what it did to points."""

    __tablename__ = "checkout_returns"

    id: Mapped[intpk]
    checkout_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("checkouts.id"), index=True)
    staff_key_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("staff_keys.id"))
    # [{"gtin", "quantity"}]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # {program code: {"clawed_back", "shortfall"}}: the shortfall is what the balance
    # could not cover (it is recorded, never taken into a negative balance).
    points: Mapped[dict[str, Any]] = mapped_column(JSON)
    refund_minor: Mapped[bigint]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class SettlementRecord(Base):
    """What the partner program and a store owe each other for one checkout or return.

    ``owed_to_store_minor``: partner points redeemed in the store, at point value (the
    partner pays). ``owed_to_partner_minor``: partner points issued on the store's
    purchases (the store pays). A return writes a record with negative issued points.
    """

    __tablename__ = "settlement_records"
    __table_args__ = (Index("ix_settlement_records_store_id_created_at", "store_id",
                            "created_at"),)

    id: Mapped[intpk]
    store_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("stores.id"))
    program_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("programs.id"))
    checkout_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("checkouts.id"))
    return_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("checkout_returns.id"))
    points_redeemed: Mapped[bigint]
    points_issued: Mapped[bigint]
    owed_to_store_minor: Mapped[bigint]
    owed_to_partner_minor: Mapped[bigint]
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
