"""A day at the Berlin store, written through the models and services, for the
dashboard and assist tests: visits, walk-in and scan points, a redemption, checkouts
at two registers, a settlement record and two agents (one silent)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select

from rewards_api import db
from rewards_api.agents import services as agents
from rewards_api.ledger import services as ledger
from rewards_api.ledger.models import REDEMPTION, SCAN, WALK_IN
from rewards_api.pos.models import BY_CODE, COMMITTED, VOIDED, Checkout, SettlementRecord
from rewards_api.products.models import Product, StoreProduct
from rewards_api.shoppers import services as shoppers
from rewards_api.staff.models import StaffKey
from rewards_api.stores.services import program_by_code
from rewards_api.visits.models import IMPOSSIBLE_TRAVEL, Visit
from tests.support.world import World, setup_actor, staff_key

BERLIN = ZoneInfo("Europe/Berlin")
# 16:30 in Berlin on a Monday.
NOW = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)
COFFEE = "04006381333931"


def local(hour: int, minute: int = 0, days_ago: int = 0) -> dt.datetime:
    day = NOW.astimezone(BERLIN).date() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour, minute), BERLIN).astimezone(dt.UTC)


@dataclass
class StoreDay:
    shopper_ids: dict[str, int]
    tokens: dict[str, str]
    visit_ids: dict[str, int]


def visit(s, shopper_id: int, store_id: int, start: dt.datetime, minutes: float,
          flag: str | None = None, ended: bool = True) -> Visit:
    """A visit of ``minutes`` from ``start`` (still open: ``ended=False``); flushed."""
    made = Visit(shopper_id=shopper_id, store_id=store_id, started_at=start,
                 last_seen_at=start + dt.timedelta(minutes=minutes),
                 ended_at=start + dt.timedelta(minutes=minutes) if ended else None, flag=flag)
    s.add(made)
    s.flush()
    return made


def app_sales(world: World, shopper_id: int, at: dt.datetime, count: int = 1,
              identified_by: str = BY_CODE) -> None:
    """``count`` committed sales at Berlin's Register 1 to the shopper at ``at``, identified
    by the app's checkout code (or ``identified_by``). Call inside an app context; commits."""
    s = db.session()
    register = s.scalars(select(StaffKey).where(StaffKey.label == "Register 1")).one()
    s.add_all(Checkout(store_id=world.store_ids[0], staff_key_id=register.id, cashier="Ana K.",
                       shopper_id=shopper_id, identified_by=identified_by, status=COMMITTED,
                       currency="EUR", basket=[], applied=[], created_at=at, committed_at=at)
              for _ in range(count))
    s.commit()


