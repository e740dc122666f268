"""Builds a small chain for tests through the back office's services (as
``rewards-api`` and ``/v1/admin`` do), audited as done by ``SETUP``."""

from __future__ import annotations

from dataclasses import dataclass, field

from rewards_api import clock, db
from rewards_api.audit.services import Actor
from rewards_api.ledger.models import PARTNER_PROGRAM, STORE_PROGRAM
from rewards_api.staff.services import issue_key
from rewards_api.stores import services as stores
from rewards_api.stores.models import Chain, Store

SETUP = "seed:tests"


def setup_actor() -> Actor:
    """Who builds a test's world: the trail's entries of set-up are told apart by it."""
    return Actor(SETUP, clock.now())


@dataclass
class World:
    chain_id: int
    store_ids: list[int]
    store_program: str = "corner-points"
    partner_program: str = "partner-plus"
    keys: dict[str, str] = field(default_factory=dict)


def staff_key(role: str, store_id: int | None, label: str, chain_id: int | None = None) -> str:
    s = db.session()
    return issue_key(s, setup_actor(), role, label,
                     store=s.get_one(Store, store_id) if store_id else None,
                     chain=s.get_one(Chain, chain_id) if chain_id else None)[1]


def build_world() -> World:
    s, by = db.session(), setup_actor()
    chain = stores.create_chain(s, by, code="corner", name="Corner Market")
    berlin = stores.create_store(s, by, chain, code="berlin-1", name="Berlin Mitte",
                                 timezone="Europe/Berlin", latitude=52.52, longitude=13.405)
    munich = stores.create_store(s, by, chain, code="munich-1", name="Munich Center",
                                 timezone="Europe/Berlin", latitude=48.137, longitude=11.575)
    stores.create_program(s, by, code="corner-points", name="Corner Points",
                          kind=STORE_PROGRAM, chain=chain)
    stores.create_program(s, by, code="partner-plus", name="Partner Plus",
                          kind=PARTNER_PROGRAM, chain=None)
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
    s, by = db.session(), setup_actor()
    chain = stores.create_chain(s, by, code="fresh", name="Fresh Foods")
    store = stores.create_store(s, by, chain, code="lisbon-1", name="Lisbon Baixa",
                                timezone="Europe/Lisbon", latitude=38.71, longitude=-9.14)
    stores.create_program(s, by, code="fresh-points", name="Fresh Points", kind=STORE_PROGRAM,
                          chain=chain)
    other = OtherChain(chain_id=chain.id, store_id=store.id)
    other.keys = {
        "cashier": staff_key("cashier", store.id, "Lisbon register"),
        "manager": staff_key("manager", store.id, "Lisbon manager"),
        "admin": staff_key("admin", None, "Fresh Foods office", chain_id=chain.id),
    }
    world.keys["chain_admin"] = staff_key("admin", None, "Corner office", chain_id=world.chain_id)
    return other
