"""Recording and reading the audit trail.

Every back-office service that changes something takes an ``Actor`` (who and when) and
records one entry in the same transaction as the change: an HTTP call and a
``rewards-api`` command leave the same trail, and a change rolled back leaves none.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from rewards_api.audit.models import AuditEntry

# What was done, in the back office's words.
CREATE = "create"
CHANGE = "change"
END = "end"
REVOKE = "revoke"
DISABLE = "disable"
IMPORT = "import"
ENROL = "enrol"
CLOSE = "close"
ADJUST = "adjust"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a back-office change (``staff:<key id>``, ``cli:<user>``, ``seed``) and
    the instant it happens (the app's clock)."""

    name: str
    at: dt.datetime


def command_line(at: dt.datetime) -> Actor:
    """The operator of a ``rewards-api`` command: the system user running it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a container without /etc/passwd entry
        user = "unknown"
    return Actor(f"cli:{user}"[:60], at)


def snapshot(thing: Any, fields: Iterable[str]) -> dict[str, Any]:
    """``fields`` of ``thing`` as JSON values (instants and days in ISO 8601)."""
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(thing, name)
        values[name] = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
    return values


def record(s: Session, actor: Actor, action: str, resource: str, resource_id: object, *,
           store_id: int | None = None, chain_id: int | None = None,
           program_id: int | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry (the caller's transaction commits it with the change)."""
    entry = AuditEntry(at=actor.at, actor=actor.name, action=action, resource=resource,
                       resource_id=str(resource_id)[:80], store_id=store_id,
                       chain_id=chain_id, program_id=program_id, before=before, after=after)
    s.add(entry)
    s.flush()
    return entry


def entries(s: Session, in_scope: ColumnElement[bool], *, store_id: int | None = None,
            resource: str | None = None, before_id: int | None = None, limit: int = 50
            ) -> list[AuditEntry]:
    """The newest entries first that meet ``in_scope`` (``staff.scope.audit_in_scope``),
    of one store and one kind of resource when given, older than ``before_id``."""
    query = select(AuditEntry).where(in_scope)
    if store_id is not None:
        query = query.where(AuditEntry.store_id == store_id)
    if resource is not None:
        query = query.where(AuditEntry.resource == resource)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(s.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
