"""The rewards catalog and earn rules of a program: adding rewards, setting rates.

The checkout reads them through ``rewards_api.pos.offers``; the flow itself lives in
``checkout``, ``returns``, ``offline``, ``screen`` and ``wallet``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rewards_api.errors import ApiError
from rewards_api.ledger.models import Program
from rewards_api.pos.models import EarnRule, Reward


def create_reward(s: Session, program: Program, fields: dict[str, Any]) -> Reward:
    """Add a reward to ``program``'s catalog; the fields its kind needs are required."""
    kind = fields["kind"]
    needed = {"amount_off": ["amount_off_minor"], "percent_off": ["percent_off"],
              "free_product": ["product_gtin"]}[kind]
    missing = [name for name in needed if fields.get(name) is None]
    if missing:
        raise ApiError("invalid_request", f"A {kind} reward needs: {', '.join(missing)}.",
                       details={name: ["required for this kind"] for name in missing})
    reward = Reward(program_id=program.id, **fields)
    try:
        with s.begin_nested():
            s.add(reward)
            s.flush()
    except IntegrityError as exc:
        raise ApiError("reward_code_taken") from exc
    return reward


def set_earn_rule(s: Session, program: Program, *, gtin: str | None, points_per_unit: int,
                  multiplier: int) -> EarnRule:
    """The base rate (``gtin`` None) or a product multiplier, replacing an earlier one."""
    rule = s.scalars(select(EarnRule).where(
        EarnRule.program_id == program.id,
        EarnRule.gtin.is_(None) if gtin is None else EarnRule.gtin == gtin)).first()
    if rule is None:
        rule = EarnRule(program_id=program.id, gtin=gtin)
        s.add(rule)
    rule.points_per_unit = points_per_unit if gtin is None else 0
    rule.multiplier = multiplier if gtin is not None else 1
    s.flush()
    return rule
