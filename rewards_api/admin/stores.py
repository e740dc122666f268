"""A store's own rules and goods: ``/v1/admin/walk-in-rules`` (points for walking in,
``rewards_api.walkins.rules``) and ``/v1/admin/stores/<id>/products`` (the assortment,
``rewards_api.products.services``)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Date, Integer, List, Nested, String
from apiflask.validators import Length, Range
from flask import g

from rewards_api import db
from rewards_api.admin.shared import SECURITY, StoreQuery, actor, store_by_code, store_by_id
from rewards_api.auth import staff_required
from rewards_api.idempotency import idempotent
from rewards_api.ledger.models import Program
from rewards_api.products import services as products
from rewards_api.schemas import StrictSchema
from rewards_api.staff import scope
from rewards_api.staff.models import MANAGER
from rewards_api.stores.models import Store
from rewards_api.stores.services import program_by_code
from rewards_api.walkins import rules
from rewards_api.walkins.models import WalkInRule

bp = APIBlueprint("admin_stores", __name__, tag="Admin")

# An assortment file of 20,000 lines fits.
MAX_CSV_CHARACTERS = 2_000_000


class WalkInRuleIn(StrictSchema):
    program = String(required=True, validate=Length(min=1, max=40))
    store = String(required=True, validate=Length(min=1, max=40))
    points = Integer(required=True, validate=Range(1, 1_000_000))
    starts_on = Date(load_default=None, metadata={"description": "First store-local day; "
                                                                 "default today"})
    ends_on = Date(load_default=None, metadata={"description": "Last day; default open"})
    daily_budget = Integer(load_default=None, validate=Range(1, 10**12),
                           metadata={"description": "Most points per store-local day"})


class WalkInRuleEndIn(StrictSchema):
    last_day = Date(load_default=None, metadata={"description": "Default: yesterday"})


class WalkInRuleOut(StrictSchema):
    id = Integer()
    program = String()
    store = String()
    points = Integer()
    starts_on = String()
    ends_on = String(allow_none=True)
    daily_budget = Integer(allow_none=True)


class WalkInRulesOut(StrictSchema):
    walk_in_rules = List(Nested(WalkInRuleOut))


class AssortmentIn(StrictSchema):
    csv = String(required=True, validate=Length(min=1, max=MAX_CSV_CHARACTERS),
                 metadata={"description": "The file's text: header gtin,name[,aisle]"
                                          "[,picture_url], one product a line"})


class ImportedOut(StrictSchema):
    store = String()
    imported = Integer()


class StoreProductOut(StrictSchema):
    gtin = String()
    name = String()
    aisle = String(allow_none=True)
    picture_url = String(allow_none=True)


class StoreProductsOut(StrictSchema):
    products = List(Nested(StoreProductOut))


def _rule_view(rule: WalkInRule) -> dict[str, Any]:
    s = db.session()
    return {"id": rule.id, "program": s.get_one(Program, rule.program_id).code,
            "store": s.get_one(Store, rule.store_id).code, "points": rule.points,
            "starts_on": rule.starts_on.isoformat(),
            "ends_on": rule.ends_on.isoformat() if rule.ends_on else None,
            "daily_budget": rule.daily_budget}


@bp.post("/v1/admin/walk-in-rules")
@staff_required(MANAGER)
@idempotent
@bp.input(WalkInRuleIn)
@bp.output(WalkInRuleOut, status_code=201)
@bp.doc(security=SECURITY)
def create_walk_in_rule(json_data: dict[str, Any]) -> dict[str, Any]:
    """Points once per shopper and store-local day for walking into the store; a newer
    rule of the same program and store replaces older ones on the days they share."""
    s = db.session()
    store = store_by_code(json_data["store"])
    program = scope.require_program(g.staff, program_by_code(s, json_data["program"]))
    return _rule_view(rules.create_rule(
        s, actor(), program=program, store=store, points=json_data["points"],
        starts_on=json_data["starts_on"], ends_on=json_data["ends_on"],
        daily_budget=json_data["daily_budget"]))


@bp.get("/v1/admin/walk-in-rules")
@staff_required(MANAGER)
@bp.input(StoreQuery, location="query")
@bp.output(WalkInRulesOut)
@bp.doc(security=SECURITY)
def list_walk_in_rules(query_data: dict[str, Any]) -> dict[str, Any]:
    """The walk-in rules of your stores (or of one), past ones too."""
    stores = (Store.id == store_by_code(query_data["store"]).id if query_data["store"]
              else scope.stores_in_scope(g.staff))
    return {"walk_in_rules": [_rule_view(r) for r in rules.rules_of(db.session(), stores)]}


@bp.post("/v1/admin/walk-in-rules/<int:rule_id>/end")
@staff_required(MANAGER)
@idempotent
@bp.input(WalkInRuleEndIn)
@bp.output(WalkInRuleOut)
@bp.doc(security=SECURITY)
def end_walk_in_rule(rule_id: int, json_data: dict[str, Any]) -> dict[str, Any]:
    """Stop a rule after a day (default: yesterday)."""
    s = db.session()
    rule = rules.rule_in(s, rule_id, scope.stores_in_scope(g.staff))
    scope.require_program(g.staff, s.get_one(Program, rule.program_id))
    return _rule_view(rules.end_rule(s, actor(), rule, json_data["last_day"]))


@bp.get("/v1/admin/stores/<int:store_id>/products")
@staff_required(MANAGER)
@bp.output(StoreProductsOut)
@bp.doc(security=SECURITY)
def list_products(store_id: int) -> dict[str, Any]:
    """What the store carries, and where."""
    return {"products": [
        {"gtin": placed.product.gtin, "name": placed.product.name, "aisle": placed.aisle,
         "picture_url": placed.product.picture_url}
        for placed in products.assortment_of(db.session(), store_by_id(store_id))]}


@bp.post("/v1/admin/stores/<int:store_id>/products")
@staff_required(MANAGER)
@idempotent
@bp.input(AssortmentIn)
@bp.output(ImportedOut)
@bp.doc(security=SECURITY)
def import_products(store_id: int, json_data: dict[str, Any]) -> dict[str, Any]:
    """Import the store's assortment from CSV, all or nothing: with any bad line the
    answer is ``422 assortment_invalid`` whose ``details.lines`` lists ``{line,
    message}`` for each bad line, and nothing is imported."""
    store = store_by_id(store_id)
    count = products.import_assortment(db.session(), actor(), store,
                                       json_data["csv"].splitlines(keepends=True))
    return {"store": store.code, "imported": count}
