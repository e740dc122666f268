"""``/v1/admin/staff-keys``: register, manager, admin and partner operator keys (issue,
list, revoke; ``rewards_api.staff.services``). A new key is in the answer of its
``POST`` only: its answer is never stored for a retry, only its digest is kept."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Integer, List, Nested, String
from apiflask.validators import Length, OneOf
from flask import g

from rewards_api import db
from rewards_api.admin.shared import SECURITY, StoreQuery, actor, store_by_code
from rewards_api.auth import staff_required
from rewards_api.idempotency import idempotent, issues_credential
from rewards_api.schemas import StrictSchema
from rewards_api.staff import scope, services
from rewards_api.staff.models import MANAGER, ROLE_RANK, StaffKey
from rewards_api.stores.models import Chain
from rewards_api.stores.services import chain_by_code

bp = APIBlueprint("admin_staff", __name__, tag="Admin")


class StaffKeyIn(StrictSchema):
    role = String(required=True, validate=OneOf(list(ROLE_RANK)))
    label = String(required=True, validate=Length(min=1, max=100),
                   metadata={"description": 'Who or what holds it, e.g. "Register 3"'})
    store = String(load_default=None, validate=Length(min=1, max=40),
                   metadata={"description": "The store's code (cashier and manager keys)"})
    chain = String(load_default=None, validate=Length(min=1, max=40),
                   metadata={"description": "An admin key's chain; none: head office"})


class StaffKeyOut(StrictSchema):
    id = Integer()
    role = String()
    label = String()
    store = String(allow_none=True)
    chain = String(allow_none=True)
    created_at = String()
    revoked_at = String(allow_none=True)


class IssuedKeyOut(StaffKeyOut):
    key = String(metadata={"description": "The key itself: shown this once, never again"})


class ListedKeyOut(StaffKeyOut):
    """A key of the list (its own schema: ``StaffKeyOut`` is a route's answer too)."""


class StaffKeysOut(StrictSchema):
    staff_keys = List(Nested(ListedKeyOut))


def _view(staff: StaffKey) -> dict[str, Any]:
    s = db.session()
    return {"id": staff.id, "role": staff.role, "label": staff.label,
            "store": staff.store.code if staff.store else None,
            "chain": s.get_one(Chain, staff.chain_id).code if staff.chain_id else None,
            "created_at": staff.created_at.isoformat(),
            "revoked_at": staff.revoked_at.isoformat() if staff.revoked_at else None}


@bp.get("/v1/admin/staff-keys")
@staff_required(MANAGER)
@bp.input(StoreQuery, location="query")
@bp.output(StaffKeysOut)
@bp.doc(security=SECURITY)
def list_keys(query_data: dict[str, Any]) -> dict[str, Any]:
    """The keys of your stores (or of one), revoked ones too; a chain admin also sees
    the chain's admin keys, head office every key. Never the keys themselves."""
    s = db.session()
    visible = scope.keys_in_scope(g.staff)
    if query_data["store"] is not None:
        visible = visible & (StaffKey.store_id == store_by_code(query_data["store"]).id)
    found = services.keys_where(s, visible)
    return {"staff_keys": [_view(k) for k in found]}


@bp.post("/v1/admin/staff-keys")
@staff_required(MANAGER)
@issues_credential
@bp.input(StaffKeyIn)
@bp.output(IssuedKeyOut, status_code=201)
@bp.doc(security=SECURITY)
def issue_key(json_data: dict[str, Any]) -> dict[str, Any]:
    """Issue a key: a manager their store's register keys; a chain admin register and
    manager keys of its stores and the chain's admin keys; head office any key. The
    answer holds the key once: a retry with the same Idempotency-Key gets
    ``idempotency_answer_not_kept``, not a second copy."""
    s = db.session()
    store = store_by_code(json_data["store"]) if json_data["store"] else None
    chain = chain_by_code(s, json_data["chain"]) if json_data["chain"] else None
    scope.require_key_scope(g.staff, json_data["role"], store, chain.id if chain else None)
    staff, key = services.issue_key(s, actor(), json_data["role"], json_data["label"],
                                    store=store, chain=chain)
    return dict(_view(staff), key=key)


@bp.post("/v1/admin/staff-keys/<int:staff_id>/revoke")
@staff_required(MANAGER)
@idempotent
@bp.output(StaffKeyOut)
@bp.doc(security=SECURITY)
def revoke_key(staff_id: int) -> dict[str, Any]:
    """Refuse a key from now on (the same roles that may issue it)."""
    s = db.session()
    staff = services.key_in(s, staff_id, scope.keys_in_scope(g.staff))
    scope.require_key_scope(g.staff, staff.role, staff.store, staff.chain_id)
    return _view(services.revoke_key(s, actor(), staff))
