"""Help requests: a checked-in shopper who opted in asked staff for help."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rewards_api import clock
from rewards_api.db import Base, BigIntId, intpk


class HelpRequest(Base):
    """Open until staff mark it helped, the shopper's visit ends, or it grows old."""

    __tablename__ = "help_requests"
    __table_args__ = (Index("ix_help_requests_store_id_created_at", "store_id", "created_at"),)

    id: Mapped[intpk]
    shopper_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("shoppers.id"), index=True)
    store_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("stores.id"))
    # The visit during which the shopper asked: its scans are what staff see.
    visit_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("visits.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    helped_at: Mapped[dt.datetime | None]
    # Who marked it helped, e.g. "staff:7".
    helped_by: Mapped[str | None] = mapped_column(String(40))
