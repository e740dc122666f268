"""Scan campaigns and the per-shopper rate limit of scans.

A campaign rewards scanning any of its products in any of its stores (or every store
of a chain) between ``starts_at`` and ``ends_at``. Its points come from one program:
the chain's store program, or the partner program when a brand co-funds it. With a
``budget``, ``points_awarded`` never exceeds it: awards raise it with one conditional
UPDATE in the award's transaction, and a CHECK constraint backs that up.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rewards_api import clock
from rewards_api.db import Base, BigIntId, bigint, intpk
from rewards_api.ledger.models import Program

# How often one shopper can earn a campaign's points.
PER_DAY = "day"  # once per store per store-local day
PER_CAMPAIGN = "campaign"  # once for the whole campaign
PER_SHOPPER_LIMITS = (PER_DAY, PER_CAMPAIGN)


class ScanCampaign(Base):
    __tablename__ = "scan_campaigns"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("per_shopper in ('day', 'campaign')", name="per_shopper"),
        CheckConstraint("budget IS NULL OR points_awarded <= budget", name="within_budget"),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    program_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("programs.id"))
    # Set: the campaign runs in every store of this chain; NULL: in its listed stores.
    chain_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("chains.id"))
    points: Mapped[int]
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    per_shopper: Mapped[str] = mapped_column(String(10), default=PER_DAY)
    budget: Mapped[int | None]
    points_awarded: Mapped[bigint] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)

    program: Mapped[Program] = relationship(lazy="joined")


class ScanCampaignStore(Base):
    __tablename__ = "scan_campaign_stores"

    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("scan_campaigns.id"),
                                             primary_key=True)
    store_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("stores.id"), primary_key=True,
                                          index=True)


class ScanCampaignProduct(Base):
    __tablename__ = "scan_campaign_products"

    campaign_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("scan_campaigns.id"),
                                             primary_key=True)
    product_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("products.id"),
                                            primary_key=True, index=True)


class ScanRateWindow(Base):
    """How many scans a shopper sent in one minute. In the database, so that every
    web process counts the same scans."""

    __tablename__ = "scan_rate_windows"

    shopper_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("shoppers.id"), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(primary_key=True, index=True)
    scans: Mapped[int] = mapped_column(default=0)


class RefusedScan(Base):
    """A scan the API refused, kept only for shoppers who allowed staff to help them
    (assist opt-in) and only for a day: the staff assist view shows what they have been
    trying to scan. Awarded scans need no such record: they are ledger entries."""

    __tablename__ = "refused_scans"
    __table_args__ = (Index("ix_refused_scans_shopper_id_store_id_at", "shopper_id", "store_id", "at"),)

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("shoppers.id"))
    store_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("stores.id"))
    gtin: Mapped[str | None] = mapped_column(String(14))  # None: nothing readable
    reason: Mapped[str] = mapped_column(String(40))
    at: Mapped[dt.datetime]
