"""The receipt of a committed checkout: per program the rewards redeemed, the points
earned and the new balance, and the money totals.

Kept on the checkout as data (codes, points, amounts, the rewards' refs), never as
sentences: ``rendered`` writes its lines when it is read, in the reader's language
(a Lisbon cashier and a Berlin shopper read the same sale each in their own). The
commit's answer, rendered then, is what an idempotent retry of it replays
(rewards_api.idempotency). Receipts of sales committed before receipts were kept as
data carry their lines' ``text`` as written then, and are shown as they are.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from flask_babel import gettext
from sqlalchemy.orm import Session

from rewards_api.ledger.models import Program
from rewards_api.pos import offers
from rewards_api.pos.models import Checkout
from rewards_api.pos.values import applied_of, basket_of
from rewards_api.pos.wallet import Wallet

REDEEMED: Final = "redeemed"
EARNED: Final = "earned"
BALANCE: Final = "balance"


@dataclass(frozen=True)
class ReceiptLine:
    program: str  # the program's code
    kind: Literal["redeemed", "earned", "balance"]
    points: int
    amount_minor: int
    # A redeemed line's reward (its ref) and its name when sold, read if the reward is
    # not in the catalog (a practice sale's offers).
    reward: str | None = None
    name: str | None = None


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
        lines.extend(ReceiptLine(program.code, REDEEMED, -a.points, -a.discount_minor,
                                 reward=a.reward, name=a.name)
                     for a in applied if a.program == program.code)
        lines.append(ReceiptLine(program.code, EARNED, earned[program.code], 0))
        lines.append(ReceiptLine(program.code, BALANCE, wallet.balance_after_commit(program), 0))
    gross = sum(line.total_minor for line in basket_of(checkout))
    discount = sum(a.discount_minor for a in applied)
    return Receipt(checkout.id, checkout.training, lines, gross, discount, gross - discount)


def rendered(s: Session, checkout: Checkout) -> dict[str, Any] | None:
    """The checkout's receipt with each line's ``text`` in the reader's language."""
    stored = checkout.receipt
    if stored is None:
        return None
    programs = {p.code: p.name for p in offers.checkout_programs(s, checkout.store)}
    rewards = offers.reward_names(s, (line["reward"] for line in stored["lines"]
                                      if line.get("reward")))
    return {**stored, "lines": [{**line, "text": _text(line, programs, rewards)}
                                for line in stored["lines"]]}


def _text(line: Mapping[str, Any], programs: Mapping[str, str],
          rewards: Mapping[str, str]) -> str:
    if "text" in line:  # written when sold, before receipts were kept as data
        return str(line["text"])
    program = programs.get(line["program"], line["program"])
    if line["kind"] == REDEEMED:
        return gettext("%(program)s: %(reward)s", program=program,
                       reward=rewards.get(line["reward"], line["name"]))
    if line["kind"] == EARNED:
        return gettext("%(program)s: points earned", program=program)
    return gettext("%(program)s: new balance", program=program)
