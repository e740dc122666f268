"""The chain view and the measured success of the program, and their CSV.

Days are each store's own (its timezone), as on the store dashboard, whose rules these
figures follow (a test holds the chain view to the dashboard's figures): a walk-in is
an unflagged visit, a scan is one award moment of a shopper (several campaigns may pay
for it), cashier adoption is the share of sales with a reward within reach where the
cashier applied rewards.

The chain view reads all stores of a timezone with one query per table; the results
read all stores with one query per table (seven, per ``STORES_PER_QUERY`` stores), each
store's days cut from the rows in Python.

The baseline of a figure is the 28 days before the period, scaled to the period's
length: "what a period this long looked like over the previous 4 weeks".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from flask_babel import gettext
from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from rewards_api.agents import calibration
from rewards_api.agents.models import Agent, NearbyHour
from rewards_api.dashboard import services as dashboard
from rewards_api.i18n import N_
from rewards_api.ledger.models import REDEMPTION, SCAN, LedgerEntry
from rewards_api.pos.models import COMMITTED, Checkout
from rewards_api.products.models import Product
from rewards_api.refusals import services as refusals
from rewards_api.scans import services as scans_services
from rewards_api.scans.models import ScanCampaign, ScanCampaignProduct, ScanCampaignStore
from rewards_api.stores.models import Store
from rewards_api.visits.models import Visit

MAX_DAYS = 92
# Stores named in one IN (...) list of the chain view's queries.
STORES_PER_QUERY = 500
BASELINE_DAYS = 28

# The funnel's stages, in order, with what each counts. ``nearby``: the app phones the
# store's agents first heard (their heartbeats' ``nearby``, per agent and hour).
STAGES: dict[str, str] = {
    "nearby": N_("app shoppers nearby"),
    "walk_ins": N_("walk-ins"),
    "scans": N_("scans that earned points"),
    "checkouts_with_app": N_("checkouts with the app"),
    "checkouts_with_rewards": N_("checkouts with rewards"),
}
CAMPAIGN_STAGES: dict[str, str] = {
    "nearby": N_("app shoppers nearby while it ran"),
    "walk_ins": N_("walk-ins while it ran"),
    "scans": N_("scans that earned its points"),
    "scanning_shoppers": N_("shoppers who scanned"),
    "checkouts_with_rewards": N_("of them, checked out with rewards"),
}


@dataclass(frozen=True)
class Span:
    """The chosen store-local days and the 28 days before them, for one store."""

    period: dashboard.Period
    baseline: dashboard.Period

    @property
    def scale(self) -> float:
        return len(self.period.days) / BASELINE_DAYS


def span(store: Store, first: dt.date, last: dt.date) -> Span:
    before = first - dt.timedelta(days=1)
    return Span(dashboard.between(store, first, last),
                dashboard.between(store, before - dt.timedelta(days=BASELINE_DAYS - 1), before))


def _in_period(column: Any, start: dt.datetime, end: dt.datetime
               ) -> tuple[ColumnElement[bool], ...]:
    return column >= start, column < end


def _chain_zone(s: Session, stores: list[Store], p: dashboard.Period, now: dt.datetime
                ) -> dict[int, dict[str, Any]]:
    """The chain view's figures of stores that share a timezone (so one UTC range): a
    handful of grouped queries, however many stores. The rules are the store
    dashboard's (``tests/pages/test_manage_api.py`` checks that both agree)."""
    ids = [store.id for store in stores]
    walk_ins = dict(s.execute(
        select(Visit.store_id, func.count()).where(
            Visit.store_id.in_(ids), *_in_period(Visit.started_at, p.start, p.end), Visit.flag.is_(None))
        .group_by(Visit.store_id)).all())
    scans: Counter[int] = Counter()
    redemptions: Counter[int] = Counter()
    for entry_store, kind, _actor, _at, entries in s.execute(
            # One scan may pay in several campaigns: its entries share shopper and instant.
            select(LedgerEntry.store_id, LedgerEntry.kind, LedgerEntry.actor,
                   LedgerEntry.created_at, func.count())
            .where(LedgerEntry.store_id.in_(ids), *_in_period(LedgerEntry.created_at, p.start, p.end),
                   or_(and_(LedgerEntry.kind == SCAN, LedgerEntry.amount > 0),
                       LedgerEntry.kind == REDEMPTION))
            .group_by(LedgerEntry.store_id, LedgerEntry.kind, LedgerEntry.actor,
                      LedgerEntry.created_at)):
        store_id = cast(int, entry_store)  # the IN list leaves out entries of no store
        if kind == SCAN:
            scans[store_id] += 1
        else:
            redemptions[store_id] += entries
    nearby = {store_id: int(phones) for store_id, phones in s.execute(
        select(NearbyHour.store_id, func.sum(NearbyHour.phones))
        .where(NearbyHour.store_id.in_(ids), *_in_period(NearbyHour.hour, p.start, p.end))
        .group_by(NearbyHour.store_id))}
    offered = Checkout.rewards_offered.is_(True)
    sales = {store_id: (identified, int(with_reward or 0), int(applied or 0))
             for store_id, identified, with_reward, applied in s.execute(
                 select(Checkout.store_id, func.count(),
                        func.sum(case((offered, 1), else_=0)),
                        func.sum(case((and_(offered, Checkout.rewards_applied.is_(True)), 1),
                                      else_=0)))
                 .where(Checkout.store_id.in_(ids), Checkout.status == COMMITTED,
                        Checkout.training.is_(False), *_in_period(Checkout.committed_at, p.start, p.end))
                 .group_by(Checkout.store_id))}
    agents: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for store_id, seen, refused, advice in s.execute(
            select(Agent.store_id, Agent.last_seen_at, Agent.refused_events,
                   Agent.calibration_advice)
            .where(Agent.store_id.in_(ids), Agent.disabled_at.is_(None))):
        healthy = seen is not None and now - seen <= dashboard.AGENT_STALE_AFTER
        agents[store_id][0] += 1
        agents[store_id][1] += (not healthy or bool(refused)
                                or calibration.needs_attention(advice))
    till = dashboard.seen_at_till(s, ids, p)
    lines = {}
    for store in stores:
        visits = walk_ins.get(store.id, 0)
        identified, with_reward, applied = sales.get(store.id, (0, 0, 0))
        lines[store.id] = {
            "store": store.code, "name": store.name, "timezone": store.timezone,
            "nearby": nearby.get(store.id, 0), "walk_ins": visits, "scans": scans[store.id],
            "scans_per_visit": round(scans[store.id] / visits, 2) if visits else None,
            "redemptions": redemptions[store.id],
            "checkouts_with_app": identified,
            "cashier_adoption": round(applied / with_reward, 3) if with_reward else None,
            "seen_at_till": till[store.id],
            # Silent for over 5 minutes, setting events the API refused aside, or
            # advising to move it or to wait for more shoppers.
            "agents": agents[store.id][0], "agents_needing_attention": agents[store.id][1],
        }
    return lines


