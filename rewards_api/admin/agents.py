"""``/v1/admin/agents/...``: provision (a one-time enrolment code for the Pi), tune and
disable beacon agents (``rewards_api.agents.services``); the list with each agent's
health is ``GET /v1/admin/agents`` (``rewards_api.agents.views``)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, String
from apiflask.validators import Length, Range
from flask import g

from rewards_api import db
from rewards_api.admin.shared import SECURITY, actor, store_by_code
from rewards_api.agents import services
from rewards_api.agents.models import Agent
from rewards_api.auth import staff_required
from rewards_api.idempotency import idempotent, issues_credential
from rewards_api.schemas import StrictSchema
from rewards_api.staff import scope
from rewards_api.staff.models import MANAGER

bp = APIBlueprint("admin_agents", __name__, tag="Admin")


class ProvisionIn(StrictSchema):
    store = String(required=True, validate=Length(min=1, max=40))
    label = String(load_default="entrance", validate=Length(min=1, max=100))


class EnrolmentOut(StrictSchema):
    agent_id = String()
    store = String()
    label = String()
    enrolment_code = String(metadata={"description": "Shown this once: on the Pi, "
                                                     "beacon-agent enrol CODE --api URL"})
    enrolment_expires_at = String()


class TuneIn(StrictSchema):
    rssi_offset = Integer(validate=Range(-50, 50),
                          metadata={"description": "dB added to every RSSI it measures"})
    enter_rssi = Integer(validate=Range(-120, 0),
                         metadata={"description": "dBm a phone must reach to count as inside"})
    dwell_seconds = Integer(validate=Range(0, 3600))
    exit_after_seconds = Integer(validate=Range(1, 3600))


class AgentOut(StrictSchema):
    agent_id = String()
    store = String()
    label = String()
    disabled = Boolean()
    rssi_offset = Integer()
    enter_rssi = Integer()
    dwell_seconds = Integer()
    exit_after_seconds = Integer()


def _agent(agent_id: int) -> Agent:
    return services.agent_in(db.session(), agent_id, scope.stores_in_scope(g.staff))


def _view(agent: Agent) -> dict[str, Any]:
    view = services.agent_view(agent)
    return {name: view[name] for name in AgentOut._declared_fields}


def _enrolment(agent: Agent) -> dict[str, Any]:
    by = actor()
    code = services.enrolment_code(db.session(), by, agent)
    return {"agent_id": str(agent.id), "store": agent.store.code, "label": agent.label,
            "enrolment_code": code,
            "enrolment_expires_at": (by.at + services.ENROLMENT_VALID).isoformat()}


@bp.post("/v1/admin/agents")
@staff_required(MANAGER)
@issues_credential
@bp.input(ProvisionIn)
@bp.output(EnrolmentOut, status_code=201)
@bp.doc(security=SECURITY)
def provision(json_data: dict[str, Any]) -> dict[str, Any]:
    """Make an agent for a store and its one-time enrolment code, with which the Pi
    fetches its id and secret (``beacon-agent enrol``). The code is in this answer
    only."""
    agent, _ = services.provision(db.session(), actor(), store_by_code(json_data["store"]).id,
                                  json_data["label"])
    return _enrolment(agent)


@bp.post("/v1/admin/agents/<int:agent_id>/enrolment-code")
@staff_required(MANAGER)
@issues_credential
@bp.output(EnrolmentOut, status_code=201)
@bp.doc(security=SECURITY)
def new_enrolment_code(agent_id: int) -> dict[str, Any]:
    """A new one-time enrolment code for an agent (a replaced Pi or SD card); an unused
    earlier one stops working."""
    return _enrolment(_agent(agent_id))


@bp.patch("/v1/admin/agents/<int:agent_id>")
@staff_required(MANAGER)
@idempotent
@bp.input(TuneIn)
@bp.output(AgentOut)
@bp.doc(security=SECURITY)
def tune(agent_id: int, json_data: dict[str, Any]) -> dict[str, Any]:
    """Change the settings the agent downloads at its next config fetch."""
    return _view(services.tune(db.session(), actor(), _agent(agent_id), json_data))


@bp.post("/v1/admin/agents/<int:agent_id>/disable")
@staff_required(MANAGER)
@idempotent
@bp.output(AgentOut)
@bp.doc(security=SECURITY)
def disable(agent_id: int) -> dict[str, Any]:
    """Refuse the agent's requests from now on (a lost or stolen Pi); provision a new
    one to replace it."""
    return _view(services.disable(db.session(), actor(), _agent(agent_id)))
