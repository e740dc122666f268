"""Store endpoints anyone may read: the list of open stores (the shopper app picks one)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Float, Integer, List, Nested, String
from sqlalchemy import and_, select

from rewards_api import db
from rewards_api.ledger.models import STORE_PROGRAM, Program
from rewards_api.schemas import StrictSchema
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