def chain(s: Session, stores: list[Store], first: dt.date, last: dt.date,
          now: dt.datetime) -> dict[str, Any]:
    """Every store side by side for the store-local days ``first`` to ``last``."""
    by_zone: dict[str, list[Store]] = defaultdict(list)
    for store in stores:
        by_zone[store.timezone].append(store)
    lines: dict[int, dict[str, Any]] = {}
    for zone_stores in by_zone.values():
        for chunk in range(0, len(zone_stores), STORES_PER_QUERY):
            part = zone_stores[chunk:chunk + STORES_PER_QUERY]
            lines.update(_chain_zone(s, part, dashboard.between(part[0], first, last), now))
    return {"from": first.isoformat(), "to": last.isoformat(), "as_of": now.isoformat(),
            "stores": [lines[store.id] for store in stores]}


CHAIN_CSV_COLUMNS = ["store", "name", "from", "to", "nearby", "walk_ins", "scans", "scans_per_visit",
                     "redemptions", "checkouts_with_app", "cashier_adoption", "paid_with_app",
                     "seen_walking_in", "agents", "agents_needing_attention"]


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([["" if cell is None else cell for cell in row] for row in rows])
    return out.getvalue()


def chain_csv(view: dict[str, Any]) -> str:
    """The chain view as CSV: a header line, then one line per store."""
    return _csv(CHAIN_CSV_COLUMNS, [
        [row["store"], row["name"], view["from"], view["to"], row["nearby"], row["walk_ins"],
         row["scans"],
         row["scans_per_visit"], row["redemptions"], row["checkouts_with_app"],
         row["cashier_adoption"], row["seen_at_till"]["paid_with_app"],
         row["seen_at_till"]["share"], row["agents"], row["agents_needing_attention"]]
        for row in view["stores"]])


