"""The basket lines and applied rewards of a checkout, as typed values.

A checkout keeps both as JSON (``Checkout.basket``, ``Checkout.applied``); the flow
reads them with ``basket_of``/``applied_of`` and writes them back with
``set_basket``/``set_applied``, so no code reads a string key of a stored dict.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rewards_api.pos import pricing
from rewards_api.pos.models import Checkout


@dataclass(frozen=True)
class BasketLine(pricing.Line):
    """A line of the basket as rung up, with its share of the rewards' discount and,
    once committed, the points it earned in each program (by program code; kept for
    the pro-rata clawback of returns)."""

    description: str | None = None
    discount_minor: int = 0
    points: Mapping[str, int] | None = None

    @property
    def paid_minor(self) -> int:
        return self.total_minor - self.discount_minor

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BasketLine:
        return cls(gtin=data["gtin"], quantity=data["quantity"],
                   unit_price_minor=data["unit_price_minor"],
                   description=data.get("description"),
                   discount_minor=data.get("discount_minor", 0), points=data.get("points"))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"gtin": self.gtin, "quantity": self.quantity,
                                "unit_price_minor": self.unit_price_minor,
                                "discount_minor": self.discount_minor}
        if self.description is not None:
            data["description"] = self.description
        if self.points is not None:
            data["points"] = dict(self.points)
        return data


@dataclass(frozen=True)
class AppliedReward:
    """A reward applied to a checkout: its ref (``"<program>:<code>"``), the points it
    costs, the money it takes off, and the hold reserving those points (None when
    no ledger is involved: training)."""

    reward: str
    program: str
    name: str
    points: int
    discount_minor: int
    hold_id: int | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AppliedReward:
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls)})

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def basket_of(checkout: Checkout) -> list[BasketLine]:
    return [BasketLine.from_json(line) for line in checkout.basket]


def applied_of(checkout: Checkout) -> list[AppliedReward]:
    return [AppliedReward.from_json(applied) for applied in checkout.applied]


def set_basket(checkout: Checkout, lines: Iterable[BasketLine]) -> None:
    checkout.basket = [line.to_json() for line in lines]


def set_applied(checkout: Checkout, applied: Iterable[AppliedReward]) -> None:
    checkout.applied = [a.to_json() for a in applied]


def points_of(applied: Iterable[AppliedReward], program: str) -> int:
    """The points the applied rewards of ``program`` (a program code) cost."""
    return sum(a.points for a in applied if a.program == program)
