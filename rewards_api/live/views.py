"""The live-update streams (Server-Sent Events): one for the signed-in shopper, one per
store for its staff. Each is ``text/event-stream``; see ``stream.py`` for the limits."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import String
from apiflask.schemas import FileSchema
from apiflask.validators import Regexp
from flask import Response, g

from rewards_api import db, i18n
from rewards_api.assist.services import active_store
from rewards_api.auth import shopper_required, staff_required
from rewards_api.live import services, stream
from rewards_api.schemas import StrictSchema
from rewards_api.staff import scope
from rewards_api.staff.models import CASHIER

bp = APIBlueprint("live", __name__, tag="Live updates")


class StreamHeaders(StrictSchema):
    class Meta:
        unknown = "exclude"  # every other header of the request

    last_event_id = String(
        data_key="Last-Event-ID", load_default=None, validate=Regexp(r"^[0-9]{1,18}$"),
        metadata={"description": "The id of the last event received: the stream resumes after it"})


EVENT_STREAM = FileSchema(type="string", format="text")


@bp.get("/v1/live/me")
@shopper_required
@bp.input(StreamHeaders, location="headers", arg_name="headers")
@bp.output(EVENT_STREAM, content_type="text/event-stream",
           description="Server-Sent Events: id (the cursor), event (its kind), data (JSON)")
@bp.doc(security="BearerAuth")
def my_live_updates(headers: dict[str, Any]) -> Response:
    """My live updates: ``points`` (an entry of my history, e.g. the walk-in welcome
    points), ``checkout`` (the register's question waiting for my answer, or null) and
    ``visit`` (the store I am in, as ``GET /v1/me/visit``, or null); these two are sent
    on connecting and whenever they change. ``503 live_updates_full`` when this
    server holds its most streams: ask ``GET /v1/me/checkout`` meanwhile."""
    shopper_id = g.signed_in.shopper_id
    cursor = (int(headers["last_event_id"]) if headers["last_event_id"]
              else services.shopper_cursor(db.session(), shopper_id))
    language = i18n.current()
    db.end_session()
    return stream.respond(services.shopper_feed(shopper_id, language), cursor)


@bp.get("/v1/live/stores/<int:store_id>")
@staff_required(CASHIER)
@bp.input(StreamHeaders, location="headers", arg_name="headers")
@bp.output(EVENT_STREAM, content_type="text/event-stream",
           description="Server-Sent Events: id (the cursor), event (its kind), data (JSON)")
@bp.doc(security="BearerAuth")
def store_live_updates(store_id: int, headers: dict[str, Any]) -> Response:
    """The store's live updates for its staff: ``help`` (a shopper asked for help) and
    ``store`` (the day's figures moved: reload the dashboard; sent on connecting too).
    ``503 live_updates_full`` when this server holds its most streams."""
    s = db.session()
    store = scope.require_store(g.staff, active_store(s, store_id))
    cursor = (int(headers["last_event_id"]) if headers["last_event_id"]
              else services.store_cursor(s, store.id))
    db.end_session()
    return stream.respond(services.store_feed(store.id), cursor)
