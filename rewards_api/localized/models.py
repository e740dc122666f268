"""Names of the shop's data in more languages than the one they were typed in."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from rewards_api.db import Base, BigIntId


class Translation(Base):
    """What ``field`` of the row ``row_id`` of ``kind`` (a reward, a campaign, a
    product) says in ``language``. The row's own column keeps the text as it was typed;
    a translation is read instead where the reader speaks its language."""

    __tablename__ = "translations"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    row_id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
