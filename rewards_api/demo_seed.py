"""The demo chain: what ``make demo`` puts into an empty database.

Corner Market with two stores in two time zones, its own program and the partner
network's, walk-in rules and scan campaigns of both, products on aisles, a rewards
catalog and earn rules in both programs, staff keys (a cashier key per register, a
manager per store, head office), one provisioned beacon agent per store and a demo
shopper with points. Everything goes through the same services the API and the
back-office commands use.

Keys, agent secrets and the demo shopper's secrets are written to ``var/demo.json``
(mode 0600; the demo is a development set-up: production keys come from
``rewards-api staff create`` and ``rewards-api agents provision``). Seeding again
reuses what is there.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select

from rewards_api import clock, db
from rewards_api.agents import services as agents
from rewards_api.audit.services import Actor
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import PARTNER_PROGRAM, STORE_PROGRAM
from rewards_api.pos import catalog
from rewards_api.products.services import import_assortment, product_by_gtin
from rewards_api.scans import campaigns
from rewards_api.shoppers import services as shoppers
from rewards_api.staff.services import issue_key
from rewards_api.stores import services as stores_service
from rewards_api.stores.models import Chain, Store
from rewards_api.walkins import rules

DEMO_FILE = Path("var/demo.json")
CHAIN = "corner"
STORE_PROGRAM_CODE, PARTNER_PROGRAM_CODE = "corner-points", "partner-plus"
STORES = [  # code, name, time zone, latitude, longitude, language (rewards_api.i18n)
    ("berlin-1", "Corner Market Berlin Mitte", "Europe/Berlin", 52.5200, 13.4050, "de"),
    ("lisbon-1", "Corner Market Lisboa Baixa", "Europe/Lisbon", 38.7107, -9.1365, "pt"),
]
REGISTERS = ("Register 1", "Register 2")
# gtin, name, aisle, name in German, name in Portuguese. Coffee and gum pay in the
# chain's own campaign, cola in the brand's (partner) campaign; bread pays only at the till.
COFFEE, GUM, COLA, BREAD = "04006381333931", "00000096385074", "00036000291452", "04000000000013"
PRODUCTS = [
    (COFFEE, "Morning Coffee 500 g", "Aisle 3, top shelf", "Morgenkaffee 500 g",
     "Café da manhã 500 g"),
    (GUM, "Mint Gum", "At the registers", "Minzkaugummi", "Pastilha elástica de menta"),
    (COLA, "Cola Classic 1 l", "Aisle 7, drinks", "Cola Classic 1 l", "Cola Clássica 1 l"),
    (BREAD, "Farmhouse Bread", "Bakery", "Bauernbrot", "Pão rústico"),
]
WALK_IN_POINTS = {STORE_PROGRAM_CODE: 20, PARTNER_PROGRAM_CODE: 10}
CATALOG = [
    (STORE_PROGRAM_CODE, {"code": "1-off", "name": "1.00 off your shop", "kind": "amount_off",
                          "names": {"de": "1,00 € Rabatt auf den Einkauf",
                                    "pt": "1,00 € de desconto nas compras"},
                          "points_cost": 50, "amount_off_minor": 100}),
    (STORE_PROGRAM_CODE, {"code": "10-percent", "name": "10% off (max 3.00)",
                          "names": {"de": "10 % Rabatt (höchstens 3,00 €)",
                                    "pt": "10 % de desconto (máx. 3,00 €)"},
                          "kind": "percent_off", "points_cost": 200, "percent_off": 10,
                          "cap_minor": 300}),
    (PARTNER_PROGRAM_CODE, {"code": "cola-50c", "name": "0.50 off cola", "kind": "amount_off",
                            "names": {"de": "0,50 € Rabatt auf Cola",
                                      "pt": "0,50 € de desconto na cola"},
                            "points_cost": 30, "amount_off_minor": 50,
                            "eligible_gtins": [COLA]}),
    (PARTNER_PROGRAM_CODE, {"code": "free-coffee", "name": "Free coffee",
                            "names": {"de": "Kaffee gratis", "pt": "Café grátis"},
                            "kind": "free_product", "points_cost": 250, "product_gtin": COFFEE}),
]
DEMO_SHOPPER_POINTS = {STORE_PROGRAM_CODE: 300, PARTNER_PROGRAM_CODE: 200}


def seed(path: Path = DEMO_FILE) -> str:
    """Seed an empty database and write ``path``; with the demo chain already there,
    leave both as they are."""
    s = db.session()
    if s.scalars(select(Chain).where(Chain.code == CHAIN)).first() is not None:
        if not path.exists():
            raise RuntimeError(f"the demo chain is in the database but {path} is missing; "
                               "delete the database (or the whole var directory) to start over")
        return f"demo chain already there; keys in {path}"
    info = _build(s)
    s.commit()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(info, out, indent=2)
    return f"demo chain seeded; keys in {path}"


def _staff_key(s: Any, by: Actor, role: str, store: Store | None, label: str) -> str:
    return issue_key(s, by, role, label, store=store)[1]


def _build(s: Any) -> dict[str, Any]:
    now = clock.now()
    by = Actor("seed", now)
    chain = stores_service.create_chain(s, by, code=CHAIN, name="Corner Market",
                                         default_language="en")
    stores = [stores_service.create_store(s, by, chain, code=code, name=name, timezone=zone,
                                          latitude=lat, longitude=lon, language=language)
              for code, name, zone, lat, lon, language in STORES]
    own = stores_service.create_program(s, by, code=STORE_PROGRAM_CODE, name="Corner Points",
                                        kind=STORE_PROGRAM, chain=chain, point_value_minor=1)
    partner = stores_service.create_program(s, by, code=PARTNER_PROGRAM_CODE,
                                            name="Partner Plus", kind=PARTNER_PROGRAM,
                                            chain=None, point_value_minor=1)
    programs = {own.code: own, partner.code: partner}
    assortment = io.StringIO()
    csv.writer(assortment).writerows([("gtin", "name", "aisle", "name_de", "name_pt"), *PRODUCTS])

    info: dict[str, Any] = {"chain": CHAIN, "stores": {}}
    for store in stores:
        # From yesterday (store-local): a demo clock running fast starts in the future.
        first_day = store.local_date(now) - dt.timedelta(days=1)
        for code, points in WALK_IN_POINTS.items():
            rules.create_rule(s, by, program=programs[code], store=store, points=points,
                              starts_on=first_day)
        import_assortment(s, by, store, assortment.getvalue().splitlines(keepends=True))
        agent, secret = agents.provision(s, by, store.id, "Front door")
        info["stores"][store.code] = {
            "id": store.id, "name": store.name, "timezone": store.timezone,
            "agent": {"agent_id": str(agent.id), "secret": secret},
            "registers": {label: _staff_key(s, by, "cashier", store, f"{store.code} {label}")
                          for label in REGISTERS},
            "manager_key": _staff_key(s, by, "manager", store, f"{store.code} manager"),
        }
    info["admin_key"] = _staff_key(s, by, "admin", None, "Head office")

    product = {gtin: found for gtin, *_ in PRODUCTS
               if (found := product_by_gtin(s, gtin)) is not None}
    starts_at, ends_at = now - dt.timedelta(days=1), now + dt.timedelta(days=365)
    campaigns.create_campaign(s, by, code="coffee-week", name="Coffee week", program=own,
                              names={"de": "Kaffeewoche", "pt": "Semana do café"},
                              points=40, products=[product[COFFEE], product[GUM]],
                              stores=stores, chain=None, starts_at=starts_at, ends_at=ends_at)
    campaigns.create_campaign(s, by, code="cola-brand", name="Cola brand days",
                              names={"de": "Cola-Markentage", "pt": "Dias da marca Cola"},
                              program=partner, points=30, products=[product[COLA]], stores=[],
                              chain=chain, starts_at=starts_at, ends_at=ends_at)
    for code, fields in CATALOG:
        catalog.create_reward(s, by, programs[code], fields)
    catalog.set_earn_rule(s, by, own, gtin=None, points_per_unit=1, multiplier=1)
    catalog.set_earn_rule(s, by, own, gtin=COFFEE, points_per_unit=0, multiplier=2)
    catalog.set_earn_rule(s, by, partner, gtin=None, points_per_unit=2, multiplier=1)

    shopper, token = shoppers.register(s, "Alex Demo", "+4915100000001", dt.timedelta(days=365))
    for code, points in DEMO_SHOPPER_POINTS.items():
        ledger.adjust(s, shoppers.account_for(s, shopper, programs[code]), points,
                      reason="demo: welcome points", actor="demo-seed")
    info["shopper"] = {"display_name": shopper.display_name, "public_id": shopper.public_id,
                       "token": token, "checkout_secret": shopper.checkout_secret}
    return info
