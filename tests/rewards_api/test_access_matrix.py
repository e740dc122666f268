"""The access matrix: every route of the URL map, called by every role and scope.

``EXPECTED`` says, per route, which roles may use it (on the objects of Berlin, a store
of the Corner Market chain, and of its shopper Rosa); every other role must be refused
(401 or 403, or 404 ``checkout_not_found`` for another store's checkout and the like,
``HIDDEN``). A route the
URL map has and ``EXPECTED`` lacks fails the first test: a new route cannot skip it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from rewards_api import db
from rewards_api.agents import services as agents
from rewards_api.agents.models import Agent
from rewards_api.dashboard.charts import CHARTS
from rewards_api.ledger.models import Program
from rewards_api.pos.models import Reward
from rewards_api.products.services import import_assortment, products_by_gtin
from rewards_api.scans import campaigns
from rewards_api.staff.services import issue_key
from rewards_api.stores.models import Store
from rewards_api.stores.services import create_chain, create_store, program_by_code
from rewards_api.walkins import rules
from rewards_protocol import signing
from tests.support.clock import Clock
from tests.support.shop import BASKET, COFFEE, Shop, build_shop
from tests.support.world import OtherChain, build_other_chain, setup_actor, staff_key

ANONYMOUS = "anonymous"
SHOPPER, OTHER_SHOPPER = "shopper", "other shopper"
CASHIER, CASHIER_OTHER_STORE = "cashier", "cashier of another store"
MANAGER, MANAGER_OTHER_STORE = "manager", "manager of another store"
MANAGER_OTHER_CHAIN = "manager of another chain"
CHAIN_ADMIN, ADMIN_OTHER_CHAIN = "admin of the chain", "admin of another chain"
HEAD_OFFICE = "head office"
PARTNER = "partner operator"
AGENT = "agent"
ROLES = (ANONYMOUS, SHOPPER, OTHER_SHOPPER, CASHIER, CASHIER_OTHER_STORE, MANAGER,
         MANAGER_OTHER_STORE, MANAGER_OTHER_CHAIN, CHAIN_ADMIN, ADMIN_OTHER_CHAIN, HEAD_OFFICE,
         PARTNER, AGENT)

ANYONE = frozenset(ROLES)
SHOPPERS = frozenset({SHOPPER, OTHER_SHOPPER})
# Staff who may act in Berlin: its own cashier and manager, the chain's admin, head office.
BERLIN_STAFF = frozenset({CASHIER, MANAGER, CHAIN_ADMIN, HEAD_OFFICE})
BERLIN_MANAGERS = BERLIN_STAFF - {CASHIER}
# Keys of a store's register or manager open checkouts in their own store.
REGISTERS = frozenset({CASHIER, CASHIER_OTHER_STORE, MANAGER, MANAGER_OTHER_STORE,
                       MANAGER_OTHER_CHAIN})
# Who sees the Corner Market chain side by side: its admins and head office.
CORNER_ADMINS = frozenset({CHAIN_ADMIN, HEAD_OFFICE})
# Who pays out of the Corner Market program: its managers (any store) and admins, head office.
CHAIN_PROGRAM = frozenset({MANAGER, MANAGER_OTHER_STORE, CHAIN_ADMIN, HEAD_OFFICE})
# Who changes its catalog (rewards, earn rules): the chain's admins and head office.
CHAIN_CATALOG = frozenset({CHAIN_ADMIN, HEAD_OFFICE})
# Managers and admins of any store or chain (listings of their own scope).
ANY_MANAGER = frozenset({MANAGER, MANAGER_OTHER_STORE, MANAGER_OTHER_CHAIN, CHAIN_ADMIN,
                         ADMIN_OTHER_CHAIN, HEAD_OFFICE})

FROM_TO = "from=2026-01-01&to=2026-01-02"

EXPECTED: dict[str, frozenset[str]] = {
    "GET /app": ANYONE,
    "GET /assets/<path:filename>": ANYONE,
    "GET /assist": ANYONE,
    "GET /dashboard": ANYONE,
    "GET /manage": ANYONE,
    "GET /manage/<section>": ANYONE,
    "GET /docs": ANYONE,
    "GET /docs/assets/<path:filename>": ANYONE,
    "GET /docs/oauth2-redirect": ANYONE,
    "GET /healthz": ANYONE,
    "GET /metrics": ANYONE,
    "GET /openapi.json": ANYONE,
    "GET /static/<path:filename>": ANYONE,
    "GET /v1/stores": ANYONE,
    "GET /v1/stores/mine": REGISTERS,
    "POST /v1/shoppers": ANYONE,
    "POST /v1/shoppers/login": ANYONE,
    "POST /v1/shoppers/sign-in-code": ANYONE,
    "POST /v1/shoppers/sign-in": ANYONE,
    "POST /v1/shoppers/passkey-options": ANYONE,
    "POST /v1/shoppers/passkey-sign-in": ANYONE,
    "GET /v1/me": SHOPPERS,
    "PATCH /v1/me": SHOPPERS,
    "DELETE /v1/me": SHOPPERS,
    "GET /v1/me/checkout-code": SHOPPERS,
    "GET /v1/me/export": SHOPPERS,
    "POST /v1/me/help-requests": SHOPPERS,
    "GET /v1/me/history": SHOPPERS,
    "POST /v1/me/memberships": SHOPPERS,
    "GET /v1/me/presence-tokens": SHOPPERS,
    "POST /v1/me/scans": SHOPPERS,
    "POST /v1/me/token": SHOPPERS,
    "POST /v1/me/email": SHOPPERS,
    "POST /v1/me/email/confirm": SHOPPERS,
    "POST /v1/me/passkeys/options": SHOPPERS,
    "POST /v1/me/passkeys": SHOPPERS,
    "GET /v1/me/checkout": SHOPPERS,
    "GET /v1/live/me": SHOPPERS,
    "GET /v1/me/visit": SHOPPERS,
    "GET /v1/me/sign-in-methods": SHOPPERS,
    "DELETE /v1/me/passkeys/<int:passkey_id>": SHOPPERS,
    "GET /v1/live/stores/<int:store_id>": BERLIN_STAFF,
    # Only the shopper identified at the register answers for their checkout: every role
    # here (the shoppers are others than Rosa) is refused on Rosa's open checkout.
    "POST /v1/me/checkouts/<int:checkout_id>/consent": frozenset(),
    "GET /v1/agents/config": frozenset({AGENT}),
    "POST /v1/agents/heartbeat": frozenset({AGENT}),
    "POST /v1/agents/sightings": frozenset({AGENT}),
    "POST /v1/pos/checkouts": REGISTERS,
    "POST /v1/pos/offline-earnings": REGISTERS,
    "GET /v1/pos/checkouts/<int:checkout_id>": BERLIN_STAFF,
    "POST /v1/pos/checkouts/<int:checkout_id>/rewards": BERLIN_STAFF,
    "POST /v1/pos/checkouts/<int:checkout_id>/commit": BERLIN_STAFF,
    "POST /v1/pos/checkouts/<int:checkout_id>/void": BERLIN_STAFF,
    "POST /v1/pos/checkouts/<int:checkout_id>/returns": BERLIN_STAFF,
    "GET /v1/stores/<int:store_id>/scan-products": SHOPPERS | BERLIN_STAFF,
    "GET /v1/stores/<int:store_id>/assist": BERLIN_STAFF,
    "POST /v1/stores/<int:store_id>/assist/<int:request_id>/helped": BERLIN_STAFF,
    "GET /v1/stores/<int:store_id>/shelf-tags": BERLIN_MANAGERS,
    "GET /v1/admin/stores/<int:store_id>/dashboard": BERLIN_MANAGERS,
    "GET /v1/admin/stores/<int:store_id>/charts/<chart>.svg": BERLIN_MANAGERS,
    "GET /v1/admin/agents": BERLIN_MANAGERS,
    "GET /v1/admin/settlement": BERLIN_MANAGERS | {PARTNER},
    "GET /v1/admin/settlement/<store_code>.csv": BERLIN_MANAGERS | {PARTNER},
    "GET /v1/admin/chain": CORNER_ADMINS,
    "GET /v1/admin/chain.csv": CORNER_ADMINS,
    "GET /v1/admin/results": BERLIN_MANAGERS,
    "GET /v1/admin/results.csv": BERLIN_MANAGERS,
    "POST /v1/admin/adjustments": CHAIN_PROGRAM,
    "GET /v1/admin/rewards": CHAIN_PROGRAM,
    "POST /v1/admin/rewards": CHAIN_CATALOG,
    "PATCH /v1/admin/rewards/<int:reward_id>": CHAIN_CATALOG,
    "GET /v1/admin/earn-rules": CHAIN_PROGRAM,
    "POST /v1/admin/earn-rules": CHAIN_CATALOG,
    "GET /v1/admin/campaigns": BERLIN_MANAGERS,
    "POST /v1/admin/campaigns": BERLIN_MANAGERS,
    "PATCH /v1/admin/campaigns/<int:campaign_id>": BERLIN_MANAGERS,
    "POST /v1/admin/campaigns/<int:campaign_id>/end": BERLIN_MANAGERS,
    "GET /v1/admin/walk-in-rules": BERLIN_MANAGERS,
    "GET /v1/admin/walk-in-rules/preview": BERLIN_MANAGERS,
    "GET /v1/admin/earn-rules/preview": CHAIN_CATALOG,
    "POST /v1/admin/walk-in-rules": BERLIN_MANAGERS,
    "POST /v1/admin/walk-in-rules/<int:rule_id>/end": BERLIN_MANAGERS,
    "GET /v1/admin/stores/<int:store_id>/products": BERLIN_MANAGERS,
    "POST /v1/admin/stores/<int:store_id>/products": BERLIN_MANAGERS,
    "GET /v1/admin/stores/<int:store_id>/products.csv": BERLIN_MANAGERS,
    "GET /v1/admin/staff-keys": BERLIN_MANAGERS,
    "POST /v1/admin/staff-keys": BERLIN_MANAGERS,
    "POST /v1/admin/staff-keys/<int:staff_id>/revoke": BERLIN_MANAGERS,
    "POST /v1/admin/agents": BERLIN_MANAGERS,
    "POST /v1/admin/agents/<int:agent_id>/enrolment-code": BERLIN_MANAGERS,
    "PATCH /v1/admin/agents/<int:agent_id>": BERLIN_MANAGERS,
    "POST /v1/admin/agents/<int:agent_id>/disable": BERLIN_MANAGERS,
    "GET /v1/admin/audit": BERLIN_MANAGERS,
    "GET /v1/admin/stores": ANY_MANAGER,
    "POST /v1/admin/stores": CHAIN_CATALOG,
    "PATCH /v1/admin/stores/<int:store_id>": CHAIN_CATALOG,
    # On a spare store of the chain: closing Berlin would refuse the other routes.
    "POST /v1/admin/stores/<int:store_id>/close": CHAIN_CATALOG,
    "GET /v1/admin/programs": ANY_MANAGER | {PARTNER},
    "POST /v1/admin/chains": frozenset({HEAD_OFFICE}),
    "POST /v1/admin/programs": frozenset({HEAD_OFFICE}),
    # Anyone holding a fresh one-time code gets an agent's credentials with it.
    "POST /v1/agents/enrol": ANYONE,
}


def _routes(app: Any) -> set[str]:
    return {f"{method} {rule.rule}" for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_of_the_url_map_has_expectations(app):
    routes = _routes(app)
    assert sorted(routes - set(EXPECTED)) == [], "routes missing from the access matrix"
    assert sorted(set(EXPECTED) - routes) == [], "the matrix names routes that do not exist"


@dataclass
class Scene:
    """Berlin's objects the requests name, and a credential per role."""

    shop: Shop
    other: OtherChain
    open_checkout: int
    paid_checkout: int
    agent_id: str
    agent_secret: bytes
    clock: Clock
    serial: Callable[[], int]
    # Berlin's objects of the back office's routes (the agent another than the signing one).
    back_office: dict[str, int]
    enrolment_code: Callable[[], str]

    def credential(self, role: str) -> str | None:
        keys = self.shop.world.keys
        staff = {CASHIER: keys["cashier"], MANAGER: keys["manager"],
                 MANAGER_OTHER_STORE: keys["other_manager"], CHAIN_ADMIN: keys["chain_admin"],
                 HEAD_OFFICE: keys["admin"], CASHIER_OTHER_STORE: keys["other_cashier"],
                 MANAGER_OTHER_CHAIN: self.other.keys["manager"],
                 ADMIN_OTHER_CHAIN: self.other.keys["admin"], PARTNER: keys["partner"]}
        if role in SHOPPERS:  # a shopper of their own each time: DELETE /v1/me erases one
            return str(self.shop.api.register(role.title())["token"])
        return staff.get(role)


