"""Walk-in rules: the points a program gives for walking into a store (the decisions;
``walkins.services`` applies them to visits)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from rewards_api.audit import services as audit
from rewards_api.audit.services import Actor
from rewards_api.errors import ApiError
from rewards_api.ledger.models import Program
from rewards_api.stores.models import Store
from rewards_api.walkins.models import WalkInRule

FIELDS = ("program_id", "store_id", "points", "starts_on", "ends_on", "daily_budget")
# Where a rule stands on a store-local day.
PLANNED, RUNNING, ENDED = "planned", "running", "ended"


def state(rule: WalkInRule, today: dt.date) -> str:
    """``PLANNED``, ``RUNNING`` or ``ENDED`` on the store's day ``today``."""
    if rule.ends_on is not None and rule.ends_on < today:
        return ENDED
    return PLANNED if rule.starts_on > today else RUNNING


def rules_of(s: Session, stores: ColumnElement[bool]) -> list[WalkInRule]:
    """The rules of the stores that meet ``stores`` (a condition on ``Store``)."""
    return list(s.scalars(select(WalkInRule).join(Store, Store.id == WalkInRule.store_id)
                          .where(stores).order_by(WalkInRule.id)))


def rule_in(s: Session, rule_id: int, stores: ColumnElement[bool]) -> WalkInRule:
    """Rule ``rule_id`` if its store meets ``stores``, else ``walk_in_rule_not_found``."""
    rule = s.scalars(select(WalkInRule).join(Store, Store.id == WalkInRule.store_id)
                     .where(WalkInRule.id == rule_id, stores)).first()
    if rule is None:
        raise ApiError("walk_in_rule_not_found")
    return rule


def check_rule(*, program: Program, store: Store, points: int, starts_on: dt.date | None,
               ends_on: dt.date | None, daily_budget: int | None, at: dt.datetime) -> dt.date:
    """Refuse a rule that could not be created (``invalid_request``); its first day (the
    store's day at ``at`` when ``starts_on`` is None)."""
    if not program.pays_in_chain(store.chain_id):
        raise ApiError("invalid_request", "%(program)s is the program of another chain.",
                       params={"program": program.code})
    if points < 1 or (daily_budget is not None and daily_budget < 1):
        raise ApiError("invalid_request", "Points and a daily budget are positive.")
    first = starts_on or store.local_date(at)
    if ends_on is not None and ends_on < first:
        raise ApiError("invalid_request", "The last day is before the first day.")
    return first


def create_rule(s: Session, actor: Actor, *, program: Program, store: Store, points: int,
                starts_on: dt.date | None = None, ends_on: dt.date | None = None,
                daily_budget: int | None = None) -> WalkInRule:
    """Points once per shopper per store-local day from ``starts_on`` (default: the
    store's today) to ``ends_on`` (inclusive; default open). A newer rule of the same
    program and store replaces older ones on the days they share."""
    first = check_rule(program=program, store=store, points=points, starts_on=starts_on,
                       ends_on=ends_on, daily_budget=daily_budget, at=actor.at)
    rule = WalkInRule(program_id=program.id, store_id=store.id, points=points,
                      starts_on=first, ends_on=ends_on, daily_budget=daily_budget)
    s.add(rule)
    s.flush()
    audit.record(s, actor, audit.CREATE, "walk_in_rule", rule.id, store_id=store.id,
                 chain_id=store.chain_id, program_id=program.id,
                 after=audit.snapshot(rule, FIELDS))
    return rule


def end_rule(s: Session, actor: Actor, rule: WalkInRule, last_day: dt.date | None = None
             ) -> WalkInRule:
    """Stop the rule after ``last_day`` (default: the store's yesterday, so that today's
    walk-ins, already paid or not, are treated alike)."""
    store = s.get_one(Store, rule.store_id)
    last = last_day or store.local_date(actor.at) - dt.timedelta(days=1)
    if last < rule.starts_on - dt.timedelta(days=1):
        raise ApiError("invalid_request", "The last day is before the rule's first day.")
    before = audit.snapshot(rule, FIELDS)
    rule.ends_on = last
    s.flush()
    audit.record(s, actor, audit.END, "walk_in_rule", rule.id, store_id=store.id,
                 chain_id=store.chain_id, program_id=rule.program_id, before=before,
                 after=audit.snapshot(rule, FIELDS))
    return rule
