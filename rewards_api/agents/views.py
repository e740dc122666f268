"""Agent endpoints (signed, PROTOCOLS.md section 3) and the managers' view of agents.

Agents do not send Idempotency-Key: a sighting is idempotent by its ``event_id``, a
heartbeat and a config read are harmless to repeat: their unit of work is
``db.unit_of_work`` (the signature check's nonce is committed with it).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import AwareDateTime, Boolean, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import g, request
from marshmallow import ValidationError, validates_schema
from sqlalchemy import select

from rewards_api import clock, db
from rewards_api.agents import calibration, services
from rewards_api.agents.auth import agent_required
from rewards_api.auth import staff_required
from rewards_api.errors import ApiError
from rewards_api.idempotency import issues_credential
from rewards_api.schemas import StrictSchema
from rewards_api.signin.throttle import throttled
from rewards_api.staff import scope
from rewards_api.staff.models import MANAGER
from rewards_api.stores.models import Store
from rewards_api.walkins import services as walkins
from rewards_protocol.events import (
    ACCEPTED,
    CONFIG_PATH,
    DUPLICATE,
    ENROL_PATH,
    HEARTBEAT_PATH,
    MAX_BATCH_EVENTS,
    REJECTED,
    SIGHTINGS_PATH,
)

bp = APIBlueprint("agents", __name__, tag="Agents")

_SIGNED = {"description": "Signed with X-Agent-Id, X-Timestamp, X-Nonce, X-Signature "
                          "(PROTOCOLS.md section 3). 401 codes: unknown_agent, bad_signature, "
                          "timestamp_out_of_window, nonce_reused, agent_disabled."}


class CalibrationIn(StrictSchema):
    state = String(required=True, validate=OneOf(calibration.STATES))
    method = String(required=True, allow_none=True, validate=OneOf(calibration.METHODS))
    calibrated_at = AwareDateTime(required=True, allow_none=True,
                                  validate=Range(dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
                                                 dt.datetime(2999, 12, 31, tzinfo=dt.UTC)),
                                  metadata={"description": "ISO-8601 UTC"})
    outside_dbm = Float(required=True, allow_none=True, validate=Range(
        calibration.LOWEST_DBM, calibration.HIGHEST_DBM), metadata={
            "description": "Loudest level (dBm, smoothed) heard from outside at the agent"})
    inside_dbm = Float(required=True, allow_none=True, validate=Range(
        calibration.LOWEST_DBM, calibration.HIGHEST_DBM), metadata={
            "description": "Level a phone just inside the door reaches (dBm)"})
    advice = List(String(validate=OneOf(list(calibration.ADVICE))), required=True,
                  validate=Length(max=len(calibration.ADVICE)))

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        if data["state"] == calibration.CALIBRATED and data["method"] is None:
            raise ValidationError("A calibrated agent says how: walk_test or traffic.", "method")
        if len(set(data["advice"])) != len(data["advice"]):
            raise ValidationError("Each advice once.", "advice")


class HeartbeatIn(StrictSchema):
    # The outbox holds at most 200,000 events (beacon_agent/constants.py); room to grow.
    queue_depth = Integer(required=True, validate=Range(0, 100_000_000))
    software_version = String(required=True, validate=Length(min=1, max=40))
    adverts_per_second = Float(required=True, validate=Range(min=0))
    scanner_state = String(required=True, validate=Length(min=1, max=40))
    # Agents before these fields send neither.
    refused_events = Integer(load_default=0, validate=Range(0, 100_000_000))
    last_refusal_code = String(load_default=None, allow_none=True, validate=Length(min=1, max=40))
    # Agents before calibration send neither (PROTOCOLS.md section 3).
    calibration = Nested(CalibrationIn, load_default=None, allow_none=True, metadata={
        "description": "The agent's calibration: absent from agents that do not report it"})
    nearby = Integer(load_default=None, strict=True, validate=Range(0, services.MAX_NEARBY), metadata={
        "description": "App phones first heard since the previous heartbeat"})


class EnrolIn(StrictSchema):
    code = String(required=True, validate=Length(min=1, max=40),
                  metadata={"description": "The one-time enrolment code the back office "
                                           "gave for this agent (dashes optional)"})


class EnrolOut(StrictSchema):
    agent_id = String()
    secret = String(metadata={"description": "The agent's signing secret, hex: given once"})
    store = String()


class HeartbeatOut(StrictSchema):
    recorded = Boolean()


class SightingResultOut(StrictSchema):
    event_id = String(allow_none=True, metadata={"description": "null when the event had none"})
    status = String(metadata={"description": "accepted, duplicate or rejected"})
    reason = String(allow_none=True, metadata={"description": "why it was rejected"})


class SightingsOut(StrictSchema):
    results = List(Nested(SightingResultOut), metadata={"description": "one per event, in order"})
    accepted = Integer()
    duplicate = Integer()
    rejected = Integer()


# The sightings answer is described, not dumped through the schema: this is the ingest
# hot path (bench walkins).
_SIGHTINGS_ANSWER: dict[int | str, dict[str, str | dict[str, dict[str, Any]]]] = {
    200: {"description": "One result per event, in order",
          "content": {"application/json": {"schema": SightingsOut}}}}


class AdviceOut(StrictSchema):
    code = String(metadata={"description": ", ".join(calibration.ADVICE)})
    text = String(metadata={"description": "What to do, in the request's language"})
    attention = Boolean(metadata={"description": "Whether it asks someone to act (false: "
                                                 "for information only)"})


class CalibrationOut(StrictSchema):
    state = String(allow_none=True, metadata={
        "description": "default, learning or calibrated; null: the agent does not report it"})
    method = String(allow_none=True, metadata={"description": "walk_test or traffic"})
    calibrated_at = String(allow_none=True)
    outside_dbm = Float(allow_none=True)
    inside_dbm = Float(allow_none=True)
    summary = String(metadata={"description": "The calibration in words: \"Calibrated on 2 "
                                              "Dec by walk test\", \"Safe defaults\""})
    advice = List(Nested(AdviceOut))


class AgentHealthOut(StrictSchema):
    agent_id = String()
    store = String()
    label = String()
    disabled = Boolean()
    last_seen_at = String(allow_none=True)
    queue_depth = Integer(allow_none=True)
    software_version = String(allow_none=True)
    adverts_per_second = Float(allow_none=True)
    scanner_state = String(allow_none=True)
    refused_events = Integer(allow_none=True)
    last_refusal_code = String(allow_none=True)
    rssi_offset = Integer()
    enter_rssi = Integer()
    dwell_seconds = Integer()
    exit_after_seconds = Integer()
    calibration = Nested(CalibrationOut)


class AgentsOut(StrictSchema):
    agents = List(Nested(AgentHealthOut))


class AgentsQuery(StrictSchema):
    store = String(load_default=None, metadata={"description": "Store code; default: your store"})


@bp.get(CONFIG_PATH)
@agent_required
@bp.doc(description=_SIGNED["description"])
def config() -> dict[str, Any]:
    """The agent's settings (RSSI offset and thresholds, BLE company id), tuned centrally."""
    return services.agent_config(g.agent)