def _request(scene: Scene, route: str) -> tuple[str, Any]:
    """The path and body that name Berlin's own objects for ``route``."""
    world, n = scene.shop.world, scene.serial()
    office = scene.back_office
    berlin = world.store_ids[0]
    rosa = scene.shop.shopper["public_id"]
    basket_call = {"membership_number": "CM-1001", "basket": BASKET, "cashier": "Matrix"}
    calls: dict[str, tuple[str, Any]] = {
        "GET /assets/<path:filename>": ("/assets/api.js", None),
        "GET /docs/assets/<path:filename>": ("/docs/assets/swagger-ui.css", None),
        "GET /static/<path:filename>": ("/static/nothing.txt", None),
        "POST /v1/shoppers": ("/v1/shoppers", {"display_name": "New", "phone": None}),
        "POST /v1/shoppers/login": ("/v1/shoppers/login", {
            "public_id": rosa, "code": scene.shop.code().rsplit(":", 1)[1]}),
        "PATCH /v1/me": ("/v1/me", {"display_name": "Renamed"}),
        "POST /v1/me/help-requests": ("/v1/me/help-requests", {"store_id": berlin}),
        "POST /v1/me/memberships": ("/v1/me/memberships",
                                    {"program": "corner-points", "membership_number": f"MX-{n:04d}"}),
        "POST /v1/me/scans": ("/v1/me/scans", {"store_id": berlin, "code": COFFEE,
                                               "symbology": "ean13"}),
        "POST /v1/me/token": ("/v1/me/token", {}),
        # No one's passkey: the shopper gets past sign-in to not_found.
        "DELETE /v1/me/passkeys/<int:passkey_id>": ("/v1/me/passkeys/1", None),
        "POST /v1/me/checkouts/<int:checkout_id>/consent": (
            f"/v1/me/checkouts/{scene.open_checkout}/consent", {"rewards": [], "agree": True}),
        "POST /v1/agents/heartbeat": ("/v1/agents/heartbeat", {
            "queue_depth": 0, "software_version": "1", "adverts_per_second": 1.0,
            "scanner_state": "scanning"}),
        "POST /v1/agents/sightings": ("/v1/agents/sightings", {"events": []}),
        "POST /v1/pos/checkouts": ("/v1/pos/checkouts", basket_call),
        "POST /v1/pos/offline-earnings": ("/v1/pos/offline-earnings", dict(
            basket_call, offline_id=f"matrix-{n:04d}",
            purchased_at=scene.clock.now.isoformat())),
        "GET /v1/pos/checkouts/<int:checkout_id>": (f"/v1/pos/checkouts/{scene.open_checkout}", None),
        "POST /v1/pos/checkouts/<int:checkout_id>/rewards": (
            f"/v1/pos/checkouts/{scene.open_checkout}/rewards", {}),
        "POST /v1/pos/checkouts/<int:checkout_id>/commit": (
            f"/v1/pos/checkouts/{scene.open_checkout}/commit", {}),
        "POST /v1/pos/checkouts/<int:checkout_id>/void": (
            f"/v1/pos/checkouts/{scene.open_checkout}/void", {}),
        "POST /v1/pos/checkouts/<int:checkout_id>/returns": (
            f"/v1/pos/checkouts/{scene.paid_checkout}/returns",
            {"lines": [{"gtin": COFFEE, "quantity": 1}]}),
        "GET /v1/stores/<int:store_id>/scan-products": (f"/v1/stores/{berlin}/scan-products", None),
        "GET /v1/stores/<int:store_id>/assist": (f"/v1/stores/{berlin}/assist", None),
        "GET /v1/live/stores/<int:store_id>": (f"/v1/live/stores/{berlin}", None),
        "POST /v1/stores/<int:store_id>/assist/<int:request_id>/helped": (
            f"/v1/stores/{berlin}/assist/999999/helped", {}),
        "GET /v1/stores/<int:store_id>/shelf-tags": (
            f"/v1/stores/{berlin}/shelf-tags?format=png&page=1", None),
        "GET /v1/admin/stores/<int:store_id>/dashboard": (
            f"/v1/admin/stores/{berlin}/dashboard", None),
        "GET /v1/admin/stores/<int:store_id>/charts/<chart>.svg": (
            f"/v1/admin/stores/{berlin}/charts/{next(iter(CHARTS))}.svg", None),
        "GET /v1/admin/agents": ("/v1/admin/agents?store=berlin-1", None),
        "GET /v1/admin/settlement": (f"/v1/admin/settlement?{FROM_TO}&store=berlin-1", None),
        "GET /v1/admin/settlement/<store_code>.csv": (
            f"/v1/admin/settlement/berlin-1.csv?{FROM_TO}", None),
        "GET /manage/<section>": ("/manage/chain", None),
        "GET /v1/admin/chain": (f"/v1/admin/chain?chain=corner&{FROM_TO}", None),
        "GET /v1/admin/chain.csv": (f"/v1/admin/chain.csv?chain=corner&{FROM_TO}", None),
        "GET /v1/admin/results": (f"/v1/admin/results?store=berlin-1&{FROM_TO}", None),
        "GET /v1/admin/results.csv": (f"/v1/admin/results.csv?store=berlin-1&{FROM_TO}", None),
        "POST /v1/admin/adjustments": ("/v1/admin/adjustments", {
            "public_id": rosa, "program": "corner-points", "amount": 1, "reason": "matrix"}),
        "POST /v1/admin/rewards": ("/v1/admin/rewards", {
            "program": "corner-points", "code": f"matrix-{n}", "name": "M", "kind": "amount_off",
            "points_cost": 10, "amount_off_minor": 10}),
        "POST /v1/admin/earn-rules": ("/v1/admin/earn-rules",
                                      {"program": "corner-points", "points_per_unit": 1}),
        "GET /v1/admin/rewards": ("/v1/admin/rewards?program=corner-points", None),
        "PATCH /v1/admin/rewards/<int:reward_id>": (
            f"/v1/admin/rewards/{office['reward']}", {"points_cost": 60 + n}),
        "GET /v1/admin/earn-rules": ("/v1/admin/earn-rules?program=corner-points", None),
        "GET /v1/admin/campaigns": ("/v1/admin/campaigns?store=berlin-1", None),
        "POST /v1/admin/campaigns": ("/v1/admin/campaigns", {
            "code": f"matrix-{n}", "name": "Matrix", "program": "corner-points", "points": 5,
            "starts_at": "2026-11-20T00:00:00+01:00", "ends_at": "2026-11-27T00:00:00+01:00",
            "products": [COFFEE], "stores": ["berlin-1"]}),
        "PATCH /v1/admin/campaigns/<int:campaign_id>": (
            f"/v1/admin/campaigns/{office['campaign']}", {"name": f"Matrix {n}"}),
        "POST /v1/admin/campaigns/<int:campaign_id>/end": (
            f"/v1/admin/campaigns/{office['campaign']}/end", None),
        "GET /v1/admin/walk-in-rules": ("/v1/admin/walk-in-rules?store=berlin-1", None),
        "GET /v1/admin/walk-in-rules/preview": (
            "/v1/admin/walk-in-rules/preview?program=corner-points&store=berlin-1&points=5", None),
        "GET /v1/admin/earn-rules/preview": (
            "/v1/admin/earn-rules/preview?program=corner-points&points_per_unit=1", None),
        "POST /v1/admin/walk-in-rules": ("/v1/admin/walk-in-rules", {
            "program": "corner-points", "store": "berlin-1", "points": 5}),
        "POST /v1/admin/walk-in-rules/<int:rule_id>/end": (
            f"/v1/admin/walk-in-rules/{office['walk_in_rule']}/end", {}),
        "GET /v1/admin/stores/<int:store_id>/products": (f"/v1/admin/stores/{berlin}/products", None),
        "GET /v1/admin/stores/<int:store_id>/products.csv": (
            f"/v1/admin/stores/{berlin}/products.csv", None),
        "POST /v1/admin/stores/<int:store_id>/products": (
            f"/v1/admin/stores/{berlin}/products", {"csv": f"gtin,name\n{COFFEE},Coffee {n}\n"}),
        "GET /v1/admin/staff-keys": ("/v1/admin/staff-keys?store=berlin-1", None),
        "POST /v1/admin/staff-keys": ("/v1/admin/staff-keys", {
            "role": "cashier", "store": "berlin-1", "label": f"Register {n}"}),
        "POST /v1/admin/staff-keys/<int:staff_id>/revoke": (
            f"/v1/admin/staff-keys/{office['staff_key']}/revoke", None),
        "POST /v1/admin/agents": ("/v1/admin/agents", {"store": "berlin-1"}),
        "POST /v1/admin/agents/<int:agent_id>/enrolment-code": (
            f"/v1/admin/agents/{office['agent']}/enrolment-code", None),
        "PATCH /v1/admin/agents/<int:agent_id>": (
            f"/v1/admin/agents/{office['agent']}", {"dwell_seconds": 20 + n}),
        "POST /v1/admin/agents/<int:agent_id>/disable": (
            f"/v1/admin/agents/{office['agent']}/disable", None),
        "GET /v1/admin/audit": ("/v1/admin/audit?store=berlin-1", None),
        "POST /v1/admin/stores": ("/v1/admin/stores", {
            "code": f"matrix-{n}", "name": "Matrix", "chain": "corner",
            "timezone": "Europe/Berlin"}),
        "PATCH /v1/admin/stores/<int:store_id>": (
            f"/v1/admin/stores/{berlin}", {"name": "Berlin Mitte"}),
        "POST /v1/admin/stores/<int:store_id>/close": (
            f"/v1/admin/stores/{office['spare_store']}/close", None),
        "POST /v1/admin/chains": ("/v1/admin/chains", {"code": f"matrix-{n}", "name": "M"}),
        # A program of a chain with no stores: it changes nothing the other routes use.
        "POST /v1/admin/programs": ("/v1/admin/programs", {
            "code": f"matrix-{n}", "name": "M", "kind": "store", "chain": "empty"}),
        "POST /v1/agents/enrol": ("/v1/agents/enrol", {"code": scene.enrolment_code()}),
    }
    method, rule = route.split(" ", 1)
    return calls.get(route, (rule, {} if method != "GET" else None))


