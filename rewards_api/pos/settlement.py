"""Partner settlement: the record each commit and return writes, and the reports (sums
and CSV) over them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from rewards_api.ledger.models import PARTNER_PROGRAM, Program
from rewards_api.pos.models import Checkout, SettlementRecord
from rewards_api.stores.models import Store


def record(s: Session, checkout: Checkout, program: Program, *, redeemed: int, issued: int,
           now: dt.datetime, return_id: int | None = None) -> None:
    """What the partner program and the store owe each other for ``checkout`` (or one of
    its returns, with ``return_id`` and negative ``issued``): partner points redeemed in
    the store (the partner pays the store) and issued on its purchases (the store pays
    the partner), at the program's point value. Nothing for a store program, nor when
    no point moved."""
    if program.kind != PARTNER_PROGRAM or not (redeemed or issued):
        return
    s.add(SettlementRecord(
        store_id=checkout.store_id, program_id=program.id, checkout_id=checkout.id,
        return_id=return_id, points_redeemed=redeemed, points_issued=issued,
        owed_to_store_minor=redeemed * program.point_value_minor,
        owed_to_partner_minor=issued * program.point_value_minor,
        currency=program.currency, created_at=now))


def select_store(code: str | None) -> Select[Any]:
    query = select(Store).order_by(Store.code)
    return query.where(Store.code == code) if code is not None else query


def _window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC days ``start`` to ``end``, both included."""
    begin = dt.datetime.combine(start, dt.time(), dt.UTC)
    return begin, dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)


def totals(s: Session, stores: list[Store], start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Per store: points redeemed and issued, and what each side owes (minor units)."""
    begin, stop = _window(start, end)
    rows = {row.store_id: row for row in s.execute(
        select(SettlementRecord.store_id, SettlementRecord.currency,
               func.sum(SettlementRecord.points_redeemed).label("redeemed"),
               func.sum(SettlementRecord.points_issued).label("issued"),
               func.sum(SettlementRecord.owed_to_store_minor).label("to_store"),
               func.sum(SettlementRecord.owed_to_partner_minor).label("to_partner"))
        .where(SettlementRecord.store_id.in_([st.id for st in stores]),
               SettlementRecord.created_at >= begin, SettlementRecord.created_at < stop)
        .group_by(SettlementRecord.store_id, SettlementRecord.currency))}
    result = []
    for store in stores:
        row = rows.get(store.id)
        to_store = int(row.to_store) if row else 0
        to_partner = int(row.to_partner) if row else 0
        result.append({
            "store": store.code, "currency": row.currency if row else None,
            "points_redeemed": int(row.redeemed) if row else 0,
            "points_issued": int(row.issued) if row else 0,
            "owed_to_store_minor": to_store, "owed_to_partner_minor": to_partner,
            # Positive: the partner pays the store; negative: the store pays the partner.
            "net_to_store_minor": to_store - to_partner,
        })
    return result


CSV_COLUMNS = ["created_at", "checkout_id", "return_id", "points_redeemed", "points_issued",
               "owed_to_store_minor", "owed_to_partner_minor", "currency"]


def csv_text(s: Session, store: Store, start: dt.date, end: dt.date) -> str:
    begin, stop = _window(start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for record in s.scalars(select(SettlementRecord).where(
            SettlementRecord.store_id == store.id, SettlementRecord.created_at >= begin,
            SettlementRecord.created_at < stop).order_by(SettlementRecord.id)):
        writer.writerow([record.created_at.isoformat(), record.checkout_id,
                         record.return_id or "", record.points_redeemed, record.points_issued,
                         record.owed_to_store_minor, record.owed_to_partner_minor,
                         record.currency])
    return out.getvalue()
