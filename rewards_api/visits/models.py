"""A visit is one shopper's stay in one store, merged from presence events of any
of the store's agents across token rotations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from rewards_api.db import Base, BigIntId, intpk

# Why a visit earned nothing although a walk-in rule applied.
IMPOSSIBLE_TRAVEL = "impossible_travel"
# Heard at the store for hours (REWARDS_RESIDENT_VISIT_HOURS), or again within days
# (REWARDS_RESIDENT_DAYS) of such a stay: a phone of someone who lives or works there
# (the flat upstairs, the staff room), not a shopper.
LIVES_OR_WORKS_HERE = "lives_or_works_here"


class Visit(Base):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_shopper_id_store_id_last_seen_at", "shopper_id", "store_id", "last_seen_at"),
        # The dashboard's day: a store's visits by start time (bench scale).
        Index("ix_visits_store_id_started_at", "store_id", "started_at"),
    )

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("shoppers.id"))
    store_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("stores.id"))
    started_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    # Set (to last_seen_at) when every agent that heard the shopper reported her gone
    # (see heard_by), or when a later visit of the shopper at the store starts after the
    # idle gap; a visit without it ended at last_seen_at once the idle gap has passed.
    ended_at: Mapped[dt.datetime | None]
    rssi_max: Mapped[int | None]
    # RSSI summary: the median RSSI of its events, weighted by their advert counts.
    rssi_median: Mapped[int | None]
    adverts: Mapped[int] = mapped_column(default=0, server_default="0")
    # Ids of the agents that saw it, in the order they first did.
    agent_ids: Mapped[list[int]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    # Each agent's latest word on the visit, by agent id (a string, as JSON keys are):
    # ``[last_seen of its latest event (ISO 8601), "enter" or "exit"]``. The visit ends
    # when every one of them is an exit. Visits from before revision 0023 start with
    # none: only the agents heard from since count for them.
    heard_by: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict,
                                                           server_default=text("'{}'"))
    # A fraud check's verdict (IMPOSSIBLE_TRAVEL, LIVES_OR_WORKS_HERE); flagged visits
    # earn no points.
    flag: Mapped[str | None] = mapped_column(String(40))
