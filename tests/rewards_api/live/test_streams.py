"""Live updates over Server-Sent Events: each stream tells its owner's news and no one
else's, resumes after ``Last-Event-ID``, and a worker refuses streams past its cap."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from rewards_api.gunicorn_host import wait_until
from rewards_api.live import stream
from tests.rewards_api.walkins.conftest import T0, download_tokens, seen
from tests.support.gunicorn import gunicorn
from tests.support.shop import build_shop


def events_of(body: str) -> list[dict[str, Any]]:
    """The events of a stream's text, as ``{"id", "event", "data"}``."""
    found = []
    for block in body.split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            if name in ("id", "event", "data"):
                fields[name] = json.loads(value) if name == "data" else value
        if "event" in fields:
            found.append(fields)
    return found


def read(api: Any, path: str, token: str, last_event_id: str | None = None) -> list[dict[str, Any]]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    response = api.get(path, auth=token, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/event-stream"
    assert response.headers["X-Accel-Buffering"] == "no"
    return events_of(response.get_data(as_text=True))


def walk_in(walkins: Any, api: Any, shopper: dict[str, Any], at: dt.datetime) -> None:
    tokens = download_tokens(api, shopper, at)
    answer = walkins.agents["berlin-door"].sightings([seen(tokens, at)])
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["results"][0]["status"] == "accepted"


def test_walk_in_points_reach_the_shoppers_stream_and_no_one_elses(api, world, walkins, clock):
    rosa, sam = api.register("Rosa"), api.register("Sam")
    hello = read(api, "/v1/live/me", rosa["token"])
    assert [(e["event"], e["data"]) for e in hello] == [("checkout", {"checkout": None}),
                                                        ("visit", {"visit": None})]
    before = hello[0]["id"]

    walk_in(walkins, api, rosa, T0)

    news = read(api, "/v1/live/me", rosa["token"], last_event_id=before)
    points = [e for e in news if e["event"] == "points"]
    assert sorted(e["data"]["program"] for e in points) == ["corner-points", "partner-plus"]
    welcome = next(e["data"] for e in points if e["data"]["program"] == "corner-points")
    assert welcome["amount"] == 10 and welcome["where"] == "Berlin Mitte"
    assert int(points[-1]["id"]) > int(before)
    # The store she is in, as GET /v1/me/visit says it.
    [visit] = [e["data"]["visit"] for e in news if e["event"] == "visit"]
    assert visit == api.get("/v1/me/visit", auth=rosa["token"]).get_json()["visit"]
    assert visit["store_name"] == "Berlin Mitte"
    # Resuming after the last event repeats no points.
    again = read(api, "/v1/live/me", rosa["token"], last_event_id=points[-1]["id"])
    assert [e["event"] for e in again] == ["checkout", "visit"]
    # Sam, even asking from the very start, never sees Rosa's entries or her visit.
    theirs = read(api, "/v1/live/me", sam["token"], last_event_id="0")
    assert [(e["event"], e["data"]) for e in theirs] == [("checkout", {"checkout": None}),
                                                         ("visit", {"visit": None})]


def test_the_checkout_question_reaches_only_its_shopper(app, api, world):
    shop = build_shop(app, api, world)
    checkout = shop.open().get_json()
    applied = shop.post(f"/v1/pos/checkouts/{checkout['id']}/rewards", json={})
    assert applied.status_code == 200, applied.get_json()
    [asked] = [e for e in read(api, "/v1/live/me", shop.shopper["token"]) if e["event"] == "checkout"]
    assert asked["data"]["checkout"]["id"] == checkout["id"]
    assert asked["data"]["checkout"]["consent"] == "pending"
    stranger = api.register("Stranger")
    nothing = read(api, "/v1/live/me", stranger["token"])
    assert [e["data"] for e in nothing] == [{"checkout": None}, {"visit": None}]


def test_a_help_request_reaches_its_stores_staff(api, world, walkins, clock):
    berlin, munich = world.store_ids
    [pulse] = read(api, f"/v1/live/stores/{berlin}", world.keys["cashier"])
    assert pulse["event"] == "store" and pulse["data"]["waiting"] == 0
    rosa = api.register("Rosa")
    opted_in = api.call("PATCH", "/v1/me", json={"assist_opt_in": True}, auth=rosa["token"])
    assert opted_in.status_code == 200, opted_in.get_json()
    walk_in(walkins, api, rosa, T0)
    asked = api.post("/v1/me/help-requests", json={"store_id": berlin}, auth=rosa["token"])
    assert asked.status_code == 201, asked.get_json()

    news = read(api, f"/v1/live/stores/{berlin}", world.keys["cashier"], last_event_id=pulse["id"])
    [help_event] = [e for e in news if e["event"] == "help"]
    assert help_event["data"]["help_request_id"] == asked.get_json()["id"]
    [store_event] = [e for e in news if e["event"] == "store"]
    assert store_event["data"]["waiting"] == 1 and store_event["data"]["visit"] is not None
    # Munich's stream (its manager) hears nothing of Berlin's help request.
    munich_news = read(api, f"/v1/live/stores/{munich}", world.keys["other_manager"],
                       last_event_id="0")
    assert [e["event"] for e in munich_news] == ["store"]
    assert munich_news[0]["data"] == {"visit": None, "entry": None, "waiting": 0}


def test_staff_of_another_store_and_shoppers_are_refused(api, world):
    berlin, munich = world.store_ids
    refused = api.get(f"/v1/live/stores/{berlin}", auth=api.register("Rosa")["token"])
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    other = api.get(f"/v1/live/stores/{munich}", auth=world.keys["cashier"])
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "forbidden"


def test_a_bad_last_event_id_is_refused_in_the_error_shape(api):
    rosa = api.register("Rosa")
    answer = api.get("/v1/live/me", auth=rosa["token"], headers={"Last-Event-ID": "12; drop"})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "invalid_request"


@pytest.fixture
def open_streams(app: Any) -> Iterator[None]:
    """Streams stay open (a heartbeat on every poll, so a gone client is seen at once)."""
    app.config.update(LIVE_STREAM_SECONDS=60, LIVE_POLL_MILLISECONDS=20, LIVE_HEARTBEAT_SECONDS=0)
    yield


def test_points_arrive_on_an_open_stream_as_they_are_credited(api, world, walkins, clock,
                                                              live_url, open_streams):
    rosa = api.register("Rosa")
    headers = {"Authorization": f"Bearer {rosa['token']}"}
    with httpx.Client(base_url=live_url, timeout=10) as http, \
            http.stream("GET", "/v1/live/me", headers=headers) as answer:
        lines = answer.iter_lines()
        events = ((line, json.loads(next(lines).removeprefix("data: ")))
                  for line in lines if line.startswith("event:"))
        assert [name for name, _ in (next(events), next(events))] == ["event: checkout", "event: visit"]
        walk_in(walkins, api, rosa, T0)
        # Bounded: each read waits at most the client's 10 s timeout. Each poll reads
        # the points and the visit in statements of their own, so either may come first.
        news: dict[str, list[Any]] = {}
        while len(news.get("event: points", [])) < 2 or "event: visit" not in news:
            name, data = next(events)
            news.setdefault(name, []).append(data)
        welcome = news["event: points"][0]
        assert welcome["where"] == "Berlin Mitte" and welcome["amount"] > 0
        assert news["event: visit"] == [{"visit": api.get("/v1/me/visit", auth=rosa["token"]).get_json()["visit"]}]
        assert news["event: visit"][0]["visit"]["store_name"] == "Berlin Mitte"


def test_a_full_worker_refuses_with_live_updates_full_and_frees_the_slot(app, api, live_url,
                                                                         open_streams):
    app.config["LIVE_STREAMS_PER_WORKER"] = 1
    stream.init_app(app)
    slots = app.extensions["live_slots"]
    headers = {"Authorization": f"Bearer {api.register('Rosa')['token']}"}
    with httpx.Client(base_url=live_url, timeout=10) as http:
        with http.stream("GET", "/v1/live/me", headers=headers) as first:
            assert first.status_code == 200
            refused = http.get("/v1/live/me", headers=headers)
            assert refused.status_code == 503
            assert refused.json()["error"]["code"] == "live_updates_full"
            assert refused.headers["Retry-After"] == "30"
            assert slots.open == 1
        # The browser went away: the next heartbeat notices and gives the slot back.
        wait_until(lambda: slots.open == 0, "the closed stream's slot given back", seconds=10)
        with http.stream("GET", "/v1/live/me", headers=headers) as again:
            assert again.status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_under_gunicorn_an_open_stream_leaves_the_worker_serving(database_url):
    """One gunicorn worker (the project's config): while a stream is open, the same
    worker still answers other requests (gthread), and events arrive unbuffered."""
    with gunicorn({"REWARDS_DATABASE_URL": database_url}, workers=1) as host, \
            httpx.Client(base_url=host.url, timeout=10) as http:
        shopper = http.post("/v1/shoppers", json={"display_name": "Rosa"},
                            headers={"Idempotency-Key": "sign-up"}).json()
        headers = {"Authorization": f"Bearer {shopper['token']}"}
        with http.stream("GET", "/v1/live/me", headers=headers) as answer:
            assert answer.headers["content-type"].startswith("text/event-stream")
            lines = answer.iter_lines()
            assert next(line for line in lines if line.startswith("event:")) == "event: checkout"
            assert http.get("/healthz").status_code == 200
            assert http.get("/v1/me", headers=headers).json()["display_name"] == "Rosa"
