"""Chains and stores. A store carries its IANA timezone (daily limits follow the store's
local day), coordinates (the impossible-travel check) and language (rewards_api.i18n)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rewards_api import clock
from rewards_api.db import Base, BigIntId, intpk


class Chain(Base):
    __tablename__ = "chains"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The language of its stores that set none (rewards_api.i18n.LANGUAGES); NULL: English.
    default_language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    stores: Mapped[list[Store]] = relationship(back_populates="chain", order_by="Store.id")


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[intpk]
    chain_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("chains.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    active: Mapped[bool] = mapped_column(default=True)
    # What its registers, staff pages and error messages speak; NULL: the chain's default.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    chain: Mapped[Chain] = relationship(back_populates="stores")

    def local_date(self, at: dt.datetime) -> dt.date:
        """The calendar day in the store's own timezone at instant ``at``."""
        return local_date(self.timezone, at)


def local_date(timezone: str, at: dt.datetime) -> dt.date:
    """The calendar day in ``timezone`` at instant ``at``."""
    return at.astimezone(ZoneInfo(timezone)).date()
