"""Agents: provisioning, signed-request checks (PROTOCOLS.md section 3), heartbeats.

An agent's secret is needed in clear to check an HMAC, so it cannot be stored as a
digest like staff keys. It is stored encrypted with Fernet under a key derived (HKDF)
from ``REWARDS_SECRET_KEY``: a copy of the database alone does not let anyone sign as
an agent. Changing ``REWARDS_SECRET_KEY`` therefore means provisioning agents again.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rewards_api.agents import calibration
from rewards_api.agents.models import Agent, AgentEnrolment, AgentNonce, NearbyHour
from rewards_api.audit import services as audit
from rewards_api.audit.services import Actor
from rewards_api.credentials import digest
from rewards_api.db import insert_ignoring_conflicts, rows_changed
from rewards_api.errors import ApiError
from rewards_api.stores.models import Store
from rewards_protocol import signing

SECRET_BYTES = 32
# Enrolment codes: no 0/O, 1/I/L or U, so a code read aloud or off paper is typed right;
# 16 of 30 symbols is 78 bits, beyond guessing within their life.
ENROLMENT_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
# An installer may come next week.
ENROLMENT_VALID = dt.timedelta(days=7)
# App phones one agent may first hear between two heartbeats (a minute apart; a busy
# mall entrance passes a few hundred).
MAX_NEARBY = 100_000
TUNABLE = ("rssi_offset", "enter_rssi", "dwell_seconds", "exit_after_seconds")
FIELDS = ("label", "store_id", "disabled_at", *TUNABLE)


def init_app(app: Flask) -> None:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"rewards agent secrets").derive(app.config["SECRET_KEY"].encode())
    app.extensions["agent_secret_box"] = Fernet(base64.urlsafe_b64encode(key))


def secret_box() -> Fernet:
    box: Fernet = current_app.extensions["agent_secret_box"]
    return box


def provision(s: Session, actor: Actor, store_id: int, label: str) -> tuple[Agent, str]:
    """A new agent for the store and its secret (hex). The secret is shown only now: to
    a Pi set up by hand or by the demo; the back office gives the installer a one-time
    enrolment code instead (``enrolment_code``)."""
    secret = secrets.token_bytes(SECRET_BYTES)
    agent = Agent(store_id=store_id, label=label,
                  secret_encrypted=secret_box().encrypt(secret).decode())
    s.add(agent)
    s.flush()
    _audit(s, actor, audit.CREATE, agent, None)
    return agent, secret.hex()


def _audit(s: Session, actor: Actor, action: str, agent: Agent,
           before: dict[str, Any] | None) -> None:
    audit.record(s, actor, action, "agent", agent.id, store_id=agent.store_id,
                 chain_id=s.get_one(Store, agent.store_id).chain_id, before=before,
                 after=audit.snapshot(agent, FIELDS))


def _normalized_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def enrolment_code(s: Session, actor: Actor, agent: Agent) -> str:
    """A one-time code (``XXXX-XXXX-XXXX-XXXX``) the installer types on the agent's Pi
    (``beacon-agent enrol CODE``), valid ``ENROLMENT_VALID``; it replaces an unused
    earlier one. Shown only now: its digest is stored."""
    if agent.disabled_at is not None:  # a conflict with its state, not the caller's key
        raise ApiError("agent_disabled", "This agent was disabled; provision a new one.",
                       status=409)
    code = "".join(secrets.choice(ENROLMENT_ALPHABET) for _ in range(16))
    s.execute(delete(AgentEnrolment).where(AgentEnrolment.agent_id == agent.id))
    s.add(AgentEnrolment(agent_id=agent.id, code_hash=digest(_normalized_code(code)),
                         expires_at=actor.at + ENROLMENT_VALID))
    s.flush()
    audit.record(s, actor, audit.ENROL, "agent", agent.id, store_id=agent.store_id,
                 chain_id=s.get_one(Store, agent.store_id).chain_id,
                 after={"enrolment_code_expires_at": (actor.at + ENROLMENT_VALID).isoformat()})
    return "-".join(code[i:i + 4] for i in range(0, 16, 4))


def enrol(s: Session, code: str, now: dt.datetime) -> tuple[Agent, str]:
    """The agent an enrolment code belongs to, and its secret (hex), once: the code is
    spent by a conditional UPDATE, so two Pis racing with one code get it once.
    ``enrolment_code_invalid`` for a code unknown, used, expired or of a disabled agent."""
    enrolment = s.scalars(select(AgentEnrolment).where(
        AgentEnrolment.code_hash == digest(_normalized_code(code)))).first()
    if enrolment is None or enrolment.expires_at <= now:
        raise ApiError("enrolment_code_invalid")
    agent = s.get_one(Agent, enrolment.agent_id)
    spent = s.execute(update(AgentEnrolment).where(
        AgentEnrolment.agent_id == agent.id, AgentEnrolment.used_at.is_(None)).values(used_at=now))
    if rows_changed(spent) != 1 or agent.disabled_at is not None:
        raise ApiError("enrolment_code_invalid")
    try:
        secret = secret_box().decrypt(agent.secret_encrypted.encode())
    except InvalidToken as exc:
        raise ApiError("enrolment_code_invalid", "This agent's secret can no longer be read "
                       "(the server's secret key changed); provision the agent again.") from exc
    audit.record(s, Actor(f"agent:{agent.id}", now), audit.ENROL, "agent", agent.id,
                 store_id=agent.store_id, chain_id=agent.store.chain_id,
                 after={"enrolled_at": now.isoformat()})
    return agent, secret.hex()


def agent_in(s: Session, agent_id: int, stores: ColumnElement[bool]) -> Agent:
    """Agent ``agent_id`` if its store meets ``stores``, else ``agent_not_found``."""
    agent = next((a for a in agents_of(s, stores & (Agent.id == agent_id))), None)
    if agent is None:
        raise ApiError("agent_not_found")
    return agent


def disable(s: Session, actor: Actor, agent: Agent) -> Agent:
    """Refuse the agent's requests from now on (a second time changes nothing)."""
    if agent.disabled_at is None:
        before = audit.snapshot(agent, FIELDS)
        agent.disabled_at = actor.at
        s.execute(delete(AgentEnrolment).where(AgentEnrolment.agent_id == agent.id,
                                               AgentEnrolment.used_at.is_(None)))
        s.flush()
        _audit(s, actor, audit.DISABLE, agent, before)
    return agent


