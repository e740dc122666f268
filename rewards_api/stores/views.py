"""Store endpoints: the list of open stores anyone may read (the shopper app picks one),
and the store a register's or manager's key belongs to (its language for the panel)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Float, Integer, List, Nested, String
from flask import g
from sqlalchemy import and_, select

from rewards_api import db, i18n
from rewards_api.auth import staff_required
from rewards_api.errors import ApiError
from rewards_api.ledger.models import STORE_PROGRAM, Program
from rewards_api.schemas import StrictSchema
from rewards_api.staff.models import CASHIER
from rewards_api.stores.models import Chain, Store

bp = APIBlueprint("stores", __name__, tag="Stores")


class StoreOut(StrictSchema):
    id = Integer()
    code = String()
    name = String()
    chain = String(metadata={"description": "The chain's code"})
    chain_name = String()
    timezone = String()
    latitude = Float(allow_none=True)
    longitude = Float(allow_none=True)
    program = String(allow_none=True, metadata={"description": "Code of the chain's store program"})
    program_name = String(allow_none=True)


class StoresOut(StrictSchema):
    stores = List(Nested(StoreOut))


@bp.get("/v1/stores")
@bp.output(StoresOut)
def list_stores() -> dict[str, Any]:
    """Every active store, by name, with its chain's store program. Public: it is
    what the shop window says."""
    rows = db.session().execute(
        select(Store, Chain.code, Chain.name, Program.code, Program.name)
        .join(Chain, Chain.id == Store.chain_id)
        .outerjoin(Program, and_(Program.chain_id == Chain.id, Program.kind == STORE_PROGRAM))
        .where(Store.active.is_(True)).order_by(Store.name, Store.id))
    return {"stores": [
        {"id": store.id, "code": store.code, "name": store.name, "chain": chain_code,
         "chain_name": chain_name, "timezone": store.timezone, "latitude": store.latitude,
         "longitude": store.longitude, "program": program_code, "program_name": program_name}
        for store, chain_code, chain_name, program_code, program_name in rows]}


class OwnStoreOut(StrictSchema):
    id = Integer()
    code = String()
    name = String()
    timezone = String()
    language = String(metadata={"description": "What the store speaks: its own language, "
                                "else its chain's default, else en (one of en, de, pt)"})


@bp.get("/v1/stores/mine")
@bp.output(OwnStoreOut)
@bp.doc(security="BearerAuth")
@staff_required(CASHIER)
def own_store() -> dict[str, Any]:
    """The store of the calling register's or manager's key: the cashier panel speaks its
    language. An admin key belongs to no store (``forbidden``)."""
    staff = g.staff
    if staff.store_id is None:
        raise ApiError("forbidden", "This key belongs to no store.")
    store, chain_language = db.session().execute(
        select(Store, Chain.default_language).join(Chain, Chain.id == Store.chain_id)
        .where(Store.id == staff.store_id)).one()
    return {"id": store.id, "code": store.code, "name": store.name, "timezone": store.timezone,
            "language": i18n.store_language(store.language, chain_language)}
