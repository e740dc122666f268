"""Settings from the environment (``REWARDS_*``), the one settings loader of the API.

In production (``REWARDS_ENV=production``) no secret has a default: a missing one
stops the app at start-up with a sentence naming it. In development and tests,
secrets come from ``var/dev-secrets.json`` (made on first use, never committed).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "ENV": "development",
    "DATABASE_URL": "sqlite:///var/rewards.db",
    # Largest accepted request body; photos for scans are the largest thing we take.
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    "SHOPPER_TOKEN_TTL_DAYS": 30,
    "IDEMPOTENCY_TTL_HOURS": 48,
    "HOLD_TTL_SECONDS": 300,
    "LOG_JSON": True,
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (nginx: 1).
    # 0 trusts no such header: a client could claim any address.
    "PROXY_HOPS": 0,
    # Where the dashboard and reports read (a streaming replica); empty: DATABASE_URL.
    "REPORTS_DATABASE_URL": "",
    # Walk-ins (PROTOCOLS.md sections 1-3).
    "BLE_COMPANY_ID": 0xFFFF,  # the SIG's test value; a deployment sets its own
    "AGENT_MAX_BODY_BYTES": 256 * 1024,  # a full batch of 500 events is about 150 KiB
    "SIGHTING_RETENTION_DAYS": 30,
    # An agent's outbox may hold events through an outage; older ones are refused.
    "SIGHTING_MAX_AGE_HOURS": 72,
    # Sightings of one shopper at one store this close together are one visit.
    "VISIT_IDLE_MINUTES": 30,
    # Faster than a fast train between two stores is a relayed token, not a shopper.
    "MAX_TRAVEL_KMH": 250,
    # Nobody shops for hours in one of our stores: a visit heard longer is someone who
    # lives or works there (the flat upstairs, the staff room) and earns nothing, nor do
    # that shopper's visits there for the days after it (visits.services.VisitRules).
    "RESIDENT_VISIT_HOURS": 4,
    "RESIDENT_DAYS": 7,
    # A scan counts if the shopper's visit was seen at most this long before it.
    "SCAN_VISIT_WITHIN_SECONDS": 900,
    # Scans one shopper may send per minute (counted in the database, across workers).
    "SCAN_RATE_PER_MINUTE": 30,
    # Sign-in and identification attempts (counted in the database, across workers):
    # per client (address, or register key) and minute, per target account and 15 minutes.
    "SIGN_IN_ATTEMPTS_PER_CLIENT": 20,
    "SIGN_IN_ATTEMPTS_PER_ACCOUNT": 10,
    # E-mailed sign-in codes: the mail server, the sender, how long a code works.
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "MAIL_FROM": "Proximity Rewards <rewards@localhost>",
    "SIGN_IN_CODE_TTL_MINUTES": 10,
    # Passkeys (WebAuthn): the site's domain and the exact origin the app is served from.
    "WEBAUTHN_RP_ID": "localhost",
    "WEBAUTHN_ORIGIN": "http://localhost:8000",
    # Live updates (Server-Sent Events): streams one worker process holds open at once
    # (each holds one of its REWARDS_THREADS threads: keep it below that number), how
    # often a stream asks the database what is new, the heartbeat that keeps proxies
    # from closing a quiet stream (nginx: proxy_read_timeout 35 s), and how long one
    # stream lasts before the browser reconnects (and the shopper's token is checked again).
    "LIVE_STREAMS_PER_WORKER": 8,
    "LIVE_POLL_MILLISECONDS": 1000,
    "LIVE_HEARTBEAT_SECONDS": 15,
    "LIVE_STREAM_SECONDS": 300,
}

# Secrets: name -> how to make a development value.
SECRETS: dict[str, Any] = {
    "SECRET_KEY": lambda: secrets.token_hex(32),
    # "key_id:32 hex,key_id:32 hex,...": AES-128 presence keys; the LAST one listed is the
    # newest (new tokens use it; the others keep resolving until their tokens expire).
    "PRESENCE_KEYS": lambda: f"0:{secrets.token_hex(16)}",
}

INT_SETTINGS = {"MAX_CONTENT_LENGTH", "SHOPPER_TOKEN_TTL_DAYS", "IDEMPOTENCY_TTL_HOURS",
                "HOLD_TTL_SECONDS", "PROXY_HOPS", "BLE_COMPANY_ID", "AGENT_MAX_BODY_BYTES",
                "SIGHTING_RETENTION_DAYS", "SIGHTING_MAX_AGE_HOURS", "VISIT_IDLE_MINUTES",
                "MAX_TRAVEL_KMH", "RESIDENT_VISIT_HOURS", "RESIDENT_DAYS",
                "SCAN_VISIT_WITHIN_SECONDS",
                "SCAN_RATE_PER_MINUTE", "SIGN_IN_ATTEMPTS_PER_CLIENT",
                "SIGN_IN_ATTEMPTS_PER_ACCOUNT", "SMTP_PORT", "SIGN_IN_CODE_TTL_MINUTES",
                "LIVE_STREAMS_PER_WORKER", "LIVE_POLL_MILLISECONDS", "LIVE_HEARTBEAT_SECONDS",
                "LIVE_STREAM_SECONDS"}
BOOL_SETTINGS = {"LOG_JSON"}
# Settings where 0 or less would switch a rule off or make it refuse everything.
POSITIVE_SETTINGS = {"RESIDENT_VISIT_HOURS", "RESIDENT_DAYS"}


class SettingsError(RuntimeError):
    pass


def load(environ: dict[str, str] | None = None, overrides: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    config = dict(DEFAULTS)
    for name in list(DEFAULTS) + list(SECRETS):
        raw = environ.get(f"REWARDS_{name}")
        if raw is None:
            continue
        if name in INT_SETTINGS:
            try:
                config[name] = int(raw)
            except ValueError as exc:
                raise SettingsError(f"REWARDS_{name} must be a whole number, got {raw!r}") from exc
        elif name in BOOL_SETTINGS:
            config[name] = raw.lower() in {"1", "true", "yes", "on"}
        else:
            config[name] = raw
    config.update(overrides or {})
    for name in sorted(POSITIVE_SETTINGS):
        if config[name] <= 0:
            raise SettingsError(f"REWARDS_{name} must be a positive number, got {config[name]!r}")
    missing = [name for name in SECRETS if not config.get(name)]
    if missing and config["ENV"] == "production":
        names = ", ".join(f"REWARDS_{n}" for n in missing)
        raise SettingsError(f"production mode needs these secrets in the environment: {names}")
    if missing:
        config.update({k: v for k, v in dev_secrets().items() if k in missing})
    return config


def dev_secrets(path: Path = Path("var/dev-secrets.json")) -> dict[str, Any]:
    """Development secrets, made once and shared by every worker of the demo."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        stored: dict[str, Any] = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        stored = {}
    fresh = {name: make() for name, make in SECRETS.items() if name not in stored}
    if fresh:
        stored.update(fresh)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stored, indent=2))
        tmp.chmod(0o600)
        tmp.replace(path)
    return stored
