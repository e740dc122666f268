"""A store's own rules and goods: ``/v1/admin/walk-in-rules`` (points for walking in,
``rewards_api.walkins.rules``) and ``/v1/admin/stores/<id>/products`` (the assortment,
``rewards_api.products.services``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Date, Integer, List, Nested, String
from apiflask.validators import Length, Range
from flask import Response, g

from rewards_api import clock, db
from rewards_api.admin.shared import SECURITY, StoreQuery, actor, store_by_code, store_by_id
from rewards_api.auth import staff_required
from rewards_api.idempotency import idempotent
from rewards_api.ledger.models import Program
from rewards_api.manage import previews
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
    state = String(metadata={"description": "planned, running or ended, on the store's today"})
    preview = String(metadata={"description": "What the rule does, in a sentence in your language"})


class PreviewOut(StrictSchema):
    preview = String(metadata={"description": "What the rule would do, in a sentence in "
                                              "your language"})


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


def _preview(program: Program, store: Store, points: int, starts_on: dt.date,
             ends_on: dt.date | None, daily_budget: int | None) -> str:
    return previews.walk_in_rule(store=store.name, program=program.name, points=points,
                                 starts_on=starts_on, ends_on=ends_on,
                                 daily_budget=daily_budget)


def _rule_view(rule: WalkInRule) -> dict[str, Any]:
    s = db.session()
    program, store = s.get_one(Program, rule.program_id), s.get_one(Store, rule.store_id)
    return {"id": rule.id, "program": program.code, "store": store.code, "points": rule.points,
            "starts_on": rule.starts_on.isoformat(),
            "ends_on": rule.ends_on.isoformat() if rule.ends_on else None,
            "daily_budget": rule.daily_budget,
            "state": rules.state(rule, store.local_date(clock.now())),
            "preview": _preview(program, store, rule.points, rule.starts_on, rule.ends_on,
                                rule.daily_budget)}


def _rule_place(json_data: dict[str, Any]) -> tuple[Program, Store]:
    """The program and store a rule names, if the caller pays out of it there."""
    store = store_by_code(json_data["store"])
    return scope.require_program(g.staff, program_by_code(db.session(), json_data["program"])), store


@bp.post("/v1/admin/walk-in-rules")
@staff_required(MANAGER)
@idempotent
@bp.input(WalkInRuleIn)
@bp.output(WalkInRuleOut, status_code=201)
@bp.doc(security=SECURITY)
def create_walk_in_rule(json_data: dict[str, Any]) -> dict[str, Any]:
    """Points once per shopper and store-local day for walking into the store; a newer
    rule of the same program and store replaces older ones on the days they share."""
    program, store = _rule_place(json_data)
    return _rule_view(rules.create_rule(
        db.session(), actor(), program=program, store=store, points=json_data["points"],
        starts_on=json_data["starts_on"], ends_on=json_data["ends_on"],
        daily_budget=json_data["daily_budget"]))


@bp.get("/v1/admin/walk-in-rules/preview")
@staff_required(MANAGER)
@bp.input(WalkInRuleIn, location="query")
@bp.output(PreviewOut)
@bp.doc(security=SECURITY)
def preview_walk_in_rule(query_data: dict[str, Any]) -> dict[str, Any]:
    """What a walk-in rule with these fields would do, in a sentence (the rules page
    shows it while the form is filled in); refused as creating it would be. Changes
    nothing."""
    program, store = _rule_place(query_data)
    fields = {name: query_data[name] for name in ("points", "starts_on", "ends_on", "daily_budget")}
    first = rules.check_rule(program=program, store=store, at=clock.now(), **fields)
    return {"preview": _preview(program, store, query_data["points"], first,
                                query_data["ends_on"], query_data["daily_budget"])}


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


@bp.get("/v1/admin/stores/<int:store_id>/products.csv")
@staff_required(MANAGER)
@bp.doc(security=SECURITY, responses={200: "text/csv: the header gtin,name,aisle,picture_url,"
                                          "name_de,name_pt, then one product a line (what "
                                          "the import reads)"})
def export_products(store_id: int) -> Response:
    """The store's assortment as a CSV file the import takes back."""
    store, s = store_by_id(store_id), db.session()
    return Response(products.assortment_csv(s, products.assortment_of(s, store)),
                    mimetype="text/csv", headers={
                        "Content-Disposition": f'attachment; filename="products-{store.code}.csv"',
                        "Cache-Control": "no-store"})


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
