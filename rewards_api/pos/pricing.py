"""What rewards are worth on a basket, the best combination, and what a purchase earns.

Pure functions over plain values (no database): money in integer minor units, points
as integers. Rewards are applied in a fixed order (free products, then percent off,
then amount off), each on what the earlier ones left of every line, so a basket is
never discounted below zero and the same combination always prices the same.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rewards_api.pos.models import AMOUNT_OFF, FREE_PRODUCT, PERCENT_OFF

# Combinations are searched exhaustively over the most valuable candidates; 2**8
# subsets keep a suggestion well under a millisecond per hundred while catalogs stay
# small (a register shows a handful of rewards per program, not hundreds).
MAX_CANDIDATES = 8
_ORDER = {FREE_PRODUCT: 0, PERCENT_OFF: 1, AMOUNT_OFF: 2}
MINOR_PER_UNIT = 100  # EUR and the other two-decimal currencies the programs use


@dataclass(frozen=True)
class Line:
    gtin: str
    quantity: int
    unit_price_minor: int

    @property
    def total_minor(self) -> int:
        return self.quantity * self.unit_price_minor


@dataclass(frozen=True)
class Offer:
    """A catalog reward as pricing sees it; ``ref`` is ``"<program>:<reward code>"``."""

    ref: str
    program: str
    name: str
    kind: str
    points: int
    amount_off_minor: int | None = None
    percent_off: int | None = None
    cap_minor: int | None = None
    product_gtin: str | None = None
    min_basket_minor: int = 0
    eligible_gtins: tuple[str, ...] = ()


class NotEligible(Exception):
    """The offer breaks a rule on this basket; ``str()`` says which, for the cashier.
    ``why`` is the English source sentence (``make i18n`` extracts it); its
    ``%(minimum)s`` is ``minimum_minor`` as an amount. The API shows it translated and
    formatted in the caller's language (rewards_api.pos.screen)."""

    def __init__(self, offer: Offer, why: str, minimum_minor: int | None = None) -> None:
        self.offer = offer
        self.why = why
        self.minimum_minor = minimum_minor
        if minimum_minor is not None:
            why = why % {"minimum": f"{minimum_minor / MINOR_PER_UNIT:.2f}"}
        super().__init__(f"{offer.name}: {why}")


@dataclass
class Priced:
    discounts: dict[str, int] = field(default_factory=dict)  # offer ref -> minor units
    line_discounts: list[int] = field(default_factory=list)

    @property
    def total_discount(self) -> int:
        return sum(self.discounts.values())


def spread(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` over ``weights`` pro rata, in whole units, largest remainder
    first; no share exceeds its weight when ``amount <= sum(weights)``."""
    total = sum(weights)
    if total == 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (amount * weights[i]) % total, reverse=True)
    for i in order[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def price(lines: Sequence[Line], offers: Iterable[Offer]) -> Priced:
    """Apply ``offers`` to the basket; raises NotEligible if one breaks a rule or
    would take nothing off."""
    remaining = [line.total_minor for line in lines]
    gross = sum(remaining)
    priced = Priced()
    for offer in sorted(offers, key=lambda o: (_ORDER[o.kind], o.ref)):
        if gross < offer.min_basket_minor:
            raise NotEligible(offer, "needs a basket of at least %(minimum)s",
                              offer.min_basket_minor)
        if offer.kind == FREE_PRODUCT:
            index = next((i for i, line in enumerate(lines)
                          if line.gtin == offer.product_gtin and remaining[i] > 0), None)
            if index is None:
                raise NotEligible(offer, "the free product is not in the basket")
            shares = [0] * len(lines)
            shares[index] = min(lines[index].unit_price_minor, remaining[index])
        else:
            eligible = [not offer.eligible_gtins or line.gtin in offer.eligible_gtins
                        for line in lines]
            if not any(eligible):
                raise NotEligible(offer, "none of its products is in the basket")
            weights = [r if ok else 0 for r, ok in zip(remaining, eligible, strict=True)]
            base = sum(weights)
            if offer.kind == PERCENT_OFF:
                amount = base * (offer.percent_off or 0) // 100
                if offer.cap_minor is not None:
                    amount = min(amount, offer.cap_minor)
            else:
                amount = min(offer.amount_off_minor or 0, base)
            shares = spread(amount, weights)
        if sum(shares) <= 0:
            raise NotEligible(offer, "nothing is left to discount")
        remaining = [r - s for r, s in zip(remaining, shares, strict=True)]
        priced.discounts[offer.ref] = sum(shares)
    priced.line_discounts = [line.total_minor - r for line, r in zip(lines, remaining, strict=True)]
    return priced


def value_alone(lines: Sequence[Line], offer: Offer) -> tuple[int, NotEligible | None]:
    """(discount, None) if the offer works on this basket by itself, else (0, why)."""
    try:
        return price(lines, [offer]).discounts[offer.ref], None
    except NotEligible as exc:
        return 0, exc


def suggest(lines: Sequence[Line], offers: Sequence[Offer], budgets: dict[str, int],
            point_values: dict[str, int]) -> list[Offer]:
    """The combination that is the best value for the shopper's points: the largest
    gain, i.e. money off minus what the points spent are worth at their program's
    point value (``point_values``, minor units per point), so 200 points are not spent
    on 0.80 off when a point is worth a cent. On a tie fewer points, then fewer
    rewards. Only combinations no rule forbids and each program's available points
    cover; empty when no combination gains anything."""
    def gain(discount: int, spent: dict[str, int]) -> int:
        return discount - sum(points * point_values.get(program, 0)
                              for program, points in spent.items())

    candidates = []
    for offer in offers:
        value, why = value_alone(lines, offer)
        if why is None and offer.points <= budgets.get(offer.program, 0):
            candidates.append((gain(value, {offer.program: offer.points}), offer))
    candidates.sort(key=lambda c: (-c[0], c[1].points, c[1].ref))
    pool = [offer for _, offer in candidates[:MAX_CANDIDATES]]
    best: tuple[tuple[int, int, int], list[Offer]] = ((0, 0, 0), [])
    for size in range(1, len(pool) + 1):
        for combo in itertools.combinations(pool, size):
            spent: dict[str, int] = {}
            for offer in combo:
                spent[offer.program] = spent.get(offer.program, 0) + offer.points
            if any(points > budgets.get(program, 0) for program, points in spent.items()):
                continue
            try:
                value = price(lines, combo).total_discount
            except NotEligible:
                continue
            key = (gain(value, spent), -sum(spent.values()), -size)
            if key > best[0]:
                best = (key, list(combo))
    return best[1]


@dataclass(frozen=True)
class EarnRates:
    """A program's earn rules: points per whole currency unit paid, product multipliers."""

    points_per_unit: int
    multipliers: dict[str, int] = field(default_factory=dict)


def earn(lines: Sequence[Line], line_discounts: Sequence[int], rates: EarnRates) -> list[int]:
    """Points each line earns on what the shopper pays for it (after rewards)."""
    return [
        (line.total_minor - discount) * rates.points_per_unit // MINOR_PER_UNIT
        * rates.multipliers.get(line.gtin, 1)
        for line, discount in zip(lines, line_discounts, strict=True)
    ]
