"""Store dashboard endpoints: the figures as JSON and the charts as SVG (managers of
the store, and admins)."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Integer
from apiflask.validators import Range
from flask import Response, g

from rewards_api import clock, db
from rewards_api.auth import staff_required
from rewards_api.dashboard import charts, services
from rewards_api.errors import ApiError
from rewards_api.schemas import StrictSchema
from rewards_api.staff import scope
from rewards_api.staff.models import MANAGER
from rewards_api.stores.models import Store

bp = APIBlueprint("dashboard", __name__, tag="Dashboard")


class DashboardQuery(StrictSchema):
    days = Integer(load_default=7, validate=Range(min=1, max=services.MAX_DAYS))


def _store(store_id: int) -> Store:
    return scope.require_store(g.staff, db.session().get(Store, store_id))


@bp.get("/v1/admin/stores/<int:store_id>/dashboard")
@staff_required(MANAGER)
@bp.input(DashboardQuery, location="query")
@bp.doc(security="BearerAuth")
def dashboard(store_id: int, query_data: dict[str, Any]) -> dict[str, Any]:
    """Today and the last ``days`` days (store time, today included) of one store:
    walk-ins per hour and per day, median dwell, scans per visit, points issued and
    redeemed per program, partner settlement, cashier adoption per register and
    cashier, the shoppers who paid with the app that the agents saw walk in
    (``seen_at_till``); and the store's agents' health."""
    store = _store(store_id)
    return services.dashboard(db.reports_session(), store, clock.now(), query_data["days"])


@bp.get("/v1/admin/stores/<int:store_id>/charts/<chart>.svg")
@staff_required(MANAGER)
@bp.input(DashboardQuery, location="query")
@bp.doc(security="BearerAuth", responses={200: "The chart, an SVG image (image/svg+xml)"})
def chart(store_id: int, chart: str, query_data: dict[str, Any]) -> Response:
    """One dashboard chart as an SVG picture: ``walk-ins`` (per hour, today against an
    average day), ``points`` (issued per day and program), ``adoption`` (per cashier)."""
    if chart not in charts.CHARTS:
        raise ApiError("not_found", "Charts: %(charts)s.", params={"charts": ", ".join(charts.CHARTS)})
    store = _store(store_id)
    figures = services.dashboard(db.reports_session(), store, clock.now(), query_data["days"])
    return Response(charts.CHARTS[chart](figures), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})