def _send(scene: Scene, route: str, role: str) -> Any:
    method = route.split(" ", 1)[0]
    path, body = _request(scene, route)
    api = scene.shop.api
    if role != AGENT:
        return api.call(method, path, json=body, auth=scene.credential(role))
    data = json.dumps(body).encode() if body is not None else b""
    headers = signing.sign_headers(scene.agent_id, scene.agent_secret, method,
                                   path.split("?")[0], data, now=scene.clock.now.timestamp())
    if method != "GET":
        headers["Idempotency-Key"] = f"agent-{scene.serial()}"
    return api.client.open(path, method=method, data=data or None, headers=headers,
                           content_type="application/json" if data else None)


@pytest.fixture
def scene(app: Any, api: Any, world: Any) -> Scene:
    clock = Clock(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
    app.config["CLOCK"] = clock
    with app.app_context():
        other = build_other_chain(world)
        agent, secret = agents.provision(db.session(), setup_actor(), world.store_ids[0], "matrix")
        world.keys["other_cashier"] = staff_key("cashier", world.store_ids[1], "Munich register")
        world.keys["partner"] = staff_key("partner", None, "Partner Plus operator")
        db.session().commit()
        agent_id = str(agent.id)
    shop = build_shop(app, api, world)
    office = _back_office(app, world)

    def enrolment_code() -> str:
        with app.app_context():
            s = db.session()
            code = agents.enrolment_code(s, setup_actor(), s.get_one(Agent, office["enrolled"]))
            s.commit()
            return code

    paid = shop.open(code=None, membership_number="CM-1001").get_json()["id"]
    assert shop.commit(paid).status_code == 200
    opened = shop.open().get_json()["id"]
    counter = itertools.count(1)
    return Scene(shop, other, opened, paid, agent_id, bytes.fromhex(secret), clock,
                 lambda: next(counter), office, enrolment_code)


def _back_office(app: Any, world: Any) -> dict[str, int]:
    """Berlin's objects the back office's routes change, made through the services."""
    with app.app_context():
        s, by = db.session(), setup_actor()
        berlin = s.get_one(Store, world.store_ids[0])
        create_chain(s, by, code="empty", name="A chain with no stores")
        spare = create_store(s, by, berlin.chain, code="spare-1", name="Spare",
                             timezone="Europe/Berlin")
        import_assortment(s, by, berlin, ["gtin,name\n", f"{COFFEE},Coffee\n"])
        campaign = campaigns.create_campaign(
            s, by, code="matrix-week", name="Matrix week", program=program_by_code(s, "corner-points"),
            points=5, starts_at=dt.datetime(2026, 11, 19, tzinfo=dt.UTC),
            ends_at=dt.datetime(2026, 11, 27, tzinfo=dt.UTC),
            products=products_by_gtin(s, [COFFEE.zfill(14)]), stores=[berlin], chain=None)
        rule = rules.create_rule(s, by, program=program_by_code(s, "corner-points"),
                                 store=berlin, points=5)
        register, _ = issue_key(s, by, "cashier", "Spare register", store=berlin)
        agent, _ = agents.provision(s, by, berlin.id, "back door")
        enrolled, _ = agents.provision(s, by, berlin.id, "side door")
        reward = s.scalars(select(Reward).join(Program).where(Program.code == "corner-points")).first()
        assert reward is not None
        s.commit()
        return {"campaign": campaign.id, "walk_in_rule": rule.id, "staff_key": register.id,
                "agent": agent.id, "enrolled": enrolled.id, "reward": reward.id,
                "spare_store": spare.id}


# Another store's objects are not even said to exist.
HIDDEN = {"checkout_not_found", "campaign_not_found", "walk_in_rule_not_found",
          "staff_key_not_found", "agent_not_found"}


def _refused(response: Any) -> bool:
    answer = response.get_json(silent=True)
    code = answer.get("error", {}).get("code") if isinstance(answer, dict) else None
    return response.status_code in (401, 403) or code in HIDDEN


# Every route times every role (about 1,500 requests): on PostgreSQL and a busy shared
# machine that passes the suite's 120 s per test.
@pytest.mark.timeout(300)
def test_every_role_reaches_only_what_the_matrix_allows(app, scene):
    rosa = scene.shop.shopper["public_id"]
    wrong = []
    for route in sorted(EXPECTED):
        # Refused roles first: a wrongly allowed one must not hide behind a closed checkout.
        for role in sorted(ROLES, key=lambda r: r in EXPECTED[route]):
            response = _send(scene, route, role)
            response.close()  # file answers (assets) hold their file open until closed
            allowed = role in EXPECTED[route]
            if response.status_code >= 500 or _refused(response) == allowed:
                wrong.append((route, role, response.status_code,
                              response.get_data(as_text=True)[:200]))
            if role in SHOPPERS and route.startswith(("GET /v1/me", "GET /v1/stores/", "GET /v1/live/")):
                # A shopper sees only their own data.
                assert rosa not in response.get_data(as_text=True), (route, role)
    assert wrong == [], "\n".join(map(str, wrong))
