"""The shopper's presence tokens (PROTOCOLS.md section 1)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Integer, String
from apiflask.validators import Range
from flask import g

from rewards_api import clock
from rewards_api.auth import shopper_required
from rewards_api.errors import ApiError
from rewards_api.schemas import StrictSchema
from rewards_api.walkins import presence
from rewards_protocol.presence import WINDOW_SECONDS, window_of

bp = APIBlueprint("walkins", __name__, tag="Walk-ins")

# Seven days of 10-minute windows: a phone without signal keeps advertising a week.
MAX_WINDOWS = 7 * 24 * 3600 // WINDOW_SECONDS


class TokensQuery(StrictSchema):
    start = Integer(load_default=None, data_key="from",
                    metadata={"description": "Unix time of the first window; default now"})
    count = Integer(load_default=144, validate=Range(min=1, max=MAX_WINDOWS),
                    metadata={"description": f"Number of windows, at most {MAX_WINDOWS}"})


class TokenOut(StrictSchema):
    window = Integer()
    key_id = Integer()
    token = String(metadata={"description": "32 hex digits, advertised in the BLE frame"})


@bp.get("/v1/me/presence-tokens")
@shopper_required
@bp.input(TokensQuery, location="query")
@bp.output(TokenOut(many=True))
@bp.doc(security="BearerAuth")
def presence_tokens(query_data: dict[str, Any]) -> list[dict[str, Any]]:
    """The tokens the phone advertises, one per 10-minute window, from ``from`` on
    (at most 7 days ahead of now)."""
    current = window_of(clock.now().timestamp())
    first = current if query_data["start"] is None else window_of(query_data["start"])
    count = query_data["count"]
    if first < current - 1 or first + count > current + MAX_WINDOWS + 1:
        raise ApiError("invalid_request",
                       "Ask for tokens from now on, up to 7 days ahead.",
                       details={"from": ["out of range"]})
    keys = presence.keys()
    tokens = []
    for window in range(first, first + count):
        key_id, token = keys.seal(g.shopper.shopper_ref, window)
        tokens.append({"window": window, "key_id": key_id, "token": token.hex()})
    return tokens
