"""The back office's side of checkout: each program's rewards catalog and earn rules.

A reward is never deleted (checkouts and their receipts name it): it is retired
(``active`` false) and the register stops offering it. Every change is audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from rewards_api import db
from rewards_api.audit import services as audit
from rewards_api.audit.services import Actor
from rewards_api.errors import ApiError
from rewards_api.ledger.models import Program
from rewards_api.localized import services as localized
from rewards_api.pos.models import EarnRule, Reward

REWARD_FIELDS = ("code", "name", "kind", "points_cost", "amount_off_minor", "percent_off",
                 "cap_minor", "product_gtin", "min_basket_minor", "eligible_gtins", "active")
EARN_RULE_FIELDS = ("gtin", "points_per_unit", "multiplier")
# What a reward's kind needs besides the common fields.
NEEDED = {"amount_off": ["amount_off_minor"], "percent_off": ["percent_off"],
          "free_product": ["product_gtin"]}
# What may change of a reward once shoppers may have seen it: not its kind or discount.
CHANGEABLE = ("name", "points_cost", "min_basket_minor", "active")


def _audit(s: Session, actor: Actor, action: str, resource: str, resource_id: object,
           program: Program, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
    audit.record(s, actor, action, resource, resource_id, program_id=program.id,
                 chain_id=program.chain_id, before=before, after=after)


def _state(s: Session, reward: Reward) -> dict[str, Any]:
    return localized.snapshot(s, localized.REWARD, reward, REWARD_FIELDS)


def rewards_of(s: Session, programs: ColumnElement[bool]) -> list[Reward]:
    """The rewards of the programs meeting ``programs`` (a condition on ``Program``),
    retired ones too."""
    return list(s.scalars(select(Reward).join(Program, Program.id == Reward.program_id)
                          .where(programs).order_by(Program.code, Reward.code)))


def reward_by_id(s: Session, reward_id: int) -> Reward:
    reward = s.get(Reward, reward_id)
    if reward is None:
        raise ApiError("reward_not_found", "There is no such reward.")
    return reward


def create_reward(s: Session, actor: Actor, program: Program, fields: dict[str, Any]) -> Reward:
    """Add a reward to ``program``'s catalog; the fields its kind needs are required;
    ``names``, its name per language."""
    kind = fields["kind"]
    missing = [name for name in NEEDED[kind] if fields.get(name) is None]
    if missing:
        raise ApiError("invalid_request", "A %(kind)s reward needs: %(fields)s.",
                       params={"kind": kind, "fields": ", ".join(missing)},
                       details={name: ["required for this kind"] for name in missing})
    reward = Reward(program_id=program.id,
                    **{field: value for field, value in fields.items() if field != "names"})
    with db.unique(s, "reward_code_taken"):
        s.add(reward)
    localized.set_names(s, localized.REWARD, reward.id, fields.get("names"))
    _audit(s, actor, audit.CREATE, "reward", f"{program.code}:{reward.code}", program, None,
           _state(s, reward))
    return reward


def change_reward(s: Session, actor: Actor, reward: Reward, changes: dict[str, Any]) -> Reward:
    """Change the ``CHANGEABLE`` fields given in ``changes`` (``active`` false retires
    the reward) and, given ``names``, its names per language."""
    before = _state(s, reward)
    for name in CHANGEABLE:
        if changes.get(name) is not None:
            setattr(reward, name, changes[name])
    localized.set_names(s, localized.REWARD, reward.id, changes.get("names"))
    s.flush()
    _audit(s, actor, audit.CHANGE, "reward", f"{reward.program.code}:{reward.code}",
           reward.program, before, _state(s, reward))
    return reward


def earn_rules_of(s: Session, programs: ColumnElement[bool]) -> list[EarnRule]:
    return list(s.scalars(select(EarnRule).join(Program, Program.id == EarnRule.program_id)
                          .where(programs).order_by(Program.code, EarnRule.gtin)))


def earn_rates(gtin: str | None, points_per_unit: int, multiplier: int) -> tuple[int, int]:
    """What an earn rule keeps: the base rate (``gtin`` None) counts points per unit, a
    product's rule only its multiplier."""
    return (points_per_unit, 1) if gtin is None else (0, multiplier)


def set_earn_rule(s: Session, actor: Actor, program: Program, *, gtin: str | None,
                  points_per_unit: int, multiplier: int) -> EarnRule:
    """The base rate (``gtin`` None) or a product multiplier, replacing an earlier one."""
    rule = s.scalars(select(EarnRule).where(
        EarnRule.program_id == program.id,
        EarnRule.gtin.is_(None) if gtin is None else EarnRule.gtin == gtin)).first()
    before = audit.snapshot(rule, EARN_RULE_FIELDS) if rule is not None else None
    if rule is None:
        rule = EarnRule(program_id=program.id, gtin=gtin)
        s.add(rule)
    rule.points_per_unit, rule.multiplier = earn_rates(gtin, points_per_unit, multiplier)
    s.flush()
    _audit(s, actor, audit.CREATE if before is None else audit.CHANGE, "earn_rule",
           f"{program.code}:{gtin or 'base'}", program, before,
           audit.snapshot(rule, EARN_RULE_FIELDS))
    return rule
