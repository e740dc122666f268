"""Builds a small chain directly through the models, for tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from rewards_api import db
from rewards_api.ledger.models import PARTNER_PROGRAM, STORE_PROGRAM, Program
from rewards_api.staff.services import issue_key
from rewards_api.stores.models import Chain, Store


@dataclass
class World:
    chain_id: int
    store_ids: list[int]
    store_program: str = "corner-points"
    partner_program: str = "partner-plus"
    keys: dict[str, str] = field(default_factory=dict)


def staff_key(role: str, store_id: int | None, label: str, chain_id: int | None = None) -> str:
    return issue_key(db.session(), role, store_id, label, chain_id=chain_id)


def build_world() -> World:
    s = db.session()
    chain = Chain(code="corner", name="Corner Market")
    s.add(chain)
    s.flush()
    berlin = Store(code="berlin-1", chain_id=chain.id, name="Berlin Mitte",
                   timezone="Europe/Berlin", latitude=52.52, longitude=13.405)
    munich = Store(code="munich-1", chain_id=chain.id, name="Munich Center",
                   timezone="Europe/Berlin", latitude=48.137, longitude=11.575)
    s.add_all([berlin, munich,
               Program(code="corner-points", name="Corner Points", kind=STORE_PROGRAM,
                       chain_id=chain.id),
               Program(code="partner-plus", name="Partner Plus", kind=PARTNER_PROGRAM)])
    s.flush()
    world = World(chain_id=chain.id, store_ids=[berlin.id, munich.id])
    world.keys = {
        "cashier": staff_key("cashier", berlin.id, "Register 1"),
        "manager": staff_key("manager", berlin.id, "Berlin manager"),
        "other_manager": staff_key("manager", munich.id, "Munich manager"),
        "admin": staff_key("admin", None, "Head office"),
    }
    return world


@dataclass
class OtherChain:
    """A second chain beside the world's: one store, its own program, its staff keys and
    an admin key of the world's own chain (a chain admin, not head office)."""

    chain_id: int
    store_id: int
    program: str = "fresh-points"
    keys: dict[str, str] = field(default_factory=dict)


def build_other_chain(world: World) -> OtherChain:
    s = db.session()
    chain = Chain(code="fresh", name="Fresh Foods")
    s.add(chain)
    s.flush()
    store = Store(code="lisbon-1", chain_id=chain.id, name="Lisbon Baixa", timezone="Europe/Lisbon",
                  latitude=38.71, longitude=-9.14)
    s.add_all([store, Program(code="fresh-points", name="Fresh Points", kind=STORE_PROGRAM,
                              chain_id=chain.id)])
    s.flush()
    other = OtherChain(chain_id=chain.id, store_id=store.id)
    other.keys = {
        "cashier": staff_key("cashier", store.id, "Lisbon register"),
        "manager": staff_key("manager", store.id, "Lisbon manager"),
        "admin": staff_key("admin", None, "Fresh Foods office", chain_id=chain.id),
    }
    world.keys["chain_admin"] = staff_key("admin", None, "Corner office", chain_id=world.chain_id)
    return other
