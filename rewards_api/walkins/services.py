"""Sighting ingest (PROTOCOLS.md section 3) and walk-in points.

A batch costs a fixed handful of round trips however many events it holds: tokens
are opened in memory, shoppers fetched (and row-locked) in one query, events claimed
by ``event_id`` in one ``INSERT ... ON CONFLICT DO NOTHING``, visits read in one query.
Only a new visit that earns points writes ledger entries.

Exactly-once awards: the ledger's unique (program, idempotency_key) with the key
``walk_in:<store>:<shopper>:<store-local day>`` makes a second award impossible (also
between the agents and the till: ``pos.wallet.LedgerWallet.walk_in_at_till``); the
shopper row lock (PostgreSQL ``FOR NO KEY UPDATE``, SQLite's write lock) makes two
agents' concurrent reports of one stay merge into one visit instead of two.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from rewards_api.agents.models import Agent
from rewards_api.db import insert_ignoring_conflicts, rows_changed
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import WALK_IN, LedgerEntry
from rewards_api.observability import REJECTIONS
from rewards_api.shoppers.models import Shopper
from rewards_api.shoppers.services import account_ids_for
from rewards_api.stores.models import Store
from rewards_api.visits.services import Presence, VisitRules, record_presences
from rewards_api.walkins import presence
from rewards_api.walkins.models import ACCEPTED, REJECTED, Sighting, WalkInRule
from rewards_protocol.events import DUPLICATE, EXIT, EventError, PresenceEvent, parse_event
from rewards_protocol.presence import window_of
from rewards_protocol.signing import MAX_CLOCK_SKEW_SECONDS

# Per-event rejection reasons (besides the schema's malformed_event, malformed_token,
# unsupported_frame_version).
# A closed store (stores.services.close_store) takes no walk-ins: the registered code.
STORE_CLOSED = "store_closed"
UNKNOWN_TOKEN = "unknown_token"
TOKEN_WINDOW_MISMATCH = "token_window_mismatch"
EVENT_IN_FUTURE = "event_in_future"
EVENT_TOO_OLD = "event_too_old"


def _at(unix: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(unix, dt.UTC)


def _result(event_id: Any, status: str, reason: str | None = None) -> dict[str, Any]:
    return {"event_id": event_id if isinstance(event_id, str) else None,
            "status": status, "reason": reason}


def resolve_tokens(events: list[PresenceEvent], now: dt.datetime
                   ) -> list[tuple[int | None, str | None]]:
    """For each event ``(shopper_ref, None)`` if its token is ours and was made for the
    time it was seen, else ``(None, reason)``. No database work."""
    opened = presence.keys().open([(e.key_id, bytes.fromhex(e.token)) for e in events])
    latest = now.timestamp() + MAX_CLOCK_SKEW_SECONDS
    earliest = now.timestamp() - current_app.config["SIGHTING_MAX_AGE_HOURS"] * 3600
    resolved: list[tuple[int | None, str | None]] = []
    for event, found in zip(events, opened, strict=True):
        if event.last_seen > latest:
            resolved.append((None, EVENT_IN_FUTURE))
        elif event.first_seen < earliest:
            resolved.append((None, EVENT_TOO_OLD))
        elif found is None:
            resolved.append((None, UNKNOWN_TOKEN))
        # The phone's clock may be a little off: one window either side is accepted.
        elif any(abs(found[1] - window_of(t)) > 1 for t in (event.first_seen, event.last_seen)):
            resolved.append((None, TOKEN_WINDOW_MISMATCH))
        else:
            resolved.append((found[0], None))
    return resolved


def lock_shoppers(s: Session, refs: set[int]) -> dict[int, int]:
    """Ids of the shoppers (not erased) with these presence references, by reference:
    one indexed query, row-locked in id order so that concurrent batches about the same
    shoppers queue instead of deadlocking (NO KEY UPDATE leaves foreign-key checks of
    other transactions unblocked)."""
    if not refs:
        return {}
    return {ref: shopper_id for shopper_id, ref in s.execute(
        select(Shopper.id, Shopper.shopper_ref)
        .where(Shopper.shopper_ref.in_(refs), Shopper.erased_at.is_(None))
        .order_by(Shopper.id).with_for_update(key_share=True))}


def ingest(s: Session, agent: Agent, raw_events: list[Any], now: dt.datetime
           ) -> list[dict[str, Any]]:
    """Take one batch from ``agent``; the outcome of each event, in order:
    ``{"event_id", "status": accepted|duplicate|rejected, "reason": code or null}``.
    Flushes; the caller commits."""
    store = agent.store
    results: list[dict[str, Any] | None] = [None] * len(raw_events)
    parsed = _parse_batch(raw_events, results)
    if store.active:
        resolved = resolve_tokens([event for _, event in parsed], now)
    else:
        resolved = [(None, STORE_CLOSED)] * len(parsed)
    shoppers = lock_shoppers(s, {ref for ref, _ in resolved if ref is not None})

    checked: list[tuple[int, PresenceEvent, int | None, str | None]] = []
    rows = []
    for (index, event), (ref, reason) in zip(parsed, resolved, strict=True):
        shopper_id = shoppers.get(ref) if ref is not None else None
        if ref is not None and shopper_id is None:
            reason = UNKNOWN_TOKEN
        checked.append((index, event, shopper_id, reason))
        rows.append({
            "event_id": event.event_id, "agent_id": agent.id, "store_id": store.id,
            "shopper_id": shopper_id, "kind": event.kind,
            "key_id": event.key_id, "token": event.token,
            "first_seen_at": _at(event.first_seen), "last_seen_at": _at(event.last_seen),
            "rssi_max": event.rssi_max, "rssi_median": event.rssi_median,
            "count": event.count, "status": REJECTED if reason else ACCEPTED,
            "reason": reason, "received_at": now,
        })
    new_ids = {row.event_id for row in insert_ignoring_conflicts(
        s, Sighting, rows, ["event_id"], Sighting.event_id)}

    fresh: list[tuple[int, PresenceEvent, int]] = []
    for index, event, shopper_id, reason in checked:
        if event.event_id not in new_ids:
            results[index] = _result(event.event_id, DUPLICATE)
        elif reason is not None or shopper_id is None:
            results[index] = _result(event.event_id, REJECTED, reason)
        else:
            fresh.append((index, event, shopper_id))
            results[index] = _result(event.event_id, ACCEPTED)

    if fresh:
        _visits_and_walk_ins(s, agent, store, fresh, results)
    _count_rejections(results)
    return [r for r in results if r is not None]


def _parse_batch(raw_events: list[Any], results: list[dict[str, Any] | None]
                 ) -> list[tuple[int, PresenceEvent]]:
    """The events of a batch that parse, by their index; the others (and repeats within
    the batch) get their result in ``results`` already."""
    parsed: list[tuple[int, PresenceEvent]] = []
    in_batch: set[str] = set()
    for index, raw in enumerate(raw_events):
        try:
            event = parse_event(raw)
        except EventError as error:
            results[index] = _result(raw.get("event_id") if isinstance(raw, dict) else None,
                                     REJECTED, error.reason)
            continue
        if event.event_id in in_batch:
            results[index] = _result(event.event_id, DUPLICATE)
            continue
        in_batch.add(event.event_id)
        parsed.append((index, event))
    return parsed


def _visits_and_walk_ins(s: Session, agent: Agent, store: Store,
                         fresh: list[tuple[int, PresenceEvent, int]],
                         results: list[dict[str, Any] | None]) -> None:
    presences = [Presence(shopper_id=shopper_id, agent_id=agent.id, exited=event.kind == EXIT,
                          first_seen=_at(event.first_seen), last_seen=_at(event.last_seen),
                          rssi_max=event.rssi_max, rssi_median=event.rssi_median,
                          count=event.count) for _, event, shopper_id in fresh]
    visits, new_visits = record_presences(s, store, presences,
                                          VisitRules.from_config(current_app.config))
    flagged: dict[str, list[str]] = {}
    for (index, event, _), visit in zip(fresh, visits, strict=True):
        if visit.flag is not None:
            results[index] = _result(event.event_id, REJECTED, visit.flag)
            flagged.setdefault(visit.flag, []).append(event.event_id)
    for flag, event_ids in flagged.items():
        s.execute(update(Sighting).where(Sighting.event_id.in_(event_ids))
                  .values(status=REJECTED, reason=flag)
                  .execution_options(synchronize_session=False))
    award_walk_ins(s, store, [Arrival(v.shopper_id, v.started_at, f"visit:{v.id}")
                              for v in new_visits if v.flag is None], actor=f"agent:{agent.id}")


def _count_rejections(results: list[dict[str, Any] | None]) -> None:
    counts = Counter(r["reason"] for r in results if r is not None and r["status"] == REJECTED)
    for reason, n in counts.items():
        REJECTIONS.labels("sightings", reason).inc(n)


def walk_in_key(store_id: int, shopper_id: int, day: dt.date) -> str:
    """The ledger idempotency key of a walk-in: once per shopper, store and local day."""
    return f"walk_in:{store_id}:{shopper_id}:{day.isoformat()}"


def _local_day_bounds(store: Store, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(store.timezone)
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def rules_on(rules: list[WalkInRule], day: dt.date) -> list[WalkInRule]:
    """The rule of each program that applies on ``day`` (the newest, if several)."""
    chosen: dict[int, WalkInRule] = {}
    for rule in sorted(rules, key=lambda r: r.id):
        if rule.starts_on <= day and (rule.ends_on is None or day <= rule.ends_on):
            chosen[rule.program_id] = rule
    return list(chosen.values())


@dataclass(frozen=True)
class Arrival:
    """A shopper shown to be in a store at ``at``: by a new visit of hers (the agents,
    ``reference`` "visit:<id>") or by her phone's checkout code at its till
    ("checkout:<id>", ``pos.wallet.LedgerWallet.walk_in_at_till``)."""

    shopper_id: int
    at: dt.datetime
    reference: str


def award_walk_ins(s: Session, store: Store, arrivals: list[Arrival], *, actor: str) -> list[int]:
    """Walk-in points for arrivals: one entry per applicable program (the store's own
    and the partner program can both apply), at most once per shopper, store and
    store-local day, within the rule's daily budget. Returns the ids of the entries
    written; a handful of statements however many arrivals."""
    if not arrivals:
        return []
    rules = list(s.scalars(select(WalkInRule).where(WalkInRule.store_id == store.id)))
    wanted = [(arrival, rule, walk_in_key(store.id, arrival.shopper_id, store.local_date(arrival.at)))
              for arrival in arrivals for rule in rules_on(rules, store.local_date(arrival.at))]
    if not wanted:
        return []
    done: set[tuple[int, str | None]] = {
        (row.program_id, row.idempotency_key) for row in s.execute(
            select(LedgerEntry.program_id, LedgerEntry.idempotency_key).where(
                # program_id first: the unique index (program_id, idempotency_key) then
                # answers; on the key alone it is a scan of the whole ledger.
                LedgerEntry.program_id.in_({rule.program_id for _, rule, _ in wanted}),
                LedgerEntry.idempotency_key.in_({key for _, _, key in wanted})))}
    wanted = [(arrival, rule, key) for arrival, rule, key in wanted if (rule.program_id, key) not in done]
    # The accounts first, then a budget's rule: the one lock order (a sale at the till
    # pays its walk-in with the shopper's accounts locked already).
    accounts = account_ids_for(s, {(arrival.shopper_id, rule.program_id)
                                   for arrival, rule, _ in wanted})
    ledger.lock_accounts(s, accounts=set(accounts.values()))
    spent: dict[tuple[int, dt.date], int] = {}
    chosen = []
    for arrival, rule, key in wanted:
        if (rule.program_id, key) in done:
            continue
        done.add((rule.program_id, key))
        day = store.local_date(arrival.at)
        if rule.daily_budget is not None:
            if (rule.id, day) not in spent:
                spent[(rule.id, day)] = _spent_today(s, store, rule, day)
            if spent[(rule.id, day)] + rule.points > rule.daily_budget:
                continue
            spent[(rule.id, day)] += rule.points
        chosen.append((arrival, rule, key))
    return [credited.entry_id for credited in ledger.credit(s, [
        ledger.Credit(account_id=accounts[(arrival.shopper_id, rule.program_id)],
                      program_id=rule.program_id, kind=WALK_IN, amount=rule.points,
                      reference=arrival.reference, actor=actor, idempotency_key=key,
                      store_id=store.id, at=arrival.at)
        for arrival, rule, key in chosen])]


def _spent_today(s: Session, store: Store, rule: WalkInRule, day: dt.date) -> int:
    # The rule's row lock queues concurrent awards against the same budget.
    s.execute(select(WalkInRule.id).where(WalkInRule.id == rule.id).with_for_update())
    start, end = _local_day_bounds(store, day)
    return int(s.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.store_id == store.id, LedgerEntry.program_id == rule.program_id,
        LedgerEntry.kind == WALK_IN, LedgerEntry.created_at >= start,
        LedgerEntry.created_at < end)) or 0)


def purge_sightings(s: Session, now: dt.datetime) -> int:
    """Raw sightings older than ``REWARDS_SIGHTING_RETENTION_DAYS`` (visits and the
    ledger stay): the ``rewards-api purge`` step."""
    cutoff = now - dt.timedelta(days=current_app.config["SIGHTING_RETENTION_DAYS"])
    return rows_changed(s.execute(delete(Sighting).where(Sighting.received_at < cutoff)))
