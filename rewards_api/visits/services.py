"""Visits: merging presence events into stays, the impossible-travel and resident
checks, and the questions other domains ask about visits."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from rewards_api.stores.models import Store
from rewards_api.visits.models import IMPOSSIBLE_TRAVEL, LIVES_OR_WORKS_HERE, Visit
from rewards_protocol.events import ENTER, EXIT

# How far back the impossible-travel check looks for the shopper's other visits.
TRAVEL_LOOKBACK = dt.timedelta(hours=12)
# Stores closer than this are never "too far apart" (coordinates are approximate).
NEIGHBOUR_KM = 2.0
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Presence:
    """One accepted presence event, resolved to a shopper."""

    shopper_id: int
    agent_id: int
    exited: bool
    first_seen: dt.datetime
    last_seen: dt.datetime
    rssi_max: int
    rssi_median: int
    count: int


def checked_in_within() -> dt.timedelta:
    """How recently the shopper must have been seen at a store to be in it
    (``SCAN_VISIT_WITHIN_SECONDS``): ``in_store``'s window, one for scans, help
    requests and the app's "you are in ..."."""
    return dt.timedelta(seconds=current_app.config["SCAN_VISIT_WITHIN_SECONDS"])


def in_store(shopper_id: Any, store_id: Any, at: Any, since: Any) -> list[ColumnElement[bool]]:
    """The one rule for "the shopper is in the store at ``at``", as the conditions on a
    visit: at that store, started by ``at``, seen since ``since`` (``at`` less the
    presence window), not ended before ``at`` (an exit arrived) and not flagged (a visit
    flagged as impossible travel, e.g. a relayed token, or as someone who lives or works
    there, earns and asks nothing). The arguments are values or bind parameters, so
    prepared statements use it too; ``store_id`` None: in any store."""
    conditions = [Visit.shopper_id == shopper_id,
                  Visit.started_at <= at, Visit.last_seen_at >= since,
                  or_(Visit.ended_at.is_(None), Visit.ended_at > at), Visit.flag.is_(None)]
    return conditions if store_id is None else [Visit.store_id == store_id, *conditions]


def active_visit(s: Session, shopper_id: int, store_id: int, at: dt.datetime,
                 within: dt.timedelta) -> Visit | None:
    """The shopper's latest visit in which they are in the store at ``at`` (see
    ``in_store``), if any."""
    return s.scalars(
        select(Visit)
        .where(*in_store(shopper_id, store_id, at, at - within))
        .order_by(Visit.last_seen_at.desc())
        .limit(1)
    ).first()