# --- measured success -------------------------------------------------------------


@dataclass(frozen=True)
class _Campaign:
    id: int
    code: str
    name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    gtins: frozenset[str]


def _campaigns_at(s: Session, stores: list[Store], start: dt.datetime, end: dt.datetime
                  ) -> dict[int, list[_Campaign]]:
    """Per store, the scan campaigns of its chain or listed for it that ran at some time
    in [start, end): two queries for all the stores."""
    ids = [store.id for store in stores]
    listed: dict[int, set[int]] = defaultdict(set)
    for campaign_id, store_id in s.execute(
            select(ScanCampaignStore.campaign_id, ScanCampaignStore.store_id)
            .where(ScanCampaignStore.store_id.in_(ids))):
        listed[campaign_id].add(store_id)
    rows = s.execute(
        select(ScanCampaign.id, ScanCampaign.code, ScanCampaign.name, ScanCampaign.starts_at,
               ScanCampaign.ends_at, ScanCampaign.chain_id, Product.gtin)
        .join(ScanCampaignProduct, ScanCampaignProduct.campaign_id == ScanCampaign.id)
        .join(Product, Product.id == ScanCampaignProduct.product_id)
        .where(ScanCampaign.starts_at < end, ScanCampaign.ends_at > start,
               or_(ScanCampaign.chain_id.in_({store.chain_id for store in stores}),
                   ScanCampaign.id.in_(list(listed))))
        .order_by(ScanCampaign.starts_at, ScanCampaign.code)).all()
    gtins: dict[int, set[str]] = defaultdict(set)
    heads: dict[int, Any] = {}
    for row in rows:
        heads.setdefault(row.id, row)
        gtins[row.id].add(row.gtin)
    found: dict[int, list[_Campaign]] = defaultdict(list)
    for row in heads.values():
        campaign = _Campaign(row.id, row.code, row.name, row.starts_at, row.ends_at,
                             frozenset(gtins[row.id]))
        for store in stores:
            if row.chain_id == store.chain_id or store.id in listed[row.id]:
                found[store.id].append(campaign)
    return found


@dataclass
class _Facts:
    """What happened at a store in [baseline start, period end)."""

    walk_ins: list[dt.datetime] = field(default_factory=list)
    # (campaign code, shopper actor, at) of each scan entry that earned points
    scans: list[tuple[str | None, str, dt.datetime]] = field(default_factory=list)
    # (shopper id, committed at, rewards applied) of each real committed sale
    checkouts: list[tuple[int | None, dt.datetime, bool]] = field(default_factory=list)
    refusals: list[tuple[str, str | None, dt.datetime]] = field(default_factory=list)
    # (hour, app phones its agents first heard in it)
    nearby: list[tuple[dt.datetime, int]] = field(default_factory=list)


def _facts(s: Session, ids: list[int], start: dt.datetime, end: dt.datetime
           ) -> dict[int, _Facts]:
    """The facts of the stores ``ids`` in [start, end): one query per table, however
    many stores."""
    facts = {store_id: _Facts() for store_id in ids}
    for store_id, at in s.execute(select(Visit.store_id, Visit.started_at).where(
            Visit.store_id.in_(ids), *_in_period(Visit.started_at, start, end),
            Visit.flag.is_(None))):
        facts[store_id].walk_ins.append(at)
    for entry_store, reference, actor, at in s.execute(
            select(LedgerEntry.store_id, LedgerEntry.reference, LedgerEntry.actor,
                   LedgerEntry.created_at)
            .where(LedgerEntry.store_id.in_(ids), *_in_period(LedgerEntry.created_at, start, end),
                   LedgerEntry.kind == SCAN, LedgerEntry.amount > 0)):
        facts[cast(int, entry_store)].scans.append(  # the IN list leaves out no-store entries
            (scans_services.campaign_of_award(reference), actor, at))
    for row in s.execute(
            select(Checkout.store_id, Checkout.shopper_id, Checkout.committed_at,
                   Checkout.rewards_applied)
            .where(Checkout.store_id.in_(ids), Checkout.status == COMMITTED,
                   Checkout.training.is_(False), *_in_period(Checkout.committed_at, start, end))):
        facts[row.store_id].checkouts.append(
            (row.shopper_id, row.committed_at, bool(row.rewards_applied)))
    for store_id, code, gtin, at in refusals.between(s, ids, start, end):
        facts[store_id].refusals.append((code, gtin, at))
    for store_id, hour, phones in s.execute(
            select(NearbyHour.store_id, NearbyHour.hour, NearbyHour.phones).where(
                NearbyHour.store_id.in_(ids), *_in_period(NearbyHour.hour, start, end))):
        facts[store_id].nearby.append((hour, phones))
    return facts


