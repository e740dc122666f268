"""A visit is one shopper's stay in one store, merged from presence events of any
of the store's agents across token rotations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from rewards_api.db import Base, BigIntId, intpk


class Visit(Base):
    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_shopper_id_store_id_last_seen_at", "shopper_id", "store_id", "last_seen_at"),)

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("shoppers.id"))
    store_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("stores.id"))
    started_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    # Set once the shopper has been unseen for the store's idle gap (or left).
    ended_at: Mapped[dt.datetime | None]
    rssi_max: Mapped[int | None]
