"""Imports every model module so that ``Base.metadata`` knows every table
(Alembic and the schema check need the whole picture)."""

from rewards_api.idempotency import IdempotencyRecord
from rewards_api.ledger.models import Account, Hold, LedgerEntry, Program
from rewards_api.pos.models import (
    Checkout,
    CheckoutCodeUse,
    CheckoutReturn,
    EarnRule,
    Reward,
    SettlementRecord,
)
from rewards_api.shoppers.models import Shopper, ShopperToken
from rewards_api.staff.models import StaffKey
from rewards_api.stores.models import Chain, Store
from rewards_api.visits.models import Visit

__all__ = ["Account", "Chain", "Checkout", "CheckoutCodeUse", "CheckoutReturn", "EarnRule",
           "Hold", "IdempotencyRecord", "LedgerEntry", "Program", "Reward", "SettlementRecord",
           "Shopper", "ShopperToken", "StaffKey", "Store", "Visit"]