def _within(at: dt.datetime, p: dashboard.Period) -> bool:
    return p.start <= at < p.end


def _figure(value: int | None, baseline: int | None, scale: float) -> dict[str, Any]:
    """A figure beside its baseline (scaled to the period) and the change in percent."""
    if value is None or baseline is None:
        return {"value": value, "baseline": None, "change": None}
    expected = round(baseline * scale, 2)
    return {"value": value, "baseline": expected,
            "change": round((value - expected) / expected, 3) if expected else None}


def _store_counts(facts: _Facts, p: dashboard.Period) -> dict[str, Any]:
    scans = {(actor, at) for _, actor, at in facts.scans if _within(at, p)}
    sales = [c for c in facts.checkouts if _within(c[1], p)]
    return {"nearby": sum(phones for hour, phones in facts.nearby if _within(hour, p)),
            "walk_ins": sum(_within(at, p) for at in facts.walk_ins),
            "scans": len(scans),
            "checkouts_with_app": len(sales),
            "checkouts_with_rewards": sum(applied for _, _, applied in sales)}


def _campaign_counts(facts: _Facts, campaign: _Campaign, p: dashboard.Period) -> dict[str, Any]:
    start, end = max(p.start, campaign.starts_at), min(p.end, campaign.ends_at)
    first_scan: dict[str, dt.datetime] = {}
    scans = 0
    for code, actor, at in facts.scans:
        if code == campaign.code and start <= at < end:
            scans += 1
            first_scan[actor] = min(at, first_scan.get(actor, at))
    # A scanning shopper who later paid with rewards at this store in the period.
    rewarded = {f"shopper:{shopper_id}" for shopper_id, at, applied in facts.checkouts
                if applied and _within(at, p)
                and at >= first_scan.get(f"shopper:{shopper_id}", p.end)}
    return {"nearby": sum(phones for hour, phones in facts.nearby if start <= hour < end),
            "walk_ins": sum(start <= at < end for at in facts.walk_ins),
            "scans": scans, "scanning_shoppers": len(first_scan),
            "checkouts_with_rewards": len(rewarded)}


def _refusal_counts(refused: list[tuple[str, str | None, dt.datetime]], p: dashboard.Period,
                    gtins: frozenset[str] | None = None) -> Counter[str]:
    return Counter(code for code, gtin, at in refused
                   if _within(at, p) and (gtins is None or gtin in gtins))


def _refusal_figures(period: Counter[str], baseline: Counter[str], scale: float,
                     labels: dict[str, str]) -> list[dict[str, Any]]:
    return [{"code": code, "label": label, **_figure(period[code], baseline[code], scale)}
            for code, label in labels.items()]


