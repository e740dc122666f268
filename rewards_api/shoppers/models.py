"""Shoppers and their sign-in tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rewards_api import clock
from rewards_api.db import Base, BigIntId, intpk
from rewards_api.ledger.models import Account


class Shopper(Base):
    __tablename__ = "shoppers"
    __table_args__ = (Index("uq_shoppers_email", "email", unique=True),)

    id: Mapped[intpk]
    # Printed in the checkout QR (PROTOCOLS.md section 4): 10 base32 characters.
    public_id: Mapped[str] = mapped_column(String(10), unique=True)
    # Base32 TOTP secret of the checkout code; the phone keeps a copy.
    checkout_secret: Mapped[str] = mapped_column(String(64))
    # Opaque 64-bit number inside presence tokens (PROTOCOLS.md section 1). Kept below
    # 2**63 so that it fits PostgreSQL's signed BIGINT.
    shopper_ref: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Verified by a code sent to it; signs the shopper in on a new phone. Lower case.
    email: Mapped[str | None] = mapped_column(String(254))
    # The staff assist view shows a shopper only if they asked for it (off by default).
    assist_opt_in: Mapped[bool] = mapped_column(default=False)
    # Chosen in the app (rewards_api.i18n.LANGUAGES); NULL: the browser's language.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    erased_at: Mapped[dt.datetime | None]

    accounts: Mapped[list[Account]] = relationship(order_by="Account.program_id")


class ShopperToken(Base):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "shopper_tokens"

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("shoppers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    shopper: Mapped[Shopper] = relationship()
