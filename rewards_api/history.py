"""A shopper's ledger entries in words: what each was for and where ("Reward: 1.00 off"
at "Berlin Mitte", not "redemption -50"). Reads the ledger, products, stores and
checkouts; nothing below it imports it."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from rewards_api.i18n import N_
from rewards_api.ledger.models import (
    ADJUSTMENT,
    PURCHASE,
    REDEMPTION,
    RETURN,
    SCAN,
    WALK_IN,
    Hold,
    LedgerEntry,
)
from rewards_api.localized import services as localized
from rewards_api.pos import offers
from rewards_api.pos.models import Checkout
from rewards_api.products.models import Product
from rewards_api.stores.models import Store

# What an entry was, in English; shown in the caller's language (rewards_api.i18n).
_WHAT = {WALK_IN: N_("Walk-in"), SCAN: N_("Product scan"), PURCHASE: N_("Purchase"),
         REDEMPTION: N_("Reward"), RETURN: N_("Return"), ADJUSTMENT: N_("Correction")}


def _what(kind: str) -> str:
    return gettext(_WHAT[kind]) if kind in _WHAT else kind


def _details(s: Session, entries: list[LedgerEntry]) -> dict[int, str]:
    """What a scan or a reward was, by entry id: the scanned product's name
    (``LedgerEntry.scanned_gtin``) and the reward's name (a redemption is a captured
    hold's entry, the hold is for a checkout, whose applied rewards name the hold)."""
    gtins = {e.id: e.scanned_gtin for e in entries if e.kind == SCAN}
    named = select(Product.id, Product.gtin, Product.name).where(
        Product.gtin.in_(set(gtins.values())))
    rows = s.execute(named).all()
    product_names = localized.names(s, localized.PRODUCT, {row.id: row.name for row in rows})
    products = {row.gtin: product_names[row.id] for row in rows}
    details = {entry_id: products[gtin] for entry_id, gtin in gtins.items() if gtin in products}
    redemptions = {e.id for e in entries if e.kind == REDEMPTION}
    if redemptions:
        redeemed = s.execute(select(Hold.entry_id, Hold.id, Checkout.applied)
                             .join(Checkout, Checkout.id == Hold.checkout_id)
                             .where(Hold.entry_id.in_(redemptions))).all()
        applied_rewards = [a for _, _, rewards in redeemed for a in rewards]
        reward_names = offers.reward_names(s, (a["reward"] for a in applied_rewards))
        names = {a.get("hold_id"): reward_names.get(a["reward"], a.get("name"))
                 for a in applied_rewards}
        details.update({entry_id: names[hold_id] for entry_id, hold_id, _ in redeemed
                        if names.get(hold_id)})
    details.update({e.id: e.reason for e in entries if e.kind == ADJUSTMENT and e.reason})
    return details


def entry_views(s: Session, entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    """Ledger entries as the shopper reads them: what happened and where, besides the
    raw fields ("Reward: 1.00 off" at "Berlin Mitte", not "redemption -50")."""
    details = _details(s, entries)
    store_ids = {e.store_id for e in entries if e.store_id is not None}
    named = select(Store.id, Store.name).where(Store.id.in_(store_ids))
    stores = {store_id: name for store_id, name in s.execute(named)}
    return [{
        "id": e.id, "program": e.program.code, "kind": e.kind,
        "amount": e.amount, "reference": e.reference, "store_id": e.store_id,
        "reason": e.reason, "created_at": e.created_at.isoformat(),
        "what": f"{_what(e.kind)}: {details[e.id]}" if e.id in details
        else _what(e.kind),
        "where": stores.get(e.store_id) if e.store_id is not None else None,
    } for e in entries]