def _results_store(store: Store, sp: Span, facts: _Facts, campaigns: list[_Campaign],
                   labels: dict[str, str]) -> dict[str, Any]:
    """One store's funnel, its refusals and its campaigns' funnels, against the baseline."""
    now_counts, then_counts = _store_counts(facts, sp.period), _store_counts(facts, sp.baseline)
    ran = []
    for campaign in campaigns:
        if not (campaign.starts_at < sp.period.end and campaign.ends_at > sp.period.start):
            continue
        here, before = (_campaign_counts(facts, campaign, sp.period),
                        _campaign_counts(facts, campaign, sp.baseline))
        ran_before = campaign.starts_at < sp.baseline.end
        ran.append({
            "campaign": campaign.code, "name": campaign.name,
            "starts_at": campaign.starts_at.isoformat(), "ends_at": campaign.ends_at.isoformat(),
            "funnel": {stage: _figure(here[stage], before[stage] if ran_before else None,
                                      sp.scale) for stage in CAMPAIGN_STAGES},
            "refusals": _refusal_figures(
                _refusal_counts(facts.refusals, sp.period, campaign.gtins),
                _refusal_counts(facts.refusals, sp.baseline, campaign.gtins), sp.scale, labels),
        })
    return {
        "store": store.code, "name": store.name, "timezone": store.timezone,
        "baseline_from": sp.baseline.first_day.isoformat(),
        "baseline_to": sp.baseline.last_day.isoformat(),
        "funnel": {stage: _figure(now_counts[stage], then_counts[stage], sp.scale)
                   for stage in STAGES},
        "refusals": _refusal_figures(_refusal_counts(facts.refusals, sp.period),
                                     _refusal_counts(facts.refusals, sp.baseline), sp.scale,
                                     labels),
        "campaigns": ran,
    }


def _results_of(s: Session, stores: list[Store], first: dt.date, last: dt.date,
                labels: dict[str, str]) -> list[dict[str, Any]]:
    """The results of up to ``STORES_PER_QUERY`` stores: seven queries for all of them.
    Each store's days are its own; the rows are read for the union of their spans."""
    by_zone: dict[str, Span] = {}  # the stores of a timezone share their days
    for store in stores:
        if store.timezone not in by_zone:
            by_zone[store.timezone] = span(store, first, last)
    spans = {store.id: by_zone[store.timezone] for store in stores}
    start = min(sp.baseline.start for sp in spans.values())
    end = max(sp.period.end for sp in spans.values())
    facts = _facts(s, list(spans), start, end)
    campaigns = _campaigns_at(s, stores, start, end)
    return [_results_store(store, spans[store.id], facts[store.id], campaigns[store.id], labels)
            for store in stores]


def results(s: Session, stores: list[Store], first: dt.date, last: dt.date,
            now: dt.datetime) -> dict[str, Any]:
    """The measured success of every store in ``stores`` for the days ``first`` to ``last``."""
    # The refusals' words in the request's language, once (not once a store).
    labels = {code: gettext(label) for code, label in refusals.FUNNEL_REFUSALS.items()}
    lines = [line for chunk in range(0, len(stores), STORES_PER_QUERY)
             for line in _results_of(s, stores[chunk:chunk + STORES_PER_QUERY], first, last,
                                     labels)]
    return {"from": first.isoformat(), "to": last.isoformat(), "as_of": now.isoformat(),
            "baseline_days": BASELINE_DAYS,
            "stages": {stage: gettext(label) for stage, label in STAGES.items()},
            "campaign_stages": {stage: gettext(label) for stage, label in CAMPAIGN_STAGES.items()},
            "stores": lines}


RESULTS_CSV_COLUMNS = ["store", "campaign", "figure", "from", "to", "value", "baseline_from",
                       "baseline_to", "baseline", "change"]


def _figure_lines(store: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(campaign, figure, figure's values)`` of a store: its own, then each campaign's."""
    lines = [("", stage, f) for stage, f in store["funnel"].items()]
    lines += [("", f"refused:{r['code']}", r) for r in store["refusals"]]
    for c in store["campaigns"]:
        lines += [(c["campaign"], stage, f) for stage, f in c["funnel"].items()]
        lines += [(c["campaign"], f"refused:{r['code']}", r) for r in c["refusals"]]
    return lines


def results_csv(view: dict[str, Any]) -> str:
    """The results as CSV, one figure a line: the store's funnel and refusals (campaign
    empty), then each campaign's."""
    return _csv(RESULTS_CSV_COLUMNS, [
        [store["store"], campaign, figure, view["from"], view["to"], f["value"],
         store["baseline_from"], store["baseline_to"], f["baseline"], f["change"]]
        for store in view["stores"] for campaign, figure, f in _figure_lines(store)])