@bp.post(HEARTBEAT_PATH)
@agent_required
@db.unit_of_work
@bp.input(HeartbeatIn)
@bp.output(HeartbeatOut)
@bp.doc(description=_SIGNED["description"])
def heartbeat(json_data: dict[str, Any]) -> dict[str, Any]:
    """Record that the agent is alive, with its outbox depth, scanner state, the events
    it set aside because the API refused them, its calibration and the app phones it
    heard nearby. A heartbeat counts once: a replay of the signed request is refused
    (``nonce_reused``) and its phones are not added again."""
    now = clock.now()
    services.record_heartbeat(g.agent, json_data, now)
    services.record_nearby(db.session(), g.agent, json_data["nearby"], now)
    return {"recorded": True}


@bp.post(SIGHTINGS_PATH)
@agent_required
@db.unit_of_work
@bp.doc(responses=_SIGHTINGS_ANSWER, description=_SIGNED["description"] + " Body: {\"events\": [...]} with at most "
        f"{MAX_BATCH_EVENTS} events (413 batch_too_large). Answer: one result per event, in "
        "order: {\"event_id\", \"status\": accepted|duplicate|rejected, \"reason\"}.")
def sightings() -> dict[str, Any]:
    """Take a batch of presence events; each is answered on its own."""
    try:
        body = json.loads(request.get_data(cache=True))
    except ValueError as exc:
        raise ApiError("malformed_json") from exc
    if not isinstance(body, dict) or set(body) != {"events"} or not isinstance(body["events"], list):
        raise ApiError("invalid_request", 'The body is {"events": [...]} and nothing else.')
    if len(body["events"]) > MAX_BATCH_EVENTS:
        raise ApiError("batch_too_large")
    results = walkins.ingest(db.session(), g.agent, body["events"], clock.now())
    counts = {status: sum(r["status"] == status for r in results)
              for status in (ACCEPTED, DUPLICATE, REJECTED)}
    return {"results": results, **counts}


@bp.post(ENROL_PATH)
@issues_credential
@bp.input(EnrolIn)
@bp.output(EnrolOut)
@throttled(lambda _body: [], failures=frozenset({"enrolment_code_invalid"}))
def enrol(json_data: dict[str, Any]) -> dict[str, Any]:
    """The Pi's first call (``beacon-agent enrol CODE``): its id and signing secret for
    a one-time enrolment code; ``401 enrolment_code_invalid`` for a code unknown, used,
    expired or of a disabled agent. Not signed (the agent has no secret yet) and never
    stored for a retry: a retry is refused, ask for a new code. Wrong codes count
    against the caller's address like failed sign-ins (``429 too_many_attempts``)."""
    agent, secret = services.enrol(db.session(), json_data["code"], clock.now())
    return {"agent_id": str(agent.id), "secret": secret, "store": agent.store.code}


@bp.get("/v1/admin/agents")
@staff_required(MANAGER)
@bp.input(AgentsQuery, location="query")
@bp.output(AgentsOut)
@bp.doc(security="BearerAuth")
def list_agents(query_data: dict[str, Any]) -> dict[str, Any]:
    """A store's agents with their last heartbeat (managers: their store; admins: any,
    or all without ``store``)."""
    s = db.session()
    stores = scope.stores_in_scope(g.staff)
    if query_data["store"] is not None:
        store = scope.require_store(g.staff, s.scalars(
            select(Store).where(Store.code == query_data["store"])).first())
        stores = Store.id == store.id
    return {"agents": [services.agent_view(a) for a in services.agents_of(s, stores)]}
