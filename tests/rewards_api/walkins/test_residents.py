"""People who live or work at a store (the flat upstairs, the staff room) are heard there
for hours, day after day: their visits earn nothing there (visits.services.VisitRules).
Signed sighting batches over HTTP, on SQLite and PostgreSQL, on the app's clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from rewards_api import db
from rewards_api.walkins.models import Sighting
from tests.rewards_api.walkins.conftest import AgentClient, download_tokens, seen
from tests.rewards_api.walkins.test_sightings import (
    _rejections,
    statuses,
    visits,
    walk_in_entries,
)
from tests.support.clock import Clock
from tests.support.scan_shop import COFFEE, NOW, error_code, open_campaigns, scan_code

RESIDENT = "lives_or_works_here"
EVERY = dt.timedelta(minutes=20)  # well within the 30-minute idle gap


def heard(agent: AgentClient, clock: Clock, phones: list[dict[int, Any]], start: dt.datetime,
          stay: dt.timedelta) -> list[list[tuple[str, str | None]]]:
    """The phones (their tokens) heard by ``agent`` every 20 minutes from ``start`` for
    ``stay`` (the last events at ``start + stay``), each batch uploaded as it is
    decided; the answers for each phone in turn."""
    answers: list[list[tuple[str, str | None]]] = [[] for _ in phones]
    at = start
    while at <= start + stay:
        clock.set(at)
        for phone, answer in zip(answers, statuses(agent.sightings(
                [seen(tokens, at) for tokens in phones])), strict=True):
            phone.append(answer)
        at += EVERY
    return answers


def tokens_at(api: Any, clock: Clock, shopper: dict[str, Any], at: dt.datetime
              ) -> dict[int, Any]:
    """The shopper's tokens for the day from ``at``, as the app downloads them then."""
    clock.set(at)
    return download_tokens(api, shopper, at)


def flags(app: Any) -> list[str | None]:
    return [v.flag for v in visits(app)]


def test_a_phone_heard_for_hours_lives_or_works_here_and_earns_nothing_more(
        app, api, walkins, world, clock):
    with app.app_context():
        open_campaigns(world)
        db.session().commit()
    staff = api.register("Staff")
    tokens = tokens_at(api, clock, staff, NOW)
    door = walkins.agents["berlin-door"]
    berlin = world.store_ids[0]

    # Three hours and 40 minutes (the last event ends 12 s later): still a shopper.
    [answers] = heard(door, clock, [tokens], NOW, dt.timedelta(hours=3, minutes=40))
    assert set(answers) == {("accepted", None)}
    assert scan_code(api, staff, berlin, COFFEE).status_code == 201
    assert flags(app) == [None]
    before = _rejections(api, RESIDENT)

    clock.set(NOW + dt.timedelta(hours=4))  # heard for more than 4 hours
    assert statuses(door.sightings([seen(tokens, clock.now)])) == [("rejected", RESIDENT)]

    assert flags(app) == [RESIDENT]
    assert _rejections(api, RESIDENT) == before + 1
    with app.app_context():
        reasons = db.session().scalars(select(Sighting.reason)
                                       .order_by(Sighting.first_seen_at.desc())).all()
    assert reasons[0] == RESIDENT and set(reasons[1:]) == {None}
    refused = scan_code(api, staff, berlin, COFFEE)
    assert (refused.status_code, error_code(refused)) == (409, "not_in_store")
    clock.advance(minutes=20)
    assert statuses(door.sightings([seen(tokens, clock.now)])) == [("rejected", RESIDENT)]
    # The day's walk-in was paid when the visit began and stays paid (the ledger is
    # append-only); scans and the days after earn nothing.
    assert [code for code, _, _ in walk_in_entries(app)] == ["corner-points", "partner-plus"]


