"""Staff and register keys: issue (the key is seen once, only its digest is stored),
list and revoke. Every change is audited."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from rewards_api.audit import services as audit
from rewards_api.audit.services import Actor
from rewards_api.credentials import digest, new_staff_key
from rewards_api.errors import ApiError
from rewards_api.staff.models import ADMIN, PARTNER, ROLE_RANK, StaffKey
from rewards_api.stores.models import Chain, Store

FIELDS = ("role", "store_id", "chain_id", "label", "revoked_at")


def issue_key(s: Session, actor: Actor, role: str, label: str, *, store: Store | None = None,
              chain: Chain | None = None) -> tuple[StaffKey, str]:
    """A key for ``role``: a cashier's (one register) or manager's of ``store``, an
    admin's of ``chain`` (or of head office, without one), a partner operator's of
    neither. Returns the key record and the key itself: this is the only time the key
    is seen."""
    if role not in ROLE_RANK:
        raise ApiError("invalid_request", "role is one of %(roles)s.",
                       params={"roles": ", ".join(ROLE_RANK)})
    if role in (ADMIN, PARTNER) and store is not None:
        raise ApiError("invalid_request", "A %(role)s key belongs to no store.",
                       params={"role": role})
    if role not in (ADMIN, PARTNER) and store is None:
        raise ApiError("invalid_request", "A %(role)s key belongs to a store: name it.",
                       params={"role": role})
    if role != ADMIN and chain is not None:
        raise ApiError("invalid_request", "Only an admin key names a chain; a %(role)s key's "
                       "chain is its store's.", params={"role": role})
    key = new_staff_key()
    staff = StaffKey(role=role, store_id=store.id if store else None,
                     chain_id=chain.id if chain else None, label=label, key_hash=digest(key))
    s.add(staff)
    s.flush()
    audit.record(s, actor, audit.CREATE, "staff_key", staff.id,
                 store_id=staff.store_id,
                 chain_id=store.chain_id if store else staff.chain_id,
                 after=audit.snapshot(staff, FIELDS))
    return staff, key


def keys_where(s: Session, condition: ColumnElement[bool]) -> list[StaffKey]:
    """The keys meeting ``condition`` (``staff.scope.keys_in_scope``, ...), by id."""
    return list(s.scalars(select(StaffKey).where(condition).order_by(StaffKey.id)))


def key_in(s: Session, staff_id: int, condition: ColumnElement[bool]) -> StaffKey:
    """Key ``staff_id`` if it meets ``condition``, else ``staff_key_not_found``."""
    staff = s.scalars(select(StaffKey).where(StaffKey.id == staff_id, condition)).first()
    if staff is None:
        raise ApiError("staff_key_not_found")
    return staff


def revoke_key(s: Session, actor: Actor, staff: StaffKey) -> StaffKey:
    """Refuse the key from now on (a second revocation changes nothing)."""
    if staff.revoked_at is not None:
        return staff
    before = audit.snapshot(staff, FIELDS)
    staff.revoked_at = actor.at
    s.flush()
    audit.record(s, actor, audit.REVOKE, "staff_key", staff.id, store_id=staff.store_id,
                 chain_id=staff.store.chain_id if staff.store else staff.chain_id,
                 before=before, after=audit.snapshot(staff, FIELDS))
    return staff
