"""Raw sightings (purged after a few days) and walk-in rules."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from rewards_api import clock
from rewards_api.db import Base, BigIntId, intpk

# Outcome of a sighting event, as answered to the agent (rewards_protocol.events).
ACCEPTED = "accepted"
REJECTED = "rejected"


class Sighting(Base):
    """One presence event as an agent sent it. ``event_id`` is unique: a batch sent
    again finds its events here and changes nothing.

    A high-volume log that is purged after a few days: no foreign keys (each would
    cost a lookup per inserted row on the ingest path), ids copied from rows that exist.
    """

    __tablename__ = "sightings"
    __table_args__ = (Index("ix_sightings_received_at", "received_at"),)

    # The agent's UUID is the key: one index fewer to maintain on the ingest path.
    event_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    agent_id: Mapped[int] = mapped_column(BigIntId)
    store_id: Mapped[int] = mapped_column(BigIntId)
    # Who the token belonged to, when it resolved.
    shopper_id: Mapped[int | None] = mapped_column(BigIntId)
    kind: Mapped[str] = mapped_column(String(10))
    key_id: Mapped[int]
    token: Mapped[str] = mapped_column(String(32))
    first_seen_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    rssi_max: Mapped[int]
    rssi_median: Mapped[int]
    count: Mapped[int]
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class WalkInRule(Base):
    """Points a program gives for walking into a store, once per shopper per store per
    store-local day, between ``starts_on`` and ``ends_on`` (inclusive, store-local).
    With several rules of a program for a store on one day, the newest applies.
    ``daily_budget`` caps the points the program funds at the store per local day."""

    __tablename__ = "walk_in_rules"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("daily_budget IS NULL OR daily_budget > 0", name="budget_positive"),
        Index("ix_walk_in_rules_store_id_program_id", "store_id", "program_id"),
    )

    id: Mapped[intpk]
    program_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("programs.id"))
    store_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("stores.id"))
    points: Mapped[int]
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date | None]
    daily_budget: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
