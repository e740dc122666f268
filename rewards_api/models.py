"""Imports every model module so that ``Base.metadata`` knows every table
(Alembic and the schema check need the whole picture)."""

from rewards_api.agents.models import Agent, AgentNonce
from rewards_api.idempotency import IdempotencyRecord
from rewards_api.ledger.models import Account, Hold, LedgerEntry, Program
from rewards_api.products.models import Product, StoreProduct
from rewards_api.scans.models import (
    ScanCampaign,
    ScanCampaignProduct,
    ScanCampaignStore,
    ScanRateWindow,
)
from rewards_api.shoppers.models import Shopper, ShopperToken
from rewards_api.staff.models import StaffKey
from rewards_api.stores.models import Chain, Store
from rewards_api.visits.models import Visit
from rewards_api.walkins.models import Sighting, WalkInRule

__all__ = ["Account", "Agent", "AgentNonce", "Chain", "Hold", "IdempotencyRecord",
           "LedgerEntry", "Product", "Program", "ScanCampaign", "ScanCampaignProduct",
           "ScanCampaignStore", "ScanRateWindow", "Shopper", "ShopperToken", "Sighting",
           "StaffKey", "Store", "StoreProduct", "Visit", "WalkInRule"]
