"""The demo chain: what ``make demo`` puts into an empty database.

Keys and the demo shopper's secrets are written to ``var/demo.json`` (the demo is a
development setup; production keys are made with ``rewards-api staff create``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from rewards_api import db
from rewards_api.auth import digest, new_staff_key
from rewards_api.ledger.models import PARTNER_PROGRAM, STORE_PROGRAM, Program
from rewards_api.shoppers import services as shoppers
from rewards_api.staff.models import StaffKey
from rewards_api.stores.models import Chain, Store

DEMO_FILE = Path("var/demo.json")


def seed(path: Path = DEMO_FILE) -> str:
    s = db.session()
    if s.scalars(select(Chain).where(Chain.code == "demo")).first() is not None:
        return f"demo chain already there; keys in {path}"
    chain = Chain(code="demo", name="Corner Market")
    s.add(chain)
    s.flush()
    store = Store(code="corner-1", chain_id=chain.id, name="Corner Market Main Street",
                  timezone="Europe/Berlin", latitude=52.5200, longitude=13.4050)
    s.add_all([
        store,
        Program(code="corner-points", name="Corner Points", kind=STORE_PROGRAM,
                chain_id=chain.id, point_value_minor=1),
        Program(code="partner-plus", name="Partner Plus", kind=PARTNER_PROGRAM,
                point_value_minor=1),
    ])
    s.flush()
    keys: dict[str, Any] = {}
    for role, label in [("cashier", "Register 1"), ("manager", "Store manager"),
                        ("admin", "Head office")]:
        key = new_staff_key()
        s.add(StaffKey(role=role, store_id=None if role == "admin" else store.id, label=label,
                       key_hash=digest(key)))
        keys[role] = key
    shopper, token = shoppers.register(s, "Alex Demo", "+4915100000001",
                                       dt.timedelta(days=365))
    s.commit()
    info = {"store": store.code, "staff_keys": keys,
            "shopper": {"public_id": shopper.public_id, "token": token,
                        "checkout_secret": shopper.checkout_secret}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2))
    path.chmod(0o600)
    return f"demo chain seeded; keys in {path}"
