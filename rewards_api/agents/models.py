"""Beacon agents (one Raspberry Pi per store entrance) and the nonces of their requests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rewards_api import clock
from rewards_api.db import Base, BigIntId, intpk
from rewards_api.stores.models import Store


class Agent(Base):
    """An agent of one store. Its HMAC secret is stored encrypted, not hashed: checking a
    signature needs the secret itself (see ``agents.services.secret_box``)."""

    __tablename__ = "agents"

    id: Mapped[intpk]
    store_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("stores.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    secret_encrypted: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=clock.now)
    disabled_at: Mapped[dt.datetime | None]
    # Settings the agent downloads (GET /v1/agents/config), tuned centrally per agent.
    # Added to every RSSI the radio reports: evens out antennas and enclosures.
    rssi_offset: Mapped[int] = mapped_column(default=0)
    # A phone counts as in the store once it is this strong (dBm, after the offset) ...
    enter_rssi: Mapped[int] = mapped_column(default=-75)
    # ... for this long, which keeps passers-by on the pavement out.
    dwell_seconds: Mapped[int] = mapped_column(default=20)
    # Unseen this long: the shopper has left.
    exit_after_seconds: Mapped[int] = mapped_column(default=90)
    # The last heartbeat.
    last_seen_at: Mapped[dt.datetime | None]
    queue_depth: Mapped[int | None]
    software_version: Mapped[str | None] = mapped_column(String(40))
    adverts_per_second: Mapped[float | None]
    scanner_state: Mapped[str | None] = mapped_column(String(40))
    # Events the API refused for good and the agent set aside (see beacon_agent.upload).
    refused_events: Mapped[int | None]
    last_refusal_code: Mapped[str | None] = mapped_column(String(40))
    # Its calibration as its last heartbeat reported it (NULL: an agent too old to say).
    # ``calibration.STATES``, ``METHODS`` and ``ADVICE`` name the codes.
    calibration_state: Mapped[str | None] = mapped_column(String(20))
    calibration_method: Mapped[str | None] = mapped_column(String(20))
    calibrated_at: Mapped[dt.datetime | None]
    # The loudest level heard from outside, and the level of a phone just inside (dBm).
    outside_dbm: Mapped[float | None]
    inside_dbm: Mapped[float | None]
    calibration_advice: Mapped[list[str] | None] = mapped_column(JSON)

    store: Mapped[Store] = relationship(lazy="joined")


class NearbyHour(Base):
    """App phones an agent first heard in one UTC hour (``nearby`` of its heartbeats,
    added up): the first stage of the results' funnel. One row per agent and hour, so
    the agents of a store never wait for each other's heartbeats."""

    __tablename__ = "agent_nearby_hours"
    __table_args__ = (Index("ix_agent_nearby_hours_store_id_hour", "store_id", "hour"),)

    agent_id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    hour: Mapped[dt.datetime] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(BigIntId)
    phones: Mapped[int]


class AgentNonce(Base):
    """A nonce an agent used, kept until its request's timestamp could no longer be
    accepted; the primary key makes a replay fail in every web process at once."""

    __tablename__ = "agent_nonces"
    __table_args__ = (Index("ix_agent_nonces_expires_at", "expires_at"),)

    agent_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("agents.id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[dt.datetime]


class AgentEnrolment(Base):
    """The one-time code with which an agent's Pi fetches its id and secret
    (``POST /v1/agents/enrol``). Only the code's SHA-256 is stored; a new code for the
    agent replaces an unused one."""

    __tablename__ = "agent_enrolments"

    agent_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("agents.id"), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
