"""Chains, their stores and the points programs: creating and looking them up.

Lookups by code answer the registered ``*_not_found`` error; creating something whose
code is taken answers ``code_taken``. Every creation is audited.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from rewards_api import db
from rewards_api.audit import services as audit
from rewards_api.audit.services import Actor
from rewards_api.errors import ApiError
from rewards_api.languages import LANGUAGES
from rewards_api.ledger.models import PARTNER_PROGRAM, STORE_PROGRAM, Program
from rewards_api.stores.models import Chain, Store

STORE_FIELDS = ("code", "name", "chain_id", "timezone", "latitude", "longitude", "language",
                "active")
PROGRAM_FIELDS = ("code", "name", "kind", "chain_id", "point_value_minor", "currency")


def chain_by_code(s: Session, code: str) -> Chain:
    chain = s.scalars(select(Chain).where(Chain.code == code)).first()
    if chain is None:
        raise ApiError("chain_not_found", "There is no chain with the code %(code)r.",
                       params={"code": code})
    return chain


def store_by_code(s: Session, code: str) -> Store:
    store = s.scalars(select(Store).where(Store.code == code)).first()
    if store is None:
        raise ApiError("store_not_found", "There is no store with the code %(code)r.",
                       params={"code": code})
    return store


def program_by_code(s: Session, code: str) -> Program:
    """The points program with this code (the one program lookup), else ``program_not_found``."""
    program = s.scalars(select(Program).where(Program.code == code)).first()
    if program is None:
        raise ApiError("program_not_found")
    return program


def _add(s: Session, thing: object) -> None:
    with db.unique(s, "code_taken"):
        s.add(thing)


def create_chain(s: Session, actor: Actor, *, code: str, name: str,
                 default_language: str | None = None) -> Chain:
    """A chain; ``default_language`` is what its stores speak unless they set their own."""
    chain = Chain(code=code, name=name, default_language=_language(default_language))
    _add(s, chain)
    audit.record(s, actor, audit.CREATE, "chain", chain.code, chain_id=chain.id,
                 after={"code": code, "name": name, "default_language": default_language})
    return chain


def _language(language: str | None) -> str | None:
    if language is not None and language not in LANGUAGES:
        raise ApiError("invalid_request", "Unknown language %(language)r; use one of %(known)s.",
                       params={"language": language, "known": ", ".join(LANGUAGES)})
    return language


def _timezone(timezone: str) -> str:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ApiError("invalid_request", "Unknown time zone %(timezone)r; use an IANA name "
                       "such as Europe/Berlin.", params={"timezone": timezone}) from exc
    return timezone


def open_store(store: Store | None) -> Store:
    """``store`` while it is open: ``store_not_found`` without one, ``store_closed`` once
    it is closed (walk-ins, scans, checkouts and help requests ask this)."""
    if store is None:
        raise ApiError("store_not_found")
    if not store.active:
        raise ApiError("store_closed")
    return store


def _audit_change(s: Session, actor: Actor, action: str, store: Store,
                  before: dict[str, Any]) -> None:
    s.flush()
    audit.record(s, actor, action, "store", store.code, store_id=store.id,
                 chain_id=store.chain_id, before=before, after=audit.snapshot(store, STORE_FIELDS))


def change_store(s: Session, actor: Actor, store: Store, *, name: str | None = None,
                 language: str | None = None, timezone: str | None = None) -> Store:
    """Rename a store, or change what it speaks (its registers, staff pages and messages)
    or its time zone (its days, daily limits and reports follow it from now on); the
    values not given stay."""
    before = audit.snapshot(store, STORE_FIELDS)
    if name is not None:
        store.name = name
    if language is not None:
        store.language = _language(language)
    if timezone is not None:
        store.timezone = _timezone(timezone)
    _audit_change(s, actor, audit.CHANGE, store, before)
    return store


def close_store(s: Session, actor: Actor, store: Store) -> Store:
    """Close a store for good: from now on it refuses walk-ins, scans and checkouts
    (``store_closed``) and leaves the public store list. Nothing is deleted: its
    visits, points, checkouts and audit trail stay, and reports still show them."""
    open_store(store)
    before = audit.snapshot(store, STORE_FIELDS)
    store.active = False
    _audit_change(s, actor, audit.CLOSE, store, before)
    return store


def create_store(s: Session, actor: Actor, chain: Chain, *, code: str, name: str,
                 timezone: str, latitude: float | None = None,
                 longitude: float | None = None, language: str | None = None) -> Store:
    """A store of ``chain``; ``timezone`` is an IANA name (its days are the store's)."""
    _timezone(timezone)
    store = Store(code=code, chain_id=chain.id, name=name, timezone=timezone,
                  latitude=latitude, longitude=longitude, language=_language(language))
    _add(s, store)
    audit.record(s, actor, audit.CREATE, "store", store.code, store_id=store.id,
                 chain_id=chain.id, after=audit.snapshot(store, STORE_FIELDS))
    return store


def create_program(s: Session, actor: Actor, *, code: str, name: str, kind: str,
                   chain: Chain | None, point_value_minor: int = 1,
                   currency: str = "EUR") -> Program:
    """A chain's own program (``kind`` store, with its ``chain``) or the partner
    network's (``kind`` partner, no chain)."""
    if kind not in (STORE_PROGRAM, PARTNER_PROGRAM) or (kind == STORE_PROGRAM) != (chain is not None):
        raise ApiError("invalid_request", "A store program names its chain; the partner "
                       "program none.")
    if point_value_minor < 1:
        raise ApiError("invalid_request", "A point is worth at least one minor unit.")
    program = Program(code=code, name=name, kind=kind, chain_id=chain.id if chain else None,
                      point_value_minor=point_value_minor, currency=currency)
    _add(s, program)
    audit.record(s, actor, audit.CREATE, "program", program.code, program_id=program.id,
                 chain_id=program.chain_id, after=audit.snapshot(program, PROGRAM_FIELDS))
    return program


def programs_of(s: Session, programs: ColumnElement[bool]) -> list[tuple[Program, str | None]]:
    """The programs meeting ``programs`` (a condition on ``Program``) with their chain's
    code (None for the partner program), by code."""
    return [(program, chain_code) for program, chain_code in s.execute(
        select(Program, Chain.code).outerjoin(Chain, Chain.id == Program.chain_id)
        .where(programs).order_by(Program.code))]


def language_query(store_id: int | None, chain_id: int | None) -> Select[Any] | None:
    """The language a store speaks (its own, else its chain's default) or, without a
    store, a chain's default; None when the request names neither (rewards_api.i18n)."""
    if store_id is not None:
        return (select(func.coalesce(Store.language, Chain.default_language))
                .join(Chain, Chain.id == Store.chain_id).where(Store.id == store_id))
    if chain_id is not None:
        return select(Chain.default_language).where(Chain.id == chain_id)
    return None
