"""Sighting ingest over HTTP, signed like the agent, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import func, select

from rewards_api import db
from rewards_api.ledger.models import WALK_IN, Account, LedgerEntry
from rewards_api.ledger.services import ledger_sum
from rewards_api.visits.models import Visit
from rewards_api.walkins.models import Sighting
from rewards_protocol import events
from tests.rewards_api.walkins.conftest import T0, download_tokens, seen


def walk_in_entries(app: Any) -> list[tuple[str, int, str]]:
    with app.app_context():
        entries = db.session().scalars(select(LedgerEntry).where(LedgerEntry.kind == WALK_IN)
                                       .order_by(LedgerEntry.id)).all()
        return [(e.program.code, e.amount, e.reference) for e in entries]


def visits(app: Any) -> list[Visit]:
    with app.app_context():
        return list(db.session().scalars(select(Visit).order_by(Visit.id)))


def statuses(response: Any) -> list[tuple[str, str | None]]:
    return [(r["status"], r["reason"]) for r in response.get_json()["results"]]


def test_round_trip_tokens_frames_signed_batch_one_visit_and_both_walk_ins(app, api, walkins,
                                                                           clock):
    shopper = api.register("Rosa")
    tokens = download_tokens(api, shopper, T0)
    door = walkins.agents["berlin-door"]
    enter = seen(tokens, T0)
    leave = seen(tokens, T0 + dt.timedelta(minutes=14), kind="exit")  # next window's token
    assert enter["token"] != leave["token"]
    clock.set(T0 + dt.timedelta(minutes=15))  # the agent uploads after the shopper left

    response = door.sightings([enter, leave])

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["results"] == [
        {"event_id": enter["event_id"], "status": "accepted", "reason": None},
        {"event_id": leave["event_id"], "status": "accepted", "reason": None}]
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (2, 0, 0)
    [visit] = visits(app)
    assert visit.agent_ids == [door.agent_id]
    assert visit.started_at == dt.datetime.fromtimestamp(enter["first_seen"], dt.UTC)
    assert visit.ended_at == visit.last_seen_at
    assert (visit.adverts, visit.rssi_max, visit.rssi_median) == (40, -54, -60)
    assert walk_in_entries(app) == [("corner-points", 10, f"visit:{visit.id}"),
                                    ("partner-plus", 5, f"visit:{visit.id}")]
    balances = {a["program"]: a["balance"]
                for a in api.get("/v1/me", auth=shopper["token"]).get_json()["accounts"]}
    assert balances == {"corner-points": 10, "partner-plus": 5}
    with app.app_context():
        s = db.session()
        for account in s.scalars(select(Account)):
            assert account.balance == ledger_sum(s, account.id)


def test_same_batch_twice_changes_nothing(app, api, walkins):
    shopper = api.register("Rosa")
    tokens = download_tokens(api, shopper, T0)
    batch = [seen(tokens, T0), seen(tokens, T0 + dt.timedelta(minutes=3))]
    door = walkins.agents["berlin-door"]
    assert statuses(door.sightings(batch)) == [("accepted", None)] * 2
    before = visits(app)[0].adverts

    again = door.sightings(batch)  # a retry after a timeout: new nonce, same events

    assert again.status_code == 200
    assert statuses(again) == [("duplicate", None)] * 2
    assert len(walk_in_entries(app)) == 2
    [visit] = visits(app)
    assert visit.adverts == before
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Sighting)) == 2


def test_same_nonce_twice_is_refused(app, api, walkins):
    door = walkins.agents["berlin-door"]
    nonce = "ab" * 16
    assert door.sightings([], nonce=nonce).status_code == 200
    replay = door.sightings([], nonce=nonce)
    assert replay.status_code == 401
    assert replay.get_json()["error"]["code"] == "nonce_reused"
    # The nonce belongs to the agent: another agent may (by chance) use the same one.
    assert walkins.agents["berlin-back"].sightings([], nonce=nonce).status_code == 200


def test_stale_timestamp_is_refused(app, api, walkins, clock):
    door = walkins.agents["berlin-door"]
    stale = door.sightings([], now=clock.now.timestamp() - 301)
    assert stale.status_code == 401
    assert stale.get_json()["error"]["code"] == "timestamp_out_of_window"
    ahead = door.sightings([], now=clock.now.timestamp() + 301)
    assert ahead.get_json()["error"]["code"] == "timestamp_out_of_window"
    assert door.sightings([], now=clock.now.timestamp() - 299).status_code == 200


def test_bad_signature_unknown_and_disabled_agents_are_refused(app, api, client, walkins):
    door = walkins.agents["berlin-door"]
    body = b'{"events": []}'
    headers = door.headers("POST", events.SIGHTINGS_PATH, body)
    tampered = client.post(events.SIGHTINGS_PATH, data=b'{"events":[ ]}', headers=headers)
    assert tampered.status_code == 401
    assert tampered.get_json()["error"]["code"] == "bad_signature"
    other_path = client.post(events.HEARTBEAT_PATH, data=body, headers=headers)
    assert other_path.get_json()["error"]["code"] == "bad_signature"
    unsigned = client.post(events.SIGHTINGS_PATH, data=body)
    assert unsigned.get_json()["error"]["code"] == "unknown_agent"
    stranger = dict(headers, **{"X-Agent-Id": "999"})
    assert client.post(events.SIGHTINGS_PATH, data=body,
                       headers=stranger).get_json()["error"]["code"] == "unknown_agent"

    runner = app.test_cli_runner()
    result = runner.invoke(args=["agents", "disable", str(door.agent_id)])
    assert result.exit_code == 0, result.output
    disabled = door.sightings([])
    assert disabled.status_code == 401
    assert disabled.get_json()["error"]["code"] == "agent_disabled"


def test_yesterdays_token_presented_now_is_rejected(app, api, walkins, clock):
    shopper = api.register("Rosa")
    yesterday = T0 - dt.timedelta(days=1)
    clock.set(yesterday)
    old_tokens = download_tokens(api, shopper, yesterday)
    clock.set(T0)
    replayed = seen(old_tokens, yesterday)
    replayed["first_seen"] = T0.timestamp()  # captured yesterday, broadcast now
    replayed["last_seen"] = T0.timestamp() + 5
    metrics_before = _rejections(api, "token_window_mismatch")

    response = walkins.agents["berlin-door"].sightings([replayed])

    assert statuses(response) == [("rejected", "token_window_mismatch")]
    assert visits(app) == [] and walk_in_entries(app) == []
    assert _rejections(api, "token_window_mismatch") == metrics_before + 1


def _rejections(api: Any, reason: str) -> float:
    text = api.get("/metrics").get_data(as_text=True)
    line = f'rewards_rejections_total{{area="sightings",reason="{reason}"}} '
    return next((float(row.removeprefix(line)) for row in text.splitlines()
                 if row.startswith(line)), 0.0)


def test_each_event_is_answered_on_its_own(app, api, walkins):
    shopper = api.register("Rosa")
    tokens = download_tokens(api, shopper, T0)
    good = seen(tokens, T0)
    forged = dict(seen(tokens, T0), token="0" * 32)
    unknown_key = dict(seen(tokens, T0), key_id=9)
    bad = dict(seen(tokens, T0), rssi_median=-20, rssi_max=-90)
    not_hex = dict(seen(tokens, T0), token="zz" * 16)
    odd_id = dict(seen(tokens, T0), event_id="urn:uuid:" + str(uuid.uuid4()))
    endless = dict(seen(tokens, T0), last_seen=float("inf"))
    huge = dict(seen(tokens, T0), count=10**20)
    future = seen(tokens, T0)
    future["first_seen"] += 3600
    future["last_seen"] += 3600
    garbage = "not an event"

    response = walkins.agents["berlin-door"].sightings(
        [good, forged, unknown_key, bad, not_hex, future, garbage, good, odd_id, endless, huge])

    assert response.status_code == 200
    assert statuses(response) == [
        ("accepted", None), ("rejected", "unknown_token"), ("rejected", "unknown_token"),
        ("rejected", "malformed_event"), ("rejected", "malformed_token"),
        ("rejected", "event_in_future"), ("rejected", "malformed_event"), ("duplicate", None),
        ("rejected", "malformed_event"), ("rejected", "malformed_event"),
        ("rejected", "malformed_event")]
    assert len(walk_in_entries(app)) == 2


def test_batch_and_body_limits(app, api, walkins):
    door = walkins.agents["berlin-door"]
    shopper = api.register("Rosa")
    tokens = download_tokens(api, shopper, T0)
    too_many = [seen(tokens, T0) for _ in range(events.MAX_BATCH_EVENTS + 1)]
    response = door.sightings(too_many)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "batch_too_large"
    app.config["AGENT_MAX_BODY_BYTES"] = 1000
    response = door.sightings([seen(tokens, T0) for _ in range(10)])
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "body_too_large"
    wrong_shape = door.post(events.SIGHTINGS_PATH, [seen(tokens, T0)])
    assert wrong_shape.status_code == 400
    assert wrong_shape.get_json()["error"]["code"] == "invalid_request"
    assert walk_in_entries(app) == []


def test_a_closed_stores_events_are_rejected(app, api, walkins, world):
    shopper = api.register("Rosa")
    tokens = download_tokens(api, shopper, T0)
    closed = api.post(f"/v1/admin/stores/{world.store_ids[0]}/close", auth=world.keys["admin"])
    assert closed.status_code == 200, closed.get_json()
    response = walkins.agents["berlin-door"].sightings([seen(tokens, T0)])
    assert statuses(response) == [("rejected", "store_closed")]
    assert walk_in_entries(app) == []


def test_token_rotation_merges_into_one_visit_until_the_idle_gap(app, api, walkins, clock):
    shopper = api.register("Rosa")
    tokens = download_tokens(api, shopper, T0)
    door, back = walkins.agents["berlin-door"], walkins.agents["berlin-back"]
    for minutes, agent in [(0, door), (11, back), (25, door)]:  # three windows, two agents
        clock.set(T0 + dt.timedelta(minutes=minutes))
        assert statuses(agent.sightings([seen(tokens, clock.now)])) == [("accepted", None)]
    [visit] = visits(app)
    assert visit.agent_ids == [door.agent_id, back.agent_id]
    assert visit.ended_at is None

    clock.set(T0 + dt.timedelta(hours=2))  # well past the 30-minute idle gap
    assert statuses(door.sightings([seen(tokens, clock.now)])) == [("accepted", None)]
    first, second = visits(app)
    assert first.ended_at == first.last_seen_at
    assert second.started_at == clock.now
    # Same store-local day: the second visit earns nothing more.
    assert [code for code, _, _ in walk_in_entries(app)] == ["corner-points", "partner-plus"]


def test_walk_in_once_per_store_local_day_across_midnight(app, api, walkins, clock):
    shopper = api.register("Rosa")
    door = walkins.agents["berlin-door"]
    # Berlin is UTC+1 in November: 22:30 UTC is 23:30 on the 20th, 23:30 UTC is
    # 00:30 on the 21st there, although both are the 20th in UTC.
    late = dt.datetime(2026, 11, 20, 22, 30, tzinfo=dt.UTC)
    after_midnight = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)
    next_evening = dt.datetime(2026, 11, 21, 18, 0, tzinfo=dt.UTC)
    clock.set(late)
    tokens = download_tokens(api, shopper, late)
    for at in (late, after_midnight, next_evening):
        clock.set(at)
        assert statuses(door.sightings([seen(tokens, at)])) == [("accepted", None)]

    assert len(visits(app)) == 3
    entries = walk_in_entries(app)
    assert [(code, amount) for code, amount, _ in entries] == [
        ("corner-points", 10), ("partner-plus", 5), ("corner-points", 10), ("partner-plus", 5)]
    first, second, _ = visits(app)
    assert [ref for _, _, ref in entries] == [f"visit:{first.id}"] * 2 + [f"visit:{second.id}"] * 2


def test_daily_budget_caps_a_programs_walk_ins_at_a_store(app, api, walkins, world):
    from tests.rewards_api.walkins.conftest import add_rule

    add_rule(app, "corner-points", world.store_ids[0], 7, daily_budget=14)  # newest wins
    door = walkins.agents["berlin-door"]
    for name in ("A", "B", "C"):
        shopper = api.register(name)
        door.sightings([seen(download_tokens(api, shopper, T0), T0)])
    corner = [amount for code, amount, _ in walk_in_entries(app) if code == "corner-points"]
    partner = [amount for code, amount, _ in walk_in_entries(app) if code == "partner-plus"]
    assert corner == [7, 7]  # the third would pass the budget of 14
    assert partner == [5, 5, 5]


def test_impossible_travel_is_flagged_and_not_awarded(app, api, walkins, clock):
    shopper = api.register("Rosa")
    tokens = download_tokens(api, shopper, T0)
    assert statuses(walkins.agents["munich-door"].sightings([seen(tokens, T0)])) == [
        ("accepted", None)]
    clock.set(T0 + dt.timedelta(minutes=40))  # Munich to Berlin is about 500 km
    before = _rejections(api, "impossible_travel")

    response = walkins.agents["berlin-door"].sightings([seen(tokens, clock.now)])

    assert statuses(response) == [("rejected", "impossible_travel")]
    munich, berlin = visits(app)
    assert (munich.flag, berlin.flag) == (None, "impossible_travel")
    assert [code for code, _, _ in walk_in_entries(app)] == ["corner-points"]  # Munich's
    assert _rejections(api, "impossible_travel") == before + 1
    with app.app_context():
        reasons = db.session().scalars(select(Sighting.reason).order_by(Sighting.first_seen_at)).all()
    assert reasons == [None, "impossible_travel"]

    clock.set(T0 + dt.timedelta(hours=5))  # time enough for the train
    later = walkins.agents["berlin-door"].sightings([seen(tokens, clock.now)])
    assert statuses(later) == [("accepted", None)]
    assert [code for code, _, _ in walk_in_entries(app)] == [
        "corner-points", "corner-points", "partner-plus"]


def test_json_with_nan_is_answered_not_crashed(app, api, walkins, client):
    shopper = api.register("Rosa")
    event = seen(download_tokens(api, shopper, T0), T0)
    body = json.dumps({"events": [event]}).replace(str(event["last_seen"]), "NaN").encode()
    door = walkins.agents["berlin-door"]
    response = client.post(events.SIGHTINGS_PATH, data=body,
                           headers=door.headers("POST", events.SIGHTINGS_PATH, body))
    assert response.status_code == 200
    assert statuses(response) == [("rejected", "malformed_event")]
    garbled = b'{"events": [}'
    response = client.post(events.SIGHTINGS_PATH, data=garbled,
                           headers=door.headers("POST", events.SIGHTINGS_PATH, garbled))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"
