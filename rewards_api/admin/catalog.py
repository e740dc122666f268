"""``/v1/admin/rewards`` and ``/v1/admin/earn-rules``: each program's rewards catalog
and earn rules (``rewards_api.pos.catalog``). Changed by the program's admins (a
chain's admins, head office; the partner program's rewards also by its operator);
read by the managers whose registers offer them."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from flask import g
from sqlalchemy import select

from rewards_api import db
from rewards_api.admin.shared import SECURITY, actor
from rewards_api.auth import staff_required
from rewards_api.errors import ApiError
from rewards_api.idempotency import idempotent
from rewards_api.ledger.models import Program
from rewards_api.localized import services as localized
from rewards_api.manage import previews
from rewards_api.pos import catalog
from rewards_api.pos.models import REWARD_KINDS, EarnRule, Reward
from rewards_api.products import gtin as gtin_format
from rewards_api.products.services import product_by_gtin
from rewards_api.schemas import Gtin, StrictSchema, names_field
from rewards_api.staff import scope
from rewards_api.staff.models import MANAGER, PARTNER
from rewards_api.stores.services import program_by_code

bp = APIBlueprint("admin_catalog", __name__, tag="Admin")

MAX_COST = 1_000_000
MAX_MINOR = 10_000_000


class RewardIn(StrictSchema):
    program = String(required=True, validate=Length(min=1, max=40))
    code = String(required=True, validate=Regexp(r"^[a-z0-9-]{2,40}$"))
    name = String(required=True, validate=Length(min=1, max=100))
    names = names_field(100)
    kind = String(required=True, validate=OneOf(REWARD_KINDS))
    points_cost = Integer(required=True, validate=Range(1, MAX_COST))
    amount_off_minor = Integer(load_default=None, validate=Range(1, MAX_MINOR))
    percent_off = Integer(load_default=None, validate=Range(1, 100))
    cap_minor = Integer(load_default=None, validate=Range(1, MAX_MINOR))
    product_gtin = Gtin(load_default=None)
    min_basket_minor = Integer(load_default=0, validate=Range(0, MAX_MINOR))
    eligible_gtins = List(Gtin(), load_default=list, validate=Length(max=500))


class RewardChangeIn(StrictSchema):
    name = String(validate=Length(min=1, max=100))
    names = names_field(100)
    points_cost = Integer(validate=Range(1, MAX_COST))
    min_basket_minor = Integer(validate=Range(0, MAX_MINOR))
    active = Boolean(metadata={"description": "false retires the reward: registers stop "
                                              "offering it; it is never deleted"})


class RewardOut(StrictSchema):
    id = Integer()
    program = String()
    code = String()
    name = String()
    names = Dict(keys=String(), values=String(),
                 metadata={"description": "The name per language (translations only)"})
    kind = String()
    points_cost = Integer()
    amount_off_minor = Integer(allow_none=True)
    percent_off = Integer(allow_none=True)
    cap_minor = Integer(allow_none=True)
    product_gtin = String(allow_none=True)
    min_basket_minor = Integer()
    eligible_gtins = List(String())
    active = Boolean()


class RewardsOut(StrictSchema):
    rewards = List(Nested(RewardOut))


class ProgramQuery(StrictSchema):
    program = String(load_default=None, validate=Length(min=1, max=40),
                     metadata={"description": "A program's code; default: every program "
                                              "you may read"})


class EarnRuleIn(StrictSchema):
    program = String(required=True, validate=Length(min=1, max=40))
    gtin = Gtin(load_default=None,
                metadata={"description": "Omit for the program's base rate"})
    points_per_unit = Integer(load_default=0, validate=Range(0, 1000))
    multiplier = Integer(load_default=1, validate=Range(1, 100))


class EarnRuleOut(StrictSchema):
    program = String()
    gtin = String(allow_none=True)
    points_per_unit = Integer()
    multiplier = Integer()
    preview = String(metadata={"description": "What the rule does, in a sentence in your language"})


class EarnRulePreviewOut(StrictSchema):
    preview = String(metadata={"description": "What the rule would do, in a sentence in "
                                              "your language"})


class EarnRulesOut(StrictSchema):
    earn_rules = List(Nested(EarnRuleOut))


def reward_view(reward: Reward) -> dict[str, Any]:
    names = localized.all_names(db.session(), localized.REWARD, [reward.id]).get(reward.id, {})
    return {"id": reward.id, "program": reward.program.code, "code": reward.code,
            "name": reward.name, "names": names, "kind": reward.kind, "points_cost": reward.points_cost,
            "amount_off_minor": reward.amount_off_minor, "percent_off": reward.percent_off,
            "cap_minor": reward.cap_minor, "product_gtin": reward.product_gtin,
            "min_basket_minor": reward.min_basket_minor,
            "eligible_gtins": list(reward.eligible_gtins), "active": reward.active}


def _programs(code: str | None) -> Any:
    """The programs the caller may read, or the one named (``forbidden`` if not theirs)."""
    readable = scope.programs_in_scope(g.staff)
    if code is None:
        return readable
    s = db.session()
    program = program_by_code(s, code)
    if s.scalar(select(Program.id).where(readable, Program.id == program.id)) is None:
        raise ApiError("forbidden", "That program is not one your role reads.")
    return Program.id == program.id


@bp.post("/v1/admin/rewards")
@staff_required(MANAGER, PARTNER)
@idempotent
@bp.input(RewardIn)
@bp.output(RewardOut, status_code=201)
@bp.doc(security=SECURITY)
def create_reward(json_data: dict[str, Any]) -> dict[str, Any]:
    """Add a reward to a program's catalog (the program's admins)."""
    s = db.session()
    program = scope.require_catalog(g.staff, program_by_code(s, json_data.pop("program")))
    return reward_view(catalog.create_reward(s, actor(), program, json_data))


@bp.get("/v1/admin/rewards")
@staff_required(MANAGER, PARTNER)
@bp.input(ProgramQuery, location="query")
@bp.output(RewardsOut)
@bp.doc(security=SECURITY)
def list_rewards(query_data: dict[str, Any]) -> dict[str, Any]:
    """The rewards of the programs you may read (retired ones too, ``active`` false)."""
    return {"rewards": [reward_view(r) for r in catalog.rewards_of(
        db.session(), _programs(query_data["program"]))]}


@bp.patch("/v1/admin/rewards/<int:reward_id>")
@staff_required(MANAGER, PARTNER)
@idempotent
@bp.input(RewardChangeIn)
@bp.output(RewardOut)
@bp.doc(security=SECURITY)
def change_reward(reward_id: int, json_data: dict[str, Any]) -> dict[str, Any]:
    """Rename a reward, change its price in points or minimum basket, retire it
    (``active`` false) or offer it again. Its kind and discount stay: make a new reward
    for a new offer."""
    s = db.session()
    reward = catalog.reward_by_id(s, reward_id)
    scope.require_catalog(g.staff, reward.program)
    return reward_view(catalog.change_reward(s, actor(), reward, json_data))


def _earn_preview(program: Program, gtin: str | None, points_per_unit: int,
                  multiplier: int) -> str:
    product = None
    if gtin is not None:
        found = product_by_gtin(db.session(), gtin)
        product = f"{found.name} ({gtin_format.display(gtin)})" if found else gtin_format.display(gtin)
    return previews.earn_rule(program=program.name, currency=program.currency,
                              points_per_unit=points_per_unit, multiplier=multiplier,
                              product=product)


def _earn_rule_view(rule: EarnRule, program: Program) -> dict[str, Any]:
    return {"program": program.code, "gtin": rule.gtin,
            "points_per_unit": rule.points_per_unit, "multiplier": rule.multiplier,
            "preview": _earn_preview(program, rule.gtin, rule.points_per_unit, rule.multiplier)}


@bp.post("/v1/admin/earn-rules")
@staff_required(MANAGER)
@idempotent
@bp.input(EarnRuleIn)
@bp.output(EarnRuleOut)
@bp.doc(security=SECURITY)
def set_earn_rule(json_data: dict[str, Any]) -> dict[str, Any]:
    """Set a program's base rate (points per currency unit) or a product multiplier
    (the program's admins)."""
    s = db.session()
    program = scope.require_catalog(g.staff, program_by_code(s, json_data["program"]))
    rule = catalog.set_earn_rule(s, actor(), program, gtin=json_data["gtin"],
                                 points_per_unit=json_data["points_per_unit"],
                                 multiplier=json_data["multiplier"])
    return _earn_rule_view(rule, program)


@bp.get("/v1/admin/earn-rules/preview")
@staff_required(MANAGER)
@bp.input(EarnRuleIn, location="query")
@bp.output(EarnRulePreviewOut)
@bp.doc(security=SECURITY)
def preview_earn_rule(query_data: dict[str, Any]) -> dict[str, Any]:
    """What an earn rule with these fields would do, in a sentence (the rules page shows
    it while the form is filled in); refused as setting it would be. Changes nothing."""
    program = scope.require_catalog(g.staff, program_by_code(db.session(), query_data["program"]))
    gtin = query_data["gtin"]
    return {"preview": _earn_preview(program, gtin, *catalog.earn_rates(
        gtin, query_data["points_per_unit"], query_data["multiplier"]))}


@bp.get("/v1/admin/earn-rules")
@staff_required(MANAGER)
@bp.input(ProgramQuery, location="query")
@bp.output(EarnRulesOut)
@bp.doc(security=SECURITY)
def list_earn_rules(query_data: dict[str, Any]) -> dict[str, Any]:
    """The earn rules of the programs you may read."""
    s = db.session()
    return {"earn_rules": [_earn_rule_view(rule, s.get_one(Program, rule.program_id))
                           for rule in catalog.earn_rules_of(s, _programs(query_data["program"]))]}