def tune(s: Session, actor: Actor, agent: Agent, settings: dict[str, int | None]) -> Agent:
    """Change the settings the agent downloads (``TUNABLE``; None leaves one as it is)."""
    before = audit.snapshot(agent, FIELDS)
    for name in TUNABLE:
        if settings.get(name) is not None:
            setattr(agent, name, settings[name])
    s.flush()
    _audit(s, actor, audit.CHANGE, agent, before)
    return agent


def authenticate(s: Session, headers: Any, method: str, path: str, body: bytes,
                 now: dt.datetime) -> Agent:
    """The agent that signed this request, or an ApiError with a distinct code.

    Order: who (``unknown_agent``), proof (``bad_signature``), then freshness
    (``timestamp_out_of_window``), ``agent_disabled`` and replay (``nonce_reused``),
    so that only the holder of the secret learns anything beyond "unknown".
    The nonce is recorded in the caller's transaction.
    """
    agent_id = headers.get(signing.HEADER_AGENT, "")
    timestamp = headers.get(signing.HEADER_TIMESTAMP, "")
    nonce = headers.get(signing.HEADER_NONCE, "")
    given = headers.get(signing.HEADER_SIGNATURE, "")
    agent = s.get(Agent, int(agent_id)) if agent_id.isdigit() and len(agent_id) < 19 else None
    if agent is None:
        raise ApiError("unknown_agent")
    try:
        secret = secret_box().decrypt(agent.secret_encrypted.encode())
    except InvalidToken as exc:
        raise ApiError("unknown_agent", "This agent's secret can no longer be read (the server's "
                       "secret key changed); provision the agent again.") from exc
    if not (timestamp and nonce and given) or not signing.signature_matches(
            secret, method, path, timestamp, nonce, body, given):
        raise ApiError("bad_signature")
    if not signing.timestamp_fresh(timestamp, now.timestamp()):
        # The agent proved its secret: tell it our time, so that an agent without a
        # real-time clock (a Pi before NTP) can correct itself and sign again.
        raise ApiError("timestamp_out_of_window", details={"server_time": int(now.timestamp())})
    if agent.disabled_at is not None:
        raise ApiError("agent_disabled")
    if not signing.nonce_well_formed(nonce):
        raise ApiError("bad_signature", "X-Nonce must be 16 to 64 random bytes, hex-encoded.")
    # A request stays acceptable until its timestamp is MAX_CLOCK_SKEW old: keep the
    # nonce that long, then it can go (the timestamp check refuses the replay).
    expires = dt.datetime.fromtimestamp(int(timestamp) + signing.MAX_CLOCK_SKEW_SECONDS, dt.UTC)
    claimed = insert_ignoring_conflicts(
        s, AgentNonce, [{"agent_id": agent.id, "nonce": nonce.lower(), "expires_at": expires}],
        ["agent_id", "nonce"], AgentNonce.nonce)
    if not claimed:
        raise ApiError("nonce_reused")
    if nonce.startswith("0"):
        # About one request in 16 (nonces are random) clears the agent's expired nonces,
        # so the table stays small without a statement on every request.
        s.execute(delete(AgentNonce).where(AgentNonce.agent_id == agent.id,
                                           AgentNonce.expires_at < now))
    return agent


