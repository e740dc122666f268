"""Scan endpoints: scanning a product, what to scan in a store, printable shelf tags."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import Response, current_app, g, request
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from rewards_api import db, i18n
from rewards_api.auth import (
    optional_shopper,
    require_staff,
    shopper_required,
    staff_required,
)
from rewards_api.clock import now
from rewards_api.errors import ApiError
from rewards_api.idempotency import idempotent
from rewards_api.localized import services as localized
from rewards_api.observability import REJECTIONS
from rewards_api.products import gtin
from rewards_api.refusals import services as refusals
from rewards_api.scans import decoder, services, shelf_tags
from rewards_api.schemas import StrictSchema
from rewards_api.staff import scope
from rewards_api.staff.models import CASHIER, MANAGER
from rewards_api.stores.models import Store
from rewards_api.stores.services import open_store
from rewards_api.visits import services as visits

bp = APIBlueprint("scans", __name__, tag="Scans")

PHOTO_TYPES = {"image/jpeg", "image/png"}


class ScanCodeIn(StrictSchema):
    store_id = Integer(required=True, validate=Range(min=1))
    code = String(required=True, validate=Length(min=1, max=200),
                  metadata={"description": "The code as the phone read it"})
    symbology = String(required=True, validate=OneOf(list(gtin.SYMBOLOGY_LENGTHS)),
                       metadata={"description": "ean13, upca, ean8, or qr (a shelf tag)"})


class ScanPhotoForm(StrictSchema):
    store_id = Integer(required=True, validate=Range(min=1))


# Built once: a schema's construction costs more than loading a small body with it.
_SCAN_CODE_IN = ScanCodeIn()
_SCAN_PHOTO_FORM = ScanPhotoForm()


class ProductOut(StrictSchema):
    gtin = String(metadata={"description": "14-digit GTIN"})
    code = String(metadata={"description": "The code as printed (EAN-13, or EAN-8)"})
    name = String()
    picture_url = String(allow_none=True)


class AwardOut(StrictSchema):
    campaign = String()
    program = String()
    points = Integer()
    balance = Integer(metadata={"description": "The shopper's balance in that program after it"})
    entry_id = Integer()


class ReadOut(StrictSchema):
    symbology = String()
    value = String()


class ScanOut(StrictSchema):
    store_id = Integer()
    product = Nested(ProductOut)
    points = Integer(metadata={"description": "All points this scan earned"})
    awards = List(Nested(AwardOut))
    read = Nested(ReadOut, allow_none=True,
                  metadata={"description": "What the server read in the photo (photo scans)"})


class ScanProductOut(StrictSchema):
    campaign = String()
    campaign_name = String()
    program = String()
    points = Integer()
    ends_at = String()
    product = Nested(ProductOut)
    aisle = String(allow_none=True)
    already_scanned = Boolean(allow_none=True,
                              metadata={"description": "The shopper earned this offer's points (by this product or another of it); null when staff ask"})
    scan_state = String(allow_none=True, metadata={
        "description": "This product for the shopper: scanned (it earned the points), not_yet, "
                       "or limit_reached (another product of the offer earned them, or the "
                       "offer's budget is spent); null when staff ask"})


class ScanProductsOut(StrictSchema):
    store_id = Integer()
    local_date = String()
    products = List(Nested(ScanProductOut))


class ShelfTagsQuery(StrictSchema):
    format = String(load_default="pdf", validate=OneOf(["pdf", "png"]))
    page = Integer(load_default=1, validate=Range(min=1))
    campaign = String(load_default=None, validate=Length(min=1, max=40),
                      metadata={"description": "Only this campaign's products (its code)"})


def _store(store_id: int) -> Store:
    return open_store(db.session().get(Store, store_id))


def _product_view(product: Any, name: str) -> dict[str, Any]:
    """A product as the app shows it, ``name`` in the reader's language."""
    return {"gtin": product.gtin, "code": gtin.display(product.gtin), "name": name,
            "picture_url": product.picture_url}


