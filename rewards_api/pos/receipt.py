"""The receipt of a committed checkout: per program the rewards redeemed, the points
earned and the new balance, and the money totals. Kept on the checkout as JSON."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from flask_babel import gettext

from rewards_api.ledger.models import Program
from rewards_api.pos.models import Checkout
from rewards_api.pos.values import applied_of, basket_of
from rewards_api.pos.wallet import Wallet


@dataclass(frozen=True)
class ReceiptLine:
    program: str
    kind: Literal["redeemed", "earned", "balance"]
    text: str
    points: int
    amount_minor: int


@dataclass(frozen=True)
class Receipt:
    checkout_id: int
    training: bool
    lines: list[ReceiptLine]
    total_minor: int
    discount_minor: int
    to_pay_minor: int

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def receipt_of(checkout: Checkout, programs: Sequence[Program], earned: dict[str, int],
               wallet: Wallet) -> Receipt:
    """The receipt of ``checkout`` just committed: ``earned`` by program code, the new
    balances from its ``wallet``."""
    applied = applied_of(checkout)
    lines: list[ReceiptLine] = []
    for program in programs:
        lines.extend(ReceiptLine(program.code, "redeemed", f"{program.name}: {a.name}",
                                 -a.points, -a.discount_minor)
                     for a in applied if a.program == program.code)
        lines.append(ReceiptLine(program.code, "earned", gettext("%(program)s: points earned", program=program.name),
                                 earned[program.code], 0))
        lines.append(ReceiptLine(program.code, "balance", gettext("%(program)s: new balance", program=program.name),
                                 wallet.balance_after_commit(program), 0))
    gross = sum(line.total_minor for line in basket_of(checkout))
    discount = sum(a.discount_minor for a in applied)
    return Receipt(checkout.id, checkout.training, lines, gross, discount, gross - discount)
