"""Liveness and readiness."""

from __future__ import annotations

from apiflask import APIBlueprint
from sqlalchemy import text

from rewards_api import db
from rewards_api.errors import ApiError

bp = APIBlueprint("health", __name__, tag="Health")


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    """Answers ok when the app runs and its database answers."""
    try:
        db.session().execute(text("SELECT 1"))
    except Exception as exc:
        raise ApiError("service_unavailable") from exc
    return {"status": "ok"}
