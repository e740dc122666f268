"""Back-office reports: the chain view (chain admins and head office) and the measured
success of the program (managers for their store, admins for their chain's), as JSON
and as CSV. Read-only, from the reports database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Date, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length
from flask import Response, g
from marshmallow import ValidationError, validates_schema
from sqlalchemy import select

from rewards_api import clock, db
from rewards_api.auth import staff_required
from rewards_api.dashboard import services as dashboard
from rewards_api.errors import ApiError
from rewards_api.manage import services
from rewards_api.schemas import StrictSchema
from rewards_api.staff import scope
from rewards_api.staff.models import ADMIN, MANAGER
from rewards_api.stores.models import Chain, Store

bp = APIBlueprint("manage", __name__, tag="Back office")

CSV_DOC = {200: "text/csv: a header line, then one line per store (chain) or figure (results)"}


class PeriodQuery(StrictSchema):
    from_ = Date(load_default=None, data_key="from",
                 metadata={"description": "First store-local day; default: 6 days before `to`"})
    to = Date(load_default=None, metadata={"description": "Last store-local day; default: today (UTC)"})

    @validates_schema
    def _order(self, data: dict[str, Any], **_: Any) -> None:
        first, last = data.get("from_"), data.get("to")
        if first is not None and last is not None and first > last:
            raise ValidationError("`from` must not be after `to`.", "from")


class ChainQuery(PeriodQuery):
    chain = String(load_default=None, validate=Length(min=1, max=40),
                   metadata={"description": "Chain code (head office); default: your chain"})


class ResultsQuery(PeriodQuery):
    store = String(load_default=None, validate=Length(min=1, max=40),
                   metadata={"description": "Store code; default: every store you may see"})


class TillOut(StrictSchema):
    """``dashboard.services.seen_at_till``, its rule's figures said from its constants."""

    paid_with_app = Integer(metadata={"description": "Committed sales where the shopper showed "
                                                     "the app's checkout code"})
    seen = Integer(metadata={"description": "Of them, shoppers with a visit at the store within "
                                            f"{dashboard.TILL_REACH.seconds // 60} minutes of the sale"})
    share = Float(allow_none=True)
    attention = Boolean(metadata={"description": f"Under {dashboard.TILL_SEEN_LOW:.0%} seen, over "
                                                 f"{dashboard.TILL_SALES} sales or more"})


class ChainStoreOut(StrictSchema):
    store = String()
    name = String()
    timezone = String()
    nearby = Integer(metadata={"description": "App phones the store's agents first heard"})
    walk_ins = Integer()
    scans = Integer()
    scans_per_visit = Float(allow_none=True)
    redemptions = Integer()
    checkouts_with_app = Integer(metadata={"description": "Committed sales with the shopper identified"})
    cashier_adoption = Float(allow_none=True, metadata={
        "description": "Share of sales with a reward within reach where rewards were applied"})
    seen_at_till = Nested(TillOut)
    agents = Integer()
    agents_needing_attention = Integer(metadata={
        "description": "Silent for over 5 minutes, setting refused events aside, or with "
                       "calibration advice (move it, or more shoppers needed)"})


class ChainOut(StrictSchema):
    from_ = String(data_key="from", attribute="from")
    to = String()
    as_of = String()
    stores = List(Nested(ChainStoreOut))


class FigureOut(StrictSchema):
    value = Integer(allow_none=True)
    baseline = Float(allow_none=True, metadata={
        "description": "The previous 28 days scaled to the period's length"})
    change = Float(allow_none=True, metadata={"description": "(value - baseline) / baseline"})


class RefusalFigureOut(FigureOut):
    code = String()
    label = String()


class StoreFunnelOut(StrictSchema):
    nearby = Nested(FigureOut, metadata={"description": "App phones the store's agents first "
                                                        "heard (their heartbeats' nearby)"})
    walk_ins = Nested(FigureOut)
    scans = Nested(FigureOut)
    checkouts_with_app = Nested(FigureOut)
    checkouts_with_rewards = Nested(FigureOut)


class CampaignFunnelOut(StrictSchema):
    nearby = Nested(FigureOut)
    walk_ins = Nested(FigureOut)
    scans = Nested(FigureOut)
    scanning_shoppers = Nested(FigureOut)
    checkouts_with_rewards = Nested(FigureOut)


class CampaignResultsOut(StrictSchema):
    campaign = String()
    name = String()
    starts_at = String()
    ends_at = String()
    funnel = Nested(CampaignFunnelOut)
    refusals = List(Nested(RefusalFigureOut))


