"""``agent_required``: the view runs only for a request signed by an enabled agent."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request

from rewards_api import clock, db
from rewards_api.agents import services
from rewards_api.errors import ApiError
from rewards_api.observability import REJECTIONS


def agent_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Check the signature headers (PROTOCOLS.md section 3) over the method, the path
    (without query string) and the raw body; ``g.agent`` is set. The body is limited to
    ``REWARDS_AGENT_MAX_BODY_BYTES`` before it is read. Refusals are 401s with distinct
    codes, counted in ``rewards_rejections_total{area="agents"}``."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        limit = current_app.config["AGENT_MAX_BODY_BYTES"]
        try:
            if (request.content_length or 0) > limit:
                raise ApiError("body_too_large", "Send at most %(limit)s bytes per request.",
                               params={"limit": limit})
            body = request.get_data(cache=True)
            if len(body) > limit:
                raise ApiError("body_too_large", "Send at most %(limit)s bytes per request.",
                               params={"limit": limit})
            g.agent = services.authenticate(db.session(), request.headers, request.method,
                                            request.path, body, clock.now())
        except ApiError as error:
            REJECTIONS.labels("agents", error.code).inc()
            raise
        g.principal = f"agent:{g.agent.id}"
        return view(*args, **kwargs)

    return wrapper