def agent_config(agent: Agent) -> dict[str, Any]:
    """What ``GET /v1/agents/config`` answers: the agent's centrally tuned settings."""
    return {
        "agent_id": str(agent.id), "store": agent.store.code,
        "company_id": current_app.config["BLE_COMPANY_ID"],
        "rssi_offset": agent.rssi_offset, "enter_rssi": agent.enter_rssi,
        "dwell_seconds": agent.dwell_seconds, "exit_after_seconds": agent.exit_after_seconds,
        "max_batch_events": 500,
    }


def record_heartbeat(agent: Agent, beat: dict[str, Any], now: dt.datetime) -> None:
    agent.last_seen_at = now
    agent.queue_depth = beat["queue_depth"]
    agent.software_version = beat["software_version"]
    agent.adverts_per_second = beat["adverts_per_second"]
    agent.scanner_state = beat["scanner_state"]
    agent.refused_events = beat["refused_events"]
    agent.last_refusal_code = beat["last_refusal_code"]
    calibration.record(agent, beat.get("calibration"))


def record_nearby(s: Session, agent: Agent, phones: int | None, now: dt.datetime) -> None:
    """Add a heartbeat's app phones nearby to its agent's hour, in the heartbeat's own
    transaction (with its nonce): one upsert, and none for a quiet minute."""
    if not phones:
        return
    hour = now.replace(minute=0, second=0, microsecond=0)
    statement = (postgresql.insert(NearbyHour) if s.get_bind().dialect.name == "postgresql"
                 else sqlite.insert(NearbyHour))
    statement = statement.values(agent_id=agent.id, hour=hour, store_id=agent.store_id,
                                 phones=phones)
    s.execute(statement.on_conflict_do_update(
        index_elements=["agent_id", "hour"],
        set_={"phones": NearbyHour.phones + statement.excluded.phones}))


def agents_of(s: Session, stores: ColumnElement[bool]) -> list[Agent]:
    """The agents of the stores that meet ``stores`` (a condition on ``Store``)."""
    return list(s.scalars(select(Agent).join(Store, Store.id == Agent.store_id)
                          .where(stores).order_by(Agent.id)))


def agent_view(agent: Agent) -> dict[str, Any]:
    return {
        "agent_id": str(agent.id), "store": agent.store.code, "label": agent.label,
        "disabled": agent.disabled_at is not None,
        "last_seen_at": agent.last_seen_at.isoformat() if agent.last_seen_at else None,
        "queue_depth": agent.queue_depth, "software_version": agent.software_version,
        "adverts_per_second": agent.adverts_per_second, "scanner_state": agent.scanner_state,
        "refused_events": agent.refused_events, "last_refusal_code": agent.last_refusal_code,
        "rssi_offset": agent.rssi_offset, "enter_rssi": agent.enter_rssi,
        "dwell_seconds": agent.dwell_seconds, "exit_after_seconds": agent.exit_after_seconds,
        "calibration": calibration.view(agent),
    }


def purge_nonces(s: Session, now: dt.datetime) -> int:
    """Nonces whose requests could no longer be accepted anyway (``rewards-api purge``)."""
    return rows_changed(s.execute(delete(AgentNonce).where(AgentNonce.expires_at < now)))
