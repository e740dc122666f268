"""Audit entries: one per back-office change, append-only like the ledger (database
triggers refuse UPDATE and DELETE, see migration 0015)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rewards_api.db import Base, BigIntId, intpk


class AuditEntry(Base):
    """``actor`` is ``staff:<key id>`` for the API, ``cli:<user>`` for ``rewards-api``.
    ``store_id``, ``chain_id`` and ``program_id`` place the change for the scope rule
    (who may read it); like the sightings' they are copied ids, without foreign keys,
    so that the trail outlives nothing it names."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_store_id_id", "store_id", "id"),
        Index("ix_audit_entries_chain_id_id", "chain_id", "id"),
        Index("ix_audit_entries_program_id_id", "program_id", "id"),
    )

    id: Mapped[intpk]
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(20))
    resource: Mapped[str] = mapped_column(String(20))
    resource_id: Mapped[str] = mapped_column(String(80))
    store_id: Mapped[int | None] = mapped_column(BigIntId)
    chain_id: Mapped[int | None] = mapped_column(BigIntId)
    program_id: Mapped[int | None] = mapped_column(BigIntId)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
