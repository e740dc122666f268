"""A shopper's rights over their data: export everything stored about them, erase what
links it to a person. Sits above every domain that keeps shopper records and lists
them explicitly (nothing registers itself at import time)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rewards_api import clock
from rewards_api.assist.services import export_help_requests
from rewards_api.history import entry_views
from rewards_api.ledger import services as ledger
from rewards_api.pos.screen import export_checkouts
from rewards_api.scans.services import export_refused_scans
from rewards_api.shoppers import services as shoppers
from rewards_api.shoppers.models import Shopper, ShopperToken
from rewards_api.signin.models import Passkey
from rewards_api.visits.services import export_visits


def export(s: Session, shopper: Shopper) -> dict[str, Any]:
    """Everything stored about the shopper, as one JSON document.

    Every domain that keeps records about a shopper has its line in ``EXPORTERS``."""
    data: dict[str, Any] = {
        "shopper": {"public_id": shopper.public_id, "display_name": shopper.display_name,
                    "phone": shopper.phone, "email": shopper.email,
                    "assist_opt_in": shopper.assist_opt_in,
                    "created_at": shopper.created_at.isoformat()},
        "accounts": [shoppers.account_view(a) for a in shopper.accounts],
        "ledger": entry_views(s, shoppers.history(s, shopper, program=None, before=None,
                                         limit=1_000_000)),
    }
    for name, exporter in EXPORTERS.items():
        data[name] = exporter(s, shopper)
    return data


EXPORTERS: dict[str, Callable[[Session, Shopper], Any]] = {
    "visits": export_visits, "help_requests": export_help_requests,
    "refused_scans": export_refused_scans, "checkouts": export_checkouts}


def erase(s: Session, shopper: Shopper) -> None:
    """Anonymise the shopper. Ledger entries stay (balances and reports stay
    consistent); nothing left links them to a person: name, phone, membership numbers,
    e-mail, the checkout secret and the presence reference are replaced, tokens revoked,
    passkeys deleted."""
    now = clock.now()
    shopper.display_name = "erased"
    shopper.phone = None
    shopper.email = None
    shopper.assist_opt_in = False
    shopper.checkout_secret = base64.b32encode(secrets.token_bytes(20)).decode()
    shopper.shopper_ref = secrets.randbits(63)
    shopper.erased_at = now
    for account in ledger.lock_accounts(s, shoppers=[shopper.id]):
        account.membership_number = None
    s.execute(delete(Passkey).where(Passkey.shopper_id == shopper.id))
    for token in s.scalars(select(ShopperToken).where(ShopperToken.shopper_id == shopper.id,
                                                       ShopperToken.revoked_at.is_(None))):
        token.revoked_at = now
    s.flush()
