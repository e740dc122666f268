"""What the back-office views share: the caller as the audit trail's actor, and
loading the store a request names within the caller's scope."""

from __future__ import annotations

from apiflask.fields import String
from apiflask.validators import Length
from flask import g
from sqlalchemy import select

from rewards_api import clock, db
from rewards_api.audit.services import Actor
from rewards_api.schemas import StrictSchema
from rewards_api.staff import scope
from rewards_api.stores.models import Store

SECURITY = "BearerAuth"


class StoreQuery(StrictSchema):
    store = String(load_default=None, validate=Length(min=1, max=40),
                   metadata={"description": "A store's code; default: every store you act in"})


def actor() -> Actor:
    """The signed-in staff key, now."""
    return Actor(g.principal, clock.now())


def store_by_id(store_id: int) -> Store:
    """The store of the path, if the caller acts in it (else ``store_not_found`` or
    ``forbidden``)."""
    return scope.require_store(g.staff, db.session().get(Store, store_id))


def store_by_code(code: str) -> Store:
    """The store a body or query names by code, if the caller acts in it."""
    return scope.require_store(g.staff, db.session().scalars(
        select(Store).where(Store.code == code)).first())