def build(world: World) -> StoreDay:
    """Call inside an app context; commits."""
    s = db.session()
    berlin, munich = world.store_ids
    corner = program_by_code(s, world.store_program)
    partner = program_by_code(s, world.partner_program)
    people = {}
    tokens = {}
    for name in ("Ana", "Bo", "Cem", "Dana"):
        shopper, token = shoppers.register(s, name, None, dt.timedelta(days=1))
        people[name], tokens[name] = shopper, token
    coffee = Product(gtin=COFFEE, name="Filter coffee 500 g")
    s.add(coffee)
    s.flush()
    s.add(StoreProduct(store_id=berlin, product_id=coffee.id, aisle="Aisle 4, top shelf"))

    visits = {
        # Today: three walk-ins (09:10 for 20 min, 10:05 for 30 min, 10:40 for 10 min) ...
        "ana": visit(s, people["Ana"].id, berlin, local(9, 10), 20),
        "bo": visit(s, people["Bo"].id, berlin, local(10, 5), 30),
        # ... Cem is still in the store (seen 2 minutes ago, no exit yet) ...
        "cem": visit(s, people["Cem"].id, berlin, NOW - dt.timedelta(minutes=10), 8, ended=False),
        # ... and one flagged by the impossible-travel check, which is no walk-in.
        "dana": visit(s, people["Dana"].id, berlin, local(11, 0), 5, flag=IMPOSSIBLE_TRAVEL),
        # Yesterday at 10:15, and one in Munich today (another store: never counted).
        "ana_yesterday": visit(s, people["Ana"].id, berlin, local(10, 15, days_ago=1), 40),
        "bo_munich": visit(s, people["Bo"].id, munich, local(12, 0), 15),
    }
    for key, name in [("ana", "Ana"), ("bo", "Bo"), ("cem", "Cem"), ("ana_yesterday", "Ana")]:
        stay = visits[key]
        account = shoppers.account_for(s, people[name], corner)
        ledger.credit(s, [ledger.Credit(account.id, corner.id, WALK_IN, 10,
                                        reference=f"visit:{stay.id}", actor="agent:1",
                                        idempotency_key=f"walk-in:{stay.id}", store_id=berlin,
                                        at=stay.started_at + dt.timedelta(seconds=30))])
    # Cem scans the coffee once; it pays in two campaigns (two entries, one scan).
    scanned_at = NOW - dt.timedelta(minutes=5)
    for program, campaign in [(corner, "coffee-week"), (partner, "brand-coffee")]:
        account = shoppers.account_for(s, people["Cem"], program)
        ledger.credit(s, [ledger.Credit(account.id, program.id, SCAN, 25,
                                        reference=f"scan:{campaign}",
                                        actor=f"shopper:{people['Cem'].id}",
                                        idempotency_key=f"scan:{campaign}:cem", store_id=berlin,
                                        at=scanned_at, gtin=COFFEE)])
    account = shoppers.account_for(s, people["Ana"], corner)
    ledger.debit(s, ledger.Debit(account.id, corner.id, REDEMPTION, 20, reference="checkout:1",
                                 actor="staff:1", idempotency_key="redeem:1", store_id=berlin,
                                 at=local(9, 25)))

    register_1 = s.scalars(select(StaffKey).where(StaffKey.label == "Register 1")).one()
    staff_key("cashier", berlin, "Register 2")
    s.flush()
    register_2 = s.scalars(select(StaffKey).where(StaffKey.label == "Register 2")).one()
    sales = [
        # (register, cashier, offered, applied, status, training, when)
        (register_1, "Ana K.", True, True, COMMITTED, False, local(9, 25)),
        (register_1, "Ana K.", True, False, COMMITTED, False, local(10, 30)),
        (register_1, "Ana K.", False, False, COMMITTED, False, local(10, 45)),
        (register_2, "Ben M.", True, True, COMMITTED, False, local(11, 5)),
        (register_2, "Ben M.", True, False, COMMITTED, True, local(11, 10)),  # training
        (register_2, "Ben M.", True, False, VOIDED, False, local(11, 20)),  # voided
    ]
    checkouts = []
    for register, cashier, offered, applied, status, training, when in sales:
        checkout = Checkout(store_id=berlin, staff_key_id=register.id, cashier=cashier,
                            shopper_id=people["Ana"].id, identified_by="code", training=training,
                            status=status, currency="EUR", basket=[], applied=[],
                            rewards_offered=offered, rewards_applied=applied, created_at=when,
                            committed_at=when if status == COMMITTED else None)
        s.add(checkout)
        checkouts.append(checkout)
    s.flush()
    s.add(SettlementRecord(store_id=berlin, program_id=partner.id, checkout_id=checkouts[0].id,
                           points_redeemed=100, points_issued=30, owed_to_store_minor=100,
                           owed_to_partner_minor=30, currency="EUR", created_at=local(9, 25)))
    door, _ = agents.provision(s, setup_actor(), berlin, "Front door")
    back, _ = agents.provision(s, setup_actor(), berlin, "Back door")
    agents.record_heartbeat(door, {"queue_depth": 3, "software_version": "1.0",
                                   "adverts_per_second": 12.5, "scanner_state": "scanning",
                                   "refused_events": 0, "last_refusal_code": None},
                            NOW - dt.timedelta(seconds=40))
    agents.record_heartbeat(back, {"queue_depth": 250, "software_version": "1.0",
                                   "adverts_per_second": 0.0, "scanner_state": "restarting",
                                   "refused_events": 3, "last_refusal_code": "invalid_request"},
                            NOW - dt.timedelta(hours=2))
    s.commit()
    return StoreDay({n: p.id for n, p in people.items()}, tokens,
                    {k: v.id for k, v in visits.items()})