class StoreResultsOut(StrictSchema):
    store = String()
    name = String()
    timezone = String()
    baseline_from = String()
    baseline_to = String()
    funnel = Nested(StoreFunnelOut)
    refusals = List(Nested(RefusalFigureOut))
    campaigns = List(Nested(CampaignResultsOut))


class ResultsOut(StrictSchema):
    from_ = String(data_key="from", attribute="from")
    to = String()
    as_of = String()
    baseline_days = Integer()
    stages = Dict(keys=String(), values=String())
    campaign_stages = Dict(keys=String(), values=String())
    stores = List(Nested(StoreResultsOut))


def _days(query: dict[str, Any]) -> tuple[dt.date, dt.date]:
    last = query["to"] or clock.now().date()
    first = query["from_"] or last - dt.timedelta(days=6)
    if first > last or (last - first).days >= services.MAX_DAYS:
        raise ApiError("invalid_request", "At most %(days)s days at once.",
                       params={"days": services.MAX_DAYS},
                       details={"from": ["too far before to"]})
    return first, last


def _chain_stores(chain_code: str | None) -> list[Store]:
    """The stores of the chain asked for, or of the key's own chain."""
    s = db.session()
    query = select(Store).where(scope.stores_in_scope(g.staff)).order_by(Store.code)
    if chain_code is not None:
        chain = s.scalars(select(Chain).where(Chain.code == chain_code)).first()
        if chain is None:
            raise ApiError("chain_not_found")
        if scope.chain_of(g.staff) not in (None, chain.id):
            raise ApiError("forbidden", "Your key belongs to another chain.")
        query = query.where(Store.chain_id == chain.id)
    return list(s.scalars(query))


def _result_stores(store_code: str | None) -> list[Store]:
    s = db.session()
    if store_code is not None:
        store = s.scalars(select(Store).where(Store.code == store_code)).first()
        return [scope.require_store(g.staff, store)]
    return list(s.scalars(select(Store).where(scope.stores_in_scope(g.staff))
                          .order_by(Store.code)))


def _chain(query: dict[str, Any]) -> dict[str, Any]:
    first, last = _days(query)
    return services.chain(db.reports_session(), _chain_stores(query["chain"]), first, last,
                          clock.now())


def _results(query: dict[str, Any]) -> dict[str, Any]:
    first, last = _days(query)
    return services.results(db.reports_session(), _result_stores(query["store"]), first, last,
                            clock.now())


def _csv(body: str, name: str, view: dict[str, Any]) -> Response:
    filename = f"{name}-{view['from']}-{view['to']}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/v1/admin/chain")
@staff_required(ADMIN)
@bp.input(ChainQuery, location="query")
@bp.output(ChainOut)
@bp.doc(security="BearerAuth")
def chain_view(query_data: dict[str, Any]) -> dict[str, Any]:
    """Every store of the chain side by side for the store-local days ``from`` to ``to``:
    app shoppers nearby, walk-ins, scans per visit, redemptions, checkouts with the app,
    cashier adoption, agents needing attention. Chain admins see their chain; head office
    any (``chain``)."""
    return _chain(query_data)


@bp.get("/v1/admin/chain.csv")
@staff_required(ADMIN)
@bp.input(ChainQuery, location="query")
@bp.doc(security="BearerAuth", responses=CSV_DOC)
def chain_view_csv(query_data: dict[str, Any]) -> Response:
    """The chain view as CSV, one line per store."""
    view = _chain(query_data)
    return _csv(services.chain_csv(view), "chain", view)


@bp.get("/v1/admin/results")
@staff_required(MANAGER)
@bp.input(ResultsQuery, location="query")
@bp.output(ResultsOut)
@bp.doc(security="BearerAuth")
def results(query_data: dict[str, Any]) -> dict[str, Any]:
    """Measured success per store and per scan campaign: the funnel from walk-ins to
    scans and checkouts with rewards, and the refusals where shoppers fail, each beside
    the previous 28 days scaled to the period. Managers see their store."""
    return _results(query_data)


@bp.get("/v1/admin/results.csv")
@staff_required(MANAGER)
@bp.input(ResultsQuery, location="query")
@bp.doc(security="BearerAuth", responses=CSV_DOC)
def results_csv(query_data: dict[str, Any]) -> Response:
    """The results as CSV, one figure per line."""
    view = _results(query_data)
    return _csv(services.results_csv(view), "results", view)
