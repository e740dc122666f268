"""Typed answers of the POS endpoints (built from the API's JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RewardOffer:
    reward: str  # "<program>:<reward code>"
    name: str
    kind: str
    points: int
    value_minor: int
    eligible: bool
    why_not: str | None


@dataclass(frozen=True)
class ProgramView:
    program: str
    name: str
    kind: str  # "store" or "partner"
    balance: int
    available: int
    earn_preview: int
    rewards: tuple[RewardOffer, ...]


@dataclass(frozen=True)
class AppliedReward:
    reward: str
    program: str
    name: str
    points: int
    discount_minor: int


@dataclass(frozen=True)
class ReceiptLine:
    program: str
    kind: str  # "redeemed", "earned" or "balance"
    text: str
    points: int
    amount_minor: int


@dataclass(frozen=True)
class Receipt:
    checkout_id: int
    training: bool
    lines: tuple[ReceiptLine, ...]
    total_minor: int
    discount_minor: int
    to_pay_minor: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Receipt:
        return cls(data["checkout_id"], data["training"],
                   tuple(ReceiptLine(**line) for line in data["lines"]),
                   data["total_minor"], data["discount_minor"], data["to_pay_minor"])


@dataclass(frozen=True)
class CheckoutView:
    """A checkout as the cashier sees it: both programs, suggestion, applied, totals."""

    id: int
    status: str
    training: bool
    shopper_name: str
    identified_by: str
    currency: str
    programs: tuple[ProgramView, ...]
    suggested: tuple[str, ...]
    suggested_value_minor: int
    applied: tuple[AppliedReward, ...]
    consent: str | None  # None without rewards; "pending", "phone", "cashier", "declined"
    to_pay_minor: int
    discount_minor: int
    holds_expire_at: str | None
    receipt: Receipt | None
    raw: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckoutView:
        programs = tuple(
            ProgramView(p["program"], p["name"], p["kind"], p["balance"], p["available"],
                        p["earn_preview"], tuple(RewardOffer(**r) for r in p["rewards"]))
            for p in data["programs"])
        return cls(
            id=data["id"], status=data["status"], training=data["training"],
            shopper_name=data["shopper"]["display_name"], identified_by=data["identified_by"],
            currency=data["currency"], programs=programs, suggested=tuple(data["suggested"]),
            suggested_value_minor=data["suggested_value_minor"],
            applied=tuple(AppliedReward(**a) for a in data["applied"]),
            consent=data["consent"],
            to_pay_minor=data["totals"]["to_pay_minor"],
            discount_minor=data["totals"]["discount_minor"],
            holds_expire_at=data["holds_expire_at"],
            receipt=Receipt.from_json(data["receipt"]) if data["receipt"] else None, raw=data)


@dataclass(frozen=True)
class ReturnResult:
    id: int
    checkout_id: int
    points: dict[str, dict[str, int]]  # program -> {"clawed_back", "shortfall"}
    refund_minor: int
