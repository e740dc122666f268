"""Property-based fuzzing of every operation of ``/openapi.json`` (schemathesis), on
SQLite and PostgreSQL, as nobody, a shopper, a cashier, a manager, an admin and a
signed beacon agent: no answer is a 5xx, every 4xx is in the error shape with a
registered code and a sentence.

Bounded and repeatable: examples are derandomized (the same ones every run),
``EXAMPLES`` per operation and database, half fitting the schema and half not; in a
third of them one path, query or body value (at any depth) is replaced by a value of a
hostile family, so a field the schema leaves open meets them too. Every failure of an
operation is collected before the test fails, so one run shows them all.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core import NotSet
from schemathesis.generation.modes import GenerationMode

from rewards_api import create_app
from rewards_api.errors import REGISTRY
from tests.rewards_api.walkins.conftest import T0, provision
from tests.support.clock import Clock
from tests.support.shop import build_shop

EXAMPLES = 20
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# One value per hostile family; URLs cannot carry unpaired surrogates, bodies can.
HOSTILE_IN_URL = [2**64 + 1, -(2**63) - 1, 10**30, 0, -1, "1e308", "a\x00b", "", "9" * 40,
                  "0001-01-01", "9999-12-31", "x" * 3000]
HOSTILE = [*HOSTILE_IN_URL, 1e308, -1e308, "\ud800", "\udfff tail", None, True, [], {},
           json.loads("[" * 40 + "]" * 40)]
IDENTITIES = ["nobody", "shopper", "cashier", "manager", "admin", "agent"]
# Who an operation is for, by path: half the examples go as one of them (so that they
# get past sign-in and reach the checks behind it), half as anyone.
INTENDED = [("/v1/agents/config", ["agent"]), ("/v1/agents/heartbeat", ["agent"]),
            ("/v1/agents/sightings", ["agent"]), ("/v1/admin", ["manager", "admin"]),
            ("/v1/pos", ["cashier"]), ("/v1/stores", ["shopper", "cashier", "manager"]),
            ("/v1/", ["shopper"]), ("/", ["nobody"])]


def _intended(label: str) -> list[str]:
    path = label.split(" ", 1)[1]
    return next(who for prefix, who in INTENDED if path.startswith(prefix))


def _labels() -> list[str]:
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "LOG_JSON": False})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    return sorted(result.ok().label for result in schema.get_all_operations())


OPERATIONS = _labels()


def test_every_operation_is_fuzzed():
    assert "POST /v1/pos/checkouts/{checkout_id}/returns" in OPERATIONS
    assert "POST /v1/agents/heartbeat" in OPERATIONS
    assert len(OPERATIONS) >= 30


def _problem(response: Any) -> str | None:
    """What is wrong with an answer, or None."""
    if response.status_code >= 500:
        return "5xx"
    if response.status_code < 400:
        return None
    try:
        error = json.loads(response.get_data())["error"]
    except (ValueError, KeyError, TypeError):
        return "4xx without the error shape"
    if error.get("code") not in REGISTRY:
        return "4xx with an unregistered code"
    if not (isinstance(error.get("message"), str) and error["message"].endswith(".")):
        return "4xx without a sentence"
    return None


class Caller:
    """Sends a generated case as one identity would: bearer credentials, or the agent's
    signature over the exact body; a fresh Idempotency-Key on every change. With
    ``real_ids`` the ids in the path are ones that exist (the cashier's store, an open
    checkout of a shopper with points, committed for returns), so that bodies reach
    the checks behind the 404."""

    def __init__(self, app: Any, api: Any, world: Any, label: str) -> None:
        self.client = app.test_client()
        self.real_ids = {"store_id": world.store_ids[0]}
        if "{checkout_id}" in label:
            shop = build_shop(app, api, world)
            checkout_id = shop.open().get_json()["id"]
            if label.endswith("/returns"):  # only a committed sale takes returns
                committed = shop.commit(checkout_id)
                assert committed.status_code == 200, committed.get_json()
            self.real_ids["checkout_id"] = checkout_id
        clock = Clock(T0)
        app.config["CLOCK"] = clock
        self.agent = provision(app, self.client, clock, world.store_ids[0])
        shopper = api.register("Fuzzed Shopper")
        self.bearers = {"nobody": None, "shopper": shopper["token"],
                        "cashier": world.keys["cashier"], "manager": world.keys["manager"],
                        "admin": world.keys["admin"]}

    def send(self, case: Any, who: str, real_ids: bool) -> Any:
        if real_ids and case.path_parameters:
            case.path_parameters = {**case.path_parameters,
                                    **{k: v for k, v in self.real_ids.items()
                                       if k in case.path_parameters}}
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        body = b""
        if not isinstance(case.body, NotSet):
            body = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
            headers.setdefault("Content-Type", case.media_type or "application/json")
        if case.method.upper() in MUTATING:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        path = case.formatted_path
        if who == "agent":
            headers.update(self.agent.headers(case.method.upper(), path.split("?")[0], body))
        elif self.bearers[who]:
            headers["Authorization"] = f"Bearer {self.bearers[who]}"
        # Buffered: a live-update stream is read to its end and closed, as a server would.
        return self.client.open(path, method=case.method.upper(), headers=headers,
                                query_string=case.query or None, data=body, buffered=True)


def _body_places(value: Any, trail: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The key paths of every value inside a JSON body."""
    inner = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else [])
    places = []
    for key, item in inner:
        places.append((*trail, key))
        places.extend(_body_places(item, (*trail, key)))
    return places


def _put(value: Any, trail: tuple[Any, ...], new: Any) -> None:
    for key in trail[:-1]:
        value = value[key]
    value[trail[-1]] = new


def _make_hostile(case: Any, data: st.DataObject) -> None:
    places = [("path_parameters", key) for key in case.path_parameters or {}]
    places += [("query", key) for key in case.query or {}]
    if isinstance(case.body, (dict, list)):
        places += [("body", *trail) for trail in _body_places(case.body)]
    if not places:
        return
    where, *trail = data.draw(st.sampled_from(places))
    new = data.draw(st.sampled_from(HOSTILE if where == "body" else HOSTILE_IN_URL))
    if where == "body":
        _put(case.body, tuple(trail), new)
    else:
        setattr(case, where, {**getattr(case, where), trail[0]: new})


@pytest.mark.parametrize("label", OPERATIONS)
def test_fuzzed_operation_never_fails_and_refuses_in_the_error_shape(app, api, world, label):
    caller = Caller(app, api, world, label)
    operation = schemathesis.openapi.from_wsgi("/openapi.json", app).find_operation_by_label(label)
    assert operation is not None
    failures: list[tuple[str, ...]] = []
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    who = st.one_of(st.sampled_from(_intended(label)), st.sampled_from(IDENTITIES))

    @given(case=cases, who=who, real_ids=st.booleans(), hostile=st.integers(0, 2),
           data=st.data())
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    def probe(case: Any, who: str, real_ids: bool, hostile: int, data: st.DataObject) -> None:
        if hostile == 0:
            _make_hostile(case, data)
        response = caller.send(case, who, real_ids)
        problem = _problem(response)
        if problem:
            failures.append((problem, who, case.formatted_path, str(case.query)[:200],
                             repr(case.body)[:200], response.get_data(as_text=True)[:200]))

    probe()
    assert not failures, "\n".join(map(str, failures[:10]))
