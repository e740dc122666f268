"""Questions other domains ask about visits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards_api.visits.models import Visit


def active_visit(s: Session, shopper_id: int, store_id: int, at: dt.datetime,
                 within: dt.timedelta) -> Visit | None:
    """The shopper's visit at the store that was still going on at most ``within``
    before ``at`` (last seen recently and not ended before then), if any."""
    return s.scalars(
        select(Visit)
        .where(Visit.shopper_id == shopper_id, Visit.store_id == store_id,
               Visit.started_at <= at, Visit.last_seen_at >= at - within)
        .order_by(Visit.last_seen_at.desc())
        .limit(1)
    ).first()
