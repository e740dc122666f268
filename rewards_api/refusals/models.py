"""A refusal a shopper met in a store, kept for the loyalty team's funnel.

Anonymous on purpose: the store, the code the API answered, the product (when the
request named one) and the time; never the shopper. The staff assist view's
``scans.models.RefusedScan`` is the personal, opt-in, one-day record; this one is the
business figure. No foreign key (as ``walkins.models.Sighting``): the store is checked
when the row is written and a key would lock ``stores`` whenever the table is created.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rewards_api.db import Base, BigIntId, intpk


class Refusal(Base):
    __tablename__ = "refusals"
    # The results page reads a store's refusals of a period (bench scale checks the plan).
    __table_args__ = (Index("ix_refusals_store_id_at", "store_id", "at"),)

    id: Mapped[intpk]
    store_id: Mapped[int] = mapped_column(BigIntId)
    code: Mapped[str] = mapped_column(String(40))
    gtin: Mapped[str | None] = mapped_column(String(14))  # 14 digits; None: none read
    at: Mapped[dt.datetime]
