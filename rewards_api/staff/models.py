"""API keys for staff and registers. Only a key's SHA-256 is stored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rewards_api import clock
from rewards_api.db import Base, BigIntId, intpk
from rewards_api.i18n import N_
from rewards_api.stores.models import Store

CASHIER = "cashier"
MANAGER = "manager"
ADMIN = "admin"
# The partner program's operator: its rewards and the partner settlement, no store.
PARTNER = "partner"
# A role may do everything the roles below it may do; the partner operator (rank 0)
# only what a route names it for (``auth.staff_required``).
ROLE_RANK = {PARTNER: 0, CASHIER: 1, MANAGER: 2, ADMIN: 3}
# Each role as people name it, translated where a sentence shows it.
ROLE_NAMES = {PARTNER: N_("partner operator"), CASHIER: N_("cashier"), MANAGER: N_("manager"),
              ADMIN: N_("chain admin")}


class StaffKey(Base):
    __tablename__ = "staff_keys"
    __table_args__ = (CheckConstraint("role in ('cashier', 'manager', 'admin', 'partner')", name="role"),)

    id: Mapped[intpk]
    role: Mapped[str] = mapped_column(String(10))
    # Cashier keys belong to one register terminal of one store; manager keys to a store;
    # admin keys to no store: to one chain (``chain_id``), or to none (head office: every
    # chain and the partner program); partner operator keys to neither. Who may act where: ``rewards_api.staff.scope``.
    store_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("stores.id"))
    chain_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("chains.id"))
    label: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    revoked_at: Mapped[dt.datetime | None]

    store: Mapped[Store | None] = relationship()
