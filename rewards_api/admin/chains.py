"""``/v1/admin/stores``, ``/v1/admin/chains``, ``/v1/admin/programs``: the chain, its
stores and the points programs (``rewards_api.stores.services``). A chain admin opens,
changes and closes stores in its chain; head office makes chains and programs; every
back-office key lists the programs it reads."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range, Regexp
from flask import g
from marshmallow import ValidationError, validates_schema
from sqlalchemy import select

from rewards_api import db
from rewards_api.admin.shared import SECURITY, actor, store_by_id
from rewards_api.auth import staff_required
from rewards_api.idempotency import idempotent
from rewards_api.languages import LANGUAGES
from rewards_api.ledger.models import PARTNER_PROGRAM, STORE_PROGRAM, Program
from rewards_api.schemas import StrictSchema
from rewards_api.staff import scope
from rewards_api.staff.models import MANAGER, PARTNER
from rewards_api.stores import services
from rewards_api.stores.models import Store

bp = APIBlueprint("admin_chains", __name__, tag="Admin")

CODE = Regexp(r"^[a-z0-9-]{2,40}$")


class StoreIn(StrictSchema):
    code = String(required=True, validate=CODE)
    name = String(required=True, validate=Length(min=1, max=200))
    chain = String(required=True, validate=Length(min=1, max=40))
    timezone = String(required=True, validate=Length(min=1, max=64),
                      metadata={"description": "IANA name, e.g. Europe/Berlin"})
    latitude = Float(load_default=None, validate=Range(-90, 90))
    longitude = Float(load_default=None, validate=Range(-180, 180))


class StoreOut(StrictSchema):
    id = Integer()
    code = String()
    name = String()
    chain = String()
    timezone = String()
    latitude = Float(allow_none=True)
    longitude = Float(allow_none=True)
    language = String(allow_none=True, metadata={"description": "null: the chain's language"})
    active = Boolean(metadata={"description": "false: closed (no walk-ins, scans or checkouts)"})


class StoresOut(StrictSchema):
    stores = List(Nested(StoreOut))


class StoreChangeIn(StrictSchema):
    name = String(validate=Length(min=1, max=200))
    language = String(validate=OneOf(LANGUAGES),
                      metadata={"description": "What its registers, staff pages and messages speak"})
    timezone = String(validate=Length(min=1, max=64),
                      metadata={"description": "IANA name, e.g. Europe/Berlin"})

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Send the name, language or time zone to change.")


class ChainIn(StrictSchema):
    code = String(required=True, validate=CODE)
    name = String(required=True, validate=Length(min=1, max=200))


class ChainOut(StrictSchema):
    id = Integer()
    code = String()
    name = String()


class ProgramIn(StrictSchema):
    code = String(required=True, validate=CODE)
    name = String(required=True, validate=Length(min=1, max=200))
    kind = String(required=True, validate=OneOf([STORE_PROGRAM, PARTNER_PROGRAM]))
    chain = String(load_default=None, validate=Length(min=1, max=40),
                   metadata={"description": "The chain whose own program this is (kind store)"})
    point_value_minor = Integer(load_default=1, validate=Range(1, 10_000),
                                metadata={"description": "What a point is worth, in cents"})
    currency = String(load_default="EUR", validate=Regexp(r"^[A-Z]{3}$"))


class ProgramOut(StrictSchema):
    id = Integer()
    code = String()
    name = String()
    kind = String()
    chain = String(allow_none=True)
    point_value_minor = Integer()
    currency = String()


class ProgramListedOut(ProgramOut):
    pays = Boolean(metadata={"description": "You may pay out of it: walk-in rules, scan "
                                            "campaigns, adjustments"})
    catalog = Boolean(metadata={"description": "You may change its rewards and earn rules"})


class ProgramsOut(StrictSchema):
    programs = List(Nested(ProgramListedOut))


def _store_view(store: Store) -> dict[str, Any]:
    return {"id": store.id, "code": store.code, "name": store.name, "chain": store.chain.code,
            "timezone": store.timezone, "latitude": store.latitude,
            "longitude": store.longitude, "language": store.language, "active": store.active}


def _program_view(program: Program, chain_code: str | None) -> dict[str, Any]:
    return {"id": program.id, "code": program.code, "name": program.name,
            "kind": program.kind, "chain": chain_code,
            "point_value_minor": program.point_value_minor, "currency": program.currency}


def _chain_store(store_id: int) -> Store:
    """The store of the path, if the caller acts on its whole chain (its admins)."""
    store = store_by_id(store_id)
    scope.require_chain_wide(g.staff, store.chain_id)
    return store


@bp.post("/v1/admin/stores")
@staff_required(MANAGER)
@idempotent
@bp.input(StoreIn)
@bp.output(StoreOut, status_code=201)
@bp.doc(security=SECURITY)
def create_store(json_data: dict[str, Any]) -> dict[str, Any]:
    """Open a store in a chain (the chain's admins, head office)."""
    s = db.session()
    chain = services.chain_by_code(s, json_data.pop("chain"))
    scope.require_chain_wide(g.staff, chain.id)
    return _store_view(services.create_store(s, actor(), chain, **json_data))


@bp.get("/v1/admin/stores")
@staff_required(MANAGER)
@bp.output(StoresOut)
@bp.doc(security=SECURITY)
def list_stores() -> dict[str, Any]:
    """The stores you act in, closed ones too."""
    found = db.session().scalars(select(Store).where(scope.stores_in_scope(g.staff))
                                 .order_by(Store.code))
    return {"stores": [_store_view(store) for store in found]}


@bp.patch("/v1/admin/stores/<int:store_id>")
@staff_required(MANAGER)
@idempotent
@bp.input(StoreChangeIn)
@bp.output(StoreOut)
@bp.doc(security=SECURITY)
def change_store(store_id: int, json_data: dict[str, Any]) -> dict[str, Any]:
    """Rename a store, or change its language or time zone (the chain's admins, head
    office); what is not sent stays."""
    return _store_view(services.change_store(db.session(), actor(), _chain_store(store_id),
                                             **json_data))


@bp.post("/v1/admin/stores/<int:store_id>/close")
@staff_required(MANAGER)
@idempotent
@bp.output(StoreOut)
@bp.doc(security=SECURITY)
def close_store(store_id: int) -> dict[str, Any]:
    """Close a store for good (the chain's admins, head office): from now on it refuses
    walk-ins, scans and checkouts with ``store_closed``; its history stays, nothing is
    deleted. A closed store answers ``store_closed`` here too."""
    return _store_view(services.close_store(db.session(), actor(), _chain_store(store_id)))


@bp.get("/v1/admin/programs")
@staff_required(MANAGER, PARTNER)
@bp.output(ProgramsOut)
@bp.doc(security=SECURITY)
def list_programs() -> dict[str, Any]:
    """The programs whose catalog you read, and what you may do with each: pay out of it
    (``pays``), change its rewards and earn rules (``catalog``)."""
    return {"programs": [
        dict(_program_view(program, chain_code), pays=scope.pays_from(g.staff, program),
             catalog=scope.changes_catalog(g.staff, program))
        for program, chain_code in services.programs_of(db.session(),
                                                        scope.programs_in_scope(g.staff))]}


@bp.post("/v1/admin/chains")
@staff_required(MANAGER)
@idempotent
@bp.input(ChainIn)
@bp.output(ChainOut, status_code=201)
@bp.doc(security=SECURITY)
def create_chain(json_data: dict[str, Any]) -> dict[str, Any]:
    """A new retail chain (head office)."""
    scope.require_head_office(g.staff)
    chain = services.create_chain(db.session(), actor(), **json_data)
    return {"id": chain.id, "code": chain.code, "name": chain.name}


@bp.post("/v1/admin/programs")
@staff_required(MANAGER)
@idempotent
@bp.input(ProgramIn)
@bp.output(ProgramOut, status_code=201)
@bp.doc(security=SECURITY)
def create_program(json_data: dict[str, Any]) -> dict[str, Any]:
    """A chain's own points program, or the partner network's (head office)."""
    scope.require_head_office(g.staff)
    s = db.session()
    chain_code = json_data.pop("chain")
    chain = services.chain_by_code(s, chain_code) if chain_code else None
    program = services.create_program(s, actor(), chain=chain, **json_data)
    return _program_view(program, chain.code if chain else None)
