"""Chains, their stores and the points programs: creating and looking them up.

Lookups by code answer the registered ``*_not_found`` error; creating something whose
code is taken answers ``code_taken``. Every creation is audited.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, func, select
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
        raise ApiError("chain_not_found", f"There is no chain with the code {code!r}.")
    return chain


def store_by_code(s: Session, code: str) -> Store:
    store = s.scalars(select(Store).where(Store.code == code)).first()
    if store is None:
        raise ApiError("store_not_found", f"There is no store with the code {code!r}.")
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


def set_store_language(s: Session, actor: Actor, store: Store, language: str) -> Store:
    """What the store's registers, staff pages and messages speak from now on."""
    before = audit.snapshot(store, STORE_FIELDS)
    store.language = _language(language)
    s.flush()
    audit.record(s, actor, audit.CHANGE, "store", store.code, store_id=store.id,
                 chain_id=store.chain_id, before=before, after=audit.snapshot(store, STORE_FIELDS))
    return store


def create_store(s: Session, actor: Actor, chain: Chain, *, code: str, name: str,
                 timezone: str, latitude: float | None = None,
                 longitude: float | None = None, language: str | None = None) -> Store:
    """A store of ``chain``; ``timezone`` is an IANA name (its days are the store's)."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ApiError("invalid_request", f"Unknown time zone {timezone!r}; use an IANA "
                       "name such as Europe/Berlin.") from exc
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


def language_query(store_id: int | None, chain_id: int | None) -> Select[Any] | None:
    """The language a store speaks (its own, else its chain's default) or, without a
    store, a chain's default; None when the request names neither (rewards_api.i18n)."""
    if store_id is not None:
        return (select(func.coalesce(Store.language, Chain.default_language))
                .join(Chain, Chain.id == Store.chain_id).where(Store.id == store_id))
    if chain_id is not None:
        return select(Chain.default_language).where(Chain.id == chain_id)
    return None
