"""The figures of the store dashboard, for today and for the last N days.

Days and hours are the store's own (its timezone). The queries only select rows in a
time range and the grouping by local day and hour happens here, in Python, so they
read the same on SQLite and PostgreSQL (whose date functions differ).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from rewards_api.agents import calibration
from rewards_api.agents.models import Agent
from rewards_api.ledger.models import PURCHASE, REDEMPTION, SCAN, WALK_IN, LedgerEntry, Program
from rewards_api.pos.models import BY_CODE, COMMITTED, Checkout, SettlementRecord
from rewards_api.staff.models import StaffKey
from rewards_api.stores.models import Store
from rewards_api.visits.models import Visit

MAX_DAYS = 31
# Points a shopper earns (not corrections or give-backs): what "points issued" counts.
EARNING_KINDS = (WALK_IN, SCAN, PURCHASE)
# An agent sends a heartbeat every minute; five missed ones mean it needs a look.
AGENT_STALE_AFTER = dt.timedelta(minutes=5)
# Seen walking in (``seen_at_till``): a sale at the till where the shopper showed the
# app's checkout code was made with her phone in the store. The agents saw her walk in
# if a visit of hers at the store reaches to within TILL_REACH of the sale: her visit may
# have closed minutes before she paid (unheard at the back of the shop), and one checked
# in after the sale started when her phone was first heard, before it.
TILL_REACH = dt.timedelta(minutes=15)
# Too few of them seen for the agents to be hearing the store as they should: the bench
# finds 0.95 or more of the walk-ins at most entrances (``make bench BENCH=agent``), and
# under 0.9 where the back of the store is out of earshot (a second agent mid-floor) or
# the phones do not advertise (iPhones with the app in the background). Said only once
# TILL_SALES sales were counted: over fewer, one or two shoppers move the share by tenths.
TILL_SEEN_LOW = 0.9
TILL_SALES = 20
# Visits that started longer before a sale are not looked at (a sale's visits are
# bounded by their start time too, as ``walk_ins`` reads them): no shopper's stay is longer.
LONGEST_VISIT = dt.timedelta(hours=12)


@dataclass(frozen=True)
class Period:
    """Whole store-local days ``first_day`` to ``last_day``, as a UTC range [start, end)."""

    first_day: dt.date
    last_day: dt.date
    start: dt.datetime
    end: dt.datetime

    @property
    def days(self) -> list[dt.date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + dt.timedelta(days=n) for n in range(count)]


def period(store: Store, now: dt.datetime, days: int) -> Period:
    """The last ``days`` local days of the store, today included (up to ``now``)."""
    zone = ZoneInfo(store.timezone)
    today = now.astimezone(zone).date()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    return Period(first, today, start, now)


def between(store: Store, first: dt.date, last: dt.date) -> Period:
    """The whole store-local days ``first`` to ``last`` (both included)."""
    zone = ZoneInfo(store.timezone)
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return Period(first, last, start, end)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def walk_ins(s: Session, store: Store, p: Period) -> dict[str, Any]:
    """Visits that started in the period (fraud-flagged ones apart): per local hour of
    the day, per local day, and their median dwell."""
    zone = ZoneInfo(store.timezone)
    rows = s.execute(select(Visit.started_at, Visit.last_seen_at, Visit.ended_at, Visit.flag)
                     .where(Visit.store_id == store.id, Visit.started_at >= p.start,
                            Visit.started_at < p.end)).all()
    per_hour = [0] * 24
    per_day: Counter[dt.date] = Counter()
    dwell_minutes = []
    flagged = 0
    for started_at, last_seen_at, ended_at, flag in rows:
        if flag is not None:
            flagged += 1
            continue
        local = started_at.astimezone(zone)
        per_hour[local.hour] += 1
        per_day[local.date()] += 1
        dwell_minutes.append(((ended_at or last_seen_at) - started_at).total_seconds() / 60)
    return {
        "walk_ins": sum(per_hour),
        "flagged_visits": flagged,
        "per_hour": per_hour,
        "per_day": [{"day": day.isoformat(), "walk_ins": per_day[day]} for day in p.days],
        "median_dwell_minutes": round(statistics.median(dwell_minutes), 1) if dwell_minutes else None,
    }


def points(s: Session, store: Store, p: Period) -> dict[str, Any]:
    """Points issued (walk-ins, scans, purchases) and redeemed at the store, per program
    and per local day; and the scans that earned points (one scan may pay in several
    campaigns: its entries share the shopper and the instant)."""
    zone = ZoneInfo(store.timezone)
    rows = s.execute(
        select(Program.code, Program.name, LedgerEntry.kind, LedgerEntry.amount,
               LedgerEntry.actor, LedgerEntry.created_at)
        .join(Program, Program.id == LedgerEntry.program_id)
        .where(LedgerEntry.store_id == store.id, LedgerEntry.created_at >= p.start,
               LedgerEntry.created_at < p.end)).all()
    names: dict[str, str] = {}
    issued: Counter[str] = Counter()
    issued_per_day: dict[str, Counter[dt.date]] = defaultdict(Counter)
    redeemed: Counter[str] = Counter()
    redemptions: Counter[str] = Counter()
    scans: set[tuple[str, dt.datetime]] = set()
    for code, name, kind, amount, actor, created_at in rows:
        names[code] = name
        if kind in EARNING_KINDS and amount > 0:
            issued[code] += amount
            issued_per_day[code][created_at.astimezone(zone).date()] += amount
        elif kind == REDEMPTION:
            redeemed[code] -= amount
            redemptions[code] += 1
        if kind == SCAN and amount > 0:
            scans.add((actor, created_at))
    return {
        "programs": [
            {"program": code, "program_name": names[code], "points_issued": issued[code],
             "redemptions": redemptions[code], "points_redeemed": redeemed[code],
             "per_day": [{"day": day.isoformat(), "points_issued": issued_per_day[code][day]}
                         for day in p.days]}
            for code in sorted(names)],
        "scans": len(scans),
    }


def seen_at_till(s: Session, store_ids: list[int], p: Period) -> dict[int, dict[str, Any]]:
    """Per store (of ``store_ids``, whose days are one UTC range ``p``): how many of the
    shoppers who paid with the app's checkout code (committed sales, training apart) its
    agents saw walking in (a visit of theirs at the store within ``TILL_REACH`` of the
    sale): the walk-ins the store's till proves, against those its agents found.
    ``attention``: the share is under ``TILL_SEEN_LOW`` over at least ``TILL_SALES`` sales."""
    # One statement: each sale with the visits of its shopper at its store around the
    # period (none: the outer join's NULLs), by the index on visits(shopper_id, store_id,
    # last_seen_at): only the paying shoppers' visits are read, not the store's every one.
    rows = s.execute(
        select(Checkout.id, Checkout.store_id, Checkout.committed_at, Visit.started_at,
               Visit.last_seen_at, Visit.ended_at)
        .outerjoin(Visit, and_(Visit.shopper_id == Checkout.shopper_id,
                               Visit.store_id == Checkout.store_id,
                               Visit.last_seen_at >= p.start - TILL_REACH,
                               Visit.started_at >= p.start - LONGEST_VISIT,
                               Visit.started_at < p.end + TILL_REACH))
        .where(Checkout.store_id.in_(store_ids), Checkout.status == COMMITTED,
               Checkout.training.is_(False), Checkout.identified_by == BY_CODE,
               Checkout.shopper_id.is_not(None),
               Checkout.committed_at >= p.start, Checkout.committed_at < p.end))
    store_of: dict[int, int] = {}  # each sale's store
    reached: set[int] = set()  # the sales a visit of the shopper reaches
    for sale, store_id, at, started_at, last_seen_at, ended_at in rows:
        store_of[sale] = store_id
        if (started_at is not None and at is not None  # (committed: it has a time)
                and started_at - TILL_REACH <= at <= (ended_at or last_seen_at) + TILL_REACH):
            reached.add(sale)
    paid = Counter(store_of.values())
    seen = Counter(store_of[sale] for sale in reached)
    result = {}
    for store_id in store_ids:
        share = _share(seen[store_id], paid[store_id])
        result[store_id] = {"paid_with_app": paid[store_id], "seen": seen[store_id], "share": share,
                            "attention": (paid[store_id] >= TILL_SALES and share is not None
                                          and share < TILL_SEEN_LOW)}
    return result


def settlement(s: Session, store: Store, p: Period) -> list[dict[str, Any]]:
    """What the partner program and the store owe each other, per currency."""
    rows = s.execute(
        select(SettlementRecord.currency,
               func.sum(SettlementRecord.points_redeemed), func.sum(SettlementRecord.points_issued),
               func.sum(SettlementRecord.owed_to_store_minor),
               func.sum(SettlementRecord.owed_to_partner_minor))
        .where(SettlementRecord.store_id == store.id, SettlementRecord.created_at >= p.start,
               SettlementRecord.created_at < p.end)
        .group_by(SettlementRecord.currency).order_by(SettlementRecord.currency)).all()
    return [{"currency": currency, "points_redeemed": int(redeemed), "points_issued": int(issued),
             "owed_to_store_minor": int(to_store), "owed_to_partner_minor": int(to_partner),
             # Positive: the partner pays the store; negative: the store pays the partner.
             "net_to_store_minor": int(to_store) - int(to_partner)}
            for currency, redeemed, issued, to_store, to_partner in rows]


def adoption(s: Session, store: Store, p: Period) -> dict[str, Any]:
    """Cashier adoption: of the committed sales (training apart) where the shopper was
    identified and had a reward within reach, the share where the cashier applied
    rewards; per register (its terminal key) and per cashier (as the POS names them)."""
    rows = s.execute(
        select(StaffKey.label, Checkout.cashier, Checkout.rewards_offered,
               Checkout.rewards_applied)
        .join(StaffKey, StaffKey.id == Checkout.staff_key_id)
        .where(Checkout.store_id == store.id, Checkout.status == COMMITTED,
               Checkout.training.is_(False), Checkout.committed_at >= p.start,
               Checkout.committed_at < p.end)).all()

    def tally(index: int) -> list[dict[str, Any]]:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for row in rows:
            tallied = counts[str(row[index])]
            tallied[0] += 1
            tallied[1] += bool(row.rewards_offered)
            tallied[2] += bool(row.rewards_offered and row.rewards_applied)
        return [{"name": name, "identified": identified, "rewards_offered": offered,
                 "rewards_applied": applied, "share": _share(applied, offered)}
                for name, (identified, offered, applied) in sorted(counts.items())]

    offered = sum(bool(r.rewards_offered) for r in rows)
    applied = sum(bool(r.rewards_offered and r.rewards_applied) for r in rows)
    return {"identified": len(rows), "rewards_offered": offered, "rewards_applied": applied,
            "share": _share(applied, offered), "registers": tally(0), "cashiers": tally(1)}


def agent_health(s: Session, store: Store, now: dt.datetime) -> list[dict[str, Any]]:
    """Each active agent of the store with its last heartbeat, outbox queue depth, radio
    rate, refused events and calibration; ``healthy`` is false when heartbeats stopped."""
    result = []
    for agent in s.scalars(select(Agent).where(Agent.store_id == store.id,
                                               Agent.disabled_at.is_(None)).order_by(Agent.id)):
        seen = agent.last_seen_at
        result.append({
            "agent_id": agent.id, "label": agent.label,
            "last_heartbeat_at": seen.isoformat() if seen else None,
            "seconds_since_heartbeat": int((now - seen).total_seconds()) if seen else None,
            "queue_depth": agent.queue_depth, "adverts_per_second": agent.adverts_per_second,
            "scanner_state": agent.scanner_state,
            "refused_events": agent.refused_events or 0,
            "last_refusal_code": agent.last_refusal_code,
            "healthy": seen is not None and now - seen <= AGENT_STALE_AFTER,
            "calibration": calibration.view(agent),
        })
    return result


def figures(s: Session, store: Store, p: Period) -> dict[str, Any]:
    visits = walk_ins(s, store, p)
    earned = points(s, store, p)
    return {"first_day": p.first_day.isoformat(), "last_day": p.last_day.isoformat(),
            **visits,
            "scans": earned["scans"],
            "scans_per_visit": (round(earned["scans"] / visits["walk_ins"], 2)
                                if visits["walk_ins"] else None),
            "programs": earned["programs"],
            "settlement": settlement(s, store, p),
            "adoption": adoption(s, store, p),
            "seen_at_till": seen_at_till(s, [store.id], p)[store.id]}


def dashboard(s: Session, store: Store, now: dt.datetime, days: int) -> dict[str, Any]:
    """Today and the last ``days`` days of one store, and its agents' health."""
    return {"store": {"id": store.id, "code": store.code, "name": store.name,
                      "timezone": store.timezone},
            "as_of": now.isoformat(), "days": days,
            "today": figures(s, store, period(store, now, 1)),
            "last_days": figures(s, store, period(store, now, days)),
            "agents": agent_health(s, store, now)}
