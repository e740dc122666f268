"""Back-office endpoints for managers and admins."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Integer, String
from apiflask.validators import Length
from flask import g
from sqlalchemy import select

from rewards_api import db
from rewards_api.admin.shared import actor
from rewards_api.auth import staff_required
from rewards_api.errors import ApiError
from rewards_api.idempotency import idempotent
from rewards_api.schemas import MAX_ADJUSTMENT_POINTS, StrictSchema, points_change
from rewards_api.shoppers import adjustments
from rewards_api.shoppers.models import Shopper
from rewards_api.staff import scope
from rewards_api.staff.models import MANAGER
from rewards_api.stores.models import Store
from rewards_api.stores.services import program_by_code

bp = APIBlueprint("admin", __name__, tag="Admin")


class AdjustmentIn(StrictSchema):
    public_id = String(required=True, validate=Length(equal=10))
    program = String(required=True, validate=Length(min=1, max=40))
    amount = Integer(required=True, validate=points_change(MAX_ADJUSTMENT_POINTS))
    reason = String(required=True, validate=Length(max=500))
    store_id = Integer(load_default=None)


class AdjustmentOut(StrictSchema):
    entry_id = Integer()
    program = String()
    amount = Integer()
    balance = Integer()
    reason = String()


@bp.post("/v1/admin/adjustments")
@staff_required(MANAGER)
@idempotent
@bp.input(AdjustmentIn)
@bp.output(AdjustmentOut, status_code=201)
@bp.doc(security="BearerAuth")
def adjust_points(json_data: dict[str, Any]) -> dict[str, Any]:
    """Correct a shopper's points (managers only, in their chain's own program; head
    office also in the partner program). The reason is stored on the entry; the audit
    trail keeps who, when, and the balance before and after."""
    s = db.session()
    program = scope.require_program(g.staff, program_by_code(s, json_data["program"]))
    store_id = json_data["store_id"] or g.staff.store_id
    store = scope.require_store(g.staff, s.get(Store, store_id)) if store_id is not None else None
    shopper = s.scalars(select(Shopper).where(Shopper.public_id == json_data["public_id"])).first()
    if shopper is None:
        raise ApiError("shopper_not_found")
    entry, balance = adjustments.adjust(s, actor(), shopper, program, json_data["amount"],
                               reason=json_data["reason"], store_id=store_id,
                               chain_id=store.chain_id if store else scope.chain_of(g.staff))
    return {"entry_id": entry.id, "program": program.code, "amount": entry.amount,
            "balance": balance, "reason": entry.reason}