def visit_now(s: Session, shopper_id: int, at: dt.datetime, within: dt.timedelta
              ) -> dict[str, Any] | None:
    """What the app shows of the visit the shopper is in at ``at``, in whichever store
    ("you are in ... since ..."): ``GET /v1/me/visit`` and the shopper's live stream
    (``visit``, asked every poll: the columns it shows, not whole rows); None when she
    is in no store."""
    row = s.execute(
        select(Store.id, Store.name, Store.timezone, Visit.started_at)
        .join(Store, Store.id == Visit.store_id)
        .where(*in_store(shopper_id, None, at, at - within))
        .order_by(Visit.last_seen_at.desc()).limit(1)
    ).first()
    if row is None:
        return None
    store_id, name, timezone, started_at = row
    return {"store_id": store_id, "store_name": name, "started_at": started_at.isoformat(),
            "since": started_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")}


def distance_km(a: Store, b: Store) -> float | None:
    """Great-circle distance between two stores, None if one has no coordinates."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


@dataclass
class VisitState:
    """A visit as ingest works on it: plain values instead of ORM objects (a batch
    touches hundreds of visits), written back in bulk by ``record_presences``."""

    id: int | None
    shopper_id: int
    store_id: int
    started_at: dt.datetime
    last_seen_at: dt.datetime
    ended_at: dt.datetime | None
    rssi_max: int | None
    rssi_median: int | None
    adverts: int
    agent_ids: list[int]
    heard_by: dict[str, list[str]]
    flag: str | None
    changed: bool = False


_VISIT_FIELDS = ("shopper_id", "store_id", "started_at", "last_seen_at", "ended_at", "rssi_max",
                 "rssi_median", "adverts", "agent_ids", "heard_by", "flag")
_CHANGING_FIELDS = ("started_at", "last_seen_at", "ended_at", "rssi_max", "rssi_median",
                    "adverts", "agent_ids", "heard_by", "flag")


@dataclass(frozen=True)
class VisitRules:
    """How presences become visits, and which visits earn nothing (the settings
    ``REWARDS_VISIT_IDLE_MINUTES``, ``REWARDS_MAX_TRAVEL_KMH``,
    ``REWARDS_RESIDENT_VISIT_HOURS`` and ``REWARDS_RESIDENT_DAYS``)."""

    # Presences of a shopper at a store this close together are one visit.
    idle_gap: dt.timedelta
    # Faster than this between two stores is a relayed token.
    max_travel_kmh: float
    # A visit heard longer than this is someone who lives or works there.
    resident_stay: dt.timedelta
    # For this long after such a visit, the shopper's new visits there are theirs too.
    resident_days: dt.timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> VisitRules:
        return cls(idle_gap=dt.timedelta(minutes=config["VISIT_IDLE_MINUTES"]),
                   max_travel_kmh=config["MAX_TRAVEL_KMH"],
                   resident_stay=dt.timedelta(hours=config["RESIDENT_VISIT_HOURS"]),
                   resident_days=dt.timedelta(days=config["RESIDENT_DAYS"]))


def record_presences(s: Session, store: Store, presences: list[Presence], rules: VisitRules
                     ) -> tuple[list[VisitState], list[VisitState]]:
    """Merge presences into the shoppers' visits at ``store``.

    A presence within ``rules.idle_gap`` of a visit of the same shopper at the same
    store joins it (tokens rotate, agents differ: the server links them); otherwise it
    opens a new visit. A visit ends (``ended_at``, its ``last_seen_at``) when the latest
    event of every agent that heard it is an exit, whatever order the events arrive in:
    one agent's exit while another still hears the shopper, or an old token's exit
    before its new token's enter, does not end it; an enter after that reopens it.
    A new visit is flagged ``impossible_travel`` when the shopper's latest visit at
    another store is too far away for the time between them, and
    ``lives_or_works_here`` when the shopper had such a visit at this store within
    ``rules.resident_days`` before it; any visit is flagged ``lives_or_works_here`` once
    it has lasted longer than ``rules.resident_stay``. The caller holds the shoppers'
    row locks. Returns ``(visit of each presence, new visits)``, written: one query,
    one bulk insert and one bulk update however many presences.
    """
    earliest = min(p.first_seen for p in presences)
    by_shopper: dict[int, list[VisitState]] = defaultdict(list)
    for row in s.execute(select(Visit.id, *(getattr(Visit, f) for f in _VISIT_FIELDS)).where(
            Visit.shopper_id.in_({p.shopper_id for p in presences}),
            or_(Visit.last_seen_at >= earliest - max(rules.idle_gap, TRAVEL_LOOKBACK),
                # The visits that make a new one here a resident's (_resident_here).
                and_(Visit.store_id == store.id, Visit.flag == LIVES_OR_WORKS_HERE,
                     Visit.last_seen_at >= earliest - rules.resident_days)))
            .order_by(Visit.last_seen_at)):
        by_shopper[row.shopper_id].append(VisitState(**row._asdict()))
    other_ids = {v.store_id for visits in by_shopper.values() for v in visits} - {store.id}
    stores = {store.id: store}
    if other_ids:
        stores.update((o.id, o) for o in s.scalars(select(Store).where(Store.id.in_(other_ids))))

    visit_of: dict[int, VisitState] = {}
    new_visits: list[VisitState] = []
    for index in sorted(range(len(presences)), key=lambda i: presences[i].first_seen):
        p = presences[index]
        visits = by_shopper[p.shopper_id]
        joined = [v for v in visits if v.store_id == store.id
                  and v.started_at - rules.idle_gap <= p.last_seen
                  and p.first_seen <= v.last_seen_at + rules.idle_gap]
        if joined:
            visit = joined[-1]
            _merge(visit, p)
        else:
            visit = _open_visit(p, visits, stores, store, rules)
            new_visits.append(visit)
        if visit.flag is None and visit.last_seen_at - visit.started_at > rules.resident_stay:
            visit.flag, visit.changed = LIVES_OR_WORKS_HERE, True
        visit_of[index] = visit
    _write(s, new_visits, [v for vs in by_shopper.values() for v in vs
                           if v.changed and v.id is not None])
    return [visit_of[i] for i in range(len(presences))], new_visits


def _open_visit(p: Presence, visits: list[VisitState], stores: dict[int, Store], here: Store,
                rules: VisitRules) -> VisitState:
    """A new visit for ``p`` (the shopper's earlier visits here end), flagged by the
    checks that look at the shopper's other visits; appended to ``visits``."""
    for earlier in visits:
        if earlier.store_id == here.id and earlier.ended_at is None:
            earlier.ended_at, earlier.changed = earlier.last_seen_at, True
            # Nobody heard the shopper for the idle gap: each agent's word is as an exit.
            earlier.heard_by = {agent: [seen, EXIT] for agent, (seen, _) in earlier.heard_by.items()}
    flag = None
    if _impossible_travel(p, visits, stores, here, rules.max_travel_kmh):
        flag = IMPOSSIBLE_TRAVEL
    elif _resident_here(p, visits, here, rules.resident_days):
        flag = LIVES_OR_WORKS_HERE
    visit = VisitState(
        id=None, shopper_id=p.shopper_id, store_id=here.id, started_at=p.first_seen,
        last_seen_at=p.last_seen, ended_at=p.last_seen if p.exited else None,
        rssi_max=p.rssi_max, rssi_median=p.rssi_median, adverts=p.count,
        agent_ids=[p.agent_id], heard_by={}, flag=flag)
    _heard(visit, p)
    visits.append(visit)
    return visit


def _write(s: Session, new: list[VisitState], changed: list[VisitState]) -> None:
    if new:
        ids = s.execute(insert(Visit).returning(Visit.id, sort_by_parameter_order=True),
                        [{f: getattr(v, f) for f in _VISIT_FIELDS} for v in new]).scalars()
        for visit, visit_id in zip(new, ids, strict=True):
            visit.id = visit_id
    if changed:
        visits = cast(Table, Visit.__table__)
        s.execute(update(visits).where(visits.c.id == bindparam("visit_id"))
                  .values({f: bindparam(f"new_{f}") for f in _CHANGING_FIELDS}),
                  [{"visit_id": v.id, **{f"new_{f}": getattr(v, f) for f in _CHANGING_FIELDS}}
                   for v in changed])


def _merge(visit: VisitState, p: Presence) -> None:
    total = visit.adverts + p.count
    before = p.rssi_median if visit.rssi_median is None else visit.rssi_median
    visit.rssi_median = round((before * visit.adverts + p.rssi_median * p.count) / total)
    visit.adverts = total
    visit.rssi_max = p.rssi_max if visit.rssi_max is None else max(visit.rssi_max, p.rssi_max)
    visit.started_at = min(visit.started_at, p.first_seen)
    visit.last_seen_at = max(visit.last_seen_at, p.last_seen)
    if p.agent_id not in visit.agent_ids:
        visit.agent_ids = [*visit.agent_ids, p.agent_id]
    _heard(visit, p)
    gone = all(kind == EXIT for _, kind in visit.heard_by.values())
    visit.ended_at = visit.last_seen_at if gone else None
    visit.changed = True


def _heard(visit: VisitState, p: Presence) -> None:
    """Keep ``p`` as its agent's word on ``visit`` if it is that agent's latest: the later
    ``last_seen``, and at the same moment the exit (an agent's exit after its away timeout
    repeats the ``last_seen`` of the enter it ends, while a rotated token's enter is
    always heard after the old token's last advert)."""
    agent = str(p.agent_id)
    word = visit.heard_by.get(agent)
    if word is None or (p.last_seen, p.exited) > (dt.datetime.fromisoformat(word[0]),
                                                   word[1] == EXIT):
        visit.heard_by[agent] = [p.last_seen.isoformat(), EXIT if p.exited else ENTER]


def lives_or_works_here(s: Session, store_id: int, shopper_id: int, at: dt.datetime,
                        resident_days: dt.timedelta) -> bool:
    """``_resident_here`` for one shopper, read from the database: whether a visit of
    hers at the store was someone's who lives or works there, heard within
    ``resident_days`` before ``at`` (the till's walk-in:
    ``pos.wallet.LedgerWallet.walk_in_at_till``)."""
    return s.scalar(select(Visit.id).where(
        Visit.shopper_id == shopper_id, Visit.store_id == store_id,
        Visit.flag == LIVES_OR_WORKS_HERE, Visit.started_at <= at,
        Visit.last_seen_at >= at - resident_days).limit(1)) is not None


def _resident_here(p: Presence, visits: list[VisitState], here: Store,
                   resident_days: dt.timedelta) -> bool:
    """Whether the shopper's visits here include one of someone who lives or works
    here, heard within ``resident_days`` before ``p``."""
    return any(v.store_id == here.id and v.flag == LIVES_OR_WORKS_HERE
               and v.started_at <= p.first_seen
               and v.last_seen_at >= p.first_seen - resident_days for v in visits)


def _impossible_travel(p: Presence, visits: list[VisitState], stores: dict[int, Store],
                       here: Store, max_travel_kmh: float) -> bool:
    for other in visits:
        if (other.store_id == here.id or other.flag is not None
                or other.started_at > p.last_seen
                or other.last_seen_at < p.first_seen - TRAVEL_LOOKBACK):
            continue
        km = distance_km(stores[other.store_id], here)
        if km is None or km <= NEIGHBOUR_KM:
            continue
        hours = max((p.first_seen - other.last_seen_at).total_seconds(), 0.0) / 3600
        if km > hours * max_travel_kmh:
            return True
    return False


def export_visits(s: Session, shopper: Any) -> list[dict[str, Any]]:
    """The shopper's visits for ``GET /v1/me/export``."""
    rows = s.execute(select(Visit, Store.code).join(Store, Visit.store_id == Store.id)
                     .where(Visit.shopper_id == shopper.id).order_by(Visit.id)).all()
    return [{"store": code, "started_at": v.started_at.isoformat(),
             "last_seen_at": v.last_seen_at.isoformat(),
             "ended_at": v.ended_at.isoformat() if v.ended_at else None,
             "flag": v.flag} for v, code in rows]
