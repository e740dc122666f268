"""A manager's correction of a shopper's points, as the back office makes it: one
ledger entry (``ledger.services.adjust``, the only code that moves points) and one audit
entry in the same transaction, with the balance before and after."""

from __future__ import annotations

from sqlalchemy.orm import Session

from rewards_api.audit import services as audit
from rewards_api.audit.services import Actor
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import LedgerEntry, Program
from rewards_api.shoppers.models import Shopper
from rewards_api.shoppers.services import account_for


def adjust(s: Session, actor: Actor, shopper: Shopper, program: Program, amount: int, *,
           reason: str, store_id: int | None, chain_id: int | None) -> tuple[LedgerEntry, int]:
    """Add (or, negative, take) ``amount`` points of ``program`` to ``shopper``; the
    reason is stored on the entry and in the audit trail. The entry and the balance."""
    account = account_for(s, shopper, program)
    before = {"balance": account.balance}
    entry = ledger.adjust(s, account, amount, reason=reason, actor=actor.name,
                          store_id=store_id)
    audit.record(s, actor, audit.ADJUST, "points", f"{program.code}:{shopper.public_id}",
                 store_id=store_id, chain_id=chain_id, program_id=program.id, before=before,
                 after={"balance": account.balance, "amount": entry.amount,
                        "reason": entry.reason, "entry_id": entry.id})
    return entry, account.balance