def test_the_next_day_a_resident_gets_no_walk_in_at_that_store(app, api, walkins, clock):
    staff = api.register("Staff")
    door, back = walkins.agents["berlin-door"], walkins.agents["berlin-back"]
    heard(back, clock, [tokens_at(api, clock, staff, NOW)], NOW, dt.timedelta(hours=5))
    paid = walk_in_entries(app)

    morning = NOW + dt.timedelta(days=1, hours=-2)  # 09:00 in Berlin the next day
    tokens = tokens_at(api, clock, staff, morning)
    assert statuses(door.sightings([seen(tokens, morning)])) == [("rejected", RESIDENT)]

    assert flags(app) == [RESIDENT, RESIDENT]
    assert walk_in_entries(app) == paid  # the first day's only


def test_after_a_week_without_hours_there_walk_ins_are_paid_again(app, api, walkins, clock):
    door = walkins.agents["berlin-door"]
    early, late = api.register("Early"), api.register("Late")
    heard(door, clock, [tokens_at(api, clock, early, NOW), tokens_at(api, clock, late, NOW)],
          NOW, dt.timedelta(hours=4, minutes=20))
    last_heard = NOW + dt.timedelta(hours=4, minutes=20, seconds=12)
    week, hour = dt.timedelta(days=7), dt.timedelta(hours=1)

    early_at, late_at = last_heard + week - hour, last_heard + week + hour
    early_tokens = tokens_at(api, clock, early, early_at)
    assert statuses(door.sightings([seen(early_tokens, early_at)])) == [("rejected", RESIDENT)]
    late_tokens = tokens_at(api, clock, late, late_at)
    assert statuses(door.sightings([seen(late_tokens, late_at)])) == [("accepted", None)]

    assert flags(app) == [RESIDENT, RESIDENT, RESIDENT, None]
    last = visits(app)[-1]
    assert walk_in_entries(app)[-2:] == [("corner-points", 10, f"visit:{last.id}"),
                                         ("partner-plus", 5, f"visit:{last.id}")]


def test_a_long_shopping_trip_under_the_setting_is_not_flagged_and_pays(app, api, walkins, clock):
    app.config["RESIDENT_VISIT_HOURS"] = 3  # REWARDS_RESIDENT_VISIT_HOURS, not a constant
    door = walkins.agents["berlin-door"]
    shopper, resident = api.register("Shopper"), api.register("Upstairs")
    shopper_tokens = tokens_at(api, clock, shopper, NOW)
    resident_tokens = tokens_at(api, clock, resident, NOW)

    two_hours = dt.timedelta(hours=2)
    shopping, living = heard(door, clock, [shopper_tokens, resident_tokens], NOW, two_hours)
    [still_living] = heard(door, clock, [resident_tokens], NOW + two_hours + EVERY,
                           dt.timedelta(minutes=40))
    assert set(shopping) == set(living) == {("accepted", None)}
    assert still_living == [("accepted", None), ("accepted", None), ("rejected", RESIDENT)]

    assert flags(app) == [None, RESIDENT]
    first = visits(app)[0]
    assert [ref for _, _, ref in walk_in_entries(app)][:2] == [f"visit:{first.id}"] * 2
    shopper_tokens = tokens_at(api, clock, shopper, NOW + dt.timedelta(days=1))
    assert statuses(door.sightings([seen(shopper_tokens, clock.now)])) == [("accepted", None)]
    assert len(walk_in_entries(app)) == 6  # both paid on the first day, the shopper again


def test_a_resident_at_one_store_still_earns_walk_ins_at_another(app, api, walkins, clock):
    staff = api.register("Staff")
    heard(walkins.agents["berlin-door"], clock, [tokens_at(api, clock, staff, NOW)], NOW,
          dt.timedelta(hours=6))
    berlin_paid = walk_in_entries(app)

    next_day = NOW + dt.timedelta(days=1)
    tokens = tokens_at(api, clock, staff, next_day)
    assert statuses(walkins.agents["berlin-door"].sightings([seen(tokens, next_day)])) == [
        ("rejected", RESIDENT)]
    clock.set(next_day + dt.timedelta(hours=5))  # Munich is 500 km away
    assert statuses(walkins.agents["munich-door"].sightings([seen(tokens, clock.now)])) == [
        ("accepted", None)]

    assert flags(app) == [RESIDENT, RESIDENT, None]
    munich = visits(app)[-1]
    assert walk_in_entries(app) == [*berlin_paid, ("corner-points", 10, f"visit:{munich.id}")]
