"""``GET /v1/admin/audit``: the back office's changes, newest first, as far as the
caller's scope reaches (``staff.scope.audit_in_scope``)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Dict, Integer, List, Nested, String
from apiflask.validators import Length, Range
from flask import g

from rewards_api import db
from rewards_api.admin.shared import SECURITY, store_by_code
from rewards_api.audit import services as audit
from rewards_api.auth import staff_required
from rewards_api.schemas import StrictSchema
from rewards_api.staff import scope
from rewards_api.staff.models import MANAGER, PARTNER

bp = APIBlueprint("admin_audit", __name__, tag="Admin")


class AuditQuery(StrictSchema):
    store = String(load_default=None, validate=Length(min=1, max=40),
                   metadata={"description": "Only this store's changes (its code)"})
    resource = String(load_default=None, validate=Length(min=1, max=20),
                      metadata={"description": "campaign, reward, earn_rule, walk_in_rule, "
                                               "products, staff_key, agent, store, chain, program, "
                                               "points (adjustments)"})
    before = Integer(load_default=None, validate=Range(1, 2**63 - 1),
                     metadata={"description": "Entries older than this id (the next page)"})
    limit = Integer(load_default=50, validate=Range(1, 200))


class AuditEntryOut(StrictSchema):
    id = Integer()
    at = String()
    actor = String(metadata={"description": "staff:<key id>, cli:<user>, agent:<id>, seed"})
    action = String()
    resource = String()
    resource_id = String()
    store_id = Integer(allow_none=True)
    # Free-form on purpose: a snapshot of whichever kind of resource changed (a store,
    # a campaign, a key...), its fields by name.
    before = Dict(keys=String(), allow_none=True, metadata={
        "description": "The resource's fields before the change, by name (null: none)"})
    after = Dict(keys=String(), allow_none=True, metadata={
        "description": "The resource's fields after the change, by name (null: none)"})


class AuditOut(StrictSchema):
    entries = List(Nested(AuditEntryOut))


@bp.get("/v1/admin/audit")
@staff_required(MANAGER, PARTNER)
@bp.input(AuditQuery, location="query")
@bp.output(AuditOut)
@bp.doc(security=SECURITY)
def audit_trail(query_data: dict[str, Any]) -> dict[str, Any]:
    """Who changed what and when, with the thing before and after: a manager sees their
    store's changes, a chain admin the chain's, the partner operator the partner
    program's, head office all."""
    store = store_by_code(query_data["store"]) if query_data["store"] else None
    found = audit.entries(db.session(), scope.audit_in_scope(g.staff),
                          store_id=store.id if store else None,
                          resource=query_data["resource"], before_id=query_data["before"],
                          limit=query_data["limit"])
    return {"entries": [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor,
                         "action": e.action, "resource": e.resource,
                         "resource_id": e.resource_id, "store_id": e.store_id,
                         "before": e.before, "after": e.after} for e in found]}
