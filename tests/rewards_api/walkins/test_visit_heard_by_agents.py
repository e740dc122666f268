"""A visit ends when every agent that heard the shopper has reported her gone, not at
the first exit: in a store with an entrance agent and one at the back, the back agent's
exit arrives while the entrance agent still hears her, and what she scans then earns.
Per agent its latest event counts, whatever order the batches arrive in and across one
agent's token rotation. Signed batches over HTTP, the app's clock set by hand, on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from itertools import permutations
from typing import Any

import pytest
from sqlalchemy import select

from rewards_api import db
from rewards_api.visits.models import Visit
from rewards_protocol.events import ENTER, EXIT
from rewards_protocol.presence import WINDOW_SECONDS
from tests.rewards_api.walkins.conftest import AgentClient, download_tokens, seen
from tests.support.scan_shop import (
    COFFEE,
    GUM,
    NOW,
    error_code,
    open_campaigns,
    scan_code,
    shopper_id,
)

SYMBOLOGY = {COFFEE: "ean13", GUM: "ean8"}
START = NOW + dt.timedelta(seconds=60)  # she walks in a minute into her token's window


def at(seconds: float) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


@pytest.fixture
def shop(app: Any, api: Any, world: Any, clock: Any) -> tuple[dict[str, Any], dict[int, Any]]:
    """A shopper in Berlin, where coffee, gum and cola earn, and her presence tokens."""
    with app.app_context():
        open_campaigns(world)
        db.session().commit()
    clock.set(NOW)
    shopper = api.register("Ada")
    return shopper, download_tokens(api, shopper, NOW)


def heard(tokens: dict[int, Any], kind: str, first: float, last: float) -> dict[str, Any]:
    """What an agent reports of the shopper's token heard from ``at(first)`` to
    ``at(last)``."""
    return seen(tokens, at(first), kind=kind, seconds=last - first)


def upload(clock: Any, when: float, agent: AgentClient, *events: dict[str, Any],
           status: str = "accepted") -> None:
    clock.set(at(when))
    response = agent.sightings(list(events))
    assert [r["status"] for r in response.get_json()["results"]] == [status] * len(events)


def scan(api: Any, clock: Any, when: float, shopper: dict[str, Any], store_id: int,
         code: str) -> int | str:
    clock.set(at(when))
    response = scan_code(api, shopper, store_id, code, SYMBOLOGY[code])
    return 201 if response.status_code == 201 else error_code(response)


def the_visit(app: Any) -> Visit:
    with app.app_context():
        [visit] = db.session().scalars(select(Visit)).all()
        return visit


def test_the_back_agents_exit_leaves_her_in_the_store_until_the_door_agent_hears_her_go(
        app, api, walkins, world, clock, shop):
    shopper, tokens = shop
    door, back, berlin = walkins.agents["berlin-door"], walkins.agents["berlin-back"], world.store_ids[0]

    upload(clock, 20, door, heard(tokens, ENTER, 0, 12))
    upload(clock, 60, back, heard(tokens, ENTER, 30, 50))
    upload(clock, 210, back, heard(tokens, EXIT, 30, 120))  # she went out of its range

    assert scan(api, clock, 240, shopper, berlin, COFFEE) == 201
    assert the_visit(app).ended_at is None

    upload(clock, 490, door, heard(tokens, EXIT, 0, 400))  # she left through the door

    assert scan(api, clock, 500, shopper, berlin, GUM) == "not_in_store"
    visit = the_visit(app)
    assert (visit.started_at, visit.last_seen_at, visit.ended_at) == (at(0), at(400), at(400))


ORDERS = list(permutations(["door enter", "back enter", "back exit"]))


@pytest.mark.parametrize("order", ORDERS, ids=[" / ".join(o) for o in ORDERS])
def test_late_batches_end_her_visit_as_batches_in_order_do(app, api, walkins, world, clock,
                                                          shop, order):
    shopper, tokens = shop
    door, back, berlin = walkins.agents["berlin-door"], walkins.agents["berlin-back"], world.store_ids[0]
    batches = {"door enter": (door, heard(tokens, ENTER, 0, 12)),
               "back enter": (back, heard(tokens, ENTER, 30, 50)),
               "back exit": (back, heard(tokens, EXIT, 30, 120))}
    for name in order:  # both agents' outboxes deliver after an outage, in any order
        upload(clock, 210, *batches[name])

    assert scan(api, clock, 240, shopper, berlin, COFFEE) == 201
    assert the_visit(app).ended_at is None

    upload(clock, 490, door, heard(tokens, EXIT, 0, 400))
    upload(clock, 495, *batches[order[0]], status="duplicate")  # re-sent: changes nothing

    assert scan(api, clock, 500, shopper, berlin, GUM) == "not_in_store"
    visit = the_visit(app)
    assert (visit.started_at, visit.last_seen_at, visit.ended_at) == (at(0), at(400), at(400))
    assert visit.heard_by == {str(door.agent_id): [at(400).isoformat(), EXIT],
                              str(back.agent_id): [at(120).isoformat(), EXIT]}


def test_an_old_tokens_exit_before_her_new_tokens_enter_leaves_her_in_the_store(
        app, api, walkins, world, clock, shop):
    shopper, tokens = shop
    door, berlin = walkins.agents["berlin-door"], world.store_ids[0]
    rotation = WINDOW_SECONDS - 60  # her phone's next token, seconds after START
    old_token = heard(tokens, ENTER, 0, 12)
    new_token = heard(tokens, ENTER, rotation + 1, rotation + 20)
    assert old_token["token"] != new_token["token"]

    upload(clock, 20, door, old_token)
    upload(clock, rotation + 20, door, new_token)
    # An engine that did not carry her visit over: the old token's exit after its away
    # timeout, uploaded after the new token's enter, heard last before it.
    upload(clock, rotation + 90, door, heard(tokens, EXIT, 0, rotation - 1))

    assert scan(api, clock, rotation + 100, shopper, berlin, COFFEE) == 201
    assert the_visit(app).ended_at is None

    upload(clock, rotation + 400, door, heard(tokens, EXIT, rotation + 1, rotation + 300))

    assert scan(api, clock, rotation + 410, shopper, berlin, GUM) == "not_in_store"
    assert the_visit(app).ended_at == at(rotation + 300)


def test_with_one_agent_an_exit_ends_her_visit_and_a_later_enter_opens_it_again(
        app, api, walkins, world, clock, shop):
    shopper, tokens = shop
    door, berlin = walkins.agents["berlin-door"], world.store_ids[0]

    upload(clock, 20, door, heard(tokens, ENTER, 0, 12))
    upload(clock, 200, door, heard(tokens, EXIT, 0, 100))

    assert scan(api, clock, 210, shopper, berlin, COFFEE) == "not_in_store"
    assert the_visit(app).ended_at == at(100)

    upload(clock, 320, door, heard(tokens, ENTER, 300, 312))  # back within the idle gap

    assert scan(api, clock, 330, shopper, berlin, COFFEE) == 201
    visit = the_visit(app)
    assert (visit.started_at, visit.last_seen_at, visit.ended_at) == (at(0), at(312), None)


def test_a_visit_from_before_the_upgrade_ends_at_the_exit_of_an_agent_heard_since(
        app, api, walkins, world, clock, shop):
    shopper, tokens = shop
    door, back, berlin = walkins.agents["berlin-door"], walkins.agents["berlin-back"], world.store_ids[0]
    with app.app_context():  # written before revision 0023: nobody's word kept
        s = db.session()
        s.add(Visit(shopper_id=shopper_id(shopper["public_id"]), store_id=berlin, started_at=at(0),
                    last_seen_at=at(50), adverts=40, agent_ids=[door.agent_id, back.agent_id]))
        s.commit()
    upload(clock, 210, back, heard(tokens, EXIT, 30, 120))

    assert scan(api, clock, 220, shopper, berlin, COFFEE) == "not_in_store"
    visit = the_visit(app)
    assert (visit.ended_at, visit.heard_by) == (at(120), {str(back.agent_id): [at(120).isoformat(), EXIT]})


@pytest.mark.parametrize("order", ["enter first", "exit first"])
def test_an_exit_heard_last_when_its_enter_was_ends_her_visit_in_either_order(
        app, api, walkins, clock, shop, order):
    _, tokens = shop
    door = walkins.agents["berlin-door"]
    # The engine's exit after its away timeout, with no advert heard after the enter.
    batches = [heard(tokens, ENTER, 0, 12), heard(tokens, EXIT, 0, 12)]
    for event in batches if order == "enter first" else reversed(batches):
        upload(clock, 120, door, event)

    visit = the_visit(app)
    assert (visit.ended_at, visit.heard_by) == (at(12), {str(door.agent_id): [at(12).isoformat(), EXIT]})
