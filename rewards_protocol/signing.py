"""Agent request signing (PROTOCOLS.md section 3).

``X-Signature = hex(HMAC-SHA256(secret, METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n hex(SHA256(body))))``
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

MAX_CLOCK_SKEW_SECONDS = 300
NONCE_BYTES = 16
HEADER_AGENT = "X-Agent-Id"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join([method.upper(), path, timestamp, nonce,
                      hashlib.sha256(body).hexdigest()]).encode()


def signature(secret: bytes, method: str, path: str, timestamp: str, nonce: str,
              body: bytes) -> str:
    return hmac.new(secret, string_to_sign(method, path, timestamp, nonce, body),
                    hashlib.sha256).hexdigest()


def sign_headers(agent_id: str, secret: bytes, method: str, path: str, body: bytes,
                 *, now: float | None = None, nonce: str | None = None) -> dict[str, str]:
    """The four headers an agent sends with a request."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_hex(NONCE_BYTES)
    return {
        HEADER_AGENT: agent_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(secret, method, path, timestamp, nonce, body),
    }


def signature_matches(secret: bytes, method: str, path: str, timestamp: str, nonce: str,
                      body: bytes, given: str) -> bool:
    expected = signature(secret, method, path, timestamp, nonce, body)
    return hmac.compare_digest(expected, given.lower())


def timestamp_fresh(timestamp: str, now: float) -> bool:
    try:
        return abs(int(timestamp) - now) <= MAX_CLOCK_SKEW_SECONDS
    except ValueError:
        return False


def nonce_well_formed(nonce: str) -> bool:
    """16 or more random bytes, hex-encoded."""
    if len(nonce) < 2 * NONCE_BYTES or len(nonce) > 128 or len(nonce) % 2:
        return False
    try:
        bytes.fromhex(nonce)
    except ValueError:
        return False
    return True
