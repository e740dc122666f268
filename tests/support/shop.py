"""A shop ready for checkouts, for tests and the checkout benchmark: catalog and earn
rules of both programs (made through the admin endpoints), a shopper with points in
both, and two registers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from rewards_api import db
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import Account, LedgerEntry, Program
from rewards_api.shoppers.models import Shopper
from rewards_api.shoppers.services import checkout_totp
from tests.support.world import staff_key

COFFEE, BREAD, CHOCOLATE = "4006381333931", "4000000000013", "4000000000020"
BASKET = {"currency": "EUR", "lines": [
    {"gtin": COFFEE, "quantity": 2, "unit_price_minor": 350, "description": "Coffee"},
    {"gtin": BREAD, "quantity": 1, "unit_price_minor": 280, "description": "Bread"},
    {"gtin": CHOCOLATE, "quantity": 3, "unit_price_minor": 199, "description": "Chocolate"},
]}
BASKET_TOTAL = 700 + 280 + 597

CATALOG = [
    {"program": "corner-points", "code": "5-off", "name": "5.00 off", "kind": "amount_off",
     "points_cost": 400, "amount_off_minor": 500, "min_basket_minor": 1000},
    {"program": "corner-points", "code": "10-percent", "name": "10% off (max 3.00)",
     "kind": "percent_off", "points_cost": 200, "percent_off": 10, "cap_minor": 300},
    {"program": "partner-plus", "code": "free-coffee", "name": "Free coffee",
     "kind": "free_product", "points_cost": 250, "product_gtin": COFFEE},
    {"program": "partner-plus", "code": "chocolate-1-off", "name": "1.00 off chocolate",
     "kind": "amount_off", "points_cost": 100, "amount_off_minor": 100,
     "eligible_gtins": [CHOCOLATE]},
]
EARN_RULES = [
    {"program": "corner-points", "points_per_unit": 1},
    {"program": "corner-points", "gtin": COFFEE, "multiplier": 2},
    {"program": "partner-plus", "points_per_unit": 2},
]


@dataclass
class Shop:
    app: Any
    api: Any
    world: Any
    shopper: dict[str, Any]
    registers: list[str]

    def code(self, at: float | None = None) -> str:
        totp = checkout_totp(self.shopper["checkout_secret"])
        return f"RWD1:{self.shopper['public_id']}:{totp.at(at) if at else totp.now()}"

    def open(self, register: int = 0, **body: Any) -> Any:
        payload = {"code": self.code(), "basket": BASKET, "cashier": "Anna"}
        payload.update(body)
        payload = {k: v for k, v in payload.items() if v is not None}
        return self.api.post("/v1/pos/checkouts", auth=self.registers[register], json=payload)

    def post(self, path: str, register: int = 0, **kwargs: Any) -> Any:
        kwargs.setdefault("json", {})
        return self.api.post(path, auth=self.registers[register], **kwargs)

    def commit(self, checkout_id: int, register: int = 0, **kwargs: Any) -> Any:
        """Tender after the cashier asked the shopper and they agreed to the rewards
        applied now (the cashier's confirmation)."""
        return self.post(f"/v1/pos/checkouts/{checkout_id}/commit", register,
                         json={"shopper_agreed": self.agreed(checkout_id, register)}, **kwargs)

    def agreed(self, checkout_id: int, register: int = 0) -> list[str]:
        """The rewards applied to the checkout now: what the shopper agrees to."""
        view = self.api.get(f"/v1/pos/checkouts/{checkout_id}",
                            auth=self.registers[register]).get_json()
        return [a["reward"] for a in view["applied"]]

    def accounts(self) -> dict[str, Account]:
        """Fresh account rows by program code, checked against the ledger sums."""
        with self.app.app_context():
            s = db.session()
            shopper = s.scalars(select(Shopper).where(
                Shopper.public_id == self.shopper["public_id"])).one()
            rows = s.scalars(select(Account).where(Account.shopper_id == shopper.id)).all()
            for account in rows:
                assert account.balance == ledger.ledger_sum(s, account.id)
                assert account.held == ledger.held_sum(s, account.id)
            return {a.program.code: a for a in rows}

    def entries(self, kind: str | None = None) -> list[LedgerEntry]:
        with self.app.app_context():
            query = select(LedgerEntry).order_by(LedgerEntry.id)
            if kind:
                query = query.where(LedgerEntry.kind == kind)
            return list(db.session().scalars(query))


def grant(app: Any, public_id: str, program: str, points: int) -> None:
    with app.app_context():
        s = db.session()
        shopper = s.scalars(select(Shopper).where(Shopper.public_id == public_id)).one()
        prog = s.scalars(select(Program).where(Program.code == program)).one()
        from rewards_api.shoppers.services import account_for

        ledger.adjust(s, account_for(s, shopper, prog), points, reason="test grant",
                      actor="staff:0")
        s.commit()


def build_shop(app: Any, api: Any, world: Any, *, store_points: int = 1000,
               partner_points: int = 600) -> Shop:
    for reward in CATALOG:  # the programs' catalogs are head office's (and chain admins')
        response = api.post("/v1/admin/rewards", auth=world.keys["admin"], json=reward)
        assert response.status_code == 201, response.get_json()
    for rule in EARN_RULES:
        response = api.post("/v1/admin/earn-rules", auth=world.keys["admin"], json=rule)
        assert response.status_code == 200, response.get_json()
    shopper = api.register("Rosa", phone="+4915112345678")
    linked = api.post("/v1/me/memberships", auth=shopper["token"],
                      json={"program": "corner-points", "membership_number": "CM-1001"})
    assert linked.status_code == 200
    grant(app, shopper["public_id"], "corner-points", store_points)
    grant(app, shopper["public_id"], "partner-plus", partner_points)
    with app.app_context():
        second = staff_key("cashier", world.store_ids[0], "Register 2")
        db.session().commit()
    return Shop(app, api, world, shopper, [world.keys["cashier"], second])