def rate_limited(view: Callable[..., Any]) -> Callable[..., Any]:
    """Count every scan request per shopper and minute in the database.

    The count rides in the request's own transaction, so an award costs no extra
    commit; a refused request's work is rolled back, and its count (with what the
    assist view needs of the refusal) is kept on its own (``db.after_refusal``):
    refused scans count too.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        s, at = db.session(), now()
        try:
            if services.count_scan(s, g.signed_in.shopper_id, at) > current_app.config["SCAN_RATE_PER_MINUTE"]:
                wait = services.rate_window(at) + services.RATE_WINDOW - at
                raise ApiError("rate_limited",
                               details={"retry_after_seconds": int(wait.total_seconds()) + 1})
            return view(*args, **kwargs)
        except ApiError as refusal:
            code = refusal.code
            REJECTIONS.labels("scans", code).inc()
            db.after_refusal(s, lambda s: _count_refused(s, code, at))
            raise

    return wrapper


def _count_refused(s: Session, code: str, at: dt.datetime) -> None:
    services.count_scan(s, g.signed_in.shopper_id, at)
    target = g.get("scan_target")
    if code != "rate_limited" and g.signed_in.assist_opt_in and target is not None:
        store_id, gtin_tried = target
        services.record_refusal(s, g.signed_in.shopper_id, store_id, gtin_tried, code, at)


def _photo_input(form: dict[str, Any]) -> tuple[int, list[str], dict[str, str] | None]:
    """The store and the product codes read from the uploaded photo (the first read too)."""
    photo = request.files.get("photo")
    if photo is None:
        raise ApiError("invalid_request", "Attach the photo as the form field 'photo'.",
                       details={"photo": ["missing"]})
    g.scan_target = (form["store_id"], None)
    if photo.mimetype not in PHOTO_TYPES:
        raise ApiError("unreadable_image", "Send the photo as JPEG or PNG.")
    try:
        reads = decoder.decode(photo.read())
    except decoder.UnreadableImage as exc:
        raise ApiError("unreadable_image", "The photo could not be opened: %(reason)s.",
                       params={"reason": str(exc)}) from exc
    except decoder.UnclearBarcode as exc:
        raise ApiError("barcode_unclear") from exc
    codes = []
    for read in reads:
        try:
            codes.append(gtin.normalize(read.value, read.symbology))
        except ValueError:
            continue  # another code in the picture (a QR with a web address, say)
    if not reads:
        raise ApiError("unreadable_image")
    if not codes:
        raise ApiError("not_a_campaign_product", "The code in the photo is not a product code.")
    g.scan_target = (form["store_id"], codes[0])
    return form["store_id"], codes, {"symbology": reads[0].symbology, "value": reads[0].value}


def _scan_input() -> tuple[int, list[str], dict[str, str] | None]:
    """The store and candidate GTINs from a JSON code or a multipart photo."""
    try:
        if request.mimetype == "multipart/form-data":
            return _photo_input(_SCAN_PHOTO_FORM.load(request.form.to_dict()))
        if not request.is_json:
            raise ApiError("unsupported_media_type",
                           "Send the code as application/json, or a photo as multipart/form-data.")
        payload = request.get_json(silent=True)
        if payload is None:
            raise ApiError("malformed_json")
        body = _SCAN_CODE_IN.load(payload)
    except ValidationError as exc:
        names = ", ".join(sorted(str(k) for k in exc.messages))
        raise ApiError("invalid_request", "These fields are missing or wrong: %(fields)s.",
                       params={"fields": names}, details=exc.messages) from exc
    g.scan_target = (body["store_id"], None)
    try:
        code = gtin.normalize(body["code"], body["symbology"])
    except gtin.BadCheckDigit as exc:
        raise ApiError("invalid_check_digit") from exc
    except gtin.NotAGtin as exc:
        if body["symbology"] == gtin.QR:
            raise ApiError("not_a_campaign_product", "This QR code is not a product code.") from exc
        raise ApiError("invalid_request", "The code does not fit: %(reason)s.",
                       params={"reason": str(exc)},
                       details={"code": [str(exc)]}) from exc
    g.scan_target = (body["store_id"], code)
    return body["store_id"], [code], None


@bp.post("/v1/me/scans")
@shopper_required
@refusals.recorded(lambda: g.get("scan_target"))
@rate_limited
@idempotent
@bp.output(ScanOut, status_code=201)
@bp.doc(security="BearerAuth", responses={409: "Refused: not_in_store, already_scanned, "
                                               "campaign_budget_exhausted",
                                          422: "Refused: not_a_campaign_product, "
                                               "unreadable_image, barcode_unclear, "
                                               "invalid_check_digit",
                                          429: "rate_limited"})
def scan() -> dict[str, Any]:
    """Scan a product in the store for points.

    Either JSON ``{"store_id": 1, "code": "4006381333931", "symbology": "ean13"}`` (the
    phone read the code; ``qr`` for a shelf tag), or ``multipart/form-data`` with
    ``store_id`` and ``photo`` (JPEG or PNG) for the server to read. Points only during
    a visit at that store, for a product of a running campaign, once per the
    campaign's limit and while its budget lasts; each refusal has its own code.
    """
    store_id, codes, read = _scan_input()
    result = services.scan(db.session(), g.signed_in, store_id, codes, at=now(),
                           within=visits.checked_in_within())
    return {
        "store_id": store_id,
        "product": _product_view(result.product, localized.name(
            db.session(), localized.PRODUCT, result.product.id, result.product.name)),
        "points": sum(a.campaign.points for a in result.awards),
        "awards": [{"campaign": a.campaign.code, "program": a.campaign.program,
                    "points": a.campaign.points, "balance": a.balance, "entry_id": a.entry_id}
                   for a in result.awards],
        "read": read,
    }


@bp.get("/v1/stores/<int:store_id>/scan-products")
@bp.output(ScanProductsOut)
@bp.doc(security="BearerAuth")
def scan_products(store_id: int) -> dict[str, Any]:
    """What earns scan points in this store today: product, points, aisle, picture,
    and for a shopper whether they already earned it. Shoppers and staff may ask."""
    shopper = optional_shopper()
    store = _store(store_id)
    if shopper is None:
        scope.require_store(require_staff(CASHIER), store)  # not a shopper: must be staff
    at = now()
    s = db.session()
    items = services.scan_products(s, store, at, shopper)
    products = localized.names(s, localized.PRODUCT, {i.product.id: i.product.name for i in items})
    campaigns = localized.names(s, localized.CAMPAIGN,
                                {i.campaign.id: i.campaign.name for i in items})
    return {
        "store_id": store.id,
        "local_date": store.local_date(at).isoformat(),
        "products": [{"campaign": i.campaign.code, "campaign_name": campaigns[i.campaign.id],
                      "program": i.campaign.program.code, "points": i.campaign.points,
                      "ends_at": i.campaign.ends_at.isoformat(),
                      "product": _product_view(i.product, products[i.product.id]),
                      "aisle": i.aisle,
                      "already_scanned": i.already_scanned, "scan_state": i.scan_state}
                     for i in items],
    }


@bp.get("/v1/stores/<int:store_id>/shelf-tags")
@staff_required(MANAGER)
@bp.input(ShelfTagsQuery, location="query")
@bp.doc(security="BearerAuth", responses={200: "application/pdf, or image/png with X-Page-Count"})
def shelf_tags_sheet(store_id: int, query_data: dict[str, Any]) -> Response:
    """Printable shelf tags for today's campaign products (managers), or one campaign's
    (``campaign``): a PDF of every page, or one page as PNG (``format=png&page=N``;
    ``X-Page-Count`` says how many)."""
    store = scope.require_store(g.staff, _store(store_id))
    # Printed in the store's language, whoever prints them: shoppers read them.
    language = i18n.store_language(store.language, store.chain.default_language)
    s = db.session()
    items = [item for item in services.scan_products(s, store, now(), None)
             if query_data["campaign"] in (None, item.campaign.code)]
    names = localized.names(s, localized.PRODUCT, {i.product.id: i.product.name for i in items},
                            language)
    tags: dict[str, shelf_tags.Tag] = {}
    for item in items:
        # One tag per product, showing all the points a scan of it earns.
        seen = tags.get(item.product.gtin)
        points = item.campaign.points + (seen.points if seen else 0)
        tags[item.product.gtin] = shelf_tags.Tag(names[item.product.id], item.product.gtin,
                                                 points, item.aisle)
    with i18n.speaking(language):
        if query_data["format"] == "pdf":
            return Response(shelf_tags.pdf(list(tags.values())), mimetype="application/pdf",
                            headers={"Content-Disposition":
                                     f'inline; filename="shelf-tags-{store.code}.pdf"'})
        try:
            page, count = shelf_tags.png(list(tags.values()), query_data["page"])
        except IndexError as exc:
            raise ApiError("invalid_request", "There is no such page.",
                           details={"page": ["past the last page"]}) from exc
    return Response(page, mimetype="image/png", headers={"X-Page-Count": str(count)})
