"""Staff and register keys."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rewards_api.credentials import digest, new_staff_key
from rewards_api.staff.models import StaffKey


def issue_key(s: Session, role: str, store_id: int | None, label: str,
              chain_id: int | None = None) -> str:
    """Make a key for ``role`` (of ``store_id``; an admin key of ``chain_id``, or of head
    office without one) and return it: this is the only time it is seen, only its digest
    is stored. The caller commits."""
    key = new_staff_key()
    s.add(StaffKey(role=role, store_id=store_id, chain_id=chain_id, label=label,
                   key_hash=digest(key)))
    return key
