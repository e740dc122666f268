"""Products, identified by their GTIN, and each store's assortment."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rewards_api import clock
from rewards_api.db import Base, BigIntId, intpk


class Product(Base):
    __tablename__ = "products"

    id: Mapped[intpk]
    # The 14-digit GTIN (products/gtin.py): UPC-A and EAN-13 forms of a code are one row.
    gtin: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    picture_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)


class StoreProduct(Base):
    """A product a store carries, and where shoppers find it."""

    __tablename__ = "store_products"
    __table_args__ = (UniqueConstraint("store_id", "product_id"),)

    id: Mapped[intpk]
    store_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("stores.id"))
    product_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("products.id"), index=True)
    # Free text as written on the shelf signs, e.g. "Aisle 4, top shelf".
    aisle: Mapped[str | None] = mapped_column(String(100))

    product: Mapped[Product] = relationship(lazy="joined")
